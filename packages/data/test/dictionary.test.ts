import { assert, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Dictionary from "../src/Dictionary.js"
import * as Tag from "../src/Tag.js"
import { Tags } from "../src/Tags.js"

// The generator's source tables (PS3.6 2024d, see packages/data/standard/README.md).
interface SourceElement {
  readonly tag: string
  readonly vr: string
  readonly vm: string
  readonly name: string
  readonly keyword: string
  readonly retired: boolean
}
const sourceDir = process.env["DICOM_STANDARD_DIR"] ?? new URL("../standard", import.meta.url).pathname
const source = JSON.parse(readFileSync(join(sourceDir, "data-elements.json"), "utf8")) as {
  readonly elements: ReadonlyArray<SourceElement>
  readonly repeatingGroups: ReadonlyArray<SourceElement>
}
const withKeyword = source.elements.filter((e) => e.keyword !== "")

describe("PS3.6 Table 6-1 · the generated dictionary", () => {
  it("is what scripts/generate-dictionary.mjs generates from the source tables (committed modules not stale)", () => {
    const script = join(dirname(fileURLToPath(import.meta.url)), "..", "scripts", "generate-dictionary.mjs")
    const output = execFileSync(process.execPath, [script, "--check", sourceDir], { encoding: "utf8" })
    expect(output).toContain("up to date: 3 generated modules (PS3.6 2024d)")
  })

  it("is edition 2024d and holds every element of the source table", () => {
    expect(Dictionary.edition).toBe("2024d")
    expect(Dictionary.elementCount).toBe(source.elements.length)
    expect([...Dictionary.entries()].length).toBe(source.elements.length)
    expect(Dictionary.repeatingGroupCount).toBe(source.repeatingGroups.length)
    expect(Dictionary.repeatingGroups().length).toBe(source.repeatingGroups.length)
    assert.isTrue(source.elements.length > 5000)
  })

  it("round-trips keyword -> tag -> keyword for every element with a keyword", () => {
    let checked = 0
    for (const e of withKeyword) {
      const tag = Number.parseInt(e.tag, 16)
      expect(Dictionary.tagOf(e.keyword), e.keyword).toBe(tag)
      expect(Dictionary.lookup(tag)?.keyword, e.tag).toBe(e.keyword)
      expect((Tags as Record<string, number>)[e.keyword], e.keyword).toBe(tag)
      checked++
    }
    expect(checked).toBe(withKeyword.length)
    expect(Object.keys(Tags).length).toBe(withKeyword.length)
  })

  it("carries name, VR, VM and retirement exactly as the source table", () => {
    for (const e of source.elements) {
      const entry = Dictionary.lookup(Number.parseInt(e.tag, 16))
      assert.isDefined(entry, e.tag)
      if (entry === undefined) continue
      expect(entry.name, e.tag).toBe(e.name)
      expect(entry.vm, e.tag).toBe(e.vm)
      expect(entry.retired, e.tag).toBe(e.retired)
      expect(entry.vr.join(" or ") || "NONE", e.tag).toBe(e.vr)
      expect(entry.mask).toBeUndefined()
    }
  })

  it("answers well-known elements", () => {
    const patientName = Dictionary.lookup(Tags.PatientName)
    expect(patientName).toEqual({ tag: 0x00100010, keyword: "PatientName", name: "Patient's Name", vr: ["PN"], vm: "1", retired: false })
    expect(Dictionary.byKeyword("AffectedSOPClassUID")?.tag).toBe(0x00000002)
    expect(Tags.SOPInstanceUID).toBe(0x00080018)
    expect(Dictionary.lookup(0x00280106)?.vr).toEqual(["US", "SS"])
    expect(Dictionary.lookup(Tag.PixelData)?.vr).toEqual(["OB", "OW"])
    expect(Dictionary.lookup(Tag.Item)?.vr).toEqual([])
    expect(Dictionary.byKeyword("NoSuchKeyword")).toBeUndefined()
    expect(Dictionary.tagOf("")).toBeUndefined()
  })
})

describe("PS3.5 §7.6 · repeating groups matched by mask", () => {
  it("finds overlay elements in every even 60xx group", () => {
    const overlay = Dictionary.lookup(0x60023000)
    expect(overlay?.keyword).toBe("OverlayData")
    expect(overlay?.tag).toBe(0x60023000)
    expect(overlay?.mask).toBe("60xx3000")
    expect(Dictionary.lookup(0x601e0010)?.keyword).toBe("OverlayRows")
    expect(Dictionary.lookup(0x60000011)?.keyword).toBe("OverlayColumns")
  })

  it("finds curve elements in 50xx groups", () => {
    const curve = Dictionary.lookup(0x50040010)
    expect(curve?.keyword).toBe("NumberOfPoints")
    expect(curve?.retired).toBe(true)
    expect(Dictionary.lookup(0x50063000)?.keyword).toBe("CurveData")
  })

  it("matches masks that repeat inside the element number", () => {
    expect(Dictionary.lookup(0x00203105)?.keyword).toBe("SourceImageIDs")
    expect(Dictionary.lookup(0x00280410)?.keyword).toBe("RowsForNthOrderCoefficients")
    expect(Dictionary.lookup(0x00280493)?.keyword).toBe("CoefficientCodingPointers")
    expect(Dictionary.lookup(0x10000120)?.keyword).toBe("EscapeTriplet")
    expect(Dictionary.lookup(0x10001235)?.keyword).toBe("ShiftTableTriplet")
    expect(Dictionary.lookup(0x1010abcd)?.keyword).toBe("ZonalMap")
    expect(Dictionary.lookup(0x7f100010)?.keyword).toBe("VariablePixelData")
  })

  it("prefers the exact entry over a mask (7FE0,0010 is Pixel Data, not Variable Pixel Data)", () => {
    expect(Dictionary.lookup(Tag.PixelData)?.keyword).toBe("PixelData")
    expect(Dictionary.vrOf(Tag.PixelData)).toBe("OW")
  })

  it("gives each repeating keyword the first tag of its range that looks up to it", () => {
    expect(Dictionary.tagOf("OverlayData")).toBe(0x60003000)
    expect(Dictionary.byKeyword("SourceImageIDs")?.mask).toBe("002031xx")
    // (0028,0400) is Transform Label, an element of its own: the 002804x0 range starts at (0028,0410).
    expect(Dictionary.lookup(0x00280400)?.keyword).toBe("TransformLabel")
    expect(Dictionary.tagOf("RowsForNthOrderCoefficients")).toBe(0x00280410)
    // (1010,0000) is a group length: Zonal Map starts at (1010,1111).
    expect(Dictionary.tagOf("ZonalMap")).toBe(0x10101111)
    for (const e of source.repeatingGroups) {
      const entry = Dictionary.byKeyword(e.keyword)
      assert.isDefined(entry, e.keyword)
      if (entry === undefined) continue
      expect(entry.mask?.toUpperCase(), e.keyword).toBe(e.tag.toUpperCase())
      expect(entry.vm, e.keyword).toBe(e.vm)
      expect(entry.retired, e.keyword).toBe(e.retired)
      expect(Dictionary.lookup(entry.tag)?.keyword, e.tag).toBe(e.keyword)
    }
  })

  it("does not match private groups that fit a mask", () => {
    expect(Dictionary.lookup(0x60013000)).toBeUndefined()
    expect(Dictionary.vrOf(0x60013000)).toBe("UN")
  })
})

describe("PS3.5 §7.2 · group length elements", () => {
  it("answer UL GroupLength for any group without an exact entry", () => {
    expect(Dictionary.lookup(0x00080000)).toEqual({ tag: 0x00080000, keyword: "GroupLength", name: "Group Length", vr: ["UL"], vm: "1", retired: true })
    expect(Dictionary.lookup(0x00090000)?.keyword).toBe("GroupLength")
    expect(Dictionary.vrOf(0x00280000)).toBe("UL")
    expect(Dictionary.vrOf(0x00090000)).toBe("UL")
  })

  it("keep the dictionary's own command and file meta group lengths", () => {
    expect(Dictionary.lookup(0x00000000)?.keyword).toBe("CommandGroupLength")
    expect(Dictionary.lookup(0x00020000)?.keyword).toBe("FileMetaInformationGroupLength")
  })
})

describe("PS3.5 §7.8.1 · private data elements", () => {
  it("private creators are LO", () => {
    expect(Dictionary.lookup(0x00290010)).toEqual({ tag: 0x00290010, keyword: "PrivateCreator", name: "Private Creator", vr: ["LO"], vm: "1", retired: false })
    expect(Dictionary.vrOf(0x000900ff)).toBe("LO")
  })

  it("other private elements are unknown (UN in implicit VR)", () => {
    expect(Dictionary.lookup(0x00291010)).toBeUndefined()
    expect(Dictionary.vrOf(0x00291010)).toBe("UN")
  })
})

describe("PS3.5 §A.1 · VR for implicit VR data sets", () => {
  it("is the first dictionary VR, OW for OB or OW, UN when unknown", () => {
    expect(Dictionary.vrOf(Tags.PatientName)).toBe("PN")
    expect(Dictionary.vrOf(0x00280106)).toBe("US")
    expect(Dictionary.vrOf(0x60003000)).toBe("OW")
    expect(Dictionary.vrOf(0x50003000)).toBe("OW")
    expect(Dictionary.vrOf(0x00280010)).toBe("US")
    expect(Dictionary.vrOf(0x00089999)).toBe("UN")
    expect(Dictionary.vrOf(Tag.Item)).toBe("UN")
  })

  it("agrees with lookup for every element", () => {
    for (const e of source.elements) {
      const tag = Number.parseInt(e.tag, 16)
      const vrs = Dictionary.lookup(tag)?.vr ?? []
      const expected = vrs[0] === undefined ? "UN" : vrs[0] === "OB" && vrs[1] === "OW" ? "OW" : vrs[0]
      expect(Dictionary.vrOf(tag), e.tag).toBe(expected)
    }
  })
})
