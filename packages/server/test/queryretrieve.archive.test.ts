import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Dataset, Part10 } from "@dicomnet/data"
import { Synth } from "@dicomnet/synth"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as Archive from "../src/archive/Archive.js"
import * as Matching from "../src/archive/Matching.js"

const DS = Dataset.Dataset

const instance = (record: Dataset.DatasetRecord, n: number): Archive.Instance => {
  const sop = `1.2.3.9.${n}`
  const ds = DS.unsafeFromRecord({ SOPClassUID: "1.2.840.10008.5.1.4.1.1.2", SOPInstanceUID: sop, ...record })
  const bytes = Part10.encodeFile({ mediaStorageSopClassUid: "1.2.840.10008.5.1.4.1.1.2", mediaStorageSopInstanceUid: sop, transferSyntaxUid: "1.2.840.10008.1.2.1" }, ds)
  assert(Result.isSuccess(bytes))
  const i = Archive.instanceOf(`/x/${sop}.dcm`, bytes.success)
  assert(Result.isSuccess(i))
  return i.success
}

const key = (vr: string, ...values: Array<string>): Matching.Key => ({ tag: 0x00100010, vr, values })
const strings = (ds: Dataset.Dataset) => (k: string) => ds.string(k)

describe("PS3.4 §C.2.2.2 · attribute matching", () => {
  it("§C.2.2.2.3 universal matching: an empty key matches anything, even an absent attribute", () => {
    expect(Matching.matches(key("PN"), DS.empty)).toBe(true)
  })
  it("§C.2.2.2.1 single value matching: exact for text, case-insensitive for PN", () => {
    const ds = DS.unsafeFromRecord({ PatientName: "Doe^John" })
    expect(Matching.matches(key("PN", "Doe^John"), ds)).toBe(true)
    expect(Matching.matches(key("PN", "doe^john"), ds)).toBe(true)
    expect(Matching.matches(key("PN", "Doe"), ds)).toBe(false)
    expect(Matching.matches(key("PN", "Doe"), DS.empty)).toBe(false)
  })
  it("§C.2.2.2.4 wildcard matching: * any run, ? one character", () => {
    const ds = DS.unsafeFromRecord({ PatientName: "Doe^John" })
    expect(Matching.matches(key("PN", "Do*"), ds)).toBe(true)
    expect(Matching.matches(key("PN", "D?e^J*n"), ds)).toBe(true)
    expect(Matching.matches(key("PN", "D?^*"), ds)).toBe(false)
    expect(Matching.matches(key("PN", "*"), ds)).toBe(true)
    expect(Matching.wildcard("a.b*").test("axb")).toBe(false) // regex characters are literal
  })
  it("§C.2.2.2.5 range matching for DA and TM: closed, open below, open above", () => {
    const da = (v: string) => ({ tag: 0x00080020, vr: "DA", values: [v] })
    const ds = DS.unsafeFromRecord({ StudyDate: "20240115", StudyTime: "101530.25" })
    expect(Matching.matches(da("20240101-20240131"), ds)).toBe(true)
    expect(Matching.matches(da("20240116-"), ds)).toBe(false)
    expect(Matching.matches(da("-20240115"), ds)).toBe(true)
    expect(Matching.matches(da("20240115"), ds)).toBe(true)
    const tm = (v: string) => ({ tag: 0x00080030, vr: "TM", values: [v] })
    expect(Matching.matches(tm("1000-1015"), ds)).toBe(true) // 10:15 covers 10:15:30.25
    expect(Matching.matches(tm("1016-"), ds)).toBe(false)
  })
  it("§C.2.2.2.2 list of UID matching: any of the UIDs", () => {
    const ds = DS.unsafeFromRecord({ StudyInstanceUID: "1.2.3" })
    const k = { tag: 0x0020000d, vr: "UI", values: ["1.2.4", "1.2.3"] }
    expect(Matching.matches(k, ds)).toBe(true)
    expect(Matching.matches({ ...k, values: ["1.2.4"] }, ds)).toBe(false)
  })
})

describe("PS3.4 §C.2.2.2 · keys an exact-value index may answer", () => {
  const k = (vr: string, ...values: Array<string>): Matching.Key => ({ tag: 0x00100020, vr, values })
  it("single value matching without wildcards and list of UID matching are plain equality", () => {
    expect(Matching.exactValues(k("UI", "1.2.3", "1.2.4"))).toEqual(["1.2.3", "1.2.4"])
    expect(Matching.exactValues(k("LO", "P1"))).toEqual(["P1"])
    expect(Matching.exactValues(k("CS", "CT"))).toEqual(["CT"])
  })
  it("universal, wildcard, range and PN (case-insensitive) keys are not", () => {
    expect(Matching.exactValues(k("LO"))).toBeUndefined()
    expect(Matching.exactValues(k("LO", "P*"))).toBeUndefined()
    expect(Matching.exactValues(k("CS", "C?"))).toBeUndefined()
    expect(Matching.exactValues(k("DA", "20240101"))).toBeUndefined()
    expect(Matching.exactValues(k("TM", "1000-1100"))).toBeUndefined()
    expect(Matching.exactValues(k("PN", "Doe^John"))).toBeUndefined()
  })
  it("matchesValues is matches on already decoded values", () => {
    expect(Matching.matchesValues(k("LO", "P1"), ["P0", "P1"])).toBe(true)
    expect(Matching.matchesValues(k("LO", "P1"), undefined)).toBe(false)
    expect(Matching.matchesValues(k("LO", "P1"), [])).toBe(false)
    expect(Matching.matchesValues(k("LO"), undefined)).toBe(true)
  })
})

describe("PS3.4 §C.6 · archive index: Patient Root and Study Root queries", () => {
  const files = [...Synth.generate({ patients: 2, studiesPerPatient: 2, seriesPerStudy: 2, instancesPerSeries: 2, rows: 8, columns: 8 })]
  const archive = Archive.make(
    files.map((f) => {
      const i = Archive.instanceOf(f.path, f.bytes)
      assert(Result.isSuccess(i))
      return i.success
    })
  )
  const all = archive.instances

  it("indexes UIDs, transfer syntax and short attributes only (no pixel data)", () => {
    expect(all.length).toBe(16)
    const first = all[0]
    assert(first !== undefined)
    expect(first.sopInstanceUid).toBe(files[0]?.sopInstanceUid)
    expect(first.transferSyntaxUid).toBe("1.2.840.10008.1.2.1")
    expect(first.attributes.has(0x7fe00010)).toBe(false)
    expect(first.datasetOffset).toBeGreaterThan(132)
  })

  it("PATIENT level: one response per patient, with requested keys filled and computed counts", () => {
    const rsp = archive.find("PATIENT", DS.unsafeFromRecord({ PatientID: null, PatientName: null, NumberOfPatientRelatedStudies: null, NumberOfPatientRelatedInstances: null }), "patient")
    expect(rsp.length).toBe(2)
    for (const r of rsp) {
      expect(r.string("QueryRetrieveLevel")).toBe("PATIENT")
      expect(r.string("PatientName")).toMatch(/\^/)
      expect(r.number("NumberOfPatientRelatedStudies")).toBe(2)
      expect(r.number("NumberOfPatientRelatedInstances")).toBe(8)
    }
  })

  it("STUDY level under Study Root with a wildcard on the patient's name", () => {
    const name = all[0]?.attributes.string("PatientName") ?? ""
    const rsp = archive.find("STUDY", DS.unsafeFromRecord({ PatientName: `${name.slice(0, 3)}*`, StudyInstanceUID: null, ModalitiesInStudy: null, NumberOfStudyRelatedSeries: null }))
    expect(rsp.length).toBe(2)
    for (const r of rsp) {
      expect(r.string("PatientName")).toBe(name)
      expect(r.strings("ModalitiesInStudy")).toEqual(["CT"])
      expect(r.number("NumberOfStudyRelatedSeries")).toBe(2)
    }
  })

  it("SERIES and IMAGE levels below a study, with the unique keys of the levels above returned", () => {
    const study = all[0]?.attributes.uid("StudyInstanceUID")
    const series = archive.find("SERIES", DS.unsafeFromRecord({ StudyInstanceUID: study ?? "", SeriesInstanceUID: null, Modality: null }), "patient")
    expect(series.length).toBe(2)
    expect(series.map(strings).map((s) => s("PatientID"))).toEqual([all[0]?.attributes.string("PatientID"), all[0]?.attributes.string("PatientID")])
    const images = archive.find("IMAGE", DS.unsafeFromRecord({ StudyInstanceUID: study ?? "", SeriesInstanceUID: series[0]?.uid("SeriesInstanceUID") ?? "", SOPInstanceUID: null }))
    expect(images.length).toBe(2)
    expect(images.every((i) => i.string("QueryRetrieveLevel") === "IMAGE")).toBe(true)
  })

  it("a computed key with a value filters (ModalitiesInStudy=MR matches no CT study)", () => {
    expect(archive.find("STUDY", DS.unsafeFromRecord({ ModalitiesInStudy: "MR" })).length).toBe(0)
    expect(archive.find("STUDY", DS.unsafeFromRecord({ ModalitiesInStudy: "CT" })).length).toBe(4)
  })

  it("select: the instances a retrieve of a study, a series or a list of SOP Instance UIDs covers", () => {
    const study = all[0]?.attributes.uid("StudyInstanceUID") ?? ""
    expect(archive.select("STUDY", DS.unsafeFromRecord({ StudyInstanceUID: study })).length).toBe(4)
    const two = [all[3]?.sopInstanceUid ?? "", all[9]?.sopInstanceUid ?? ""]
    expect(archive.select("IMAGE", DS.unsafeFromRecord({ SOPInstanceUID: two })).map((i) => i.sopInstanceUid)).toEqual(two)
  })

  it("the value index and the decoded-value cache answer exactly what matching every instance answers", () => {
    // Every instance checked against the keys at or above the level (no computed keys here).
    const order: ReadonlyArray<Archive.Level> = ["PATIENT", "STUDY", "SERIES", "IMAGE"]
    const brute = (level: Archive.Level, identifier: Dataset.Dataset) => {
      const keys = Matching.keysOf(identifier).filter((k) => order.indexOf(Archive.levelOf(k.tag)) <= order.indexOf(level))
      return all.filter((i) => Matching.matchesAll(keys, i.attributes))
    }
    const first = all[0]
    const last = all[all.length - 1]
    assert(first !== undefined && last !== undefined)
    const a = first.attributes
    const identifiers: ReadonlyArray<readonly [Archive.Level, Dataset.Dataset]> = [
      ["IMAGE", DS.unsafeFromRecord({ StudyInstanceUID: a.uid("StudyInstanceUID") ?? "", SeriesInstanceUID: a.uid("SeriesInstanceUID") ?? "", SOPInstanceUID: null })],
      // A list of UIDs in reverse archive order: the answers still come in archive order.
      ["IMAGE", DS.unsafeFromRecord({ SOPInstanceUID: [last.sopInstanceUid, first.sopInstanceUid] })],
      // An exact key narrows, the wildcard key is still checked on the candidates.
      ["STUDY", DS.unsafeFromRecord({ PatientID: a.string("PatientID") ?? "", PatientName: "Nobody*", StudyInstanceUID: null })],
      ["STUDY", DS.unsafeFromRecord({ PatientID: a.string("PatientID") ?? "", PatientName: `${(a.string("PatientName") ?? "").slice(0, 2)}*`, StudyInstanceUID: null })],
      // A value no instance has.
      ["SERIES", DS.unsafeFromRecord({ StudyInstanceUID: "9.9.9", SeriesInstanceUID: null })],
      // Two exact keys that contradict each other.
      ["IMAGE", DS.unsafeFromRecord({ StudyInstanceUID: a.uid("StudyInstanceUID") ?? "", SOPInstanceUID: last.sopInstanceUid })]
    ]
    for (const [level, identifier] of identifiers) {
      const expected = brute(level, identifier).map((i) => i.sopInstanceUid)
      // Twice: the second query is answered from the index and the cache built by the first.
      expect(archive.select(level, identifier).map((i) => i.sopInstanceUid)).toEqual(expected)
      expect(archive.select(level, identifier).map((i) => i.sopInstanceUid)).toEqual(expected)
    }
    expect(archive.select("IMAGE", identifiers[1]?.[1] ?? DS.empty).map((i) => i.sopInstanceUid)).toEqual([first.sopInstanceUid, last.sopInstanceUid])
    expect(archive.select("IMAGE", identifiers[5]?.[1] ?? DS.empty)).toEqual([])
    expect(archive.select("STUDY", identifiers[3]?.[1] ?? DS.empty).length).toBe(8)
    expect(archive.find("STUDY", identifiers[3]?.[1] ?? DS.empty).length).toBe(2)
    expect(archive.select("STUDY", identifiers[2]?.[1] ?? DS.empty)).toEqual([])
  })

  it("date range at STUDY level", () => {
    const a = instance({ PatientID: "P", StudyInstanceUID: "1.1", StudyDate: "20200101" }, 1)
    const b = instance({ PatientID: "P", StudyInstanceUID: "1.2", StudyDate: "20230101" }, 2)
    const small = Archive.make([a, b])
    expect(small.find("STUDY", DS.unsafeFromRecord({ StudyDate: "20220101-" })).map((r) => r.uid("StudyInstanceUID"))).toEqual(["1.2"])
  })
})

describe("Archive.directoryIndex · a directory a storage SCP keeps writing into", () => {
  const files = [...Synth.generate({ patients: 1, studiesPerPatient: 1, seriesPerStudy: 1, instancesPerSeries: 3, rows: 8, columns: 8, seed: "dir" })]
  const uids = (archive: Archive.Archive) => archive.instances.map((i) => i.sopInstanceUid).sort()
  const expected = (...n: Array<number>) => n.map((i) => files[i]?.sopInstanceUid ?? "").sort()

  it.effect("reads new and changed files only, drops removed ones, and keeps the same index when nothing changed", () => {
    const dir = mkdtempSync(join(tmpdir(), "dicomnet-dirindex-"))
    const at = (i: number) => join(dir, "sub", `${i}.dcm`)
    const put = (path: string, i: number, mtime: number) => {
      writeFileSync(path, files[i]?.bytes ?? new Uint8Array(0))
      utimesSync(path, mtime, mtime)
    }
    mkdirSync(join(dir, "sub"))
    put(at(0), 0, 1_000)
    put(at(1), 1, 1_000)
    writeFileSync(join(dir, "README.txt"), "not DICOM")
    return Effect.gen(function* () {
      const index = yield* Archive.directoryIndex(dir)
      const first = yield* index.refresh
      expect(uids(first)).toEqual(expected(0, 1))
      // Nothing changed: the same index, with the caches its queries built.
      expect(yield* index.refresh).toBe(first)
      put(at(2), 2, 1_000)
      const added = yield* index.refresh
      expect(added).not.toBe(first)
      expect(uids(added)).toEqual(expected(0, 1, 2))
      rmSync(at(0))
      expect(uids(yield* index.refresh)).toEqual(expected(1, 2))
      // Rewritten in place (another instance's bytes, a new modification time): read again.
      put(at(1), 0, 2_000)
      expect(uids(yield* index.refresh)).toEqual(expected(0, 2))
    }).pipe(
      Effect.provide(NodeServices.layer),
      Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    )
  })
})
