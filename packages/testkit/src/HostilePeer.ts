/**
 * Hostile DICOM peers for fault tests against a live server: raw `node:net` sockets on loopback
 * that send garbage, stall mid-PDU, hold silent connections (slowloris), send a PDU beyond the
 * server's maximum, abort or vanish in the middle of a C-STORE, lie about item lengths in an
 * A-ASSOCIATE-RQ, and flood associations. Each one is bounded (counts and waits are parameters) and
 * reports what the server did (the PDUs it answered with, how the connection ended), so a test can
 * assert the outcome and then check that the server still serves.
 */
import { Negotiation } from "@dicomnet/association"
import { SopClass, TransferSyntax } from "@dicomnet/data"
import { CommandSet } from "@dicomnet/dimse"
import { PduCodec } from "@dicomnet/pdu"
import { Effect, type Scope } from "effect"
import * as RawPeer from "./hostile/RawPeer.js"

export type { Ending, RawPdu, Target } from "./hostile/RawPeer.js"
export { RawPeer }

/** PDU types of PS3.8 §9.3.1. */
export const PduType = {
  AAssociateRq: 0x01,
  AAssociateAc: 0x02,
  AAssociateRj: 0x03,
  PDataTf: 0x04,
  AReleaseRq: 0x05,
  AReleaseRp: 0x06,
  AAbort: 0x07
} as const

/** What the server did to a hostile peer. */
export interface Report {
  /** The PDUs the server sent, in order (types and the A-ASSOCIATE-RJ / A-ABORT fields when present). */
  readonly answers: ReadonlyArray<Answer>
  /** How the connection ended ("open" when it was still open at the end of the wait). */
  readonly ending: RawPeer.Ending
}

/** A PDU the server sent, decoded just enough to assert on. */
export interface Answer {
  readonly pduType: number
  /** A-ASSOCIATE-RJ result/source/reason, or A-ABORT source/reason (result 0). */
  readonly result?: number
  readonly source?: number
  readonly reason?: number
}

const answerOf = (pdu: RawPeer.RawPdu): Answer =>
  pdu.pduType === PduType.AAssociateRj
    ? { pduType: pdu.pduType, ...RawPeer.rejection(pdu) }
    : pdu.pduType === PduType.AAbort
      ? { pduType: pdu.pduType, source: pdu.body[2] ?? 0, reason: pdu.body[3] ?? 0 }
      : { pduType: pdu.pduType }

/** Reads every PDU the server sends until it ends the connection (or `timeoutMs` passes), then reports. */
const drain = async (peer: RawPeer.RawPeer, timeoutMs: number): Promise<Report> => {
  const deadline = Date.now() + timeoutMs
  const answers: Array<Answer> = []
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) break
    const pdu = await peer.readPdu(left)
    if (pdu === undefined) break
    answers.push(answerOf(pdu))
  }
  const ending = await peer.ended(Math.max(0, deadline - Date.now()))
  if (ending === "open") peer.socket.destroy()
  return { answers, ending }
}

/** Runs `body` on a fresh raw connection and always destroys the socket at the end. */
const withPeer = <A>(target: RawPeer.Target, body: (peer: RawPeer.RawPeer) => Promise<A>): Effect.Effect<A> =>
  Effect.promise(async () => {
    const peer = await RawPeer.open(target)
    try {
      return await body(peer)
    } finally {
      peer.socket.destroy()
    }
  })

/** Options shared by the peers that associate first. */
export interface AssociateOptions {
  readonly callingAeTitle?: string | undefined
  readonly calledAeTitle?: string | undefined
  /** Abstract syntaxes to propose (each with Explicit and Implicit VR LE). Default: Verification. */
  readonly abstractSyntaxes?: ReadonlyArray<string> | undefined
  /** Our maximum PDU length received (default 16 KiB). */
  readonly maxPduLength?: number | undefined
}

/** The encoded A-ASSOCIATE-RQ for `options` (a well-formed one). */
export const associateRq = (options: AssociateOptions = {}): Uint8Array => {
  const rq = Negotiation.makeAssociateRq({
    callingAeTitle: options.callingAeTitle ?? "HOSTILE",
    calledAeTitle: options.calledAeTitle ?? "ANY-SCP",
    maxPduLength: options.maxPduLength ?? 16384,
    contexts: (options.abstractSyntaxes ?? [SopClass.Verification]).map((abstractSyntax) => ({
      abstractSyntax,
      transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
    }))
  })
  if (rq._tag === "Failure") throw new Error(rq.failure.message)
  return PduCodec.encode(rq.success)
}

/** An established raw association: the peer, the server's maximum PDU length and the accepted context ids by abstract syntax. */
interface Established {
  readonly peer: RawPeer.RawPeer
  readonly serverMaxPduLength: number
  readonly contextIds: ReadonlyMap<string, number>
}

const establish = async (peer: RawPeer.RawPeer, options: AssociateOptions, timeoutMs: number): Promise<Established> => {
  await peer.write(associateRq(options))
  const pdu = await peer.readPdu(timeoutMs)
  if (pdu === undefined || pdu.pduType !== PduType.AAssociateAc) {
    throw new Error(`expected an A-ASSOCIATE-AC, got ${pdu === undefined ? "nothing" : `PDU type ${pdu.pduType}`}`)
  }
  const decoded = PduCodec.decode(RawPeer.pduBytes(pdu.pduType, pdu.length, pdu.body))
  if (decoded._tag === "Failure" || decoded.success._tag !== "AAssociateAc") throw new Error("undecodable A-ASSOCIATE-AC")
  const ac = decoded.success
  const proposed = options.abstractSyntaxes ?? [SopClass.Verification]
  const contextIds = new Map<string, number>()
  for (const pc of ac.presentationContexts) {
    const abstractSyntax = proposed[(pc.presentationContextId - 1) / 2]
    if (pc.result === 0 && abstractSyntax !== undefined) contextIds.set(abstractSyntax, pc.presentationContextId)
  }
  return { peer, serverMaxPduLength: ac.userInformation.maxLength, contextIds }
}

/** Sends `length` pseudo-random bytes (seeded, replayable) on a fresh connection and reports how the server reacts. */
export const garbage = (target: RawPeer.Target, options: { readonly length: number; readonly seed: number; readonly timeoutMs: number }): Effect.Effect<Report> =>
  withPeer(target, async (peer) => {
    await peer.write(RawPeer.pseudoRandomBytes(options.length, options.seed))
    return drain(peer, options.timeoutMs)
  })

/** Sends an A-ASSOCIATE-RQ header and the first `sentBytes` of its body, then nothing: the server's ARTIM must end it. */
export const stallMidPdu = (target: RawPeer.Target, options: { readonly sentBytes?: number; readonly timeoutMs: number }): Effect.Effect<Report> =>
  withPeer(target, async (peer) => {
    const rq = associateRq()
    await peer.write(rq.subarray(0, 6 + (options.sentBytes ?? 10)))
    return drain(peer, options.timeoutMs)
  })

/**
 * Associates, then goes silent: with `midPdu`, after the first 6 bytes of a P-DATA-TF header plus 4 of
 * its body (a stall inside a PDU), else between PDUs. Only the server's read-idle timer ends it.
 */
export const associateThenStall = (
  target: RawPeer.Target,
  options: AssociateOptions & { readonly midPdu: boolean; readonly timeoutMs: number }
): Effect.Effect<Report & { readonly afterMs: number }> =>
  withPeer(target, async (peer) => {
    await establish(peer, options, options.timeoutMs)
    if (options.midPdu) await peer.write(RawPeer.pduBytes(PduType.PDataTf, 1000, new Uint8Array(4)))
    const started = Date.now()
    const report = await drain(peer, options.timeoutMs)
    return { ...report, afterMs: Date.now() - started }
  })

/** Slowloris: `connections` connections opened at once that never send a byte. */
export interface Silent {
  readonly peers: ReadonlyArray<RawPeer.RawPeer>
  /** How each connection ended, waiting at most `timeoutMs` in all. */
  readonly endings: (timeoutMs: number) => Effect.Effect<ReadonlyArray<RawPeer.Ending>>
}

/** Opens `connections` silent connections in the current scope (destroyed when it closes). */
export const silent = (target: RawPeer.Target, options: { readonly connections: number }): Effect.Effect<Silent, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => Promise.all(Array.from({ length: options.connections }, () => RawPeer.open(target)))),
    (peers) =>
      Effect.sync(() => {
        for (const p of peers) p.socket.destroy()
      })
  ).pipe(
    Effect.map((peers) => ({
      peers,
      endings: (timeoutMs: number) => Effect.promise(() => Promise.all(peers.map((p) => p.ended(timeoutMs))))
    }))
  )

/**
 * Associates, then sends a P-DATA-TF whose header announces `excess` bytes more than the server's
 * maximum PDU length, followed by that many bytes (up to 1 MiB are actually sent).
 */
export const oversizedPdu = (
  target: RawPeer.Target,
  options: AssociateOptions & { readonly excess?: number; readonly timeoutMs: number }
): Effect.Effect<Report & { readonly serverMaxPduLength: number }> =>
  withPeer(target, async (peer) => {
    const { serverMaxPduLength } = await establish(peer, options, options.timeoutMs)
    const length = serverMaxPduLength + (options.excess ?? 1)
    const body = new Uint8Array(Math.min(length, 1024 * 1024))
    new DataView(body.buffer).setUint32(0, body.length - 4) // a PDV item length consistent with what follows
    body[4] = 1
    body[5] = 0x03
    await peer.write(RawPeer.pduBytes(PduType.PDataTf, length, body))
    return { ...(await drain(peer, options.timeoutMs)), serverMaxPduLength }
  })

/** The ways an A-ASSOCIATE-RQ can lie about its lengths. */
export type AbsurdLength =
  /** The PDU length is 0xFFFFFFFF (4 GiB), far beyond any limit. */
  | "pduLength"
  /** A presentation context item announces 0xFFFF bytes inside a short PDU. */
  | "itemLength"
  /** The user information item announces more bytes than the PDU holds. */
  | "userInformationLength"
  /** The PDU length is shorter than the fixed fields (68 bytes). */
  | "truncated"

/** Sends an A-ASSOCIATE-RQ with an absurd length field and reports the server's answer. */
export const absurdAssociateRq = (target: RawPeer.Target, options: { readonly lie: AbsurdLength; readonly timeoutMs: number }): Effect.Effect<Report> =>
  withPeer(target, async (peer) => {
    const rq = associateRq().slice()
    const view = new DataView(rq.buffer)
    switch (options.lie) {
      case "pduLength":
        view.setUint32(2, 0xffffffff)
        break
      case "truncated":
        view.setUint32(2, 20)
        break
      case "itemLength":
      case "userInformationLength": {
        const wanted = options.lie === "itemLength" ? 0x20 : 0x50
        // Items start after the 68 fixed bytes of the variable field: type (1), reserved (1), length (2).
        for (let at = 6 + 68; at + 4 <= rq.length; at += 4 + view.getUint16(at + 2)) {
          if (rq[at] === wanted) {
            view.setUint16(at + 2, 0xffff)
            break
          }
        }
        break
      }
    }
    await peer.write(rq)
    return drain(peer, options.timeoutMs)
  })

/** What a C-STORE cut short sends. */
export interface InterruptedStoreOptions extends AssociateOptions {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  /** The full data set (Explicit VR Little Endian); only the first half is sent. */
  readonly dataset: Uint8Array
  readonly timeoutMs: number
}

const halfAStore = async (peer: RawPeer.RawPeer, options: InterruptedStoreOptions): Promise<void> => {
  const established = await establish(peer, { ...options, abstractSyntaxes: [options.sopClassUid] }, options.timeoutMs)
  const pcId = established.contextIds.get(options.sopClassUid)
  if (pcId === undefined) throw new Error(`the server did not accept ${options.sopClassUid}`)
  const command = CommandSet.encode({
    _tag: "CStoreRq",
    affectedSopClassUid: options.sopClassUid,
    affectedSopInstanceUid: options.sopInstanceUid,
    messageId: 1,
    priority: 0,
    hasDataset: true
  })
  if (command._tag === "Failure") throw new Error(command.failure.message)
  await peer.write(PduCodec.encodePDataTf([{ presentationContextId: pcId, isCommand: true, isLast: true, data: command.success }]))
  const half = options.dataset.subarray(0, Math.floor(options.dataset.length / 2))
  const fragment = Math.max(1, Math.min(established.serverMaxPduLength === 0 ? 16384 : established.serverMaxPduLength - 6, 16384))
  for (let at = 0; at < half.length; at += fragment) {
    const data = half.subarray(at, Math.min(half.length, at + fragment))
    await peer.write(PduCodec.encodePDataTf([{ presentationContextId: pcId, isCommand: false, isLast: false, data }]))
  }
}

/** Associates, starts a C-STORE, sends half of the data set, then an A-ABORT and a FIN. */
export const abortMidStore = (target: RawPeer.Target, options: InterruptedStoreOptions): Effect.Effect<Report> =>
  withPeer(target, async (peer) => {
    await halfAStore(peer, options)
    await peer.write(RawPeer.aAbort)
    peer.end()
    return drain(peer, options.timeoutMs)
  })

/** Associates, starts a C-STORE, sends half of the data set, then vanishes without FIN (TCP reset). */
export const vanishMidStore = (target: RawPeer.Target, options: InterruptedStoreOptions): Effect.Effect<void> =>
  withPeer(target, async (peer) => {
    await halfAStore(peer, options)
    peer.reset()
  })

/**
 * Associates and sends a whole C-STORE whose Affected SOP Instance UID is `forgedUid` (any bytes:
 * "../../x", a path, control characters), written into the command set past the encoder's checks;
 * reports the C-STORE-RSP status (undefined when the server answered with something else) and whether
 * the response echoed the forged UID (a server must refuse such a request without echoing it).
 */
export const storeWithForgedUid = (
  target: RawPeer.Target,
  options: AssociateOptions & { readonly sopClassUid: string; readonly forgedUid: string; readonly dataset: Uint8Array; readonly timeoutMs: number }
): Effect.Effect<Report & { readonly status: number | undefined; readonly echoed: boolean }> =>
  withPeer(target, async (peer) => {
    const established = await establish(peer, { ...options, abstractSyntaxes: [options.sopClassUid] }, options.timeoutMs)
    const pcId = established.contextIds.get(options.sopClassUid)
    if (pcId === undefined) throw new Error(`the server did not accept ${options.sopClassUid}`)
    const forged = new TextEncoder().encode(options.forgedUid)
    const length = forged.length + (forged.length & 1)
    const placeholder = `2.25.${"1".repeat(Math.max(1, length - 5))}`.slice(0, length)
    const command = CommandSet.encode({
      _tag: "CStoreRq",
      affectedSopClassUid: options.sopClassUid,
      affectedSopInstanceUid: placeholder,
      messageId: 1,
      priority: 0,
      hasDataset: true
    })
    if (command._tag === "Failure") throw new Error(command.failure.message)
    const bytes = command.success.slice()
    const at = new TextDecoder("latin1").decode(bytes).indexOf(placeholder)
    if (at < 0) throw new Error("placeholder UID not found in the command set")
    bytes.fill(0, at, at + length)
    bytes.set(forged, at)
    await peer.write(PduCodec.encodePDataTf([{ presentationContextId: pcId, isCommand: true, isLast: true, data: bytes }]))
    await peer.write(PduCodec.encodePDataTf([{ presentationContextId: pcId, isCommand: false, isLast: true, data: options.dataset }]))
    const answer = await peer.readPdu(options.timeoutMs)
    let status: number | undefined
    let echoed = false
    if (answer !== undefined && answer.pduType === PduType.PDataTf) {
      // PDV: length (4), context id (1), control header (1), then the command set; Status is (0000,0900) US.
      const data = answer.body.subarray(6)
      echoed = new TextDecoder("latin1").decode(data).includes(options.forgedUid)
      for (let i = 0; i + 10 <= data.length; i++) {
        if (data[i] === 0x00 && data[i + 1] === 0x00 && data[i + 2] === 0x00 && data[i + 3] === 0x09 && data[i + 4] === 2) {
          status = (data[i + 8] ?? 0) | ((data[i + 9] ?? 0) << 8)
          break
        }
      }
    }
    await peer.write(RawPeer.aReleaseRq)
    const rest = await drain(peer, options.timeoutMs)
    return { answers: [...(answer === undefined ? [] : [answerOf(answer)]), ...rest.answers], ending: rest.ending, status, echoed }
  })

/** The outcome of a flood. */
export interface FloodReport {
  /** Associations the server accepted (held open until every request was answered, then released). */
  readonly accepted: number
  /** The A-ASSOCIATE-RJ answers. */
  readonly rejected: ReadonlyArray<{ readonly result: number; readonly source: number; readonly reason: number }>
  /** Connections that got no answer within the wait. */
  readonly unanswered: number
  /** Accepted associations that were released cleanly afterwards (A-RELEASE-RP received). */
  readonly released: number
}

/** Opens `associations` connections at once, each sending an A-ASSOCIATE-RQ; holds the accepted ones until all are answered, then releases them. */
export const flood = (target: RawPeer.Target, options: AssociateOptions & { readonly associations: number; readonly timeoutMs: number }): Effect.Effect<FloodReport> =>
  Effect.promise(async () => {
    const peers = await Promise.all(Array.from({ length: options.associations }, () => RawPeer.open(target)))
    try {
      const rq = associateRq(options)
      const answers = await Promise.all(
        peers.map(async (peer) => {
          await peer.write(rq)
          return peer.readPdu(options.timeoutMs)
        })
      )
      const rejected = answers.flatMap((a) => (a !== undefined && a.pduType === PduType.AAssociateRj ? [RawPeer.rejection(a)] : []))
      const acceptedPeers = peers.filter((_, i) => answers[i]?.pduType === PduType.AAssociateAc)
      const released = await Promise.all(
        acceptedPeers.map(async (peer) => {
          await peer.write(RawPeer.aReleaseRq)
          const rp = await peer.readPdu(options.timeoutMs)
          peer.end()
          return rp?.pduType === PduType.AReleaseRp
        })
      )
      return {
        accepted: acceptedPeers.length,
        rejected,
        unanswered: answers.filter((a) => a === undefined).length,
        released: released.filter(Boolean).length
      }
    } finally {
      for (const p of peers) p.socket.destroy()
    }
  })
