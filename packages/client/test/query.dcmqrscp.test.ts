/**
 * Our C-FIND / C-MOVE / C-GET SCU against DCMTK 3.6.7's dcmqrscp, configured by the test: a storage
 * area in a temporary directory, an AE table entry for the move destination (DCMTK storescp), loaded
 * with synthetic instances through DCMTK storescu. DCMTK must be installed (fails, never skips).
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Association } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { Synth } from "@dicomnet/synth"
import { Dcmtk } from "@dicomnet/testkit"
import { NodeTransport } from "@dicomnet/transport-node"
import { NodeServices } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Find from "../src/Find.js"
import * as Get from "../src/Get.js"
import * as Move from "../src/Move.js"
import * as Query from "../src/Query.js"

const synth = { patients: 2, studiesPerPatient: 2, seriesPerStudy: 2, instancesPerSeries: 2, rows: 8, columns: 8, seed: "qr" } as const
const files = [...Synth.generate(synth)]

interface Setup {
  readonly qrPort: number
  readonly destPort: number
  readonly qr: Dcmtk.Peer
  readonly dest: Dcmtk.Peer
  readonly root: { readonly path: string; readonly cleanup: () => void }
  readonly received: string
}

let setup: Setup

beforeAll(async () => {
  const root = Dcmtk.tempDir("dicomnet-qr-")
  const storage = join(root.path, "storage")
  const input = join(root.path, "input")
  const received = join(root.path, "received")
  for (const d of [storage, input, received]) mkdirSync(d, { recursive: true })
  const [qrPort, destPort] = [await Dcmtk.freePort(), await Dcmtk.freePort()]
  const config = [
    `NetworkTCPPort = ${qrPort}`,
    "MaxPDUSize = 16384",
    "MaxAssociations = 16",
    "HostTable BEGIN",
    `ourdest = (OURDEST, 127.0.0.1, ${destPort})`,
    "HostTable END",
    "VendorTable BEGIN",
    "VendorTable END",
    "AETable BEGIN",
    `QRSCP ${storage} RW (100, 1024mb) ANY`,
    "AETable END",
    ""
  ].join("\n")
  writeFileSync(join(root.path, "dcmqrscp.cfg"), config)
  const qr = Dcmtk.start("dcmqrscp", ["-c", join(root.path, "dcmqrscp.cfg"), String(qrPort)])
  const dest = Dcmtk.start("storescp", ["-aet", "OURDEST", "-od", received, String(destPort)])
  await Promise.all([Dcmtk.waitForPort(qrPort), Dcmtk.waitForPort(destPort)])
  const paths = files.map((f, i) => {
    const p = join(input, `${i}.dcm`)
    writeFileSync(p, f.bytes)
    return p
  })
  const stored = await Dcmtk.run("storescu", ["-aec", "QRSCP", "127.0.0.1", String(qrPort), ...paths])
  if (stored.code !== 0) throw new Error(`storescu into dcmqrscp failed: ${stored.stderr}${qr.output()}`)
  setup = { qrPort, destPort, qr, dest, root, received }
}, 60_000)

afterAll(async () => {
  await Promise.all([setup?.qr.stop(), setup?.dest.stop()])
  setup?.root.cleanup()
})

const contexts = [
  { abstractSyntax: SopClass.PatientRootFind },
  { abstractSyntax: SopClass.StudyRootFind },
  { abstractSyntax: SopClass.StudyRootMove },
  { abstractSyntax: SopClass.PatientRootMove }
]

const synthInstances = Array.from(Synth.study(synth), (i) => i.dataset)

const withQr = <A, E>(body: (association: Association.Association) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const association = yield* Association.request({
        host: "127.0.0.1",
        port: setup.qrPort,
        callingAeTitle: "OURDEST",
        calledAeTitle: "QRSCP",
        contexts,
        timeouts: { artim: "10 seconds", dimse: "20 seconds" }
      })
      return yield* body(association)
    })
  ).pipe(Effect.provide(NodeTransport.layerTcp()))

describe("C-FIND SCU · against DCMTK dcmqrscp", () => {
  it.live("Patient Root, PATIENT level: one identifier per patient", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const matches = yield* Find.findAll(association, { model: "patient", keys: { PatientID: null, PatientName: null } })
        expect(matches.length).toBe(2)
        expect(new Set(matches.map((m) => m.string("PatientID")))).toEqual(new Set(Array.from(Synth.study(synth), (i) => i.dataset.string("PatientID"))))
      })
    )
  )

  it.live("Study Root at STUDY, SERIES and IMAGE levels, narrowing by unique keys", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const studies = yield* Find.findAll(association, { model: "study", keys: { StudyInstanceUID: null, PatientID: null } })
        expect(studies.length).toBe(4)
        const study = studies[0]?.uid("StudyInstanceUID") ?? ""
        const series = yield* Find.findAll(association, { model: "study", level: "SERIES", keys: { StudyInstanceUID: study, SeriesInstanceUID: null } })
        expect(series.length).toBe(2)
        const images = yield* Find.findAll(association, {
          model: "study",
          level: "IMAGE",
          keys: { StudyInstanceUID: study, SeriesInstanceUID: series[0]?.uid("SeriesInstanceUID") ?? "", SOPInstanceUID: null }
        })
        expect(images.length).toBe(2)
        const expected = Array.from(Synth.study(synth))
          .filter((i) => i.dataset.uid("SeriesInstanceUID") === series[0]?.uid("SeriesInstanceUID"))
          .map((i) => i.dataset.uid("SOPInstanceUID"))
        expect(new Set(images.map((i) => i.uid("SOPInstanceUID")))).toEqual(new Set(expected))
      })
    )
  )

  it.live("Patient Root, STUDY level with a wildcard on the patient's name", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const first = Array.from(Synth.study(synth))[0]?.dataset
        const name = first?.string("PatientName") ?? ""
        const matches = yield* Find.findAll(association, {
          model: "patient",
          level: "STUDY",
          keys: { PatientID: first?.string("PatientID") ?? "", PatientName: `${name.slice(0, 2)}*`, StudyInstanceUID: null }
        })
        expect(matches.length).toBe(2)
        expect(matches.every((m) => m.string("PatientName") === name)).toBe(true)
      })
    )
  )

  it.live("taking the first match only leaves the association usable (C-CANCEL or drained)", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const one = yield* Stream.runCollect(Stream.take(Find.find(association, { model: "study", keys: { StudyInstanceUID: null } }), 1))
        expect(one.length).toBe(1)
        const all = yield* Find.findAll(association, { model: "patient", keys: { PatientID: null } })
        expect(all.length).toBe(2)
      })
    )
  )
})

describe("C-MOVE SCU · against DCMTK dcmqrscp", () => {
  it.live("moves a study to a known AE (storescp) with pending progress, then 0000H", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const first = Array.from(Synth.study(synth))[0]?.dataset
        const study = first?.uid("StudyInstanceUID") ?? ""
        const progress = yield* Stream.runCollect(Move.move(association, { model: "study", keys: { StudyInstanceUID: study }, destination: "OURDEST" }))
        const last = progress[progress.length - 1]
        expect(last?.final).toBe(true)
        expect(last?.status).toBe(0)
        expect(last?.completed).toBe(4)
        expect(progress.filter((p) => !p.final).length).toBeGreaterThan(0)
        const expected = Array.from(Synth.study(synth))
          .filter((i) => i.dataset.uid("StudyInstanceUID") === study)
          .map((i) => i.dataset.uid("SOPInstanceUID"))
        const got = readdirSync(setup.received).map((n) => n.replace(/^[A-Z]{2}\./, "").replace(/\.dcm$/, ""))
        for (const uid of expected) expect(got).toContain(uid)
      })
    )
  )

  it.live("a move to an unknown AE fails with DimseFailure 0xA801", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Move.moveAll(association, {
            model: "patient",
            keys: { PatientID: Array.from(Synth.study(synth))[0]?.dataset.string("PatientID") ?? "" },
            destination: "NOBODY"
          }))
        expect(error._tag).toBe("DimseFailure")
        if (error._tag === "DimseFailure") expect(error.status).toBe(0xa801)
      })
    )
  )
})

describe("Query helpers · patients -> studies -> series -> instances against dcmqrscp", () => {
  it.live("composes with Stream.flatMap down to every instance of every patient", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const all = yield* Stream.runCollect(
          Query.patients(association).pipe(
            Stream.flatMap((p) => Query.studies(association, { patientId: p.patientId ?? "" })),
            Stream.flatMap((study) => Query.series(association, study.studyInstanceUid)),
            Stream.flatMap((s) => Query.instances(association, s.studyInstanceUid, s.seriesInstanceUid))
          )
        )
        expect(all.length).toBe(16)
        expect(new Set(all.map((i) => i.sopInstanceUid))).toEqual(new Set(synthInstances.map((d) => d.uid("SOPInstanceUID"))))
        expect(all.every((i) => typeof i.instanceNumber === "number")).toBe(true)
      })
    )
  )

  it.live("studies carry typed fields; a filter on the study date range narrows them", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const every = yield* Stream.runCollect(Query.studies(association))
        expect(every.length).toBe(4)
        const date = every[0]?.studyDate ?? ""
        const some = yield* Stream.runCollect(Query.studies(association, { studyDate: `${date}-${date}` }))
        expect(some.length).toBeGreaterThan(0)
        expect(some.every((s) => s.studyDate === date)).toBe(true)
      })
    )
  )

  it.live("moveTo a series given only its UID (the study is looked up), and a list of instances", () =>
    withQr((association) =>
      Effect.gen(function* () {
        const target = synthInstances[5]
        const seriesUid = target?.uid("SeriesInstanceUID") ?? ""
        const bySeries = yield* Stream.runCollect(Query.moveTo(association, "OURDEST", { seriesUid }))
        expect(bySeries[bySeries.length - 1]?.completed).toBe(2)
        const uids = [synthInstances[8]?.uid("SOPInstanceUID") ?? ""]
        const byInstances = yield* Stream.runCollect(Query.moveTo(association, "OURDEST", { sopInstanceUids: uids }))
        const last = byInstances[byInstances.length - 1]
        expect([last?.status, last?.completed]).toEqual([0, 1])
      })
    )
  )
})

describe("C-GET SCU · against DCMTK dcmqrscp", () => {
  it.live("gets a series back on the same association into a directory (Part 10 files, SCP role negotiated)", () =>
    Effect.gen(function* () {
      const dir = Dcmtk.tempDir("dicomnet-get-")
      const target = synthInstances[2]
      const store = yield* Get.toDirectory(dir.path)
      const final = yield* Get.retrieve(
        { host: "127.0.0.1", port: setup.qrPort, callingAeTitle: "OURDEST", calledAeTitle: "QRSCP", timeouts: { dimse: "20 seconds" } },
        {
          model: "study",
          level: "SERIES",
          keys: { StudyInstanceUID: target?.uid("StudyInstanceUID") ?? "", SeriesInstanceUID: target?.uid("SeriesInstanceUID") ?? "" }
        },
        store
      )
      expect([final.status, final.completed, final.failed]).toEqual([0, 2, 0])
      const expected = synthInstances
        .filter((i) => i.uid("SeriesInstanceUID") === target?.uid("SeriesInstanceUID"))
        .map((i) => `${i.uid("SOPInstanceUID")}.dcm`)
      expect(readdirSync(dir.path).sort()).toEqual(expected.sort())
      // Each file is a Part 10 file DCMTK reads, with the instance's UID.
      for (const name of expected) {
        const dump = yield* Effect.promise(() => Dcmtk.run("dcmdump", ["-q", "+P", "SOPInstanceUID", join(dir.path, name)]))
        expect([dump.code, dump.stderr]).toEqual([0, ""])
        expect(dump.stdout).toContain(name.replace(/\.dcm$/, ""))
      }
      dir.cleanup()
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )
})
