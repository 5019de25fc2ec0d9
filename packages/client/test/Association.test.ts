import type { Driver, Negotiation } from "@dicomnet/association"
import { Association, DimseTimeout, Echo, Metrics } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { Assembler, Command, Fragmenter, Status } from "@dicomnet/dimse"
import { DicomServer } from "@dicomnet/server"
import { ScriptedAcceptor } from "@dicomnet/testkit"
import { Transport } from "@dicomnet/transport"
import { assert, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Metric, Queue, Result, Stream } from "effect"
import { TestClock } from "effect/testing"

const host = "peer"
const port = 104
const verification = [{ abstractSyntax: SopClass.Verification }]
const policy: Negotiation.AcceptPolicy = { contexts: [{ abstractSyntax: SopClass.Verification, transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"] }] }

const settle = Effect.gen(function* () {
  for (let i = 0; i < 50; i++) yield* Effect.yieldNow
})

/** A scripted acceptor: runs the association driver as acceptor and hands the handle to `script`. */
const scriptedPeer = (
  script: (handle: Driver.AssociationHandle) => Effect.Effect<void, unknown>,
  acceptPolicy: Negotiation.AcceptPolicy = policy
) => ScriptedAcceptor.listen({ host, port }, acceptPolicy, script)

/** The requests a scripted peer receives, decoded. */
const requests = (handle: Driver.AssociationHandle) => {
  const assembler = Assembler.make()
  return handle.incoming.pipe(
    // A release request is answered at once (nothing is outstanding in these scripts by then).
    Stream.tap((item) => (item._tag === "ReleaseRequested" ? Effect.ignore(handle.releaseResponse) : Effect.void)),
    Stream.filter((item) => item._tag === "PData"),
    Stream.flatMap((item) => {
      const events = assembler.feedPDataTf(item.pdu)
      return Stream.fromIterable(Result.isSuccess(events) ? events.success : [])
    }),
    Stream.filter((event) => event._tag === "MessageComplete"),
    Stream.map((event) => ({ presentationContextId: event.presentationContextId, command: event.command }))
  )
}

const answerEcho = (handle: Driver.AssociationHandle, presentationContextId: number, messageId: number, status: number) =>
  Effect.gen(function* () {
    const pdus = Fragmenter.message(
      { presentationContextId, maxPduLength: handle.negotiated.peerMaxPduLength },
      Command.cEchoRsp({ affectedSopClassUid: SopClass.Verification, messageIdBeingRespondedTo: messageId, status })
    )
    if (Result.isFailure(pdus)) return yield* Effect.die(pdus.failure)
    for (const pdu of pdus.success) yield* Effect.orDie(handle.sendPData(pdu.pdvs))
  })

describe("Association · timers (TestClock)", () => {
  it.effect("fails with AssociationTimeout when the peer never answers the A-ASSOCIATE-RQ (ARTIM)", () =>
    Effect.gen(function* () {
      const transport = yield* Transport.Transport
      yield* transport.listen({ host, port }, () => Effect.never)
      const fiber = yield* Effect.forkChild(
        Effect.scoped(Association.request({ host, port, contexts: verification, timeouts: { artim: "5 seconds" } })).pipe(Effect.flip)
      )
      yield* settle
      yield* TestClock.adjust("4 seconds")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "AssociationTimeout", millis: 5000 })
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("fails an operation with DimseTimeout when the SCP never answers, and aborts the association", () =>
    Effect.gen(function* () {
      const server = yield* DicomServer.make({ host, port, handlers: { echo: () => Effect.never } })
      const events = yield* server.subscribe
      const seen = yield* Effect.forkChild(events.pipe(Stream.take(3), Stream.runCollect))
      const fiber = yield* Effect.forkChild(
        Effect.scoped(
          Effect.flatMap(Association.request({ host, port, contexts: verification, timeouts: { dimse: "3 seconds" } }), Echo.echo)
        ).pipe(Effect.flip)
      )
      yield* settle
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(fiber)
      assert.instanceOf(error, DimseTimeout)
      expect(error).toMatchObject({ messageId: 1, service: "C-ECHO", millis: 3000 })
      expect((yield* Fiber.join(seen)).map((e) => e._tag)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationAborted"])
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("fails release with AssociationTimeout when no A-RELEASE-RP comes in time", () =>
    Effect.gen(function* () {
      const closed = yield* Deferred.make<Driver.CloseReason>()
      // A peer that takes the A-RELEASE-RQ and never answers it.
      yield* scriptedPeer((handle) =>
        Effect.gen(function* () {
          yield* Stream.runDrain(handle.incoming).pipe(Effect.ignore)
          yield* Deferred.succeed(closed, yield* handle.awaitClose)
        })
      )
      const fiber = yield* Effect.forkChild(
        Effect.scoped(
          Effect.gen(function* () {
            const association = yield* Association.request({ host, port, contexts: verification, timeouts: { release: "2 seconds" } })
            return yield* Effect.flip(association.release)
          })
        )
      )
      yield* settle
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "AssociationTimeout", timer: "release", millis: 2000 })
      // The requestor aborted: the peer's association ends aborted by its peer.
      yield* TestClock.adjust("30 seconds")
      expect((yield* Deferred.await(closed))._tag).toBe("Aborted")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})

describe("Association · DIMSE routing", () => {
  it.effect("routes responses by Message ID Being Responded To, whatever their order (async operations window 2)", () =>
    Effect.gen(function* () {
      yield* scriptedPeer(
        (handle) =>
          Effect.gen(function* () {
            const received = yield* requests(handle).pipe(Stream.take(2), Stream.runCollect)
            const [a, b] = received
            if (a === undefined || b === undefined) return
            // Answer the second request first, with a different status than the first.
            yield* answerEcho(handle, b.presentationContextId, Command.messageIdOf(b.command), Status.Code.ResourceLimitation)
            yield* answerEcho(handle, a.presentationContextId, Command.messageIdOf(a.command), Status.Code.Success)
            yield* Stream.runDrain(requests(handle)).pipe(Effect.ignore)
          }),
        { ...policy, asyncOperationsWindow: { maxOperationsInvoked: 2, maxOperationsPerformed: 2 } }
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({
            host,
            port,
            contexts: verification,
            asyncOperationsWindow: { maxOperationsInvoked: 2, maxOperationsPerformed: 2 }
          })
          expect(association.negotiated.asyncOperationsWindow.maxOperationsInvoked).toBe(2)
          const [first, second] = yield* Effect.all([Effect.result(Echo.echo(association)), Effect.result(Echo.echo(association))], {
            concurrency: "unbounded"
          })
          assert.isTrue(Result.isSuccess(first))
          assert.isTrue(Result.isFailure(second))
          if (Result.isFailure(second)) expect(second.failure).toMatchObject({ _tag: "DimseFailure", status: 0x0213 })
        })
      )
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("keeps at most the negotiated number of operations outstanding (window 1/1)", () =>
    Effect.gen(function* () {
      const seen = yield* Queue.unbounded<number>()
      const release = yield* Deferred.make<void>()
      yield* scriptedPeer((handle) =>
        requests(handle).pipe(
          Stream.runForEach((r) =>
            Effect.gen(function* () {
              const id = Command.messageIdOf(r.command)
              yield* Queue.offer(seen, id)
              yield* Deferred.await(release)
              yield* answerEcho(handle, r.presentationContextId, id, 0)
            })
          ),
          Effect.ignore
        )
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification })
          const both = yield* Effect.forkChild(Effect.all([Echo.echo(association), Echo.echo(association)], { concurrency: "unbounded" }))
          yield* settle
          // Only one request went out: the second waits for the first response.
          expect(yield* Queue.size(seen)).toBe(1)
          yield* Deferred.succeed(release, undefined)
          const results = yield* Fiber.join(both)
          expect(results.map((r) => r.status)).toEqual([0, 0])
          expect(yield* Queue.takeAll(seen)).toEqual([1, 2])
        })
      )
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("answers a broken PDV sequence from the peer with A-ABORT and fails the operation with AssociationAborted", () =>
    Effect.gen(function* () {
      const closed = yield* Deferred.make<Driver.CloseReason>()
      yield* scriptedPeer((handle) =>
        Effect.gen(function* () {
          yield* requests(handle).pipe(Stream.take(1), Stream.runDrain)
          // A data set fragment where a command must come first (PS3.7 §6.3.1).
          yield* Effect.orDie(handle.sendPData([{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(4) }]))
          yield* Deferred.succeed(closed, yield* handle.awaitClose)
        })
      )
      const error = yield* Effect.scoped(
        Effect.flatMap(Association.request({ host, port, contexts: verification }), (a) => Effect.flip(Echo.echo(a)))
      )
      expect(error).toMatchObject({ _tag: "AssociationAborted", source: "local-provider" })
      const reason = yield* Deferred.await(closed)
      expect(reason._tag).toBe("Aborted")
      if (reason._tag === "Aborted") expect(reason.error.source).toBe("peer-user")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("fails TooManyPresentationContexts beyond 128 contexts, before connecting", () =>
    Effect.gen(function* () {
      const contexts = Array.from({ length: 129 }, () => ({ abstractSyntax: SopClass.Verification }))
      const error = yield* Effect.flip(Effect.scoped(Association.request({ host, port, contexts })))
      expect(error).toMatchObject({ _tag: "TooManyPresentationContexts", count: 129 })
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("reports a connection refusal as TransportError ConnectRefused", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Effect.scoped(Association.request({ host, port: 1, contexts: verification })))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "ConnectRefused" })
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("sends the command set the caller built, with the Message ID the association allocated", () =>
    Effect.gen(function* () {
      const got = yield* Deferred.make<Command.DimseCommand>()
      yield* scriptedPeer((handle) =>
        requests(handle).pipe(
          Stream.runForEach((r) =>
            Effect.andThen(Deferred.succeed(got, r.command), answerEcho(handle, r.presentationContextId, Command.messageIdOf(r.command), 0))
          ),
          Effect.ignore
        )
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification })
          const replies = yield* Stream.runCollect(association.request(Command.cEchoRq({ affectedSopClassUid: SopClass.Verification, messageId: 777 })))
          expect(replies.map((r) => r.command._tag)).toEqual(["CEchoRsp"])
        })
      )
      const command = yield* Deferred.await(got)
      expect(command).toMatchObject({ _tag: "CEchoRq", messageId: 1, affectedSopClassUid: SopClass.Verification })
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("answers an A-RELEASE-RQ from the acceptor with A-RELEASE-RP: the association ends released", () =>
    Effect.gen(function* () {
      const released = yield* Deferred.make<void, unknown>()
      yield* scriptedPeer((handle) =>
        Effect.gen(function* () {
          const first = yield* requests(handle).pipe(Stream.runHead)
          if (first._tag === "Some") yield* answerEcho(handle, first.value.presentationContextId, Command.messageIdOf(first.value.command), 0)
          // The acceptor asks to release (PS3.8 §7.2 allows either side).
          yield* Deferred.complete(released, handle.release)
        })
      )
      const reason = yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification })
          expect((yield* Echo.echo(association)).status).toBe(0)
          return yield* association.awaitClose
        })
      )
      expect(reason._tag).toBe("Released")
      yield* Deferred.await(released)
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})

describe("Association · metrics", () => {
  const outcomes = Effect.gen(function* () {
    const count = (outcome: string) =>
      Effect.map(Metric.value(Metric.withAttributes(Metrics.associationsTotal, { role: "requestor", outcome })), (v) => v.count)
    return { released: yield* count("released"), aborted: yield* count("aborted"), rejected: yield* count("rejected") }
  })

  it.effect("counts each association once, by outcome: explicit release, failed scope, rejection", () =>
    Effect.gen(function* () {
      yield* DicomServer.make({ host, port, allowedCallingAeTitles: ["DICOMNET"] })
      yield* Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), (a) => a.release))
      yield* Effect.scoped(Effect.andThen(Association.request({ host, port, contexts: verification }), Effect.fail("boom"))).pipe(Effect.ignore)
      yield* Effect.scoped(Association.request({ host, port, callingAeTitle: "OTHER", contexts: verification })).pipe(Effect.ignore)
      yield* Effect.scoped(Association.request({ host, port, contexts: verification }))
      expect(yield* outcomes).toEqual({ released: 2, aborted: 1, rejected: 1 })
    }).pipe(Effect.provide(Transport.layerInMemory()), Effect.provideService(Metric.MetricRegistry, new Map()))
  )
})

describe("Association · requestOne (operations answered by one response)", () => {
  const storeClass = "1.2.840.10008.5.1.4.1.1.2"
  const echoRq = Command.cEchoRq({ affectedSopClassUid: SopClass.Verification, messageId: 777 })

  it.effect("returns the final response on the first accepted context of the SOP class, with an allocated message id, and counts it", () =>
    Effect.gen(function* () {
      yield* DicomServer.make({ host, port })
      const count = Effect.map(Metric.value(Metric.withAttributes(Metrics.operationsTotal, { service: "C-ECHO", status_category: "Success" })), (v) => v.count)
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification })
          const first = yield* association.requestOne(echoRq)
          const second = yield* association.requestOne(echoRq, undefined, { presentationContextId: first.presentationContextId })
          expect([first.command._tag, first.command.status, first.command.messageIdBeingRespondedTo]).toEqual(["CEchoRsp", 0, 1])
          expect(second.command.messageIdBeingRespondedTo).toBe(2)
        })
      )
      // Two counted by the client, two by the server (one registry).
      expect(yield* count).toBe(4)
    }).pipe(Effect.provide(Transport.layerInMemory()), Effect.provideService(Metric.MetricRegistry, new Map()))
  )

  it.effect("fails PresentationContextNotAccepted for a SOP class or a context id that was not accepted, sending nothing", () =>
    Effect.gen(function* () {
      yield* DicomServer.make({ host, port })
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification })
          const store = Command.cStoreRq({ messageId: 0, affectedSopClassUid: storeClass, affectedSopInstanceUid: "1.2.3", priority: 0 })
          expect(yield* Effect.flip(association.requestOne(store, new Uint8Array(8)))).toMatchObject({
            _tag: "PresentationContextNotAccepted",
            sopClassUid: storeClass
          })
          expect(yield* Effect.flip(association.requestOne(echoRq, undefined, { presentationContextId: 99 }))).toMatchObject({
            _tag: "PresentationContextNotAccepted"
          })
          // Nothing was sent: the next request still gets message id 1.
          expect((yield* association.requestOne(echoRq)).command.messageIdBeingRespondedTo).toBe(1)
        })
      )
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("an association that ends while it waits fails it with AssociationAborted (the session's end in the association's terms)", () =>
    Effect.gen(function* () {
      yield* scriptedPeer((handle) => Effect.andThen(requests(handle).pipe(Stream.take(1), Stream.runDrain), handle.abort))
      const error = yield* Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), (a) => Effect.flip(a.requestOne(echoRq))))
      expect(error).toMatchObject({ _tag: "AssociationAborted" })
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("the same through the Stream of association.request: the session's end fails the stream with AssociationAborted", () =>
    Effect.gen(function* () {
      yield* scriptedPeer((handle) => Effect.andThen(requests(handle).pipe(Stream.take(1), Stream.runDrain), handle.abort))
      const error = yield* Effect.scoped(
        Effect.flatMap(Association.request({ host, port, contexts: verification }), (a) => Effect.flip(Stream.runLast(a.request(echoRq))))
      )
      expect(error).toMatchObject({ _tag: "AssociationAborted" })
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("a request through association.request that the SCP never answers fails its stream with DimseTimeout", () =>
    Effect.gen(function* () {
      yield* DicomServer.make({ host, port, handlers: { echo: () => Effect.never } })
      const fiber = yield* Effect.forkChild(
        Effect.scoped(
          Effect.flatMap(Association.request({ host, port, contexts: verification, timeouts: { dimse: "3 seconds" } }), (a) =>
            Stream.runLast(a.request(echoRq))
          )
        ).pipe(Effect.flip)
      )
      yield* settle
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(fiber)
      assert.instanceOf(error, DimseTimeout)
      expect(error).toMatchObject({ messageId: 1, service: "C-ECHO", millis: 3000 })
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})
