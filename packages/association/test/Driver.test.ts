import { assert, describe, expect, it } from "@effect/vitest"
import { Driver, Negotiation } from "@dicomnet/association"
import { Bytes } from "@dicomnet/data"
import { PduCodec } from "@dicomnet/pdu"
import type { AAssociateRq, Pdv } from "@dicomnet/pdu"
import { Deferred, Effect, Fiber, Option, Result, Stream } from "effect"
import { TestClock } from "effect/testing"
import { ctImageStorage, implicitLittle, verification } from "./fixtures.js"
import { makePair, makeRawPeer } from "./pipes.js"

const policy: Negotiation.AcceptPolicy = {
  calledAeTitles: ["STORESCP"],
  contexts: [
    { abstractSyntax: verification, transferSyntaxes: [implicitLittle] },
    { abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLittle] }
  ]
}
const decide = (rq: AAssociateRq) => Effect.succeed(Negotiation.accept(policy, rq))

const makeRq = (overrides: Partial<Negotiation.RequestOptions> = {}): AAssociateRq => {
  const r = Negotiation.makeAssociateRq({
    calledAeTitle: "STORESCP",
    callingAeTitle: "STORESCU",
    contexts: [
      { abstractSyntax: verification, transferSyntaxes: [implicitLittle] },
      { abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLittle] }
    ],
    ...overrides
  })
  if (Result.isFailure(r)) throw new Error("unexpected")
  return r.success
}

const command: ReadonlyArray<Pdv> = [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3, 4]) }]
const response: ReadonlyArray<Pdv> = [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array([5, 6]) }]

/** A requestor and an acceptor driver, back to back. */
const associate = (rq: AAssociateRq = makeRq(), incomingCapacity?: number) =>
  Effect.gen(function* () {
    const [a, b] = yield* makePair
    const acceptor = yield* Effect.forkChild(Driver.accept({ ...b, decide, incomingCapacity }))
    const client = yield* Driver.request({ ...a, associateRq: rq })
    const outcome = yield* Fiber.join(acceptor)
    assert(outcome._tag === "Accepted")
    return { client, server: outcome.handle }
  })

const takeSome = (handle: Driver.AssociationHandle) =>
  Effect.flatMap(handle.take, (o) => (Option.isSome(o) ? Effect.succeed(o.value) : Effect.die(new Error("ended"))))

describe("Driver · two drivers back to back", () => {
  it.effect("associates, exchanges P-DATA both ways, and releases (PS3.8 §7.2)", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      expect(client.negotiated.acceptedContexts.get(1)?.transferSyntax).toBe(implicitLittle)
      expect(server.negotiated.callingAeTitle).toBe("STORESCU")
      expect(yield* client.state).toBe("Sta6")

      yield* client.sendPData(command)
      const got = yield* takeSome(server)
      assert(got._tag === "PData")
      expect(Array.from(got.pdu.pdvs[0]?.data ?? [])).toEqual([1, 2, 3, 4])
      expect(got.pdu.pdvs[0]).toMatchObject({ presentationContextId: 1, isCommand: true, isLast: true })

      yield* server.sendPData(response)
      const answer = yield* takeSome(client)
      assert(answer._tag === "PData")
      expect(Array.from(answer.pdu.pdvs[0]?.data ?? [])).toEqual([5, 6])

      const releasing = yield* Effect.forkChild(client.release)
      expect((yield* takeSome(server))._tag).toBe("ReleaseRequested")
      // The acceptor may still send P-DATA before answering the release (AR-7).
      yield* server.sendPData(response)
      yield* server.releaseResponse
      yield* Fiber.join(releasing)
      expect(yield* client.awaitClose).toEqual({ _tag: "Released" })
      expect(yield* server.awaitClose).toEqual({ _tag: "Released" })
      expect((yield* takeSome(client))._tag).toBe("PData")
      expect(Option.isNone(yield* client.take)).toBe(true)
      expect(yield* client.state).toBe("Sta1")
      expect(yield* server.state).toBe("Sta1")
    }))

  it.effect("sendPDataMany: several P-DATA-TF PDUs in one transport write, received as separate PDUs in order", () =>
    Effect.gen(function* () {
      const [a, b] = yield* makePair
      const writes: Array<number> = []
      const counted = { ...a, write: (chunks: ReadonlyArray<Uint8Array>) => Effect.andThen(Effect.sync(() => writes.push(chunks.length)), a.write(chunks)) }
      const acceptor = yield* Effect.forkChild(Driver.accept({ ...b, decide }))
      const client = yield* Driver.request({ ...counted, associateRq: makeRq() })
      const outcome = yield* Fiber.join(acceptor)
      assert(outcome._tag === "Accepted")
      const before = writes.length
      const pdv = (isCommand: boolean, byte: number): ReadonlyArray<Pdv> => [{ presentationContextId: 1, isCommand, isLast: true, data: new Uint8Array([byte]) }]
      assert(client.sendPDataMany !== undefined)
      yield* client.sendPDataMany([pdv(true, 1), pdv(false, 2), pdv(false, 3)])
      expect(writes.length).toBe(before + 1)
      const received: Array<number | undefined> = []
      for (let i = 0; i < 3; i++) {
        const got = yield* takeSome(outcome.handle)
        assert(got._tag === "PData")
        expect(got.pdu.pdvs.length).toBe(1)
        received.push(got.pdu.pdvs[0]?.data[0])
      }
      expect(received).toEqual([1, 2, 3])
      expect(yield* client.state).toBe("Sta6")
    }))

  it.effect("a P-DATA-TF with several PDVs arrives whole, in order, with each PDV's flags (PS3.8 §9.3.5)", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      yield* client.sendPData([
        { presentationContextId: 3, isCommand: true, isLast: true, data: new Uint8Array([1, 2]) },
        { presentationContextId: 3, isCommand: false, isLast: false, data: new Uint8Array([3, 4, 5]) },
        { presentationContextId: 3, isCommand: false, isLast: true, data: new Uint8Array(0) }
      ])
      const got = yield* takeSome(server)
      assert(got._tag === "PData")
      expect(got.pdu.pdvs.map((p) => [p.presentationContextId, p.isCommand, p.isLast, Array.from(p.data)])).toEqual([
        [3, true, true, [1, 2]],
        [3, false, false, [3, 4, 5]],
        [3, false, true, []]
      ])
    }))

  it.effect("a rejected association fails the requestor with AssociationRejected (1, 1, 7)", () =>
    Effect.gen(function* () {
      const [a, b] = yield* makePair
      const acceptor = yield* Effect.forkChild(Driver.accept({ ...b, decide }))
      const error = yield* Effect.flip(Driver.request({ ...a, associateRq: makeRq({ calledAeTitle: "NOBODY" }) }))
      expect(error).toMatchObject({ _tag: "AssociationRejected", result: 1, source: 1, reason: 7 })
      expect(error._tag === "AssociationRejected" && error.description).toContain("called-AE-title-not-recognized")
      const outcome = yield* Fiber.join(acceptor)
      expect(outcome).toEqual({ _tag: "Rejected", rj: { _tag: "AAssociateRj", result: 1, source: 1, reason: 7 } })
    }))

  it.effect("an abort by the requestor reaches the acceptor as an A-ABORT indication (AA-3)", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      yield* client.abort
      const error = yield* Effect.flip(server.take)
      expect(error).toMatchObject({ _tag: "AssociationAborted", source: "peer-user" })
      const serverClose = yield* server.awaitClose
      expect(serverClose._tag).toBe("Aborted")
      const clientClose = yield* client.awaitClose
      expect(clientClose._tag === "Aborted" && clientClose.error.source).toBe("local-user")
      expect(yield* Effect.flip(client.sendPData(command))).toMatchObject({ _tag: "AssociationAborted", source: "local-user" })
    }))

  it.effect("an abort by the acceptor reaches the requestor as an A-ABORT indication", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      yield* server.abort
      expect(yield* Effect.flip(client.take)).toMatchObject({ _tag: "AssociationAborted", source: "peer-user" })
      expect((yield* client.awaitClose)._tag).toBe("Aborted")
      expect((yield* server.awaitClose)._tag).toBe("Aborted")
    }))

  it.effect("a peer P-DATA-TF larger than our max PDU length is answered with A-ABORT (PS3.8 §D.1, Evt19)", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate(makeRq({ maxPduLength: 16384 }))
      // The acceptor does not check the peer's limit: it sends a 20000-byte PDV.
      yield* server.sendPData([{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(20000) }])
      const error = yield* Effect.flip(client.take)
      expect(error).toMatchObject({ _tag: "AssociationAborted", source: "local-provider" })
      expect(yield* Effect.flip(server.take)).toMatchObject({ _tag: "AssociationAborted", source: "peer-provider" })
      expect((yield* client.awaitClose)._tag).toBe("Aborted")
    }))

  it.effect("a release requested by the acceptor reaches the requestor as ReleaseRequested (AR-2), answered with AR-4", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      const releasing = yield* Effect.forkChild(server.release)
      expect((yield* takeSome(client))._tag).toBe("ReleaseRequested")
      expect(yield* client.state).toBe("Sta8")
      yield* client.releaseResponse
      yield* Fiber.join(releasing)
      expect(yield* server.awaitClose).toEqual({ _tag: "Released" })
      expect(yield* client.awaitClose).toEqual({ _tag: "Released" })
    }))

  it.effect("a second concurrent release is an InvalidPrimitive and does not disturb the first", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      const first = yield* Effect.forkChild(client.release)
      expect((yield* takeSome(server))._tag).toBe("ReleaseRequested")
      expect(yield* Effect.flip(client.release)).toMatchObject({ _tag: "InvalidPrimitive", primitive: "A-RELEASE request", state: "Sta7" })
      yield* server.releaseResponse
      yield* Fiber.join(first)
      expect(yield* client.awaitClose).toEqual({ _tag: "Released" })
    }))

  it.effect("P-DATA before the association is established or after release is an InvalidPrimitive", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      yield* Effect.forkChild(client.release)
      expect((yield* takeSome(server))._tag).toBe("ReleaseRequested")
      yield* server.releaseResponse
      yield* client.awaitClose
      expect(yield* Effect.flip(client.sendPData(command))).toMatchObject({ _tag: "InvalidPrimitive", state: "Sta1" })
      expect(yield* Effect.flip(server.releaseResponse)).toMatchObject({ _tag: "InvalidPrimitive" })
    }))
})

describe("Driver · backpressure and ordering", () => {
  it.effect("a full incoming queue pauses reading but never blocks the user's own P-DATA", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate(makeRq(), 1)
      for (let i = 0; i < 4; i++) {
        yield* client.sendPData([{ presentationContextId: 1, isCommand: false, isLast: i === 3, data: new Uint8Array([i]) }])
      }
      yield* server.sendPData(response) // the server has taken nothing yet
      const answer = yield* takeSome(client)
      assert(answer._tag === "PData")
      const received: Array<number> = []
      for (let i = 0; i < 4; i++) {
        const item = yield* takeSome(server)
        assert(item._tag === "PData")
        received.push(item.pdu.pdvs[0]?.data[0] ?? -1)
      }
      expect(received).toEqual([0, 1, 2, 3])
    }))

  it.effect("P-DATA arriving with the A-RELEASE-RP in one chunk is delivered before the incoming stream ends (AR-6)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, associateRq: makeRq() }))
      const rq = yield* peer.read
      assert(rq._tag === "AAssociateRq")
      yield* peer.send(Negotiation.accept(policy, rq))
      const client = yield* Fiber.join(requesting)
      const releasing = yield* Effect.forkChild(client.release)
      expect(yield* peer.read).toEqual({ _tag: "AReleaseRq" })
      const pdata = PduCodec.encode({ _tag: "PDataTf", pdvs: response })
      const rp = PduCodec.encode({ _tag: "AReleaseRp" })
      const chunk = new Uint8Array(pdata.length + rp.length)
      chunk.set(pdata)
      chunk.set(rp, pdata.length)
      yield* peer.sendBytes(chunk)
      yield* Fiber.join(releasing)
      const items = yield* Stream.runCollect(client.incoming)
      expect(items.map((i) => i._tag)).toEqual(["PData"])
      expect(yield* peer.driverClosed).toBe(true)
    }))
})

/** An established requestor driver facing a scripted peer. */
const requestorWithPeer = (incomingCapacity?: number) =>
  Effect.gen(function* () {
    const peer = yield* makeRawPeer
    const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, associateRq: makeRq(), incomingCapacity }))
    const rq = yield* peer.read
    assert(rq._tag === "AAssociateRq")
    yield* peer.send(Negotiation.accept(policy, rq))
    const client = yield* Fiber.join(requesting)
    return { peer, client }
  })

/** The encodings of `count` P-DATA-TF PDUs of one byte each (1, 2, ...), concatenated into one chunk. */
const pdataChunk = (count: number, first = 1): Uint8Array => {
  const parts = Array.from({ length: count }, (_, i) =>
    PduCodec.encode({ _tag: "PDataTf", pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array([first + i]) }] })
  )
  return Bytes.concat(parts)
}

const firstBytes = (items: ReadonlyArray<Driver.Incoming>) => items.map((i) => (i._tag === "PData" ? (i.pdu.pdvs[0]?.data[0] ?? -1) : i._tag))

describe("Driver · takeBatch", () => {
  it.effect("several P-DATA-TF PDUs received in one chunk come out as one batch, in order", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer()
      yield* peer.sendBytes(pdataChunk(3))
      expect(firstBytes(yield* client.takeBatch)).toEqual([1, 2, 3])
      yield* peer.sendBytes(pdataChunk(2, 4))
      expect(firstBytes(yield* client.takeBatch)).toEqual([4, 5])
    }))

  it.effect("a batch keeps the order of P-DATA and the A-RELEASE indication, then [] once released", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      yield* client.sendPData(command)
      yield* client.sendPData(command)
      const releasing = yield* Effect.forkChild(client.release)
      const items: Array<Driver.Incoming> = []
      while (items.length < 3) items.push(...(yield* server.takeBatch))
      expect(items.map((i) => i._tag)).toEqual(["PData", "PData", "ReleaseRequested"])
      yield* server.releaseResponse
      yield* Fiber.join(releasing)
      expect(yield* server.takeBatch).toEqual([])
      expect(yield* client.takeBatch).toEqual([])
      expect(yield* server.takeBatch).toEqual([])
    }))

  it.effect("takeBatch fails with the abort, like take", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      yield* client.abort
      expect(yield* Effect.flip(server.takeBatch)).toMatchObject({ _tag: "AssociationAborted", source: "peer-user" })
      expect(yield* Effect.flip(client.takeBatch)).toMatchObject({ _tag: "AssociationAborted", source: "local-user" })
    }))
})

/** Lets every other fiber run until it waits (a bounded number of scheduler turns, no clock). */
const settle = Effect.repeat(Effect.yieldNow, { times: 50 })

/** A write that waits while `gate` is closed (a transport under backpressure). */
const gated = (write: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void>) => {
  let gate: Deferred.Deferred<void> | undefined
  return {
    write: (chunks: ReadonlyArray<Uint8Array>) => Effect.suspend(() => (gate === undefined ? write(chunks) : Effect.andThen(Deferred.await(gate), write(chunks)))),
    close: Effect.sync(() => {
      gate = Deferred.makeUnsafe<void>()
    }),
    open: Effect.suspend(() => {
      const g = gate
      gate = undefined
      return g === undefined ? Effect.void : Deferred.succeed(g, undefined)
    })
  }
}

describe("Driver · P-DATA fast path (DT-1/DT-2 without the generic loop)", () => {
  it.effect("a slow consumer pauses reading: a full incoming queue leaves later chunks unread, and nothing is lost or reordered", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer(2)
      yield* peer.sendBytes(pdataChunk(6, 1))
      yield* peer.sendBytes(pdataChunk(2, 7))
      yield* settle
      expect(yield* peer.unread).toBe(1) // the reader waits with PDUs 3…6 until the consumer takes
      const received: Array<number | string> = []
      while (received.length < 8) received.push(...firstBytes([yield* takeSome(client)]))
      expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      expect(yield* peer.unread).toBe(0)
    }))

  it.effect("one read of many chunks (PDUs cut into header and payload) with a small queue: the reader waits mid-read and nothing is reordered", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate(makeRq(), 2)
      const pdv = (byte: number): ReadonlyArray<Pdv> => [{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array([byte]) }]
      const sendMany = client.sendPDataMany
      assert(sendMany !== undefined)
      // One write of 24 parts: the acceptor's input yields them in one pull.
      yield* sendMany(Array.from({ length: 12 }, (_, i) => pdv(i + 1)))
      const received: Array<number | string> = []
      while (received.length < 12) {
        received.push(...firstBytes([yield* takeSome(server)]))
        yield* settle
      }
      expect(received).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    }))

  it.effect("many P-DATA-TF PDUs over many chunks arrive in order through takeBatch", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer(4)
      for (let i = 0; i < 20; i++) yield* peer.sendBytes(pdataChunk(3, 1 + i * 3))
      const received: Array<number | string> = []
      while (received.length < 60) received.push(...firstBytes(yield* client.takeBatch))
      expect(received).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
    }))

  it.effect("sends from concurrent fibers never interleave: a second P-DATA waits for the first one's blocked write", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const gate = gated(peer.connection.write)
      const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, write: gate.write, associateRq: makeRq() }))
      const rq = yield* peer.read
      assert(rq._tag === "AAssociateRq")
      yield* peer.send(Negotiation.accept(policy, rq))
      const client = yield* Fiber.join(requesting)
      yield* gate.close
      const pdv = (byte: number): ReadonlyArray<Pdv> => [{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array([byte]) }]
      const first = yield* Effect.forkChild(client.sendPData(pdv(1)))
      yield* settle
      const second = yield* Effect.forkChild(client.sendPData(pdv(2)))
      yield* settle
      expect(first.pollUnsafe()).toBeUndefined()
      expect(second.pollUnsafe()).toBeUndefined()
      yield* gate.open
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      const a = yield* peer.read
      const b = yield* peer.read
      assert(a._tag === "PDataTf" && b._tag === "PDataTf")
      expect([a.pdvs[0]?.data[0], b.pdvs[0]?.data[0]]).toEqual([1, 2])
    }))

  it.effect("a P-DATA-TF is delivered while our own P-DATA write waits for the transport (no lock needed to receive)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const gate = gated(peer.connection.write)
      const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, write: gate.write, associateRq: makeRq() }))
      const rq = yield* peer.read
      assert(rq._tag === "AAssociateRq")
      yield* peer.send(Negotiation.accept(policy, rq))
      const client = yield* Fiber.join(requesting)
      yield* gate.close
      const sending = yield* Effect.forkChild(client.sendPData(command))
      yield* settle
      expect(sending.pollUnsafe()).toBeUndefined()
      yield* peer.sendBytes(pdataChunk(1, 9))
      expect(firstBytes(yield* client.takeBatch)).toEqual([9])
      expect(sending.pollUnsafe()).toBeUndefined()
      yield* gate.open
      yield* Fiber.join(sending)
      expect((yield* peer.read)._tag).toBe("PDataTf")
    }))

  it.effect("a P-DATA-TF arriving while a generic step holds the lock waits for it (Sta7, AR-6 after our A-RELEASE-RQ)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const gate = gated(peer.connection.write)
      const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, write: gate.write, associateRq: makeRq() }))
      const rq = yield* peer.read
      assert(rq._tag === "AAssociateRq")
      yield* peer.send(Negotiation.accept(policy, rq))
      const client = yield* Fiber.join(requesting)
      yield* gate.close
      const releasing = yield* Effect.forkChild(client.release) // AR-1: the A-RELEASE-RQ write blocks, lock held
      yield* settle
      expect(yield* client.state).toBe("Sta7")
      yield* peer.sendBytes(pdataChunk(1, 4))
      const taking = yield* Effect.forkChild(client.takeBatch)
      yield* settle
      expect(taking.pollUnsafe()).toBeUndefined()
      yield* gate.open
      expect(firstBytes(yield* Fiber.join(taking))).toEqual([4])
      expect(yield* peer.read).toEqual({ _tag: "AReleaseRq" })
      yield* peer.send({ _tag: "AReleaseRp" })
      yield* Fiber.join(releasing)
      expect(yield* client.awaitClose).toEqual({ _tag: "Released" })
    }))

  it.effect("a P-DATA-TF before the A-ASSOCIATE-AC (Sta5) goes through the machine: A-ABORT, unexpected PDU (AA-8)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, associateRq: makeRq() }))
      expect((yield* peer.read)._tag).toBe("AAssociateRq")
      yield* peer.sendBytes(pdataChunk(1))
      expect(yield* peer.read).toEqual({ _tag: "AAbort", source: 2, reason: 2 })
      expect(yield* Effect.flip(Fiber.join(requesting))).toMatchObject({ _tag: "AssociationAborted", source: "local-provider" })
    }))

  it.effect("a P-DATA-TF before the A-ASSOCIATE-RQ (Sta2) goes through the machine: A-ABORT (AA-1)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const accepting = yield* Effect.forkChild(Driver.accept({ ...peer.connection, decide }))
      yield* peer.sendBytes(pdataChunk(2))
      expect((yield* peer.read)._tag).toBe("AAbort")
      yield* peer.close
      expect(yield* Effect.flip(Fiber.join(accepting))).toMatchObject({ _tag: "AssociationAborted" })
    }))

  it.effect("P-DATA-TF after our A-ABORT (Sta13) is ignored (AA-6), not delivered", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer()
      yield* client.abort
      expect(yield* peer.read).toEqual({ _tag: "AAbort", source: 0, reason: 0 })
      expect(yield* client.state).toBe("Sta13")
      yield* peer.sendBytes(pdataChunk(2))
      yield* settle
      expect(yield* client.state).toBe("Sta13")
      expect(yield* Effect.flip(client.takeBatch)).toMatchObject({ _tag: "AssociationAborted", source: "local-user" })
      yield* peer.close
      expect((yield* client.awaitClose)._tag).toBe("Aborted")
    }))
})

/** A direct receiver that records what it was handed, chunk by chunk; `gate` (when set) makes it wait after a call. */
const recorder = () => {
  const calls: Array<ReadonlyArray<number | string>> = []
  let gate: Deferred.Deferred<void> | undefined
  const deliver: Driver.Deliver = (items) => {
    calls.push(firstBytes(items))
    return gate === undefined ? undefined : Deferred.await(gate)
  }
  return {
    calls,
    deliver,
    received: () => calls.flat(),
    hold: Effect.sync(() => {
      gate = Deferred.makeUnsafe<void>()
    }),
    open: Effect.suspend(() => {
      const g = gate
      gate = undefined
      return g === undefined ? Effect.void : Deferred.succeed(g, undefined)
    })
  }
}

const attachOf = (handle: Driver.AssociationHandle) => {
  const attach = handle.attach
  assert(attach !== undefined)
  return attach
}

describe("Driver · attach (direct delivery on the reader)", () => {
  it.effect("what was queued before attach comes first, then every chunk's P-DATA-TF PDUs in one call each, in order", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer()
      yield* peer.sendBytes(pdataChunk(3, 1))
      yield* settle
      const r = recorder()
      const attached = yield* Effect.forkChild(attachOf(client)(r.deliver))
      yield* settle
      expect(r.calls).toEqual([[1, 2, 3]])
      yield* peer.sendBytes(pdataChunk(2, 4))
      yield* settle
      yield* peer.sendBytes(pdataChunk(1, 6))
      yield* settle
      expect(r.calls).toEqual([[1, 2, 3], [4, 5], [6]])
      expect(attached.pollUnsafe()).toBeUndefined()
      // Nothing goes to the queue any more.
      const taking = yield* Effect.forkChild(client.takeBatch)
      yield* peer.sendBytes(pdataChunk(1, 7))
      yield* settle
      expect(taking.pollUnsafe()).toBeUndefined()
      expect(r.received()).toEqual([1, 2, 3, 4, 5, 6, 7])
    }))

  it.effect("a backlog larger than the queue (the reader paused on a full queue) is handed over whole and in order", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer(2)
      yield* peer.sendBytes(pdataChunk(5, 1))
      yield* peer.sendBytes(pdataChunk(3, 6))
      yield* settle
      const r = recorder()
      yield* Effect.forkChild(attachOf(client)(r.deliver))
      yield* settle
      yield* peer.sendBytes(pdataChunk(2, 9))
      yield* settle
      expect(r.received()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(yield* peer.unread).toBe(0)
    }))

  it.effect("a receiver that waits pauses reading: later chunks stay unread until its Effect completes (backpressure)", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer()
      const r = recorder()
      yield* Effect.forkChild(attachOf(client)(r.deliver))
      yield* settle
      yield* r.hold
      yield* peer.sendBytes(pdataChunk(2, 1))
      yield* peer.sendBytes(pdataChunk(2, 3))
      yield* peer.sendBytes(pdataChunk(2, 5))
      yield* settle
      expect(r.calls).toEqual([[1, 2]])
      expect(yield* peer.unread).toBeGreaterThanOrEqual(1)
      yield* r.open
      yield* settle
      expect(r.received()).toEqual([1, 2, 3, 4, 5, 6])
      expect(yield* peer.unread).toBe(0)
    }))

  it.effect("the A-RELEASE indication comes after the P-DATA before it; attach completes once released", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      const r = recorder()
      const attached = yield* Effect.forkChild(attachOf(server)(r.deliver))
      yield* client.sendPData(command)
      yield* client.sendPData(command)
      const releasing = yield* Effect.forkChild(client.release)
      yield* settle
      expect(r.received()).toEqual([1, 1, "ReleaseRequested"])
      expect(attached.pollUnsafe()).toBeUndefined()
      yield* server.releaseResponse
      yield* Fiber.join(releasing)
      yield* Fiber.join(attached)
      expect(yield* server.awaitClose).toEqual({ _tag: "Released" })
    }))

  it.effect("attach fails with the peer's A-ABORT, like take", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      const r = recorder()
      const attached = yield* Effect.forkChild(attachOf(server)(r.deliver))
      yield* settle
      yield* client.abort
      expect(yield* Effect.flip(Fiber.join(attached))).toMatchObject({ _tag: "AssociationAborted", source: "peer-user" })
    }))

  it.effect("a local abort while the receiver waits ends attach at once; the association closes once the receiver is done", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer()
      const r = recorder()
      const attached = yield* Effect.forkChild(attachOf(client)(r.deliver))
      yield* settle
      yield* r.hold
      yield* peer.sendBytes(pdataChunk(1, 1))
      yield* settle
      yield* client.abort
      expect(yield* Effect.flip(Fiber.join(attached))).toMatchObject({ _tag: "AssociationAborted", source: "local-user" })
      expect(yield* peer.read).toEqual({ _tag: "AAbort", source: 0, reason: 0 })
      yield* peer.close
      yield* r.open
      expect((yield* client.awaitClose)._tag).toBe("Aborted")
    }))

  it.effect("a receiver may abort from within its delivery (on the reader's own fiber): the association still ends", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer()
      let aborted = false
      const attached = yield* Effect.forkChild(
        attachOf(client)(() => {
          if (aborted) return undefined
          aborted = true
          return client.abort
        })
      )
      yield* settle
      yield* peer.sendBytes(pdataChunk(1, 1))
      expect(yield* peer.read).toEqual({ _tag: "AAbort", source: 0, reason: 0 })
      expect(yield* Effect.flip(Fiber.join(attached))).toMatchObject({ _tag: "AssociationAborted", source: "local-user" })
      yield* peer.close
      expect((yield* client.awaitClose)._tag).toBe("Aborted")
    }))

  it.effect("interrupting attach detaches the receiver: later P-DATA-TF PDUs queue again, for take", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer()
      const r = recorder()
      const attached = yield* Effect.forkChild(attachOf(client)(r.deliver))
      yield* settle
      yield* peer.sendBytes(pdataChunk(1, 1))
      yield* settle
      yield* Fiber.interrupt(attached)
      yield* peer.sendBytes(pdataChunk(2, 2))
      expect(firstBytes(yield* client.takeBatch)).toEqual([2, 3])
      expect(r.received()).toEqual([1])
    }))

  it.effect("attach after the association ended normally hands over what was left, then completes", () =>
    Effect.gen(function* () {
      const { peer, client } = yield* requestorWithPeer()
      yield* peer.sendBytes(pdataChunk(2, 1))
      yield* peer.close
      expect((yield* client.awaitClose)._tag).toBe("Aborted")
      const r = recorder()
      // The transport closed in Sta6 is an abort: the items still come first, then the failure.
      expect(yield* Effect.flip(attachOf(client)(r.deliver))).toMatchObject({ _tag: "AssociationAborted" })
      expect(r.received()).toEqual([1, 2])
    }))
})

describe("Driver · timers (TestClock)", () => {
  it.effect("ARTIM expiry in Sta2: the acceptor gives up when no A-ASSOCIATE-RQ arrives", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const acceptor = yield* Effect.forkChild(Driver.accept({ ...peer.connection, decide, timeouts: { artim: "10 seconds" } }))
      yield* TestClock.adjust("9 seconds")
      expect(acceptor.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(acceptor))
      expect(error).toEqual(expect.objectContaining({ _tag: "AssociationTimeout", timer: "artim", millis: 10000 }))
      expect(yield* peer.driverClosed).toBe(true)
    }))

  it.effect("AA-1 restarts a running ARTIM: garbage in Sta2 at 20 s closes the transport 30 s later, not 10 s", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const acceptor = yield* Effect.forkChild(Driver.accept({ ...peer.connection, decide }))
      yield* TestClock.adjust("20 seconds")
      yield* peer.sendBytes(new Uint8Array([0xff, 0, 0, 0, 0, 0]))
      expect((yield* peer.read)._tag).toBe("AAbort")
      yield* TestClock.adjust("25 seconds")
      expect(acceptor.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("5 seconds")
      expect(yield* peer.driverClosed).toBe(true)
      expect(yield* Effect.flip(Fiber.join(acceptor))).toMatchObject({ _tag: "AssociationAborted", source: "local-provider", reason: 1 })
    }))

  it.effect("a peer that never answers the A-ASSOCIATE-RQ: timeout, A-ABORT, then ARTIM in Sta13 closes", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const requestor = yield* Effect.forkChild(Driver.request({ ...peer.connection, associateRq: makeRq() }))
      expect((yield* peer.read)._tag).toBe("AAssociateRq")
      yield* TestClock.adjust("30 seconds")
      expect(yield* Effect.flip(Fiber.join(requestor))).toMatchObject({ _tag: "AssociationTimeout", timer: "associate" })
      expect(yield* peer.read).toEqual({ _tag: "AAbort", source: 0, reason: 0 })
      // Sta13: the peer never closes either; ARTIM expiry closes the transport (AA-2).
      yield* TestClock.adjust("30 seconds")
      expect(yield* peer.driverClosed).toBe(true)
    }))

  it.effect("release timeout: no A-RELEASE-RP in time fails release with AssociationTimeout and aborts", () =>
    Effect.gen(function* () {
      const { client, server } = yield* associate()
      const releasing = yield* Effect.forkChild(client.release)
      expect((yield* takeSome(server))._tag).toBe("ReleaseRequested")
      yield* TestClock.adjust("30 seconds")
      expect(yield* Effect.flip(Fiber.join(releasing))).toMatchObject({ _tag: "AssociationTimeout", timer: "release" })
      expect(yield* Effect.flip(server.take)).toMatchObject({ _tag: "AssociationAborted", source: "peer-user" })
      expect((yield* client.awaitClose)._tag).toBe("TimedOut")
    }))
})

describe("Driver · against a scripted peer", () => {
  it.effect("a peer that connects and closes without a word fails accept with AssociationAborted (transport, AA-5)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const acceptor = yield* Effect.forkChild(Driver.accept({ ...peer.connection, decide }))
      yield* peer.close
      expect(yield* Effect.flip(Fiber.join(acceptor))).toMatchObject({ _tag: "AssociationAborted", source: "transport" })
      expect(yield* peer.driverClosed).toBe(true)
    }))

  it.effect("the service provider's own check (AE-6) rejects without asking the user, then waits for the close", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      let asked = false
      const acceptor = yield* Effect.forkChild(
        Driver.accept({
          ...peer.connection,
          decide: (rq) =>
            Effect.sync(() => {
              asked = true
              return Negotiation.accept(policy, rq)
            }),
          providerCheck: (rq) => (Negotiation.supportsProtocolVersion(rq) ? undefined : Negotiation.Rejection.protocolVersionNotSupported)
        })
      )
      yield* peer.send({ ...makeRq(), protocolVersion: 2 })
      expect(yield* peer.read).toEqual({ _tag: "AAssociateRj", result: 1, source: 2, reason: 2 })
      yield* peer.close
      expect(yield* Fiber.join(acceptor)).toEqual({ _tag: "Rejected", rj: { _tag: "AAssociateRj", result: 1, source: 2, reason: 2 } })
      expect(asked).toBe(false)
    }))

  it.effect("a rejecting acceptor closes the transport on ARTIM expiry when the requestor never does (AE-8, Sta13)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const acceptor = yield* Effect.forkChild(Driver.accept({ ...peer.connection, decide }))
      yield* peer.send(makeRq({ calledAeTitle: "NOBODY" }))
      expect((yield* peer.read)._tag).toBe("AAssociateRj")
      yield* TestClock.adjust("30 seconds")
      expect((yield* Fiber.join(acceptor))._tag).toBe("Rejected")
      expect(yield* peer.driverClosed).toBe(true)
    }))

  it.effect("garbage bytes before the A-ASSOCIATE-RQ (Sta2) are answered with A-ABORT (AA-1)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const acceptor = yield* Effect.forkChild(Driver.accept({ ...peer.connection, decide }))
      yield* peer.sendBytes(new Uint8Array([0xff, 0, 0, 0, 0, 2, 1, 2]))
      expect((yield* peer.read)._tag).toBe("AAbort")
      yield* peer.close
      expect(yield* Effect.flip(Fiber.join(acceptor))).toMatchObject({ _tag: "AssociationAborted", source: "local-provider" })
    }))

  it.effect("garbage bytes on an established association are answered with A-ABORT (provider, unrecognized PDU) (AA-8)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, associateRq: makeRq() }))
      const rq = yield* peer.read
      assert(rq._tag === "AAssociateRq")
      const ac = Negotiation.accept(policy, rq)
      yield* peer.send(ac)
      const client = yield* Fiber.join(requesting)
      yield* peer.sendBytes(new Uint8Array([0x42, 0, 0, 0, 0, 0]))
      expect(yield* peer.read).toEqual({ _tag: "AAbort", source: 2, reason: 1 })
      expect(yield* Effect.flip(client.take)).toMatchObject({ _tag: "AssociationAborted", source: "local-provider" })
      yield* peer.close
      expect((yield* client.awaitClose)._tag).toBe("Aborted")
    }))

  it.effect("an unexpected PDU in Sta6 (A-ASSOCIATE-RQ) is answered with A-ABORT (provider, unexpected PDU)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, associateRq: makeRq() }))
      const rq = yield* peer.read
      assert(rq._tag === "AAssociateRq")
      yield* peer.send(Negotiation.accept(policy, rq))
      const client = yield* Fiber.join(requesting)
      yield* peer.send(rq)
      expect(yield* peer.read).toEqual({ _tag: "AAbort", source: 2, reason: 2 })
      expect(yield* Effect.flip(client.take)).toMatchObject({ _tag: "AssociationAborted", source: "local-provider", reason: 2 })
    }))

  it.effect("release collision, requestor side: AR-8 (Sta9), A-RELEASE-RP sent (AR-9), then AR-3 on the peer's RP", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, associateRq: makeRq() }))
      const rq = yield* peer.read
      assert(rq._tag === "AAssociateRq")
      yield* peer.send(Negotiation.accept(policy, rq))
      const client = yield* Fiber.join(requesting)
      const releasing = yield* Effect.forkChild(client.release)
      expect(yield* peer.read).toEqual({ _tag: "AReleaseRq" })
      yield* peer.send({ _tag: "AReleaseRq" }) // the collision
      expect(yield* peer.read).toEqual({ _tag: "AReleaseRp" })
      expect(yield* client.state).toBe("Sta11")
      yield* peer.send({ _tag: "AReleaseRp" })
      yield* Fiber.join(releasing)
      expect(yield* peer.driverClosed).toBe(true)
      expect(yield* client.awaitClose).toEqual({ _tag: "Released" })
    }))

  it.effect("release collision, acceptor side: AR-8 (Sta10), AR-10 on the RP (Sta12), then A-RELEASE-RP (AR-4, Sta13)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const accepting = yield* Effect.forkChild(Driver.accept({ ...peer.connection, decide }))
      yield* peer.send(makeRq())
      expect((yield* peer.read)._tag).toBe("AAssociateAc")
      const outcome = yield* Fiber.join(accepting)
      assert(outcome._tag === "Accepted")
      const server = outcome.handle
      const releasing = yield* Effect.forkChild(server.release)
      expect(yield* peer.read).toEqual({ _tag: "AReleaseRq" })
      yield* peer.send({ _tag: "AReleaseRq" }) // the collision
      yield* peer.send({ _tag: "AReleaseRp" })
      expect(yield* peer.read).toEqual({ _tag: "AReleaseRp" })
      yield* Fiber.join(releasing)
      expect(yield* server.state).toBe("Sta13")
      yield* peer.close // the requestor closes the transport (its AR-3)
      expect(yield* server.awaitClose).toEqual({ _tag: "Released" })
      expect(yield* server.state).toBe("Sta1")
    }))

  it.effect("closing the scope right after release, while AR-3 still closes the transport, ends as Released (not aborted)", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const closing = yield* Deferred.make<void>()
      // A transport close that takes time (a TCP close waits for the flush): it never completes here.
      const slowClose = Effect.andThen(Deferred.succeed(closing, undefined), Effect.never)
      const client = yield* Effect.scoped(
        Effect.gen(function* () {
          const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, close: slowClose, associateRq: makeRq() }))
          const rq = yield* peer.read
          assert(rq._tag === "AAssociateRq")
          yield* peer.send(Negotiation.accept(policy, rq))
          const handle = yield* Fiber.join(requesting)
          const releasing = yield* Effect.forkChild(handle.release)
          expect(yield* peer.read).toEqual({ _tag: "AReleaseRq" })
          yield* peer.send({ _tag: "AReleaseRp" })
          yield* Fiber.join(releasing)
          yield* Deferred.await(closing)
          return handle
        })
      )
      expect(yield* client.awaitClose).toEqual({ _tag: "Released" })
      expect(yield* client.state).toBe("Sta1")
    }))

  it.effect("closing the scope of a live association sends A-ABORT and closes the transport", () =>
    Effect.gen(function* () {
      const peer = yield* makeRawPeer
      const client = yield* Effect.scoped(
        Effect.gen(function* () {
          const requesting = yield* Effect.forkChild(Driver.request({ ...peer.connection, associateRq: makeRq() }))
          const rq = yield* peer.read
          assert(rq._tag === "AAssociateRq")
          yield* peer.send(Negotiation.accept(policy, rq))
          return yield* Fiber.join(requesting)
        })
      )
      expect(yield* peer.read).toEqual({ _tag: "AAbort", source: 0, reason: 0 })
      expect(yield* peer.driverClosed).toBe(true)
      expect((yield* client.awaitClose)._tag).toBe("Aborted")
    }))
})
