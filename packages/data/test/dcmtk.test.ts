import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { Dataset } from "../src/Dataset.js"
import * as DatasetCodec from "../src/DatasetCodec.js"
import * as Part10 from "../src/Part10.js"
import { type Line, parseDump, render, run } from "./support/dcmtk.js"
import { dataset as generate, rng } from "./support/generate.js"

// Text dump for dump2dcm (written in ISO 8859-1, matching (0008,0005) ISO_IR 100).
const dump = `
(0008,0005) CS [ISO_IR 100]
(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]
(0008,0018) UI [1.2.826.0.1.3680043.2.1125.1.1]
(0008,0020) DA [20240131]
(0008,0030) TM [235959.123456]
(0008,1140) SQ (Sequence with undefined length)
  (fffe,e000) na (Item with undefined length)
    (0008,1150) UI [1.2.840.10008.5.1.4.1.1.2]
    (0008,1155) UI [1.2.3.4.5]
    (0008,1160) IS [1\\2\\3]
  (fffe,e00d) na (ItemDelimitationItem)
  (fffe,e000) na (Item with undefined length)
    (0040,a730) SQ (Sequence with undefined length)
      (fffe,e000) na (Item with undefined length)
        (0008,0100) SH [CODE1]
      (fffe,e00d) na (ItemDelimitationItem)
    (fffe,e0dd) na (SequenceDelimitationItem)
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0009,0010) LO [DICOMNET TEST]
(0009,1001) LO [private text]
(0010,0010) PN [M\u00fcller^Hans=^=]
(0010,0020) LO [PID-001]
(0010,0030) DA []
(0010,1010) AS [042Y]
(0018,0050) DS [1.25]
(0018,1310) US 0\\256\\256\\0
(0018,6020) SL -42
(0018,9087) FD 2.25
(0018,9219) SS -7
(0018,9461) FL 0.5\\-1.5
(0020,0013) IS [7]
(0020,0037) DS [1\\0\\0\\0\\1\\0]
(0020,4000) LT [  leading spaces kept]
(0020,9157) UL 4000000000\\1
(0020,9165) AT (0010,0010)\\(0028,0010)
(0028,0002) US 1
(0028,0010) US 2
(0028,0011) US 2
(0028,0100) US 16
(0028,0101) US 16
(0028,0102) US 15
(0028,0103) US 1
(0042,0011) OB 01\\02\\03\\fe
(7fe0,0010) OW 0001\\abcd\\ff00\\1234
`

const syntaxes = [
  { option: "+te", uid: "1.2.840.10008.1.2.1", name: "Explicit VR Little Endian" },
  { option: "+tb", uid: "1.2.840.10008.1.2.2", name: "Explicit VR Big Endian" },
  { option: "+ti", uid: "1.2.840.10008.1.2", name: "Implicit VR Little Endian" },
  { option: "+td", uid: "1.2.840.10008.1.2.1.99", name: "Deflated Explicit VR Little Endian" }
] as const

let dir = ""
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dicomnet-data-"))
  writeFileSync(join(dir, "source.dump"), Buffer.from(dump, "latin1"))
  const made = await run("dump2dcm", ["-q", join(dir, "source.dump"), join(dir, "source.dcm")])
  expect(made.stderr).toBe("")
  expect(made.code).toBe(0)
})
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true })
})

const dcmdump = async (file: string): Promise<ReadonlyArray<Line>> => {
  const r = await run("dcmdump", ["-Un", "+L", file])
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  return parseDump(r.stdout)
}

const decodeFile = (file: string) => {
  const decoded = Part10.decodeFile(new Uint8Array(readFileSync(file)))
  if (Result.isFailure(decoded)) assert.fail(decoded.failure.message)
  return decoded.success
}

describe("PS3.5 §A · interoperability with DCMTK 3.6 (files made by dump2dcm and dcmconv)", () => {
  for (const ts of syntaxes) {
    it(`decodes every element dcmdump lists in ${ts.name} (dcmconv ${ts.option})`, async () => {
      const file = join(dir, `dcmtk${ts.option.slice(1)}.dcm`)
      const conv = await run("dcmconv", [ts.option, join(dir, "source.dcm"), file])
      expect(conv.stderr).toBe("")
      expect(conv.code).toBe(0)
      const expected = await dcmdump(file)
      const { meta, dataset } = decodeFile(file)
      expect(meta.transferSyntaxUid).toBe(ts.uid)
      expect(render(dataset)).toEqual(expected)
      expect(expected.length).toBeGreaterThan(35)
      // Spot checks through the typed getters.
      expect(dataset.string("PatientName")).toBe("Müller^Hans=^=")
      expect(dataset.numbers("AcquisitionMatrix")).toEqual([0, 256, 256, 0])
      expect(dataset.number("ReferencePixelX0")).toBe(-42)
      expect(dataset.numbers("DimensionIndexValues")).toEqual([4000000000, 1])
      expect(dataset.string("ImageComments")).toBe("  leading spaces kept")
      expect(dataset.sequence("ReferencedImageSequence")?.[1]?.sequence("ContentSequence")?.[0]?.string("CodeValue")).toBe("CODE1")
    })

    it(`re-encodes the DCMTK ${ts.name} data set to the same bytes`, () => {
      const file = join(dir, `dcmtk${ts.option.slice(1)}.dcm`)
      const bytes = new Uint8Array(readFileSync(file))
      const { meta, dataset } = decodeFile(file)
      const encoded = DatasetCodec.encode(dataset, ts.uid)
      if (Result.isFailure(encoded)) return assert.fail(encoded.failure.message)
      if (ts.option === "+td") {
        // Compressors differ; the inflated bytes must match.
        const ours = DatasetCodec.inflate(encoded.success)
        const theirs = DatasetCodec.inflate(bytes.subarray(meta.datasetOffset))
        assert(Result.isSuccess(ours) && Result.isSuccess(theirs))
        expect(Buffer.from(ours.success).equals(Buffer.from(theirs.success))).toBe(true)
      } else {
        expect(Buffer.from(encoded.success).equals(Buffer.from(bytes.subarray(meta.datasetOffset)))).toBe(true)
      }
    })
  }

  for (const ts of syntaxes) {
    it(`files we write in ${ts.name} are read by dcmdump and dcmconv without warnings`, async () => {
      const { dataset } = decodeFile(join(dir, "source.dcm"))
      const extra = generate(rng(7), { explicit: ts.option !== "+ti", maxDepth: 2, maxElements: 20 })
      const both = Dataset.make([...extra.elements().filter((e) => e._tag !== "Fragments" && !(e._tag === "Sequence" && e.encodedAsUN === true)), ...dataset.elements()])
      const file = Part10.encodeFile(
        { mediaStorageSopClassUid: "1.2.840.10008.5.1.4.1.1.7", mediaStorageSopInstanceUid: "1.2.826.0.1.3680043.2.1125.1.1", transferSyntaxUid: ts.uid },
        both
      )
      if (Result.isFailure(file)) return assert.fail(file.failure.message)
      const path = join(dir, `ours${ts.option.slice(1)}.dcm`)
      writeFileSync(path, file.success)
      const listed = await dcmdump(path)
      expect(listed).toEqual(render(decodeFile(path).dataset))
      const conv = await run("dcmconv", ["+te", path, join(dir, `ours${ts.option.slice(1)}-te.dcm`)])
      expect(conv.stderr).toBe("")
      expect(conv.code).toBe(0)
    })
  }
})
