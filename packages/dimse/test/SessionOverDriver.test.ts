import { assert, describe, expect, it } from "@effect/vitest"
import { type AssociationError, Driver, Negotiation } from "@dicomnet/association"
import { Command, Session, Status } from "@dicomnet/dimse"
import { type Cause, Deferred, Effect, Fiber, Queue, Result, Stream } from "effect"

// The session over the association driver's direct delivery (`AssociationHandle.attach`): the routing runs on
// the driver's reader fiber. Two drivers back to back over in-memory byte queues.

const Verification = "1.2.840.10008.1.1"
const CtImage = "1.2.840.10008.5.1.4.1.1.2"
const ImplicitLittle = "1.2.840.10008.1.2"
const contexts = [
  { abstractSyntax: Verification, transferSyntaxes: [ImplicitLittle] },
  { abstractSyntax: CtImage, transferSyntaxes: [ImplicitLittle] }
]

const side = (inbox: Queue.Queue<Uint8Array, Cause.Done>, outbox: Queue.Queue<Uint8Array, Cause.Done>) => ({
  input: Stream.fromQueue(inbox),
  write: (chunks: ReadonlyArray<Uint8Array>) => Effect.asVoid(Queue.offerAll(outbox, chunks)),
  close: Effect.asVoid(Queue.end(outbox))
})

const bytes = (n: number, seed: number) => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 13 + seed) & 0xff
  return out
}

const channelOf = (handle: Driver.AssociationHandle): Session.Channel<AssociationError.AssociationError> => ({
  incoming: Stream.die("incoming read although attach is given"),
  takeBatch: Effect.die("takeBatch read although attach is given"),
  attach: handle.attach,
  sendPData: handle.sendPData,
  sendPDataMany: handle.sendPDataMany,
  peerMaxPduLength: handle.negotiated.peerMaxPduLength
})

const associate = Effect.gen(function* () {
  const aToB = yield* Queue.unbounded<Uint8Array, Cause.Done>()
  const bToA = yield* Queue.unbounded<Uint8Array, Cause.Done>()
  const rq = Negotiation.makeAssociateRq({ calledAeTitle: "SCP", callingAeTitle: "SCU", contexts, maxPduLength: 4096 })
  assert(Result.isSuccess(rq))
  const accepting = yield* Effect.forkChild(
    Driver.accept({ ...side(aToB, bToA), maxPduLength: 4096, decide: (r) => Effect.succeed(Negotiation.accept({ contexts, maxPduLength: 4096 }, r)) })
  )
  const client = yield* Driver.request({ ...side(bToA, aToB), associateRq: rq.success })
  const outcome = yield* Fiber.join(accepting)
  assert(outcome._tag === "Accepted")
  return { client, server: outcome.handle }
})

describe("Session over the association driver, attached (direct delivery)", () => {
  it.effect("C-ECHO and C-STOREs (data sets over many PDUs, kept byte for byte), then an orderly release", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { client, server } = yield* associate
        const received: Array<Uint8Array> = []
        const released = yield* Deferred.make<void>()
        yield* Session.make(channelOf(server), {
          datasetQueueCapacity: 2,
          onReleaseRequested: Effect.andThen(Effect.ignore(server.releaseResponse), Deferred.succeed(released, undefined)),
          onRequest: (rq) =>
            Effect.gen(function* () {
              const chunks: Array<Uint8Array> = []
              if (rq.dataset !== undefined) yield* Stream.runForEach(rq.dataset, (c) => Effect.sync(() => chunks.push(c)))
              const total = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
              let at = 0
              for (const c of chunks) {
                total.set(c, at)
                at += c.byteLength
              }
              if (rq.dataset !== undefined) received.push(total)
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Success))
            })
        })
        const requestor = yield* Session.make(channelOf(client))
        const echo = yield* requestor.requestOne(1, Command.cEchoRq({ messageId: 0, affectedSopClassUid: Verification }))
        expect(echo.command.status).toBe(0)
        const sent = [bytes(20_000, 1), bytes(3, 2), bytes(9_000, 3)]
        for (const [i, data] of sent.entries()) {
          const store = Command.cStoreRq({ messageId: 0, affectedSopClassUid: CtImage, affectedSopInstanceUid: `1.2.3.${i}`, priority: 0 })
          expect((yield* requestor.requestOne(3, store, data)).command.status).toBe(0)
        }
        expect(received).toEqual(sent)
        yield* client.release
        yield* Deferred.await(released)
        expect(yield* client.awaitClose).toEqual({ _tag: "Released" })
        expect((yield* requestor.ended)._tag).toBe("Ended")
      })
    )
  )

  it.effect("a local A-ABORT while the delivery waits (data set queue full, handler not reading) ends the session at once", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { client, server } = yield* associate
        const handlerSaw = yield* Deferred.make<unknown>()
        const go = yield* Deferred.make<void>()
        const performer = yield* Session.make(channelOf(server), {
          datasetQueueCapacity: 1,
          onRequest: (rq) =>
            Effect.gen(function* () {
              yield* Deferred.await(go)
              const failure = yield* Effect.flip(Stream.runDrain(rq.dataset ?? Stream.empty))
              yield* Deferred.succeed(handlerSaw, failure)
            })
        })
        const requestor = yield* Session.make(channelOf(client))
        const store = Command.cStoreRq({ messageId: 0, affectedSopClassUid: CtImage, affectedSopInstanceUid: "1.2.3", priority: 0 })
        yield* Effect.forkChild(Effect.ignore(requestor.requestOne(3, store, bytes(64_000, 5))))
        for (let i = 0; i < 100; i++) yield* Effect.yieldNow
        // The server's reader is held by the waiting delivery; the abort comes from another fiber.
        yield* server.abort
        const end = yield* performer.ended
        assert(end._tag === "ChannelFailed")
        expect(end.error).toMatchObject({ _tag: "AssociationAborted", source: "local-user" })
        yield* Deferred.succeed(go, undefined)
        expect(yield* Deferred.await(handlerSaw)).toMatchObject({ _tag: "AssociationAborted", source: "local-user" })
        // The requestor learns of it from the A-ABORT on the wire.
        expect((yield* requestor.ended)._tag).toBe("ChannelFailed")
      })
    )
  )
})
