/**
 * The `dicomnet` root command without its tools: the root command around given subcommands, the runner
 * configuration (built-in flags: `--help`/`-h`, `--version` without the `-v` alias, which is `--verbose` in every
 * tool; `--completions`), usage errors reported in two short lines, `runWith`, which turns any outcome into an exit
 * code, and `tools`, each tool's module loaded on demand (the binary loads only the tool it runs).
 *
 * @since 0.1.0
 */
import { Console, Effect, Layer } from "effect"
import { CliConfig, CliError, CliOutput, Command, Flag, GlobalFlag } from "effect/cli"
import { ExitCode, explain } from "./Failure.js"
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
 * The sub-command names, each with its module loaded on demand.
 *
 * @since 0.1.0
 * @category commands
 */
export const tools = {
  echoscu: () => import("./tools/echoscu.js"),
  echoscp: () => import("./tools/echoscp.js"),
  storescu: () => import("./tools/storescu.js"),
  storescp: () => import("./tools/storescp.js"),
  findscu: () => import("./tools/findscu.js"),
  movescu: () => import("./tools/movescu.js"),
  getscu: () => import("./tools/getscu.js"),
  synth: () => import("./tools/synth.js"),
  demo: () => import("./tools/demo.js")
} as const

/**
 * A tool name, as typed after `dicomnet`.
 *
 * @since 0.1.0
 * @category commands
 */
export type ToolName = keyof typeof tools

/** The command of any tool. */
type ToolCommand = Awaited<ReturnType<(typeof tools)[ToolName]>>["command"]

/**
 * The root command around the given tools (all of them for the root help, one when running a tool).
 *
 * @since 0.1.0
 * @category commands
 */
export const rootWith = (subcommands: ReadonlyArray<ToolCommand>) =>
  Command.make("dicomnet").pipe(
    Command.withDescription(
      "DICOM networking tools, DCMTK style: verification, storage and query/retrieve SCUs and SCPs, synthetic studies, a demo.\n" +
        "  Exit codes: 0 ok, 1 usage, 2 connection/transport failure, 3 association rejected, 4 aborted, " +
        "5 timeout, 6 DIMSE failure status."
    ),
    Command.withSubcommands(subcommands),
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
 * Runs `command` on the given arguments (without the node and script paths) and returns the exit code;
 * a failure prints its one line on stderr, a usage error has already been reported by the presenter.
 *
 * @since 0.1.0
 * @category running
 */
export const runWith = (command: ReturnType<typeof rootWith>, args: ReadonlyArray<string>): Effect.Effect<ExitCode, never, Command.Environment> =>
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
