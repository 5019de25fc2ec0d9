/**
 * Interoperability with DCMTK 3.6.7 over real TCP (loopback): our requestor against storescp,
 * and echoscu against our acceptor, exchanging a hand-encoded C-ECHO (PS3.7 §9.3.5).
 * These tests fail (not skip) when DCMTK is missing.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Driver, Negotiation } from "@dicomnet/association"
import { Dcmtk } from "@dicomnet/testkit"
import type { Pdv } from "@dicomnet/pdu"
import { type Cause, Effect, Fiber, Option, Queue, Result, Stream } from "effect"
import * as net from "node:net"

const verification = "1.2.840.10008.1.1"
const implicitLittle = "1.2.840.10008.1.2"

/** A node:net socket in the shape the driver takes. */
const fromSocket = (socket: net.Socket) =>
  Effect.gen(function* () {
    const input = yield* Queue.unbounded<Uint8Array, Cause.Done>()
    socket.on("data", (b: Buffer) => Queue.offerUnsafe(input, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)))
    for (const event of ["end", "close", "error"]) socket.on(event, () => Queue.endUnsafe(input))
    return {
      input: Stream.fromQueue(input),
      write: (chunks: ReadonlyArray<Uint8Array>) =>
        Effect.callback<void>((resume) => {
          if (socket.destroyed) return resume(Effect.void)
          socket.cork()
          let ok = true
          for (const chunk of chunks) ok = socket.write(chunk)
          socket.uncork()
          if (ok) return resume(Effect.void)
          const done = () => resume(Effect.void)
          socket.once("drain", done)
          socket.once("close", done)
        }),
      close: Effect.sync(() => {
        socket.end()
      })
    }
  })

const connect = (port: number) =>
  Effect.callback<net.Socket>((resume) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.setNoDelay(true)
    socket.once("connect", () => resume(Effect.succeed(socket)))
  })

/** An Implicit VR Little Endian command set (group 0000) with its group length. */
const commandSet = (elements: ReadonlyArray<readonly [element: number, value: Uint8Array]>): Uint8Array => {
  const body = elements.reduce((n, [, v]) => n + 8 + v.length, 0)
  const out = new Uint8Array(12 + body)
  const view = new DataView(out.buffer)
  view.setUint32(4, 4, true)
  view.setUint32(8, body, true)
  let at = 12
  for (const [element, value] of elements) {
    view.setUint16(at + 2, element, true)
    view.setUint32(at + 4, value.length, true)
    out.set(value, at + 8)
    at += 8 + value.length
  }
  return out
}
const us = (n: number) => new Uint8Array([n & 0xff, n >> 8])
const ui = (uid: string) => {
  const padded = uid.length % 2 === 0 ? uid : `${uid}\0`
  return new TextEncoder().encode(padded)
}
/** The US value of a (0000,eeee) element of an Implicit VR LE command set. */
const readUs = (bytes: Uint8Array, element: number): number | undefined => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let at = 0; at + 8 <= bytes.length; at += 8 + view.getUint32(at + 4, true)) {
    if (view.getUint16(at + 2, true) === element) return view.getUint16(at + 8, true)
  }
  return undefined
}

const echoRq: ReadonlyArray<Pdv> = [
  {
    presentationContextId: 1,
    isCommand: true,
    isLast: true,
    data: commandSet([[0x0002, ui(verification)], [0x0100, us(0x0030)], [0x0110, us(1)], [0x0800, us(0x0101)]])
  }
]
const echoRsp = (messageId: number): ReadonlyArray<Pdv> => [
  {
    presentationContextId: 1,
    isCommand: true,
    isLast: true,
    data: commandSet([[0x0002, ui(verification)], [0x0100, us(0x8030)], [0x0120, us(messageId)], [0x0800, us(0x0101)], [0x0900, us(0)]])
  }
]

describe("DCMTK interoperability (real TCP)", () => {
  it.live("our requestor: A-ASSOCIATE, C-ECHO and A-RELEASE with storescp", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(() => Dcmtk.freePort())
      const dir = Dcmtk.tempDir()
      const peer = Dcmtk.start("storescp", ["--aetitle", "STORESCP", "--output-directory", dir.path, String(port)])
      yield* Effect.addFinalizer(() => Effect.promise(() => peer.stop()).pipe(Effect.andThen(Effect.sync(dir.cleanup))))
      yield* Effect.promise(() => Dcmtk.waitForPort(port))
      const socket = yield* connect(port)
      const connection = yield* fromSocket(socket)
      const rq = Negotiation.makeAssociateRq({
        calledAeTitle: "STORESCP",
        callingAeTitle: "DICOMNET",
        contexts: [{ abstractSyntax: verification, transferSyntaxes: [implicitLittle] }]
      })
      assert(Result.isSuccess(rq))
      const handle = yield* Driver.request({ ...connection, associateRq: rq.success })
      expect(handle.negotiated.acceptedContexts.get(1)?.transferSyntax).toBe(implicitLittle)
      expect(handle.negotiated.peerMaxPduLength).toBeGreaterThan(0)
      yield* handle.sendPData(echoRq)
      const rsp = yield* handle.take
      assert(Option.isSome(rsp) && rsp.value._tag === "PData")
      const data = rsp.value.pdu.pdvs[0]?.data ?? new Uint8Array(0)
      expect(readUs(data, 0x0100)).toBe(0x8030)
      expect(readUs(data, 0x0900)).toBe(0)
      yield* handle.release
      expect(yield* handle.awaitClose).toEqual({ _tag: "Released" })
    }))

  it.live("our acceptor: echoscu associates, echoes and releases", () =>
    Effect.gen(function* () {
      const sockets = yield* Queue.unbounded<net.Socket>()
      const server = net.createServer((s) => Queue.offerUnsafe(sockets, s))
      yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
      const port = yield* Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
        })
      })
      const echoscu = yield* Effect.forkChild(
        Effect.promise(() => Dcmtk.run("echoscu", ["-aet", "ECHOSCU", "-aec", "DICOMNET", "127.0.0.1", String(port)]))
      )
      const connection = yield* fromSocket(yield* Queue.take(sockets))
      const policy: Negotiation.AcceptPolicy = {
        calledAeTitles: ["DICOMNET"],
        contexts: [{ abstractSyntax: verification, transferSyntaxes: [implicitLittle] }]
      }
      const outcome = yield* Driver.accept({ ...connection, decide: (rq) => Effect.succeed(Negotiation.accept(policy, rq)) })
      assert(outcome._tag === "Accepted")
      const handle = outcome.handle
      expect(handle.negotiated.callingAeTitle).toBe("ECHOSCU")
      const request = yield* handle.take
      assert(Option.isSome(request) && request.value._tag === "PData")
      const command = request.value.pdu.pdvs[0]?.data ?? new Uint8Array(0)
      expect(readUs(command, 0x0100)).toBe(0x0030)
      yield* handle.sendPData(echoRsp(readUs(command, 0x0110) ?? 0))
      const release = yield* handle.take
      assert(Option.isSome(release) && release.value._tag === "ReleaseRequested")
      yield* handle.releaseResponse
      expect(yield* handle.awaitClose).toEqual({ _tag: "Released" })
      const result = yield* Fiber.join(echoscu)
      expect(result.code).toBe(0)
    }))

  it.live("storescp rejects an unknown SOP class context; our requestor sees result 3 in Negotiated", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(() => Dcmtk.freePort())
      const dir = Dcmtk.tempDir()
      const peer = Dcmtk.start("storescp", ["--output-directory", dir.path, String(port)])
      yield* Effect.addFinalizer(() => Effect.promise(() => peer.stop()).pipe(Effect.andThen(Effect.sync(dir.cleanup))))
      yield* Effect.promise(() => Dcmtk.waitForPort(port))
      const connection = yield* fromSocket(yield* connect(port))
      const rq = Negotiation.makeAssociateRq({
        calledAeTitle: "ANY-SCP",
        callingAeTitle: "DICOMNET",
        contexts: [
          { abstractSyntax: verification, transferSyntaxes: [implicitLittle] },
          { abstractSyntax: "1.2.3.4.5.6.7", transferSyntaxes: [implicitLittle] }
        ]
      })
      assert(Result.isSuccess(rq))
      const handle = yield* Driver.request({ ...connection, associateRq: rq.success })
      expect(handle.negotiated.rejectedContexts).toEqual([{ presentationContextId: 3, abstractSyntax: "1.2.3.4.5.6.7", result: 3 }])
      yield* handle.release
    }))
})
