/**
 * The Q/R performers on back-to-back DIMSE sessions (in memory): a requestor session plays the SCU,
 * the performer session runs QueryRetrieve's find / move / get over an archive of synthetic files.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import type { Negotiation } from "@dicomnet/association"
import { Dataset, DatasetCodec, SopClass, TransferSyntax } from "@dicomnet/data"
import { Command, MessageStream, Session, Status } from "@dicomnet/dimse"
import type { PDataTf, Pdv } from "@dicomnet/pdu"
import { Synth } from "@dicomnet/synth"
import { Dcmtk } from "@dicomnet/testkit"
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, expect, it } from "@effect/vitest"
import { type Cause, Data, Deferred, Effect, Queue, Ref, Result, Stream } from "effect"
import * as QueryRetrieve from "../src/QueryRetrieve.js"

class Broken extends Data.TaggedError("Broken")<{ readonly why: string }> {}

const ELE = TransferSyntax.ExplicitVRLittleEndian
const CT = "1.2.840.10008.5.1.4.1.1.2"

/** Two channels wired back to back over bounded queues. */
const wire = Effect.gen(function* () {
  const aIn = yield* Queue.bounded<Session.ChannelIncoming, Broken | Cause.Done>(16)
  const bIn = yield* Queue.bounded<Session.ChannelIncoming, Broken | Cause.Done>(16)
  const channel = (own: typeof aIn, other: typeof aIn): Session.Channel<Broken> => ({
    incoming: Stream.fromQueue(own),
    sendPData: (pdvs: ReadonlyArray<Pdv>) => Effect.asVoid(Queue.offer(other, { _tag: "PData", pdu: { _tag: "PDataTf", pdvs } satisfies PDataTf })),
    peerMaxPduLength: 16384
  })
  return { a: channel(aIn, bIn), b: channel(bIn, aIn) }
})

// Presentation contexts of the tests' associations: 1 Study Root FIND, 3 Patient Root FIND, 5 Study Root MOVE, 7 Study Root GET, 9 CT storage.
const contexts: ReadonlyArray<readonly [number, string]> = [
  [1, SopClass.StudyRootFind],
  [3, SopClass.PatientRootFind],
  [5, SopClass.StudyRootMove],
  [7, SopClass.StudyRootGet],
  [9, CT]
]
const negotiated = {
  acceptedContexts: new Map(contexts.map(([id, abstractSyntax]) => [id, { presentationContextId: id, abstractSyntax, transferSyntax: ELE }]))
} as unknown as Negotiation.Negotiated
const context: QueryRetrieve.PerformContext = {
  association: { peer: "memory", callingAeTitle: "SCU", calledAeTitle: "QRSCP" },
  negotiated
}

const synth = { patients: 2, studiesPerPatient: 2, seriesPerStudy: 2, instancesPerSeries: 2, rows: 8, columns: 8, seed: "mem" } as const
const instances = Array.from(Synth.study(synth), (i) => i.dataset)
const root = Dcmtk.tempDir("dicomnet-qr-mem-")
for (const f of Synth.generate(synth)) {
  const p = join(root.path, f.path)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, f.bytes)
}
afterAll(() => root.cleanup())

const identifier = (record: Dataset.DatasetRecord) => {
  const bytes = DatasetCodec.encode(Dataset.Dataset.unsafeFromRecord(record), ELE)
  assert(Result.isSuccess(bytes))
  return bytes.success
}
const decode = (bytes: Uint8Array | undefined) => {
  assert(bytes !== undefined)
  const ds = DatasetCodec.decode(bytes, ELE)
  assert(Result.isSuccess(ds))
  return ds.success
}

interface Harness {
  readonly scu: Session.Session<Broken>
  readonly stored: Array<{ readonly sopInstanceUid: string; readonly bytes: number }>
}

/** An SCU session (storing what C-GET sends it) against a Q/R performer session over the archive. */
const harness = (
  options: Omit<QueryRetrieve.Options, "find" | "retrieve"> = {},
  wrapFind?: (h: QueryRetrieve.FindHandler) => QueryRetrieve.FindHandler,
  onCancelSeen?: Effect.Effect<void>,
  makeSource: typeof QueryRetrieve.fromDirectory | typeof QueryRetrieve.fromDirectoryIndex = QueryRetrieve.fromDirectory,
  dir: string = root.path
) =>
  Effect.gen(function* () {
    const source = yield* makeSource(dir)
    const performers = QueryRetrieve.performers<Broken>({
      ...options,
      find: wrapFind === undefined ? source.find : wrapFind(source.find),
      retrieve: source.retrieve
    })
    const { a, b } = yield* wire
    const stored: Array<{ readonly sopInstanceUid: string; readonly bytes: number }> = []
    const scu = yield* Session.make(a, {
      onRequest: (rq) =>
        Effect.gen(function* () {
          if (rq.command._tag !== "CStoreRq" || rq.dataset === undefined) return yield* rq.respond(Command.responseTo(rq.command, 0x0211))
          const data = yield* MessageStream.collect(rq.dataset, 1 << 22)
          stored.push({ sopInstanceUid: rq.command.affectedSopInstanceUid, bytes: data.length })
          yield* rq.respond(Command.responseTo(rq.command, Status.Code.Success))
        })
    })
    yield* Session.make(b, {
      onRequest: (rq) =>
        Effect.gen(function* () {
          switch (rq.command._tag) {
            case "CFindRq":
              return yield* (performers.find?.(rq, context) ?? Effect.void)
            case "CMoveRq":
              if (onCancelSeen !== undefined) yield* Effect.forkChild(Effect.andThen(rq.cancelled, onCancelSeen))
              return yield* (performers.move?.(rq, context) ?? Effect.void)
            case "CGetRq":
              return yield* (performers.get?.(rq, context) ?? Effect.void)
            default:
              return yield* rq.respond(Command.responseTo(rq.command, 0x0211))
          }
        })
    })
    return { scu, stored } satisfies Harness
  }).pipe(Effect.provide(NodeServices.layer))

const findRq = (sopClass: string) => Command.cFindRq({ messageId: 0, affectedSopClassUid: sopClass, priority: Command.Priority.Medium })
const find = (scu: Session.Session<Broken>, pc: number, sopClass: string, record: Dataset.DatasetRecord) =>
  Stream.runCollect(scu.request(pc, findRq(sopClass), identifier(record)))

describe("PS3.4 §C.4.1 · C-FIND SCP performer over the archive", () => {
  it.live("answers one pending response per match at each level, then 0000H", () =>
    Effect.gen(function* () {
      const { scu } = yield* harness()
      const patients = yield* find(scu, 3, SopClass.PatientRootFind, { QueryRetrieveLevel: "PATIENT", PatientID: null })
      expect(patients.map((r) => r.command.status)).toEqual([0xff00, 0xff00, 0x0000])
      const studies = yield* find(scu, 1, SopClass.StudyRootFind, { QueryRetrieveLevel: "STUDY", StudyInstanceUID: null })
      expect(studies.filter((r) => r.command.status === 0xff00).length).toBe(4)
      const study = instances[0]?.uid("StudyInstanceUID") ?? ""
      const series = yield* find(scu, 1, SopClass.StudyRootFind, { QueryRetrieveLevel: "SERIES", StudyInstanceUID: study, SeriesInstanceUID: null })
      expect(series.length).toBe(3)
      const images = yield* find(scu, 1, SopClass.StudyRootFind, {
        QueryRetrieveLevel: "IMAGE",
        StudyInstanceUID: study,
        SeriesInstanceUID: decode(series[0]?.dataset).uid("SeriesInstanceUID") ?? "",
        SOPInstanceUID: null
      })
      expect(images.slice(0, 2).map((r) => decode(r.dataset).string("QueryRetrieveLevel"))).toEqual(["IMAGE", "IMAGE"])
      expect(images[2]?.command.status).toBe(0)
    })
  )

  it.live("an identifier without a valid Query/Retrieve Level is answered A900H", () =>
    Effect.gen(function* () {
      const { scu } = yield* harness()
      const replies = yield* find(scu, 1, SopClass.StudyRootFind, { StudyInstanceUID: null })
      expect(replies.map((r) => r.command.status)).toEqual([0xa900])
    })
  )

  it.live("C-CANCEL mid-stream: the handler's stream is stopped and the final status is FE00H", () =>
    Effect.gen(function* () {
      const pulled = yield* Ref.make(0)
      const first = yield* Deferred.make<void>()
      // An endless match stream: only the cancel can end it.
      const endless: QueryRetrieve.FindHandler = (rq) =>
        Stream.forever(Stream.fromIterable([rq.identifier])).pipe(
          Stream.tap(() => Effect.andThen(Ref.update(pulled, (n) => n + 1), Deferred.succeed(first, undefined)))
        )
      const { scu } = yield* harness({}, (archive) => (rq) => (rq.level === "STUDY" ? endless(rq) : archive(rq)))
      const statuses = yield* Effect.scoped(
        Effect.gen(function* () {
          const op = yield* scu.start(1, findRq(SopClass.StudyRootFind), identifier({ QueryRetrieveLevel: "STUDY", StudyInstanceUID: null }))
          yield* Deferred.await(first)
          yield* op.cancel
          return yield* Stream.runCollect(Stream.map(op.replies, (r) => r.command.status))
        })
      )
      expect(statuses[statuses.length - 1]).toBe(0xfe00)
      expect(statuses.slice(0, -1).every((s) => s === 0xff00)).toBe(true)
      const atCancel = yield* Ref.get(pulled)
      // The performer stopped pulling: no match is produced after the final response.
      yield* Effect.yieldNow
      expect(yield* Ref.get(pulled)).toBe(atCancel)
      // The association goes on.
      const again = yield* find(scu, 3, SopClass.PatientRootFind, { QueryRetrieveLevel: "PATIENT", PatientID: null })
      expect(again[again.length - 1]?.command.status).toBe(0)
    })
  )
})

describe("PS3.4 §C.4.1.1.5 · C-FIND Error Comment of a failing handler", () => {
  it.live("a handler that fails is answered C000H with the generic comment \"query failed\", never its own message", () =>
    Effect.gen(function* () {
      const secret = "SELECT * FROM patients WHERE 1=1 -- at db.internal:5432"
      const failing: QueryRetrieve.FindHandler = () => Stream.fail(new Error(secret))
      const { scu } = yield* harness({}, () => failing)
      const replies = yield* find(scu, 1, SopClass.StudyRootFind, { QueryRetrieveLevel: "STUDY", StudyInstanceUID: null })
      expect(replies.map((r) => r.command.status)).toEqual([0xc000])
      expect(replies[0]?.command.errorComment).toBe(QueryRetrieve.findFailedComment)
      expect(QueryRetrieve.findFailedComment).toBe("query failed")
      expect(JSON.stringify(replies[0]?.command)).not.toContain("SELECT")
    })
  )

  it.live("an error that carries a peerComment (text written for the peer) is answered with it", () =>
    Effect.gen(function* () {
      const refusing: QueryRetrieve.FindHandler = () => Stream.fail({ peerComment: "not allowed\there", internal: "secret" })
      const { scu } = yield* harness({}, () => refusing)
      const replies = yield* find(scu, 1, SopClass.StudyRootFind, { QueryRetrieveLevel: "STUDY", StudyInstanceUID: null })
      expect(replies.map((r) => [r.command.status, r.command.errorComment])).toEqual([[0xc000, "not allowed here"]])
    })
  )
})

const moveRq = (destination: string) =>
  Command.cMoveRq({ messageId: 0, affectedSopClassUid: SopClass.StudyRootMove, priority: Command.Priority.Medium, moveDestination: destination })

describe("PS3.4 §C.4.2 · C-MOVE SCP performer", () => {
  it.live("moves a study to a known AE: a pending response per sub-operation, then 0000H with the counts", () =>
    Effect.gen(function* () {
      const received: Array<string> = []
      const connector: QueryRetrieve.Connector = (destination) =>
        Effect.succeed({
          store: (instance, originator) =>
            Effect.gen(function* () {
              expect([destination.aeTitle, destination.port, originator.aeTitle]).toEqual(["DEST", 11112, "SCU"])
              const bytes = yield* Stream.runCollect(instance.dataset)
              expect(bytes.reduce((n, c) => n + c.length, 0)).toBeGreaterThan(128)
              received.push(instance.sopInstanceUid)
              return Status.Code.Success
            })
        })
      const { scu } = yield* harness({ destinations: { DEST: { host: "127.0.0.1", port: 11112 } }, connector })
      const study = instances[0]?.uid("StudyInstanceUID") ?? ""
      const replies = yield* Stream.runCollect(scu.request(5, moveRq("DEST"), identifier({ QueryRetrieveLevel: "STUDY", StudyInstanceUID: study })))
      const rsp = replies.map((r) => r.command as Command.CMoveRsp)
      expect(rsp.map((r) => r.status)).toEqual([0xff00, 0xff00, 0xff00, 0x0000])
      expect(rsp.map((r) => r.numberOfRemainingSuboperations)).toEqual([3, 2, 1, undefined])
      expect(rsp[3]?.numberOfCompletedSuboperations).toBe(4)
      expect(received.sort()).toEqual(
        instances.filter((i) => i.uid("StudyInstanceUID") === study).map((i) => i.uid("SOPInstanceUID") ?? "").sort()
      )
    })
  )

  it.live("a move to an AE not in the table is answered A801H", () =>
    Effect.gen(function* () {
      const { scu } = yield* harness({ destinations: {} })
      const replies = yield* Stream.runCollect(scu.request(5, moveRq("NOBODY"), identifier({ QueryRetrieveLevel: "STUDY", StudyInstanceUID: "1.2" })))
      expect(replies.map((r) => r.command.status)).toEqual([0xa801])
    })
  )

  it.live("sub-operation failures give B000H with the Failed SOP Instance UID List", () =>
    Effect.gen(function* () {
      const study = instances[0]?.uid("StudyInstanceUID") ?? ""
      const bad = instances.find((i) => i.uid("StudyInstanceUID") === study)?.uid("SOPInstanceUID")
      const connector: QueryRetrieve.Connector = () =>
        Effect.succeed({ store: (instance) => Effect.succeed(instance.sopInstanceUid === bad ? 0xa700 : Status.Code.Success) })
      const { scu } = yield* harness({ destinations: { DEST: { host: "h", port: 1 } }, connector })
      const replies = yield* Stream.runCollect(scu.request(5, moveRq("DEST"), identifier({ QueryRetrieveLevel: "STUDY", StudyInstanceUID: study })))
      const last = replies[replies.length - 1]
      const rsp = last?.command as Command.CMoveRsp | undefined
      expect([rsp?.status, rsp?.numberOfCompletedSuboperations, rsp?.numberOfFailedSuboperations]).toEqual([0xb000, 3, 1])
      expect(decode(last?.dataset).strings("FailedSOPInstanceUIDList")).toEqual([bad])
    })
  )
})

describe("PS3.4 §C.4.2.3.1 · C-CANCEL of a C-MOVE", () => {
  it.live("stops before the next sub-operation and answers FE00H with the counts and the remaining number", () =>
    Effect.gen(function* () {
      const firstStored = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const storedUids: Array<string> = []
      const connector: QueryRetrieve.Connector = () =>
        Effect.succeed({
          store: (instance) =>
            Effect.gen(function* () {
              storedUids.push(instance.sopInstanceUid)
              if (storedUids.length === 1) yield* Deferred.succeed(firstStored, undefined)
              else yield* Deferred.await(gate)
              return Status.Code.Success
            })
        })
      const cancelSeen = yield* Deferred.make<void>()
      const { scu } = yield* harness({ destinations: { DEST: { host: "h", port: 1 } }, connector }, undefined, Deferred.succeed(cancelSeen, undefined).pipe(Effect.asVoid))
      const patient = instances[0]?.string("PatientID") ?? ""
      const replies = yield* Effect.scoped(
        Effect.gen(function* () {
          const op = yield* scu.start(5, moveRq("DEST"), identifier({ QueryRetrieveLevel: "PATIENT", PatientID: patient }))
          yield* Deferred.await(firstStored)
          yield* op.cancel
          // The second sub-operation is under way when the cancel arrives: it finishes, then the move stops.
          yield* Deferred.await(cancelSeen)
          yield* Effect.yieldNow
          yield* Deferred.succeed(gate, undefined)
          return yield* Stream.runCollect(op.replies)
        })
      )
      const last = replies[replies.length - 1]?.command as Command.CMoveRsp | undefined
      expect(last?.status).toBe(0xfe00)
      expect(storedUids.length).toBeLessThan(8)
      expect(last?.numberOfCompletedSuboperations).toBe(storedUids.length)
      expect(last?.numberOfRemainingSuboperations).toBe(8 - storedUids.length)
    })
  )
})

describe("PS3.4 §C.4.3 · C-GET SCP performer", () => {
  it.live("sends the series' instances as C-STORE sub-operations on the same association", () =>
    Effect.gen(function* () {
      const { scu, stored } = yield* harness()
      const first = instances[0]
      const rq = Command.cGetRq({ messageId: 0, affectedSopClassUid: SopClass.StudyRootGet, priority: Command.Priority.Medium })
      const replies = yield* Stream.runCollect(
        scu.request(
          7,
          rq,
          identifier({ QueryRetrieveLevel: "SERIES", StudyInstanceUID: first?.uid("StudyInstanceUID") ?? "", SeriesInstanceUID: first?.uid("SeriesInstanceUID") ?? "" })
        )
      )
      expect(replies.map((r) => r.command.status)).toEqual([0xff00, 0x0000])
      const final = replies[1]?.command as Command.CGetRsp | undefined
      expect(final?.numberOfCompletedSuboperations).toBe(2)
      expect(stored.map((s) => s.sopInstanceUid).sort()).toEqual(
        instances.filter((i) => i.uid("SeriesInstanceUID") === first?.uid("SeriesInstanceUID")).map((i) => i.uid("SOPInstanceUID") ?? "").sort()
      )
      expect(stored.every((s) => s.bytes > 128)).toBe(true)
    })
  )
})

describe("QueryRetrieve.fromDirectoryIndex · C-FIND over a directory that keeps growing", () => {
  it.live("each query sees the files written since the previous one", () =>
    Effect.gen(function* () {
      const dir = Dcmtk.tempDir("dicomnet-qr-live-")
      const more = [...Synth.generate({ patients: 1, studiesPerPatient: 1, seriesPerStudy: 1, instancesPerSeries: 3, rows: 8, columns: 8, seed: "live" })]
      const put = (i: number) => {
        const f = more[i]
        assert(f !== undefined)
        const p = join(dir.path, f.path)
        mkdirSync(dirname(p), { recursive: true })
        writeFileSync(p, f.bytes)
      }
      put(0)
      put(1)
      const { scu } = yield* harness({}, undefined, undefined, QueryRetrieve.fromDirectoryIndex, dir.path)
      const query = { QueryRetrieveLevel: "IMAGE", SOPInstanceUID: null }
      const pending = (rsps: ReadonlyArray<{ readonly command: { readonly status: number } }>) => rsps.filter((r) => r.command.status === 0xff00).length
      expect(pending(yield* find(scu, 1, SopClass.StudyRootFind, query))).toBe(2)
      put(2)
      expect(pending(yield* find(scu, 1, SopClass.StudyRootFind, query))).toBe(3)
      dir.cleanup()
    })
  )
})
