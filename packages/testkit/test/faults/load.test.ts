/**
 * Load against a live DicomServer over TCP on 127.0.0.1: 200 concurrent associations, and more
 * associations than the limit. Memory (RSS of this process, which runs both client and server) is
 * sampled during the load and printed; the assertion on it is only a generous sanity bound.
 */
import { Association, Echo } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit } from "effect"
import { clientTimeouts, echo, host, remainingAssociations, withServer } from "./Harness.js"

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

describe("Load · 200 concurrent associations", () => {
  it.live("200 associations at once, 5 C-ECHOs each: all succeed, all released, nothing left behind", () =>
    withServer({ maxAssociations: 256 }, ({ target, server, awaitEvents }) =>
      Effect.gen(function* () {
        const one = (i: number) =>
          Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({
                host,
                port: target.port,
                callingAeTitle: `LOAD${i}`,
                contexts: verification,
                timeouts: { ...clientTimeouts, artim: "20 seconds", dimse: "20 seconds", connect: "20 seconds" }
              })
              const statuses: Array<number> = []
              for (let k = 0; k < 5; k++) statuses.push((yield* Echo.echo(association)).status)
              return statuses
            })
          )
        const { result, baseline, peak } = yield* measured(Effect.forEach(Array.from({ length: 200 }, (_, i) => i), one, { concurrency: "unbounded" }))
        console.log(`[load] 200 associations x 5 C-ECHO: RSS baseline ${mib(baseline)} MiB, peak ${mib(peak)} MiB (+${mib(peak - baseline)} MiB)`)
        expect(result.flat().filter((s) => s === 0)).toHaveLength(1000)
        yield* awaitEvents("AssociationReleased", 200, 20_000)
        expect(yield* remainingAssociations(server)).toBe(0)
        // Sanity bound only (client and server share this process): far above what was measured.
        expect(peak - baseline).toBeLessThan(1024 * 1024 * 1024)
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 90_000)
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
