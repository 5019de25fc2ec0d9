/**
 * findscu, movescu and getscu: the identifier they build (PS3.4 C.4), and end to end against DCMTK dcmqrscp filled
 * by our storescu (DICOM JSON output, C-MOVE progress to a DCMTK storescp, C-GET into Study/Series folders).
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Json } from "@dicomnet/data"
import { Dcmtk } from "@dicomnet/testkit"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as Query from "../src/Query.js"
import * as Binary from "./support/binary.js"

describe("findscu · the identifier from -k (PS3.4 C.4.1.1.3)", () => {
  const json = (r: ReturnType<typeof Query.identifier>) => {
    if (Result.isFailure(r)) throw new Error(r.failure)
    return Json.toJson(r.success)
  }

  it("keywords and gggg,eeee; an empty value is a return key; the level and its unique key are always there", () => {
    const id = json(Query.identifier("study", "STUDY", ["PatientName=DOE^*", "0008,0020=20240101-", "Modality"], true))
    expect(Object.keys(id).sort()).toEqual(["00080020", "00080052", "00080060", "00100010", "0020000D"])
    expect(id["00100010"]?.Value).toEqual([{ Alphabetic: "DOE^*" }])
    expect(id["00080052"]?.Value).toEqual(["STUDY"])
    expect(id["00080060"]?.Value).toBeUndefined()
  })

  it("without return keys, the level's default return keys are asked for", () => {
    const id = json(Query.identifier("study", "SERIES", ["StudyInstanceUID=1.2.3"], true))
    expect(id["0020000D"]?.Value).toEqual(["1.2.3"])
    expect(Object.keys(id)).toEqual(expect.arrayContaining(["00080060", "0020000E", "00200011"]))
  })

  it("sequence keys Seq[0].Key for a worklist, without Query/Retrieve Level", () => {
    const id = json(Query.identifier("worklist", "STUDY", ["ScheduledProcedureStepSequence[0].Modality=CT", "PatientName"], true))
    expect(id["00080052"]).toBeUndefined()
    const item = id["00400100"]?.Value?.[0] as Record<string, { Value?: ReadonlyArray<unknown> }>
    expect(item["00080060"]?.Value).toEqual(["CT"])
  })

  it("an unknown keyword is a usage error naming it", () => {
    const r = Query.identifier("study", "STUDY", ["PatientNam=X"], true)
    expect(Result.isFailure(r) && r.failure).toMatch(/^-k PatientNam=X: unknown attribute 'PatientNam'/)
  })
})

let work: { readonly path: string; readonly cleanup: () => void }
let qrPort: number
let destPort: number
let dcmqrscp: Dcmtk.Peer
let destination: Dcmtk.Peer
let studyUid: string

beforeAll(async () => {
  work = Dcmtk.tempDir("dicomnet-query-")
  qrPort = await Dcmtk.freePort()
  destPort = await Dcmtk.freePort()
  mkdirSync(join(work.path, "db"))
  mkdirSync(join(work.path, "moved"))
  writeFileSync(
    join(work.path, "qr.cfg"),
    `NetworkTCPPort = ${qrPort}\nMaxPDUSize = 16384\nMaxAssociations = 16\nHostTable BEGIN\ndest = (DEST, 127.0.0.1, ${destPort})\nHostTable END\n` +
      `VendorTable BEGIN\nVendorTable END\nAETable BEGIN\nCOMMON ${join(work.path, "db")} RW (200, 1024mb) ANY\nAETable END\n`
  )
  dcmqrscp = Dcmtk.start("dcmqrscp", ["-c", join(work.path, "qr.cfg")])
  destination = Dcmtk.start("storescp", [String(destPort), "-od", join(work.path, "moved")])
  await Dcmtk.waitForPort(qrPort)
  await Dcmtk.waitForPort(destPort)
  const source = join(work.path, "in")
  const made = await Binary.run(["synth", "--out", source, "--studies", "2", "--series", "2", "--instances", "3", "--rows", "32", "--columns", "32", "--seed", "q"])
  expect(made.code).toBe(0)
  const sent = await Binary.run(["storescu", "127.0.0.1", String(qrPort), "--aec", "COMMON", "-r", source, "-q"])
  expect(sent.stderr).toBe("")
  expect(sent.code).toBe(0)
})

afterAll(async () => {
  await dcmqrscp?.stop()
  await destination?.stop()
  work?.cleanup()
})

describe("dicomnet findscu / movescu / getscu against DCMTK dcmqrscp", () => {
  it("findscu --json: one JSON array in the DICOM JSON model, one object per study", async () => {
    const result = await Binary.run(["findscu", "127.0.0.1", String(qrPort), "--aec", "COMMON", "--json"])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const matches = JSON.parse(result.stdout) as ReadonlyArray<Json.DatasetJson>
    expect(matches).toHaveLength(2)
    for (const m of matches) {
      expect(Result.isSuccess(Json.fromJson(m))).toBe(true)
      expect(m["00080052"]?.Value).toEqual(["STUDY"])
      expect(m["00100010"]?.vr).toBe("PN")
    }
    studyUid = String(matches[0]?.["0020000D"]?.Value?.[0])
    expect(studyUid).toMatch(/^2\.25\./)
  })

  it("findscu at SERIES level, text output: one block per match", async () => {
    const result = await Binary.run(["findscu", "127.0.0.1", String(qrPort), "--aec", "COMMON", "--level", "SERIES", "-k", `StudyInstanceUID=${studyUid}`])
    expect(result.code).toBe(0)
    expect(result.stdout.match(/^Match \d+:$/gm)).toHaveLength(2)
    expect(result.stdout).toMatch(/\(0008,0060\) CS Modality +CT/)
  })

  it("movescu: progress lines per pending response, the study lands at the destination", async () => {
    const result = await Binary.run(["movescu", "127.0.0.1", String(qrPort), "--aec", "COMMON", "--dest", "DEST", "-k", `StudyInstanceUID=${studyUid}`])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^Moving to DEST: 1 completed, 0 failed, 0 warning, 5 remaining$/m)
    expect(result.stdout).toMatch(/^C-MOVE to DEST: Success.*; 6 completed, 0 failed, 0 warning\n$/)
    expect(readdirSync(join(work.path, "moved"))).toHaveLength(6)
  })

  it("getscu --layout study: the study comes back on the same association into Study/Series folders", async () => {
    const out = join(work.path, "got")
    const result = await Binary.run(["getscu", "127.0.0.1", String(qrPort), "--aec", "COMMON", "--out", out, "--layout", "study", "-k", `StudyInstanceUID=${studyUid}`])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^Retrieving: 6 completed, 0 failed, 0 warning, 0 remaining$/m)
    expect(result.stdout).toMatch(/^C-GET: Success.*; 6 completed, 0 failed, 0 warning; 6 file\(s\) written to /)
    expect(readdirSync(out)).toEqual([studyUid])
    const series = readdirSync(join(out, studyUid))
    expect(series).toHaveLength(2)
    expect(series.flatMap((s) => readdirSync(join(out, studyUid, s)))).toHaveLength(6)
  })

  it("movescu to an AE the peer does not know: exit 6 with the status", async () => {
    const result = await Binary.run(["movescu", "127.0.0.1", String(qrPort), "--aec", "COMMON", "--dest", "NOBODY", "-k", `StudyInstanceUID=${studyUid}`])
    expect(result.code).toBe(6)
    expect(result.stderr).toMatch(/C-MOVE failed with status .*0xA801/)
  })
})
