/**
 * Load against a live DicomServer over TCP on 127.0.0.1: 200 concurrent associations storing objects, and more
 * associations than the limit. Memory (RSS of this process, which runs both client and server) is
 * sampled during the load and printed; the assertion on it is only a generous sanity bound.
 */
import { Association, Echo, Store } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { Dcmtk } from "@dicomnet/testkit"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Stream } from "effect"
import { clientTimeouts, echo, host, remainingAssociations, withServer } from "./Harness.js"
import { check, clean, object, secondaryCapture, storeTo, type TestObject } from "./Objects.js"

const verification = [{ abstractSyntax: SopClass.Verification }]

/** Samples process RSS every 5 ms while `effect` runs; returns its result with the peak and the baseline. */
const measured = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const baseline = process.memoryUsage().rss
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 5)
    const result = yield* effect.pipe(Effect.ensuring(Effect.sync(() => clearInterval(sampler))))
    peak = Math.max(peak, process.memoryUsage().rss)
    return { result, baseline, peak }
  })

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024)

describe("Load · 200 concurrent associations storing objects", () => {
  let dir: { readonly path: string; readonly cleanup: () => void }
  beforeEach(() => {
    dir = Dcmtk.tempDir("dicomnet-load-")
  })
  afterEach(() => dir.cleanup())

  it.live("200 associations at once, 3 C-STOREs of 32 KiB each: all 600 acknowledged, on disk and identical, nothing left behind", () =>
    withServer({ maxAssociations: 256, handlers: { store: storeTo(dir.path) } }, ({ target, server, awaitEvents }) =>
      Effect.gen(function* () {
        const objectsOf = (i: number) => [object(3 * i), object(3 * i + 1), object(3 * i + 2)]
        const one = (i: number) =>
          Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({
                host,
                port: target.port,
                callingAeTitle: `LOAD${i}`,
                contexts: [{ abstractSyntax: secondaryCapture }],
                timeouts: { ...clientTimeouts, artim: "30 seconds", dimse: "30 seconds", connect: "30 seconds" }
              })
              const acknowledged: Array<TestObject> = []
              for (const o of objectsOf(i)) {
                const r = yield* Store.stream(association, {
                  sopClassUid: o.sopClassUid,
                  sopInstanceUid: o.sopInstanceUid,
                  transferSyntaxUid: o.transferSyntaxUid,
                  data: Stream.make(o.bytes)
                })
                if (r.status === 0) acknowledged.push(o)
              }
              return acknowledged
            })
          )
        const { result, baseline, peak } = yield* measured(Effect.forEach(Array.from({ length: 200 }, (_, i) => i), one, { concurrency: "unbounded" }))
        console.log(`[load] 200 associations x 3 C-STORE (32 KiB): RSS baseline ${mib(baseline)} MiB, peak ${mib(peak)} MiB (+${mib(peak - baseline)} MiB)`)
        const acknowledged = result.flat()
        expect(acknowledged).toHaveLength(600)
        yield* awaitEvents("AssociationReleased", 200, 30_000)
        expect(yield* remainingAssociations(server)).toBe(0)
        expect(check(dir.path, acknowledged)).toMatchObject(clean)
        // Sanity bound only (client and server share this process): far above what was measured.
        expect(peak - baseline).toBeLessThan(1024 * 1024 * 1024)
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 120_000)
})

describe("Load · more associations than the limit (PS3.8 §9.3.4 RJ 2/3/2)", () => {
  it.live("60 clients against maxAssociations 40: 40 served with C-ECHO, 20 rejected 2/3/2 (transient, local limit exceeded)", () =>
    withServer({ maxAssociations: 40 }, ({ target, events }) =>
      Effect.gen(function* () {
        const allAnswered = yield* Deferred.make<void>()
        let answered = 0
        const settle = Effect.suspend(() => (++answered === 60 ? Deferred.succeed(allAnswered, undefined) : Effect.void))
        const one = (i: number) =>
          Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({
                host,
                port: target.port,
                callingAeTitle: `MANY${i}`,
                contexts: verification,
                timeouts: { ...clientTimeouts, artim: "20 seconds", connect: "20 seconds" }
              }).pipe(Effect.onExit(() => settle))
              // Hold every accepted association until all 60 requests have an answer.
              yield* Deferred.await(allAnswered)
              return (yield* Echo.echo(association)).status
            })
          ).pipe(Effect.exit)
        const exits = yield* Effect.forEach(Array.from({ length: 60 }, (_, i) => i), one, { concurrency: "unbounded" })
        const served = exits.filter((e) => Exit.isSuccess(e) && e.value === 0)
        const rejected = exits.flatMap((e) => (Exit.isFailure(e) ? [e.cause.reasons[0]] : []))
        expect(served).toHaveLength(40)
        expect(rejected).toHaveLength(20)
        for (const r of rejected) {
          expect(r?._tag).toBe("Fail")
          if (r?._tag === "Fail") expect(r.error).toMatchObject({ _tag: "AssociationRejected", result: 2, source: 3, reason: 2 })
        }
        expect(events.filter((e) => e._tag === "AssociationRejected")).toHaveLength(20)
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 60_000)
})
