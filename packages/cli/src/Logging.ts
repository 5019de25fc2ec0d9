/**
 * The tools' logging: `-v` shows what happens (Info), `-d` adds the debug output of the client and server
 * (PDU dumps at Debug), the default shows warnings and errors only. One concise line per entry on stderr,
 * prefixed DCMTK style ("I: ", "D: ", "W: ", "E: "); multi-line messages (PDU dumps) keep their lines.
 *
 * @since 0.1.0
 */
import { Cause, Console, Layer, Logger, type LogLevel, References } from "effect"
import { inspect } from "node:util"
import type { LoggingConfig } from "./Options.js"

/**
 * The minimum log level for the `-v`/`-d` flags: Debug with -d, Info with -v, Warn otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const levelOf = (config: LoggingConfig): LogLevel.LogLevel =>
  config.debug ? "Debug" : config.verbose ? "Info" : "Warn"

const prefix: Record<LogLevel.LogLevel, string> = {
  All: "A",
  Trace: "T",
  Debug: "D",
  Info: "I",
  Warn: "W",
  Error: "E",
  Fatal: "F",
  None: "N"
}

const part = (u: unknown): string => {
  if (typeof u === "string") return u
  if (u instanceof Error) return u.message
  return inspect(u, { depth: 4, breakLength: Number.POSITIVE_INFINITY, colors: false })
}

// Annotations that repeat what the message says already.
const hidden = new Set(["role", "direction"])

/**
 * Renders one log entry: "I: message key=value" (annotations such as the peer and AE titles after the
 * first line, with `withAnnotations`), and the failure of a logged cause appended.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (options: Logger.Options<unknown>, withAnnotations: boolean): string => {
  const parts = Array.isArray(options.message) ? options.message : [options.message]
  const text = `${prefix[options.logLevel]}: ${parts.map(part).join(" ")}`
  // Annotations and the cause go on the first line; the following lines (a PDU dump) stay as they are.
  const newline = text.indexOf("\n")
  let first = newline === -1 ? text : text.slice(0, newline)
  if (withAnnotations) {
    const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
    for (const key of Object.keys(annotations)) {
      if (!hidden.has(key)) first += ` ${key}=${part(annotations[key])}`
    }
  }
  if (options.cause.reasons.length > 0) first += ` (${Cause.pretty(options.cause).split("\n")[0] ?? ""})`
  return newline === -1 ? first : first + text.slice(newline)
}

/**
 * Whether an entry is shown: the tools own the Info level (their own lifecycle lines), so the client's and
 * server's per-association Info lines (annotated with `role`) only show with `-d`.
 *
 * @since 0.1.0
 * @category filters
 */
export const isShown = (options: Logger.Options<unknown>, debug: boolean): boolean =>
  debug || options.logLevel !== "Info" || !("role" in options.fiber.getRef(References.CurrentLogAnnotations))

/**
 * A logger writing `format`ted lines to the console's error stream (stderr), filtered by `isShown`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stderrLogger = (debug: boolean): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    if (isShown(options, debug)) options.fiber.getRef(Console.Console).error(format(options, true))
  })

/**
 * Replaces the loggers with the concise stderr logger and sets the level for `-v`/`-d`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: LoggingConfig): Layer.Layer<never> =>
  Layer.mergeAll(
    Logger.layer([stderrLogger(config.debug)]),
    Layer.succeed(References.MinimumLogLevel, levelOf(config))
  )
