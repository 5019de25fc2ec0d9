/**
 * The `dicomnet` entry point: runs the CLI on the process arguments with the Node services and exits
 * with the tool's exit code (130 when interrupted by a signal, 0 for a server stopped by a signal).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Effect, Exit } from "effect"
import * as Cli from "./Cli.js"
import { interruptExitCode } from "./internal/Interrupt.js"

Cli.run(process.argv.slice(2)).pipe(
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit)) return onExit(typeof exit.value === "number" ? exit.value : 0)
      onExit(Cause.hasInterruptsOnly(exit.cause) ? interruptExitCode.current : 70)
    }
  })
)
