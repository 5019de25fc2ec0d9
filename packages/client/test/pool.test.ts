import { type Association, DimseTimeout, Echo, Pool } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { DicomServer, type LifecycleEvent } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Metric, Stream } from "effect"
import { TestClock } from "effect/testing"

const host = "pool-peer"
const port = 104
const verification = [{ abstractSyntax: SopClass.Verification }]
const options: Association.RequestOptions = { host, port, contexts: verification }

const settle = Effect.gen(function* () {
  for (let i = 0; i < 100; i++) yield* Effect.yieldNow
})

/** A server on host:port counting the lifecycle events, and a pool. */
const withPool = <A, E>(
  poolOptions: Pool.PoolOptions,
  body: (pool: Pool.Pool, events: Array<LifecycleEvent.LifecycleEvent>) => Effect.Effect<A, E, Transport.Transport>
) =>
  Effect.gen(function* () {
    const server = yield* DicomServer.make({ host, port })
    const events: Array<LifecycleEvent.LifecycleEvent> = []
    const stream = yield* server.subscribe
    yield* Effect.forkScoped(Stream.runForEach(stream, (e) => Effect.sync(() => events.push(e))))
    const pool = yield* Pool.make(poolOptions)
    return yield* body(pool, events)
  }).pipe(Effect.provide(Transport.layerInMemory()))

const poolCount = (event: string) => Effect.map(Metric.value(Metric.withAttributes(Pool.poolAssociationsTotal, { event })), (state) => state.count)

const count = (events: ReadonlyArray<LifecycleEvent.LifecycleEvent>, tag: LifecycleEvent.LifecycleEvent["_tag"]) =>
  events.filter((e) => e._tag === tag).length

describe("Pool · association reuse per peer", () => {
  it.effect("reuses the idle association for the same peer instead of negotiating again", () =>
    withPool({}, (pool, events) =>
      Effect.gen(function* () {
        const [opened, reused] = [yield* poolCount("opened"), yield* poolCount("reused")]
        const first = yield* pool.withAssociation(options, (association) => Effect.as(Echo.echo(association), association))
        const second = yield* pool.withAssociation(options, (association) => Effect.as(Echo.echo(association), association))
        expect(second).toBe(first)
        expect((yield* poolCount("opened")) - opened).toBe(1)
        expect((yield* poolCount("reused")) - reused).toBe(1)
        yield* settle
        expect(count(events, "AssociationAccepted")).toBe(1)
        expect(yield* pool.size).toBe(1)
        expect(yield* pool.idle).toBe(1)
      })
    )
  )

  it.effect("a different set of contexts, AE titles or port is another peer: a new association", () =>
    withPool({}, (pool, events) =>
      Effect.gen(function* () {
        const a = yield* pool.withAssociation(options, Effect.succeed)
        const b = yield* pool.withAssociation({ ...options, contexts: [...verification, { abstractSyntax: SopClass.StorageCommitmentPushModel }] }, Effect.succeed)
        const c = yield* pool.withAssociation({ ...options, callingAeTitle: "OTHER" }, Effect.succeed)
        expect(new Set([a, b, c]).size).toBe(3)
        // The order of the contexts does not matter.
        const d = yield* pool.withAssociation(
          { ...options, contexts: [{ abstractSyntax: SopClass.StorageCommitmentPushModel }, ...verification] },
          Effect.succeed
        )
        expect(d).toBe(b)
        yield* settle
        expect(count(events, "AssociationAccepted")).toBe(3)
        expect(Pool.peerKey(options)).not.toBe(Pool.peerKey({ ...options, port: 105 }))
      })
    )
  )

  it.effect("releases an idle association after the idle timeout (TestClock), and opens a new one afterwards", () =>
    withPool({ idleTimeout: "30 seconds" }, (pool, events) =>
      Effect.gen(function* () {
        const released = yield* poolCount("idle_released")
        const first = yield* pool.withAssociation(options, Effect.succeed)
        yield* settle
        yield* TestClock.adjust("29 seconds")
        yield* settle
        expect(count(events, "AssociationReleased")).toBe(0)
        expect(yield* pool.idle).toBe(1)
        yield* TestClock.adjust("1 second")
        yield* settle
        expect(count(events, "AssociationReleased")).toBe(1)
        expect(yield* pool.size).toBe(0)
        expect((yield* poolCount("idle_released")) - released).toBe(1)
        expect(yield* first.awaitClose).toEqual({ _tag: "Released" })
        const second = yield* pool.withAssociation(options, Effect.succeed)
        expect(second).not.toBe(first)
      })
    )
  )

  it.effect("using an association again restarts its idle timer", () =>
    withPool({ idleTimeout: "30 seconds" }, (pool, events) =>
      Effect.gen(function* () {
        yield* pool.withAssociation(options, Effect.succeed)
        yield* TestClock.adjust("20 seconds")
        yield* pool.withAssociation(options, Echo.echo)
        yield* TestClock.adjust("20 seconds")
        yield* settle
        expect(count(events, "AssociationReleased")).toBe(0)
        yield* TestClock.adjust("10 seconds")
        yield* settle
        expect(count(events, "AssociationReleased")).toBe(1)
        expect(count(events, "AssociationAccepted")).toBe(1)
      })
    )
  )

  it.effect("discards an association that ended while in use (A-ABORT), and negotiates a new one", () =>
    withPool({}, (pool, events) =>
      Effect.gen(function* () {
        const first = yield* pool.withAssociation(options, (association) => Effect.as(association.abort, association))
        yield* settle
        expect(yield* pool.size).toBe(0)
        const second = yield* pool.withAssociation(options, (association) => Effect.as(Echo.echo(association), association))
        expect(second).not.toBe(first)
        yield* settle
        expect(count(events, "AssociationAccepted")).toBe(2)
        expect(count(events, "AssociationAborted")).toBe(1)
      })
    )
  )

  it.effect("discards an association whose use failed with a DIMSE timeout (the peer's state is unknown): it is aborted", () =>
    withPool({}, (pool, events) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          pool.withAssociation(options, () => Effect.fail(new DimseTimeout({ messageId: 1, service: "C-ECHO", millis: 1000 })))
        )
        expect(error._tag).toBe("DimseTimeout")
        yield* settle
        expect(yield* pool.size).toBe(0)
        expect(count(events, "AssociationAborted")).toBe(1)
      })
    )
  )

  it.effect("keeps an association whose use failed with an ordinary error (e.g. a failure status)", () =>
    withPool({}, (pool, events) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(pool.withAssociation(options, () => Effect.fail("not a protocol problem" as const)))
        expect(error).toBe("not a protocol problem")
        expect(yield* pool.idle).toBe(1)
        yield* pool.withAssociation(options, Echo.echo)
        yield* settle
        expect(count(events, "AssociationAccepted")).toBe(1)
      })
    )
  )

  it.effect("an idle association that ends (aborted from outside the pool) leaves the pool", () =>
    withPool({}, (pool) =>
      Effect.gen(function* () {
        const first = yield* pool.withAssociation(options, Effect.succeed)
        expect(yield* pool.idle).toBe(1)
        yield* first.abort
        yield* settle
        expect(yield* pool.idle).toBe(0)
        expect(yield* pool.size).toBe(0)
      })
    )
  )

  it.effect("maxPerPeer bounds the associations to one peer: further users wait and then reuse", () =>
    withPool({ maxPerPeer: 1 }, (pool, events) =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const holder = yield* Effect.forkChild(pool.withAssociation(options, (association) => Effect.as(Deferred.await(gate), association)))
        yield* settle
        const waiter = yield* Effect.forkChild(pool.withAssociation(options, (association) => Effect.succeed(association)))
        yield* settle
        expect(waiter.pollUnsafe()).toBeUndefined()
        yield* Deferred.succeed(gate, undefined)
        const [a, b] = [yield* Fiber.join(holder), yield* Fiber.join(waiter)]
        expect(b).toBe(a)
        expect(count(events, "AssociationAccepted")).toBe(1)
      })
    )
  )

  it.effect("concurrent users of one peer get separate associations up to maxPerPeer", () =>
    withPool({ maxPerPeer: 2 }, (pool, events) =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const users = yield* Effect.forkChild(
          Effect.all(
            [1, 2].map(() => pool.withAssociation(options, (association) => Effect.as(Deferred.await(gate), association))),
            { concurrency: "unbounded" }
          )
        )
        yield* settle
        expect(yield* pool.size).toBe(2)
        yield* Deferred.succeed(gate, undefined)
        const [a, b] = yield* Fiber.join(users)
        expect(a).not.toBe(b)
        expect(yield* pool.idle).toBe(2)
        expect(count(events, "AssociationAccepted")).toBe(2)
      })
    )
  )

  it.effect("closing the pool's scope releases its idle associations", () =>
    Effect.gen(function* () {
      const server = yield* DicomServer.make({ host, port })
      const events: Array<LifecycleEvent.LifecycleEvent> = []
      const stream = yield* server.subscribe
      yield* Effect.forkScoped(Stream.runForEach(stream, (e) => Effect.sync(() => events.push(e))))
      yield* Effect.scoped(
        Effect.gen(function* () {
          const pool = yield* Pool.make({})
          yield* pool.withAssociation(options, Echo.echo)
        })
      )
      yield* settle
      expect(count(events, "AssociationReleased")).toBe(1)
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})
