/**
 * Hostile peers against a live DicomServer over TCP on 127.0.0.1: each case asserts what the
 * server did to the peer, then that the server still answers C-ECHO. Every case is bounded (the
 * server's ARTIM is 1 s, read idle 3 s; waits are a few seconds; counts are fixed).
 */
import { Association, Echo } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { Command } from "@dicomnet/dimse"
import { AccessControl } from "@dicomnet/server"
import { HostilePeer } from "@dicomnet/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { echo, note, remainingAssociations, withServer } from "./Harness.js"

const ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"
const { PduType } = HostilePeer

describe("Hostile input · bytes that are not DICOM", () => {
  it.live("garbage (seeded pseudo-random bytes) ends the connection; the server still answers C-ECHO", () =>
    withServer({}, ({ target, server }) =>
      Effect.gen(function* () {
        for (const seed of [1, 2, 3, 0xdeadbeef]) {
          const report = yield* HostilePeer.garbage(target, { length: 65536, seed, timeoutMs: 5000 })
          yield* note(`garbage seed ${seed}`, report)
          // Sta2 + Evt19 (unrecognized PDU): AA-1, an A-ABORT, then the connection closes (PS3.8 Table 9-10).
          expect(report.answers.map((a) => a.pduType), `seed ${seed}`).toEqual([PduType.AAbort])
          expect(report.ending, `seed ${seed}`).toBe("fin")
        }
        expect(yield* echo(target.port)).toBe(0)
        expect(yield* remainingAssociations(server)).toBe(0)
      })
    )
  , 30_000)

  it.live("an HTTP request on the DICOM port is not mistaken for an association", () =>
    withServer({}, ({ target }) =>
      Effect.gen(function* () {
        const report = yield* Effect.promise(async () => {
          const peer = await HostilePeer.RawPeer.open(target)
          await peer.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: pacs\r\n\r\n"))
          const ending = await peer.ended(5000)
          peer.socket.destroy()
          return ending
        })
        yield* note("HTTP request", report)
        expect(report).toBe("fin")
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 20_000)
})

describe("Hostile input · stalls and silence (ARTIM, PS3.8 §9.1.5)", () => {
  it.live("a peer that sends a PDU header and 10 bytes, then nothing, is cut off by ARTIM", () =>
    withServer({}, ({ target }) =>
      Effect.gen(function* () {
        const started = Date.now()
        const report = yield* HostilePeer.stallMidPdu(target, { sentBytes: 10, timeoutMs: 6000 })
        yield* note("stall mid-PDU", { ...report, afterMs: Date.now() - started })
        expect(report.ending).toBe("fin")
        expect(report.answers).toEqual([])
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 20_000)

  it.live("slowloris: 100 silent connections do not stop a real peer, and ARTIM closes every one of them", () =>
    withServer({ maxAssociations: 8 }, ({ target, server }) =>
      Effect.gen(function* () {
        const held = yield* HostilePeer.silent(target, { connections: 100 })
        // While they are held: a legitimate association is served (silent connections hold no association slot).
        expect(yield* echo(target.port)).toBe(0)
        const endings = yield* held.endings(8000)
        yield* note("slowloris x100", { fin: endings.filter((e) => e === "fin").length, reset: endings.filter((e) => e === "reset").length })
        expect(endings.filter((e) => e === "open")).toHaveLength(0)
        expect(yield* remainingAssociations(server)).toBe(0)
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 30_000)
})

describe("Hostile input · silence inside an association (read idle timer)", () => {
  for (const midPdu of [false, true]) {
    it.live(`an associated peer that goes silent ${midPdu ? "in the middle of a P-DATA-TF" : "between PDUs"} is disconnected by readIdle; its slot is freed`, () =>
      withServer({ maxAssociations: 1 }, ({ target, server, awaitEvents }) =>
        Effect.gen(function* () {
          const report = yield* HostilePeer.associateThenStall(target, { midPdu, timeoutMs: 8000 })
          yield* note(`associated then silent (${midPdu ? "mid-PDU" : "between PDUs"})`, report)
          expect(report.ending).not.toBe("open")
          yield* awaitEvents("AssociationAborted", 1)
          expect(yield* remainingAssociations(server)).toBe(0)
          // The only slot (maxAssociations 1) is free again.
          expect(yield* echo(target.port)).toBe(0)
        })
      )
    , 20_000)
  }
})

describe("Hostile input · lengths (PS3.8 §9.3, §D.1)", () => {
  it.live("a P-DATA-TF longer than the server's maximum PDU length is answered with A-ABORT and the connection closed", () =>
    withServer({ maxPduLength: 16384 }, ({ target, awaitEvents }) =>
      Effect.gen(function* () {
        const report = yield* HostilePeer.oversizedPdu(target, { excess: 1, timeoutMs: 6000 })
        yield* note("P-DATA-TF max+1", report)
        expect(report.serverMaxPduLength).toBe(16384)
        // Sta6 + Evt19: AA-8, an A-ABORT from the service-provider (source 2), then the close.
        expect(report.answers).toEqual([{ pduType: PduType.AAbort, source: 2, reason: 0 }])
        expect(report.ending).toBe("fin")
        yield* awaitEvents("AssociationAborted", 1)
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 20_000)

  it.live("a P-DATA-TF announcing 1 MiB more than the maximum is refused before it is buffered", () =>
    withServer({ maxPduLength: 16384 }, ({ target }) =>
      Effect.gen(function* () {
        const report = yield* HostilePeer.oversizedPdu(target, { excess: 1024 * 1024, timeoutMs: 6000 })
        yield* note("P-DATA-TF max+1MiB", report)
        // Sta6 + Evt19: AA-8, an A-ABORT from the service-provider (source 2), then the close.
        expect(report.answers).toEqual([{ pduType: PduType.AAbort, source: 2, reason: 0 }])
        expect(report.ending).toBe("fin")
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 20_000)

  for (const lie of ["pduLength", "itemLength", "userInformationLength", "truncated"] as const) {
    it.live(`an A-ASSOCIATE-RQ with an absurd ${lie} is never accepted and the connection ends`, () =>
      withServer({}, ({ target, events }) =>
        Effect.gen(function* () {
          const report = yield* HostilePeer.absurdAssociateRq(target, { lie, timeoutMs: 6000 })
          yield* note(`absurd ${lie}`, report)
          expect(report.answers.map((a) => a.pduType)).toEqual([PduType.AAbort])
          expect(report.ending).toBe("fin")
          expect(events.filter((e) => e._tag === "AssociationAccepted")).toHaveLength(0)
          expect(yield* echo(target.port)).toBe(0)
        })
      )
    , 20_000)
  }
})

describe("Hostile input · interrupted transfers", () => {
  const dataset = new Uint8Array(64 * 1024).map((_, i) => i & 0xff)
  const store = { sopClassUid: ctImageStorage, sopInstanceUid: "2.25.1234", dataset, timeoutMs: 6000 }
  const acceptance = {
    contexts: [
      { abstractSyntax: SopClass.Verification, transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"] },
      { abstractSyntax: ctImageStorage, transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"] }
    ]
  }

  it.live("an A-ABORT after half a C-STORE data set ends the association; the server still serves", () =>
    withServer({ acceptance }, ({ target, awaitEvents, server }) =>
      Effect.gen(function* () {
        const report = yield* HostilePeer.abortMidStore(target, store)
        yield* note("A-ABORT mid C-STORE", report)
        expect(report.answers).toEqual([])
        expect(report.ending).toBe("fin")
        yield* awaitEvents("AssociationAborted", 1)
        expect(yield* remainingAssociations(server)).toBe(0)
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 20_000)

  it.live("a peer that vanishes (TCP reset, no FIN) mid C-STORE is cleaned up; the server still serves", () =>
    withServer({ acceptance }, ({ target, awaitEvents, server }) =>
      Effect.gen(function* () {
        yield* HostilePeer.vanishMidStore(target, store)
        yield* awaitEvents("AssociationAborted", 1)
        expect(yield* remainingAssociations(server)).toBe(0)
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 20_000)
})

describe("Hostile input · association floods (PS3.8 §9.3.4 RJ 2/3/2)", () => {
  it.live("30 simultaneous requests against maxAssociations 10: 10 accepted and released, 20 rejected 2/3/2", () =>
    withServer({ maxAssociations: 10 }, ({ target, server }) =>
      Effect.gen(function* () {
        const report = yield* HostilePeer.flood(target, { associations: 30, timeoutMs: 8000 })
        yield* note("flood 30 vs 10", report)
        expect(report.accepted).toBe(10)
        expect(report.released).toBe(10)
        expect(report.unanswered).toBe(0)
        expect(report.rejected).toHaveLength(20)
        for (const rj of report.rejected) expect(rj).toEqual({ result: 2, source: 3, reason: 2 })
        expect(yield* echo(target.port)).toBe(0)
        expect(yield* remainingAssociations(server)).toBe(0)
      })
    )
  , 30_000)
})

describe("Hostile input · one noisy peer against per-peer limits (AccessControl.associationLimits)", () => {
  it.live("a flood of 20 from one AE title limited to 3 gets 3 associations and 17 RJ 2/3/2; other peers are still served", () =>
    withServer(
      {
        maxAssociations: 10,
        accessControl: AccessControl.make({ otherwise: "allow", associationLimits: [{ peer: {}, max: 3, per: "callingAeTitle" }] })
      },
      ({ target, server }) =>
        Effect.gen(function* () {
          const [report, status] = yield* Effect.all(
            [HostilePeer.flood(target, { associations: 20, callingAeTitle: "NOISY", timeoutMs: 8000 }), echo(target.port, "QUIET")],
            { concurrency: 2 }
          )
          yield* note("flood of 20 from one AE (per-AE limit 3)", { ...report, rejected: report.rejected.length })
          expect(report.accepted).toBe(3)
          expect(report.rejected).toHaveLength(17)
          for (const rj of report.rejected) expect(rj).toEqual({ result: 2, source: 3, reason: 2 })
          expect(status).toBe(0)
          expect(yield* remainingAssociations(server)).toBe(0)
          expect(yield* echo(target.port, "NOISY")).toBe(0)
        })
    )
  , 30_000)
})

describe("Faults · handlers", () => {
  it.live("a C-ECHO handler that throws is answered 0110H; the association and the server go on", () =>
    withServer(
      {
        handlers: {
          echo: (ctx) =>
            Effect.sync(() => {
              if (ctx.association.callingAeTitle === "THROWER") throw new Error("handler bug")
              return 0
            })
        }
      },
      ({ target }) =>
        Effect.gen(function* () {
          const failure = yield* Effect.flip(echo(target.port, "THROWER"))
          expect(failure).toMatchObject({ _tag: "DimseFailure", status: 0x0110 })
          expect(yield* echo(target.port)).toBe(0)
        })
    )
  , 20_000)
})

describe("Hostile input · identifiers (C-FIND, PS3.4 §C.4.1.1.4 A900H)", () => {
  const studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"
  const le = (n: number, bytes: number) => Array.from({ length: bytes }, (_, i) => (n >>> (8 * i)) & 0xff)
  /** (0008,0052) CS "STUDY " in Explicit VR Little Endian. */
  const level = [0x08, 0x00, 0x52, 0x00, 0x43, 0x53, ...le(6, 2), ..."STUDY ".split("").map((c) => c.charCodeAt(0))]
  /** A sequence of undefined length nested `depth` times: SQ > item > SQ > item > ... */
  const nested = (depth: number): Uint8Array => {
    const open = [0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]
    const close = [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]
    const out: Array<number> = [...level]
    for (let i = 0; i < depth; i++) out.push(...open)
    for (let i = 0; i < depth; i++) out.push(...close)
    return new Uint8Array(out)
  }
  const finalStatus = (port: number, identifier: Uint8Array) =>
    Effect.scoped(
      Effect.gen(function* () {
        const association = yield* Association.request({
          host: "127.0.0.1",
          port,
          contexts: [{ abstractSyntax: studyRootFind }, { abstractSyntax: SopClass.Verification }],
          timeouts: { artim: "5 seconds", dimse: "5 seconds" }
        })
        const replies = yield* Stream.runCollect(
          association.request(Command.cFindRq({ affectedSopClassUid: studyRootFind, messageId: 0, priority: 0 }), identifier)
        )
        const statuses = replies.map((r) => r.command.status)
        // The association is still usable after the failure.
        return { statuses, echo: (yield* Echo.echo(association)).status }
      })
    )
  const queried: Array<string> = []
  const options = {
    maxIdentifierBytes: 16 * 1024,
    acceptance: { contexts: [SopClass.Verification, studyRootFind].map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: ["1.2.840.10008.1.2.1"] })) },
    handlers: { queryRetrieve: { find: () => Stream.fromEffect(Effect.sync(() => queried.push("find"))).pipe(Stream.flatMap(() => Stream.empty)) } }
  }

  it.live("an identifier nested 1000 sequences deep is answered A900H before any handler runs; the server still serves", () =>
    withServer(options, ({ target }) =>
      Effect.gen(function* () {
        queried.length = 0
        const outcome = yield* finalStatus(target.port, nested(1000))
        yield* note("C-FIND identifier nested 1000 deep", outcome)
        expect(outcome).toEqual({ statuses: [0xa900], echo: 0 })
        expect(queried).toEqual([])
        // A well-formed query is served.
        expect(yield* finalStatus(target.port, nested(2))).toEqual({ statuses: [0], echo: 0 })
        expect(queried).toEqual(["find"])
      })
    )
  , 20_000)

  it.live("an identifier over maxIdentifierBytes is answered A900H and not buffered beyond the limit", () =>
    withServer(options, ({ target }) =>
      Effect.gen(function* () {
        queried.length = 0
        const big = new Uint8Array(256 * 1024)
        big.set(level)
        // (0009,0010) LO private creator of 256 KiB - 12 ... a single long element is enough to pass the bound.
        big.set([0x09, 0x00, 0x10, 0x00, 0x55, 0x4e, 0, 0, ...le(big.length - level.length - 12, 4)], level.length)
        const outcome = yield* finalStatus(target.port, big)
        yield* note("C-FIND identifier of 256 KiB (limit 16 KiB)", outcome)
        expect(outcome).toEqual({ statuses: [0xa900], echo: 0 })
        expect(queried).toEqual([])
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 20_000)
})
