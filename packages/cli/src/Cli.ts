/**
 * The `dicomnet` root command: its subcommands, the runner configuration (built-in flags: `--help`/`-h`,
 * `--version` without the `-v` alias, which is `--verbose` in every tool; `--completions`), usage errors
 * reported in two short lines, and `run`, which turns any outcome into an exit code.
 *
 * @since 0.1.0
 */
import { Console, Effect, Layer } from "effect"
import { CliConfig, CliError, CliOutput, Command, Flag, GlobalFlag } from "effect/cli"
import { ExitCode, explain } from "./Failure.js"
import * as Demo from "./tools/demo.js"
import * as Echoscp from "./tools/echoscp.js"
import * as Echoscu from "./tools/echoscu.js"
import * as Findscu from "./tools/findscu.js"
import * as Getscu from "./tools/getscu.js"
import * as Movescu from "./tools/movescu.js"
import * as Storescp from "./tools/storescp.js"
import * as Storescu from "./tools/storescu.js"
import * as Synth from "./tools/synth.js"
import * as Version from "./Version.js"

/**
 * The version printed by `--version` (the package version).
 *
 * @since 0.1.0
 * @category constants
 */
export const VERSION: string = Version.VERSION

/**
 * `--version` without the `-v` alias (`-v` means `--verbose` in the tools, as in DCMTK).
 *
 * @since 0.1.0
 * @category flags
 */
export const versionFlag: GlobalFlag.Action<boolean> = GlobalFlag.Action({
  flag: Flag.Boolean("version").pipe(Flag.withDescription("Show version information"), Flag.withDefault(false)),
  run: GlobalFlag.Version.run
})

/**
 * The runner configuration: help, version (no `-v`) and shell completions; no wizard and no
 * `--log-level` (the tools' `-v`/`-d` set the level).
 *
 * @since 0.1.0
 * @category layers
 */
export const configLayer: Layer.Layer<never> = CliConfig.layer({
  builtIns: [GlobalFlag.Help, versionFlag, GlobalFlag.Completions]
})

/**
 * Help on stdout as usual; a usage error as "dicomnet echoscu: <error>" and a hint, on stderr.
 *
 * @since 0.1.0
 * @category layers
 */
export const presenterLayer: Layer.Layer<never> = CliOutput.layerPresenter({
  present: (event) =>
    Effect.gen(function*() {
      if (event._tag !== "InvalidInvocation") return yield* CliOutput.defaultPresenter.present(event)
      const path = event.commandPath.join(" ")
      for (const error of event.errors) yield* Console.error(`${path}: ${error.message}`)
      yield* Console.error(`Try '${path} --help' for more information.`)
    })
})

/**
 * The root command with every tool as a subcommand.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("dicomnet").pipe(
  Command.withDescription(
    "DICOM networking tools, DCMTK style: verification, storage and query/retrieve SCUs and SCPs, synthetic studies, a demo.\n" +
      "  Exit codes: 0 ok, 1 usage, 2 connection/transport failure, 3 association rejected, 4 aborted, " +
      "5 timeout, 6 DIMSE failure status."
  ),
  Command.withSubcommands([Echoscu.command, Echoscp.command, Storescu.command, Storescp.command, Findscu.command, Movescu.command, Getscu.command, Synth.command, Demo.command]),
  Command.withExamples([
    { command: "dicomnet echoscu pacs.example.org 104 --aec PACS -v", description: "Verify a peer (C-ECHO)" },
    { command: "dicomnet echoscp 11112 -v", description: "Answer C-ECHO on port 11112 until Ctrl-C" },
    { command: "dicomnet storescu pacs 104 -r /data/study --threads 4", description: "Send a directory tree over 4 associations" },
    { command: "dicomnet storescp 11112 --out /data/in --layout study -v", description: "Receive into Study/Series folders" },
    { command: "dicomnet findscu pacs 104 -k PatientName='DOE^*' --json", description: "Query studies, DICOM JSON out" },
    { command: "dicomnet demo", description: "Receiver, synthetic study, send with progress, query back, in one process" },
    { command: "dicomnet echoscu --help", description: "All options of a tool" }
  ])
)

/**
 * Runs the CLI on the given arguments (without the node and script paths) and returns the exit code;
 * a failure prints its one line on stderr, a usage error has already been reported by the presenter.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (args: ReadonlyArray<string>): Effect.Effect<ExitCode, never, Command.Environment> =>
  Command.runWith(command, { version: VERSION })(args).pipe(
    Effect.as(ExitCode.Ok),
    Effect.catch((error) => {
      if (CliError.isCliError(error)) return Effect.succeed(ExitCode.Usage)
      const explained = explain(error)
      return Effect.as(Console.error(explained.line), explained.exitCode)
    }),
    Effect.catchDefect((defect) => {
      const explained = explain(defect)
      return Effect.as(Console.error(explained.line), ExitCode.Internal)
    }),
    Effect.provide(Layer.mergeAll(configLayer, presenterLayer))
  )
