import { describe, expect, it } from "@effect/vitest"
import { Console, Effect } from "effect"
import * as Logging from "../src/Logging.js"
import type { LoggingConfig } from "../src/Options.js"

const capture = (config: LoggingConfig, program: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const console: Console.Console = { ...globalThis.console, error: (...args: ReadonlyArray<unknown>) => void lines.push(args.map(String).join(" ")) }
    yield* program.pipe(Effect.provide(Logging.layer(config)), Effect.provideService(Console.Console, console))
    return lines
  })

const sample = Effect.gen(function*() {
  yield* Effect.logWarning("peer is slow")
  yield* Effect.logInfo("Association accepted")
  yield* Effect.logInfo("association accepted: 1 presentation contexts").pipe(Effect.annotateLogs({ role: "acceptor", peer: "10.0.0.1:4000" }))
  yield* Effect.logDebug("sent PDU\nA-RELEASE-RQ (0x05)").pipe(Effect.annotateLogs({ direction: "sent", peer: "10.0.0.1:4000" }))
})

describe("Logging · -v / -d levels and the concise stderr format", () => {
  it("maps the flags to a level: Warn by default, Info with -v, Debug with -d", () => {
    expect(Logging.levelOf({ verbose: false, debug: false })).toBe("Warn")
    expect(Logging.levelOf({ verbose: true, debug: false })).toBe("Info")
    expect(Logging.levelOf({ verbose: false, debug: true })).toBe("Debug")
  })

  it.effect("by default shows warnings only, prefixed 'W: '", () =>
    Effect.gen(function*() {
      expect(yield* capture({ verbose: false, debug: false }, sample)).toEqual(["W: peer is slow"])
    }))

  it.effect("-v shows the tool's Info lines but not the libraries' per-association Info lines", () =>
    Effect.gen(function*() {
      expect(yield* capture({ verbose: true, debug: false }, sample)).toEqual(["W: peer is slow", "I: Association accepted"])
    }))

  it.effect("-d shows everything; annotations go on the first line of a multi-line dump", () =>
    Effect.gen(function*() {
      expect(yield* capture({ verbose: false, debug: true }, sample)).toEqual([
        "W: peer is slow",
        "I: Association accepted",
        "I: association accepted: 1 presentation contexts peer=10.0.0.1:4000",
        "D: sent PDU peer=10.0.0.1:4000\nA-RELEASE-RQ (0x05)"
      ])
    }))
})
