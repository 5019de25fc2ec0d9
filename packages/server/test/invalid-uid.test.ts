/**
 * Requests whose UIDs are not valid (PS3.5 §9.1), forged past any encoder: the server refuses them
 * before any handler runs, with a response that does not echo the invalid UID, drains the data set,
 * stores nothing, and the association goes on. (Before: the C-STORE was stored under a cleaned-up name
 * and its response, echoing the UID, could not be encoded, so the peer was never answered.)
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { AssociationError, Driver, Negotiation } from "@dicomnet/association"
import { SopClass, TransferSyntax } from "@dicomnet/data"
import { Assembler, Command, CommandSet, type Session } from "@dicomnet/dimse"
import type { Pdv } from "@dicomnet/pdu"
import { Storage } from "@dicomnet/server"
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, expect, it } from "@effect/vitest"
import { type Cause, Deferred, Effect, Queue, Result, Stream } from "effect"
import * as Dispatch from "../src/internal/Dispatch.js"

const CT = "1.2.840.10008.5.1.4.1.1.2"
const dirs: Array<string> = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "dicomnet-invalid-uid-"))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A C-STORE-RQ command set carrying `forgedUid` as Affected SOP Instance UID (a valid placeholder patched in place). */
const forgedStoreRq = (messageId: number, forgedUid: string): Uint8Array => {
  const forged = new TextEncoder().encode(forgedUid)
  const length = forged.length + (forged.length & 1)
  const placeholder = `2.25.${"1".repeat(Math.max(1, length - 5))}`.slice(0, length)
  const encoded = CommandSet.encode(
    Command.cStoreRq({ messageId, affectedSopClassUid: CT, affectedSopInstanceUid: placeholder, priority: 0, hasDataset: true })
  )
  assert(Result.isSuccess(encoded))
  const bytes = encoded.success.slice()
  const at = new TextDecoder("latin1").decode(bytes).indexOf(placeholder)
  assert(at >= 0)
  bytes.fill(0, at, at + length)
  bytes.set(forged, at)
  return bytes
}

const storeRq = (messageId: number, uid: string): Uint8Array => {
  const encoded = CommandSet.encode(Command.cStoreRq({ messageId, affectedSopClassUid: CT, affectedSopInstanceUid: uid, priority: 0, hasDataset: true }))
  assert(Result.isSuccess(encoded))
  return encoded.success
}

const negotiated = {
  acceptedContexts: new Map([[1, { presentationContextId: 1, abstractSyntax: CT, transferSyntax: TransferSyntax.ExplicitVRLittleEndian }]]),
  asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
  peerMaxPduLength: 16384
} as unknown as Negotiation.Negotiated

/** Dispatch.serve over a scripted association handle: `send` plays the peer, `responses` are the commands the server answered. */
const serving = (directory: string) =>
  Effect.gen(function* () {
    const incoming = yield* Queue.unbounded<Session.ChannelIncoming, AssociationError.AssociationError | Cause.Done>()
    const responses = yield* Queue.unbounded<Command.DimseCommand>()
    const released = yield* Deferred.make<void>()
    const assembler = Assembler.make()
    const handle = {
      incoming: Stream.fromQueue(incoming),
      sendPData: (pdvs: ReadonlyArray<Pdv>) =>
        Effect.gen(function* () {
          const events = assembler.feedPDataTf({ _tag: "PDataTf", pdvs })
          assert(Result.isSuccess(events))
          for (const e of events.success) if (e._tag === "MessageComplete") yield* Queue.offer(responses, e.command)
        }),
      releaseResponse: Effect.andThen(Deferred.succeed(released, undefined), Queue.end(incoming)),
      abort: Effect.void
    } as unknown as Driver.AssociationHandle
    const store = yield* Storage.toDirectory({ directory })
    let calls = 0
    yield* Effect.forkScoped(
      Dispatch.serve(handle, negotiated, { peer: "memory", callingAeTitle: "SCU", calledAeTitle: "SCP" }, {
        store: (rq) => Effect.andThen(Effect.sync(() => calls++), store(rq))
      })
    )
    const send = (command: Uint8Array, data: Uint8Array) =>
      Queue.offerAll(incoming, [
        { _tag: "PData", pdu: { _tag: "PDataTf", pdvs: [{ presentationContextId: 1, isCommand: true, isLast: true, data: command }] } },
        { _tag: "PData", pdu: { _tag: "PDataTf", pdvs: [{ presentationContextId: 1, isCommand: false, isLast: false, data: new Uint8Array(64) }] } },
        { _tag: "PData", pdu: { _tag: "PDataTf", pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data }] } }
      ])
    return { send, next: Queue.take(responses), calls: () => calls, release: Queue.offer(incoming, { _tag: "ReleaseRequested" }), released }
  }).pipe(Effect.provide(NodeServices.layer))

describe("PS3.4 §B.2.3 · a C-STORE-RQ whose Affected SOP Instance UID is not a valid UID", () => {
  it.live("is answered C000H (cannot understand) without echoing the UID; nothing is stored, the handler never runs, the association goes on", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const directory = tempDir()
        const peer = yield* serving(directory)
        const forged = ["../outside", "..\\..\\win", "1.2.abc", "1..2", ".", "/etc/passwd"]
        for (const [i, uid] of forged.entries()) {
          yield* peer.send(forgedStoreRq(i + 1, uid), new Uint8Array(128))
          const rsp = yield* peer.next
          assert(rsp._tag === "CStoreRsp")
          expect(rsp.messageIdBeingRespondedTo).toBe(i + 1)
          expect(rsp.status).toBe(0xc000)
          expect(rsp.affectedSopInstanceUid).toBeUndefined()
        }
        expect(peer.calls()).toBe(0)
        expect(readdirSync(directory)).toEqual([])
        // A valid one on the same association: stored and acknowledged (its data set drained before was not mistaken for it).
        yield* peer.send(storeRq(99, "1.2.3.4"), new Uint8Array(128))
        const ok = yield* peer.next
        assert(ok._tag === "CStoreRsp")
        expect([ok.status, ok.affectedSopInstanceUid]).toEqual([0, "1.2.3.4"])
        expect(readdirSync(directory)).toEqual(["1.2.3.4.dcm"])
        yield* peer.release
        yield* Deferred.await(peer.released)
      })
    )
  )
})

describe("Dispatch · UID check (PS3.5 §9.1 as far as responses can echo it)", () => {
  it("accepts digit-and-dot UIDs of 1 to 64 characters, refuses the rest", () => {
    expect(["1.2.840.10008.1.1", "0", "2.25.0123", `1.${"2".repeat(62)}`].map(Dispatch.isUsableUid)).toEqual([true, true, true, true])
    expect(["", "../x", "1.2.", ".1", "1..2", "1.2a", `1.${"2".repeat(63)}`, "1.2 "].map(Dispatch.isUsableUid)).toEqual(
      Array(8).fill(false)
    )
  })

  it("names the first invalid UID field of a request", () => {
    const echo = Command.cEchoRq({ messageId: 1, affectedSopClassUid: SopClass.Verification })
    expect(Dispatch.invalidUidField(echo)).toBeUndefined()
    expect(Dispatch.invalidUidField({ ...echo, affectedSopClassUid: "x" })).toBe("affectedSopClassUid")
  })
})
