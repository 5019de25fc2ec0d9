/** Runs commands in-process with a console that records what they print. */
import { NodeServices } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { type Command as CliCommand, Command } from "effect/cli"
import * as Cli from "../../src/Cli.js"
import * as Echoscp from "../../src/tools/echoscp.js"
import * as Echoscu from "../../src/tools/echoscu.js"
import * as Findscu from "../../src/tools/findscu.js"
import * as Storescp from "../../src/tools/storescp.js"
import * as Storescu from "../../src/tools/storescu.js"

/** What a run printed on stdout and stderr. */
export interface Output {
  readonly stdout: Array<string>
  readonly stderr: Array<string>
}

const recordingConsole = (output: Output): Console.Console => ({
  ...globalThis.console,
  log: (...args: ReadonlyArray<unknown>) => {
    output.stdout.push(args.map(String).join(" "))
  },
  info: (...args: ReadonlyArray<unknown>) => {
    output.stdout.push(args.map(String).join(" "))
  },
  error: (...args: ReadonlyArray<unknown>) => {
    output.stderr.push(args.map(String).join(" "))
  },
  warn: (...args: ReadonlyArray<unknown>) => {
    output.stderr.push(args.map(String).join(" "))
  }
})

/** `Cli.run` on `args`: the exit code and the output. */
export const runCli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const output: Output = { stdout: [], stderr: [] }
    const exitCode = yield* Cli.run(args).pipe(Effect.provideService(Console.Console, recordingConsole(output)))
    return { exitCode, stdout: output.stdout.join("\n"), stderr: output.stderr.join("\n") }
  }).pipe(Effect.provide(NodeServices.layer))

/** Parses `args` with a tool command built around a handler that records its configuration. */
const parseWith = <A, E>(
  make: (handler: (config: A) => Effect.Effect<void>) => CliCommand.Command<string, A, {}, E, never>,
  args: ReadonlyArray<string>
) =>
  Effect.gen(function*() {
    const output: Output = { stdout: [], stderr: [] }
    let parsed: A | undefined
    const command = make((config) =>
      Effect.sync(() => {
        parsed = config
      })
    )
    const exit = yield* Command.runWith(command, { version: Cli.VERSION })(args).pipe(
      Effect.provideService(Console.Console, recordingConsole(output)),
      Effect.provide(Layer.mergeAll(Cli.configLayer, Cli.presenterLayer)),
      Effect.exit
    )
    return { parsed, exit, stderr: output.stderr.join("\n"), stdout: output.stdout.join("\n") }
  }).pipe(Effect.provide(NodeServices.layer))

/** Parses echoscu arguments: the configuration the handler would get, or the usage error. */
export const parseEchoscu = (args: ReadonlyArray<string>) =>
  parseWith<Echoscu.Config, never>((handler) => Echoscu.make(handler) as CliCommand.Command<string, Echoscu.Config, {}, never, never>, args)

/** Parses echoscp arguments: the configuration the handler would get, or the usage error. */
export const parseEchoscp = (args: ReadonlyArray<string>) =>
  parseWith<Echoscp.Config, never>((handler) => Echoscp.make(handler) as CliCommand.Command<string, Echoscp.Config, {}, never, never>, args)

/** Parses storescu arguments. */
export const parseStorescu = (args: ReadonlyArray<string>) =>
  parseWith<Storescu.Config, never>((handler) => Storescu.make(handler) as CliCommand.Command<string, Storescu.Config, {}, never, never>, args)

/** Parses findscu arguments. */
export const parseFindscu = (args: ReadonlyArray<string>) =>
  parseWith<Findscu.Config, never>((handler) => Findscu.make(handler) as CliCommand.Command<string, Findscu.Config, {}, never, never>, args)

/** Parses storescp arguments. */
export const parseStorescp = (args: ReadonlyArray<string>) =>
  parseWith<Storescp.Config, never>((handler) => Storescp.make(handler) as CliCommand.Command<string, Storescp.Config, {}, never, never>, args)
