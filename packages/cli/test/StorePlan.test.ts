/**
 * storescu's planning and file recognition: contexts from the files, studies kept together, balanced workers,
 * at most 128 contexts per association; DICOM recognized by content.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Element, Part10, SopClass, TransferSyntax } from "@dicomnet/data"
import { Synth } from "@dicomnet/synth"
import { Dcmtk } from "@dicomnet/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as Inputs from "../src/Inputs.js"
import * as Progress from "../src/Progress.js"
import * as StorePlan from "../src/StorePlan.js"

const CT = "1.2.840.10008.5.1.4.1.1.2"
const MR = "1.2.840.10008.5.1.4.1.1.4"
const JPEG_LOSSLESS = "1.2.840.10008.1.2.4.70"

const file = (path: string, study: string, size: number, sopClassUid = CT, transferSyntaxUid: string = TransferSyntax.ExplicitVRLittleEndian) => ({
  path,
  size,
  sopClassUid,
  transferSyntaxUid,
  studyInstanceUid: study
})

describe("storescu · presentation contexts from the files", () => {
  it("one context per SOP class for uncompressed files: their syntaxes first, then Explicit and Implicit VR LE", () => {
    const contexts = StorePlan.contextsFor([
      file("a", "1", 1, CT, TransferSyntax.ExplicitVRBigEndian),
      file("b", "1", 1, CT, TransferSyntax.ExplicitVRBigEndian),
      file("c", "1", 1, CT, TransferSyntax.ImplicitVRLittleEndian),
      file("d", "1", 1, MR)
    ])
    expect(contexts).toEqual([
      {
        abstractSyntax: CT,
        transferSyntaxes: [TransferSyntax.ExplicitVRBigEndian, TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian]
      },
      { abstractSyntax: MR, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] }
    ])
  })

  it("a compressed transfer syntax gets a context of its own (sent as is, no fallback)", () => {
    const contexts = StorePlan.contextsFor([file("a", "1", 1, CT, JPEG_LOSSLESS), file("b", "1", 1, CT)])
    expect(contexts).toContainEqual({ abstractSyntax: CT, transferSyntaxes: [JPEG_LOSSLESS] })
    expect(contexts).toHaveLength(2)
  })
})

describe("storescu · studies, workers and associations", () => {
  it("groups files by Study Instance UID; files without one travel alone", () => {
    const groups = StorePlan.byStudy([file("a", "1", 10), file("b", "2", 5), file("c", "1", 10), file("d", "", 1), file("e", "", 1)])
    expect(groups.map((g) => g.files.map((f) => f.path))).toEqual([["a", "c"], ["b"], ["d"], ["e"]])
    expect(groups[0]?.bytes).toBe(20)
  })

  it("spreads studies largest first over the least loaded worker, never splitting a study", () => {
    const studies = StorePlan.byStudy([
      ...Array.from({ length: 7 }, (_, i) => file(`a${i}`, "A", 10)), // 70
      ...Array.from({ length: 5 }, (_, i) => file(`b${i}`, "B", 10)), // 50
      ...Array.from({ length: 4 }, (_, i) => file(`c${i}`, "C", 10)), // 40
      ...Array.from({ length: 3 }, (_, i) => file(`d${i}`, "D", 10)) // 30
    ])
    const lanes = StorePlan.distribute(studies, 2)
    expect(lanes.map((l) => l.map((s) => s.studyInstanceUid))).toEqual([["A", "D"], ["B", "C"]])
    expect(lanes.map((l) => l.reduce((n, s) => n + s.bytes, 0))).toEqual([100, 90])
  })

  it("more workers than studies leaves the extra workers empty", () => {
    const lanes = StorePlan.distribute(StorePlan.byStudy([file("a", "1", 1)]), 4)
    expect(lanes.map((l) => l.length)).toEqual([1, 0, 0, 0])
  })

  it("cuts a worker's studies into associations of at most 128 contexts (PS3.8 §9.3.2.2)", () => {
    // 200 studies of one file each, each of its own SOP class: 200 contexts needed.
    const files = Array.from({ length: 200 }, (_, i) => file(`f${i}`, `s${i}`, 1, `1.2.3.${i}`))
    const batches = StorePlan.batches(StorePlan.byStudy(files))
    expect(batches.map((b) => b.contexts.length)).toEqual([128, 72])
    expect(batches.flatMap((b) => b.files.map((f) => f.path))).toEqual(files.map((f) => f.path))
  })

  it("a study needing more than 128 contexts is cut by files", () => {
    const files = Array.from({ length: 130 }, (_, i) => file(`f${i}`, "one", 1, `1.2.3.${i}`))
    const batches = StorePlan.batches(StorePlan.byStudy(files))
    expect(batches.map((b) => b.files.length)).toEqual([128, 2])
  })
})

describe("storescu · DICOM recognized by content, not by name", () => {
  it.effect("Part 10, a bare data set, DICOMDIR, text and an empty file", () =>
    Effect.gen(function*() {
      const dir = Dcmtk.tempDir("dicomnet-inputs-")
      try {
        const [instance] = Synth.generate({ instancesPerSeries: 1, rows: 16, columns: 16 })
        if (instance === undefined) throw new Error("no instance")
        const meta = Part10.readMeta(instance.bytes)
        if (Result.isFailure(meta)) throw meta.failure
        mkdirSync(join(dir.path, "sub"))
        writeFileSync(join(dir.path, "image.bin"), instance.bytes) // no .dcm: found by content
        writeFileSync(join(dir.path, "sub", "raw"), instance.bytes.subarray(meta.success.datasetOffset)) // no preamble, no meta
        const dicomdirMeta = Part10.encodeMeta({
          mediaStorageSopClassUid: "1.2.840.10008.1.3.10",
          mediaStorageSopInstanceUid: "1.2.3.4",
          transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian
        })
        writeFileSync(join(dir.path, "DICOMDIR"), dicomdirMeta)
        writeFileSync(join(dir.path, "notes.txt"), "Hello, this is not DICOM at all.\n")
        writeFileSync(join(dir.path, "empty.dcm"), "")

        const flat = yield* Inputs.scan([dir.path], { recursive: false })
        expect(flat.files.map((f) => f.path)).toEqual([join(dir.path, "image.bin")])
        const scan = yield* Inputs.scan([dir.path], { recursive: true })
        expect(scan.files.map((f) => f.path).sort()).toEqual([join(dir.path, "image.bin"), join(dir.path, "sub", "raw")])
        const raw = scan.files.find((f) => f.path.endsWith("raw"))
        expect(raw?.sopInstanceUid).toBe(instance.sopInstanceUid)
        expect(raw?.sopClassUid).toBe(SopClass.storage.find((u) => u === instance.sopClassUid))
        expect(raw?.datasetOffset).toBe(0)
        expect(raw?.studyInstanceUid).toMatch(/^2\.25\./)
        // A small file read whole keeps its content (not read again to send it).
        expect(raw?.content !== undefined && Buffer.from(raw.content).equals(Buffer.from(instance.bytes.subarray(meta.success.datasetOffset)))).toBe(true)
        const reasons = Object.fromEntries(scan.skipped.map((s) => [s.path.slice(dir.path.length + 1), s.reason]))
        expect(reasons.DICOMDIR).toMatch(/^DICOMDIR/)
        expect(reasons["notes.txt"]).toMatch(/^not DICOM/)
        expect(reasons["empty.dcm"]).toBe("empty file")

        const globbed = yield* Inputs.scan([join(dir.path, "**", "ra*"), join(dir.path, "nothing*")], { recursive: false })
        expect(globbed.files.map((f) => f.path)).toEqual([join(dir.path, "sub", "raw")])
        expect(globbed.skipped).toEqual([{ path: join(dir.path, "nothing*"), reason: "no file matches the pattern" }])
      } finally {
        dir.cleanup()
      }
    }))
})

describe("storescu · identifying elements far from the start of a file", () => {
  it.effect("the Study Instance UID is found past the first 16 KiB and past 1 MiB too; only files of 64 KiB or less keep their content", () =>
    Effect.gen(function*() {
      const dir = Dcmtk.tempDir("dicomnet-inputs-long-")
      try {
        // Private data in group 0009 pushes the Study Instance UID (0020,000D) past the first bytes of each file.
        const cases = [
          { name: "small", rows: 16, privateBytes: 0 }, // ~3 KB: read whole, content kept
          { name: "long-header", rows: 16, privateBytes: 40_000 }, // ~43 KB: read whole (64 KiB or less), kept
          { name: "long-header-100k", rows: 16, privateBytes: 100_000 }, // past the first 16 KiB: read again whole
          { name: "long-header-2m", rows: 1024, privateBytes: 100_000 }, // ~2.2 MB: read again up to 1 MiB
          { name: "huge-header-3m", rows: 1024, privateBytes: 1_500_000 } // past 1 MiB too: read whole
        ]
        const expected = new Map<string, { study: string; size: number }>()
        for (const [i, c] of cases.entries()) {
          const [instance] = Synth.study({ seed: `long-${i}`, instancesPerSeries: 1, rows: c.rows, columns: c.rows })
          if (instance === undefined) throw new Error("no instance")
          const dataset = c.privateBytes === 0
            ? instance.dataset
            : instance.dataset
              .with(Element.string(0x00090010, "LO", "DICOMNET TEST"))
              .with(Element.bytes(0x00091010, "OB", new Uint8Array(c.privateBytes).fill(0x5a)))
          const bytes = Part10.encodeFile(instance.meta, dataset)
          if (Result.isFailure(bytes)) throw bytes.failure
          const path = join(dir.path, `${c.name}.dcm`)
          writeFileSync(path, bytes.success)
          expected.set(path, { study: dataset.uid(0x0020000d) ?? "", size: bytes.success.length })
        }
        const scan = yield* Inputs.scan([dir.path], { recursive: false })
        expect(scan.skipped).toEqual([])
        expect(scan.files.map((f) => [f.path, f.studyInstanceUid, f.size]).sort()).toEqual(
          [...expected].map(([path, e]) => [path, e.study, e.size]).sort()
        )
        for (const f of scan.files) expect(f.studyInstanceUid).toMatch(/^2\.25\./)
        const kept = scan.files.filter((f) => f.content !== undefined).map((f) => f.path.slice(dir.path.length + 1)).sort()
        expect(kept).toEqual(["long-header.dcm", "small.dcm"])
      } finally {
        dir.cleanup()
      }
    }))
})

describe("storescu · progress lines", () => {
  it("a plain line with counts, percentage, rates and ETA", () => {
    const state = Progress.make([{ files: 10, bytes: 10_000_000 }, { files: 10, bytes: 10_000_000 }], 0)
    const [a, b] = state.workers
    if (a === undefined || b === undefined) throw new Error("workers")
    a.filesDone = 5
    a.bytesDone = 5_000_000
    b.filesDone = 5
    b.bytesDone = 5_000_000
    expect(Progress.plainLine(state, 2000)).toBe("Progress: 10/20 files (50%), 10.0 MB of 20.0 MB, 5.0 files/s, 5.0 MB/s, ETA 2 s")
    const lines = Progress.ttyLines(state, 2000)
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^\[#{15}-{15}\] 50% 10\/20 files/)
    expect(lines[1]).toMatch(/^ {2}#1 \[#{6}-{6}\] 5\/10 files, 2\.5 files\/s, 2\.5 MB\/s/)
  })
})
