/**
 * The V8 settings the `dicomnet` launcher starts the tools with (figures: README.md, "Memory and garbage
 * collection"): a 1 MiB young generation, an old generation that grows by a fixed factor of 2, V8's `gc` exposed
 * (for @dicomnet/transport's Scavenge: a young collection after every 4 MiB of socket reads and file steps), for a
 * tool that does one job and ends, Maglev as the highest optimising tier (no TurboFan), and, on a machine with 2
 * processors or fewer, one V8 worker thread. One list for the launcher, the bench's library agents and an
 * application that embeds the library and wants the same (`node $(flags) app.js`).
 *
 * @since 0.1.0
 */
import { availableParallelism } from "node:os"

/** One setting: a flag's name and its value (none for a boolean flag). @category models */
export type Setting = readonly [name: string, value?: string]

/**
 * How long the process runs: one job and then it ends (a client tool: TurboFan's compilations do not pay back within
 * it), or until it is stopped (a server, an application: TurboFan's code is ~25 % faster once warm). @category models
 */
export type Lifetime = "job" | "server"

/** The tools that run until stopped. */
const servers: ReadonlySet<string> = new Set(["storescp", "echoscp"])

/** The lifetime of `dicomnet ARGS`: "server" for storescp and echoscp, "job" for every other tool. @category settings */
export const lifetimeOf = (args: ReadonlyArray<string>): Lifetime => (servers.has(args[0] ?? "") ? "server" : "job")

/**
 * The settings for a machine with `processors` processors (default: this one's) and a process of the given lifetime
 * (default "server": a long-running process). @category settings
 */
export const settings = (processors: number = availableParallelism(), lifetime: Lifetime = "server"): ReadonlyArray<Setting> => [
  ["--max-semi-space-size", "1"],
  ["--heap-growing-percent", "100"],
  ["--expose-gc"],
  ...(lifetime === "job" ? [["--max-opt", "2"] as const] : []),
  ...(processors <= 2 ? [["--v8-pool-size", "1"] as const] : [])
]

const asFlag = ([name, value]: Setting): string => (value === undefined ? name : `${name}=${value}`)

/** The settings as Node command-line flags, `--name=value`. @category settings */
export const flags = (processors?: number, lifetime?: Lifetime): Array<string> => settings(processors, lifetime).map(asFlag)

/**
 * The flags of the settings that `given` (Node's own arguments and the words of NODE_OPTIONS) does not set already,
 * by name, with dashes or underscores (V8 takes both), a boolean one also turned off (`--no-expose-gc`): what the
 * launcher adds. @category settings
 */
export const missing = (given: ReadonlyArray<string>, processors?: number, lifetime?: Lifetime): Array<string> => {
  const names = given.map((a) => a.replaceAll("_", "-"))
  const sets = (name: string) => (a: string) => a === name || a.startsWith(`${name}=`)
  return settings(processors, lifetime)
    .filter(([name, value]) => !names.some((a) => sets(name)(a) || (value === undefined && sets(`--no-${name.slice(2)}`)(a))))
    .map(asFlag)
}
