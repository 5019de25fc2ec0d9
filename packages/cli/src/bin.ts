/**
 * The `dicomnet` entry point: runs the CLI on the process arguments with the Node services and exits
 * with the tool's exit code (130 when interrupted by a signal, 0 for a server stopped by a signal).
 * Only the tool named first is loaded (every tool for the root help, completions or an unknown name).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Effect, Exit } from "effect"
import { interruptExitCode } from "./internal/Interrupt.js"
import * as Root from "./Root.js"

const args = process.argv.slice(2)
const first = args[0]
const named = first !== undefined && Object.hasOwn(Root.tools, first) ? Root.tools[first as Root.ToolName] : undefined

Effect.promise(() => (named !== undefined ? named().then((tool) => [tool.command]) : Promise.all(Object.values(Root.tools).map((load) => load().then((tool) => tool.command))))).pipe(
  Effect.flatMap((subcommands) => Root.runWith(Root.rootWith(subcommands), args)),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit)) return onExit(typeof exit.value === "number" ? exit.value : 0)
      if (Cause.hasInterruptsOnly(exit.cause)) return onExit(interruptExitCode.current)
      // Failures of the tools are told by the tools (one line, their exit code): what gets here is a defect.
      process.stderr.write(`dicomnet: internal error (please report it):\n${Cause.pretty(exit.cause)}\n`)
      onExit(70)
    }
  })
)
