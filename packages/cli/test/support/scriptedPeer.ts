/**
 * A scripted SCP on a raw TCP socket for the failure cases DCMTK will not produce on demand: it accepts
 * the association (with the real negotiation code), then misbehaves as told once the first P-DATA-TF
 * (the C-ECHO-RQ) arrives: answer nothing, or send an A-ABORT.
 */
import { createServer, type Socket } from "node:net"
import { Negotiation } from "@dicomnet/association"
import { SopClass, TransferSyntax } from "@dicomnet/data"
import { type AnyPdu, PduCodec } from "@dicomnet/pdu"
import { Result } from "effect"

/** What the peer does when the C-ECHO-RQ arrives. */
export type Behaviour = { readonly _tag: "Silent" } | { readonly _tag: "Abort"; readonly source: 0 | 2; readonly reason: number }

/** A listening scripted peer. */
export interface ScriptedPeer {
  readonly port: number
  readonly close: () => Promise<void>
}

const policy: Negotiation.AcceptPolicy = {
  contexts: [{ abstractSyntax: SopClass.Verification, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian] }]
}

const serve = (socket: Socket, behaviour: Behaviour) => {
  let buffered = new Uint8Array(0)
  const send = (pdu: AnyPdu) => socket.write(PduCodec.encode(pdu))
  socket.on("error", () => {})
  socket.on("data", (chunk: Buffer) => {
    const next = new Uint8Array(buffered.length + chunk.length)
    next.set(buffered)
    next.set(chunk, buffered.length)
    buffered = next
    for (;;) {
      const header = PduCodec.peekHeader(buffered)
      if (header === undefined || buffered.length < PduCodec.pduHeaderLength + header.length) return
      const bytes = buffered.subarray(0, PduCodec.pduHeaderLength + header.length)
      buffered = buffered.slice(bytes.length)
      const decoded = PduCodec.decode(bytes)
      if (Result.isFailure(decoded)) return socket.destroy()
      const pdu = decoded.success
      if (pdu._tag === "AAssociateRq") send(Negotiation.accept(policy, pdu))
      else if (pdu._tag === "PDataTf" && behaviour._tag === "Abort") send({ _tag: "AAbort", source: behaviour.source, reason: behaviour.reason })
      else if (pdu._tag === "AReleaseRq") send({ _tag: "AReleaseRp" })
    }
  })
}

/** Starts the peer on a free port of 127.0.0.1. */
export const start = (behaviour: Behaviour): Promise<ScriptedPeer> =>
  new Promise((resolve) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      serve(socket, behaviour)
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve({
        port: typeof address === "object" && address !== null ? address.port : 0,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          })
      })
    })
  })
