/**
 * Our C-FIND / C-MOVE / C-GET SCU against our own server (QueryRetrieve.fromDirectory archive) over
 * the in-memory transport: every level, cancel mid-stream, move to a known AE (a second in-memory
 * server) and to an unknown one, get into the client's store handler.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { Association, DimseFailure, Find, Get, Move, Query } from "@dicomnet/client"
import { Dataset, TransferSyntax } from "@dicomnet/data"
import type { Command } from "@dicomnet/dimse"
import { DicomServer, QueryRetrieve } from "@dicomnet/server"
import { Synth } from "@dicomnet/synth"
import { Dcmtk } from "@dicomnet/testkit"
import { Transport } from "@dicomnet/transport"
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, expect, it } from "@effect/vitest"
import { Effect, Queue, Ref, type Scope, Stream } from "effect"

const CT = "1.2.840.10008.5.1.4.1.1.2"
const DS = Dataset.Dataset
const syntaxes = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
const synth = { patients: 2, studiesPerPatient: 2, seriesPerStudy: 2, instancesPerSeries: 2, rows: 8, columns: 8, seed: "memory" } as const
const instances = Array.from(Synth.study(synth), (i) => i.dataset)
const root = Dcmtk.tempDir("dicomnet-qr-client-")
for (const f of Synth.generate(synth)) {
  const p = join(root.path, f.path)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, f.bytes)
}
afterAll(() => root.cleanup())

const qrContexts = [
  ...QueryRetrieve.sopClasses.find,
  ...QueryRetrieve.sopClasses.move,
  ...QueryRetrieve.sopClasses.get
].map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: syntaxes }))

/** The Q/R server "qr:104" (AE QRSCP) over the archive, and a storage server "dest:104" (AE DEST) recording what it receives. */
const servers = (find?: QueryRetrieve.FindHandler) =>
  Effect.gen(function* () {
    const source = yield* QueryRetrieve.fromDirectory(root.path)
    const received = yield* Ref.make<ReadonlyArray<string>>([])
    yield* DicomServer.make({
      host: "dest",
      port: 104,
      aeTitle: "DEST",
      acceptance: { contexts: [{ abstractSyntax: CT, transferSyntaxes: syntaxes }] },
      handlers: {
        store: (rq) =>
          Effect.gen(function* () {
            const chunks = yield* Stream.runCollect(rq.dataset)
            assert(chunks.reduce((n, c) => n + c.length, 0) > 128)
            yield* Ref.update(received, (all) => [...all, rq.sopInstanceUid])
            return 0
          })
      }
    })
    const queryRetrieve = yield* QueryRetrieve.withTransport({
      find: find ?? source.find,
      retrieve: source.retrieve,
      destinations: { DEST: { host: "dest", port: 104 } },
      aeTitle: "QRSCP"
    })
    yield* DicomServer.make({
      host: "qr",
      port: 104,
      aeTitle: "QRSCP",
      acceptance: { contexts: [...qrContexts, { abstractSyntax: CT, transferSyntaxes: syntaxes }] },
      handlers: { queryRetrieve }
    })
    return { received }
  })

const connect = (extra: Partial<Association.RequestOptions> = {}) =>
  Association.request({ host: "qr", port: 104, calledAeTitle: "QRSCP", contexts: qrContexts, timeouts: { dimse: "10 seconds" }, ...extra })

const run = <A, E>(effect: Effect.Effect<A, E, Transport.Transport | NodeServices.NodeServices | Scope.Scope>) =>
  effect.pipe(Effect.provide([Transport.layerInMemory(), NodeServices.layer]))

describe("C-FIND · our SCU against our SCP (in memory)", () => {
  it.live("finds at every level of both models", () =>
    run(
      Effect.gen(function* () {
        yield* servers()
        const association = yield* connect()
        const patients = yield* Find.findAll(association, { model: "patient", keys: { PatientID: null, PatientName: null } })
        expect(patients.length).toBe(2)
        const studies = yield* Find.findAll(association, { model: "patient", level: "STUDY", keys: { PatientID: patients[0]?.string("PatientID") ?? "", StudyInstanceUID: null } })
        expect(studies.length).toBe(2)
        const series = yield* Find.findAll(association, { model: "study", level: "SERIES", keys: { StudyInstanceUID: studies[0]?.uid("StudyInstanceUID") ?? "", SeriesInstanceUID: null } })
        expect(series.length).toBe(2)
        const images = yield* Find.findAll(association, {
          model: "study",
          level: "IMAGE",
          keys: { StudyInstanceUID: studies[0]?.uid("StudyInstanceUID") ?? "", SeriesInstanceUID: series[0]?.uid("SeriesInstanceUID") ?? "", SOPInstanceUID: null }
        })
        expect(images.length).toBe(2)
        const all = yield* Stream.runCollect(
          Query.patients(association).pipe(
            Stream.flatMap((p) => Query.studies(association, { patientId: p.patientId ?? "" })),
            Stream.flatMap((s) => Query.series(association, s.studyInstanceUid)),
            Stream.flatMap((s) => Query.instances(association, s.studyInstanceUid, s.seriesInstanceUid))
          )
        )
        expect(new Set(all.map((i) => i.sopInstanceUid))).toEqual(new Set(instances.map((d) => d.uid("SOPInstanceUID"))))
      })
    )
  )

  it.live("stopping the stream early sends C-CANCEL: the server's match stream stops and the association goes on", () =>
    run(
      Effect.gen(function* () {
        const produced = yield* Ref.make(0)
        const stops = yield* Queue.unbounded<number>()
        // An endless match stream at STUDY level: only a C-CANCEL ends it.
        const endless: QueryRetrieve.FindHandler = (rq) =>
          Stream.forever(Stream.fromIterable([rq.identifier])).pipe(
            Stream.tap(() => Ref.update(produced, (n) => n + 1)),
            Stream.ensuring(Effect.flatMap(Ref.get(produced), (n) => Queue.offer(stops, n)))
          )
        yield* servers(endless)
        const association = yield* connect()
        const studies = { model: "study", keys: { StudyInstanceUID: null } } as const
        const three = yield* Stream.runCollect(Stream.take(Find.find(association, studies), 3))
        expect(three.length).toBe(3)
        // The server's stream ends (its finalizer runs), which only the cancel can do.
        const first = yield* Queue.take(stops)
        expect(first).toBeGreaterThanOrEqual(3)
        // The same association serves the next C-FIND, and its cancel too.
        const one = yield* Stream.runCollect(Stream.take(Find.find(association, studies), 1))
        expect(one.length).toBe(1)
        expect(yield* Queue.take(stops)).toBeGreaterThan(first)
      })
    )
  )
})

describe("C-FIND · Modality Worklist (PS3.4 Annex K) against our SCP", () => {
  it.live("sends the worklist identifier without a Query/Retrieve Level and streams the scheduled steps", () =>
    run(
      Effect.gen(function* () {
        const seen: Array<QueryRetrieve.QueryRequest<Command.CFindRq>> = []
        const worklist: QueryRetrieve.FindHandler = (rq) => {
          seen.push(rq)
          return Stream.make(
            DS.unsafeFromRecord({ PatientName: "Doe^Jane", ScheduledProcedureStepSequence: [{ Modality: "CT", ScheduledStationAETitle: "CT1" }] }),
            DS.unsafeFromRecord({ PatientName: "Roe^Rick", ScheduledProcedureStepSequence: [{ Modality: "CT", ScheduledStationAETitle: "CT2" }] })
          )
        }
        yield* servers(worklist)
        const association = yield* connect()
        const items = yield* Find.findAll(association, {
          model: "worklist",
          keys: { PatientName: null, ScheduledProcedureStepSequence: [{ Modality: "CT", ScheduledStationAETitle: null }] }
        })
        expect(items.map((i) => i.sequence("ScheduledProcedureStepSequence")?.[0]?.string("ScheduledStationAETitle"))).toEqual(["CT1", "CT2"])
        expect(seen.map((rq) => [rq.model, rq.level, rq.identifier.has("QueryRetrieveLevel")])).toEqual([["worklist", undefined, false]])
        expect(seen[0]?.identifier.sequence("ScheduledProcedureStepSequence")?.[0]?.string("Modality")).toBe("CT")
      })
    )
  )
})

describe("C-MOVE · our SCU against our SCP (in memory)", () => {
  it.live("moves a study to a known AE (a second server): pending progress, then 0000H, instances received", () =>
    run(
      Effect.gen(function* () {
        const { received } = yield* servers()
        const association = yield* connect()
        const study = instances[0]?.uid("StudyInstanceUID") ?? ""
        const progress = yield* Stream.runCollect(Move.move(association, { model: "study", keys: { StudyInstanceUID: study }, destination: "DEST" }))
        expect(progress.map((p) => p.status)).toEqual([0xff00, 0xff00, 0xff00, 0])
        expect(progress.map((p) => p.remaining)).toEqual([3, 2, 1, undefined])
        expect(progress[3]?.completed).toBe(4)
        const expected = instances.filter((i) => i.uid("StudyInstanceUID") === study).map((i) => i.uid("SOPInstanceUID"))
        expect([...(yield* Ref.get(received))].sort()).toEqual(expected.sort())
      })
    )
  )

  it.live("a move to an unknown AE fails with DimseFailure 0xA801", () =>
    run(
      Effect.gen(function* () {
        yield* servers()
        const association = yield* connect()
        const error = yield* Effect.flip(Move.moveAll(association, { model: "study", keys: { StudyInstanceUID: "1.2.3" }, destination: "NOWHERE" }))
        assert(error instanceof DimseFailure)
        expect(error.status).toBe(0xa801)
      })
    )
  )
})

describe("C-GET · our SCU against our SCP (in memory)", () => {
  it.live("gets a study: the C-STORE sub-operations reach the client's store handler on the same association", () =>
    run(
      Effect.gen(function* () {
        yield* servers()
        const stored: Array<string> = []
        const association = yield* connect({
          contexts: Get.contexts({ model: "study", storageSopClasses: [CT] }),
          handlers: {
            store: (rq) =>
              Effect.gen(function* () {
                const chunks = yield* Stream.runCollect(rq.dataset)
                assert(chunks.length > 0)
                stored.push(rq.sopInstanceUid)
                return 0
              })
          }
        })
        const study = instances[4]?.uid("StudyInstanceUID") ?? ""
        const progress = yield* Stream.runCollect(Get.get(association, { model: "study", keys: { StudyInstanceUID: study } }))
        const last = progress[progress.length - 1]
        expect([last?.status, last?.completed, last?.failed]).toEqual([0, 4, 0])
        expect(stored.sort()).toEqual(instances.filter((i) => i.uid("StudyInstanceUID") === study).map((i) => i.uid("SOPInstanceUID") ?? "").sort())
      })
    )
  )

  it.live("Get.toDirectory writes Part 10 files named by SOP Instance UID", () =>
    run(
      Effect.gen(function* () {
        yield* servers()
        const dir = Dcmtk.tempDir("dicomnet-get-mem-")
        const final = yield* Get.retrieve(
          { host: "qr", port: 104, calledAeTitle: "QRSCP", storageSopClasses: [CT] },
          { model: "patient", keys: { PatientID: instances[0]?.string("PatientID") ?? "" } },
          yield* Get.toDirectory(dir.path)
        )
        expect([final.status, final.completed]).toEqual([0, 8])
        expect(readdirSync(dir.path).filter((n) => n.endsWith(".dcm")).length).toBe(8)
        dir.cleanup()
      })
    )
  )
})
