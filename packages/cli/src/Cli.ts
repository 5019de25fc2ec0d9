/**
 * The `dicomnet` root command with every tool as a subcommand (see Root for the runner configuration), and `run`,
 * which turns any outcome into an exit code. The binary itself loads only the tool it runs (Root.tools).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { Command } from "effect/cli"
import type { ExitCode } from "./Failure.js"
import * as Root from "./Root.js"
import * as Demo from "./tools/demo.js"
import * as Echoscp from "./tools/echoscp.js"
import * as Echoscu from "./tools/echoscu.js"
import * as Findscu from "./tools/findscu.js"
import * as Getscu from "./tools/getscu.js"
import * as Movescu from "./tools/movescu.js"
import * as Storescp from "./tools/storescp.js"
import * as Storescu from "./tools/storescu.js"
import * as Synth from "./tools/synth.js"

export {
  /**
   * The version printed by `--version` (the package version).
   *
   * @since 0.1.0
   * @category constants
   */
  VERSION,
  /**
   * `--version` without the `-v` alias (`-v` means `--verbose` in the tools, as in DCMTK).
   *
   * @since 0.1.0
   * @category flags
   */
  versionFlag,
  /**
   * The runner configuration: help, version (no `-v`) and shell completions.
   *
   * @since 0.1.0
   * @category layers
   */
  configLayer,
  /**
   * Help on stdout as usual; a usage error as "dicomnet echoscu: <error>" and a hint, on stderr.
   *
   * @since 0.1.0
   * @category layers
   */
  presenterLayer
} from "./Root.js"

/**
 * The root command with every tool as a subcommand.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Root.rootWith([
  Echoscu.command,
  Echoscp.command,
  Storescu.command,
  Storescp.command,
  Findscu.command,
  Movescu.command,
  Getscu.command,
  Synth.command,
  Demo.command
])

/**
 * Runs the CLI on the given arguments (without the node and script paths) and returns the exit code;
 * a failure prints its one line on stderr, a usage error has already been reported by the presenter.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (args: ReadonlyArray<string>): Effect.Effect<ExitCode, never, Command.Environment> => Root.runWith(command, args)
