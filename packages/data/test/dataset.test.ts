import { assert, describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as Dataset from "../src/Dataset.js"
import * as DatasetCodec from "../src/DatasetCodec.js"
import * as Element from "../src/Element.js"

const { Dataset: DS } = Dataset

describe("Dataset · an immutable set of elements sorted by tag", () => {
  it("sorts elements by tag and replaces duplicates with the later element", () => {
    const ds = Dataset.make([Element.string(0x00100020, "LO", "B"), Element.string(0x00080060, "CS", "CT"), Element.string(0x00100020, "LO", "C")])
    expect(ds.elements().map((e) => e.tag)).toEqual([0x00080060, 0x00100020])
    expect(ds.string("PatientID")).toBe("C")
    expect(ds.size).toBe(2)
  })

  it("with / without return new data sets and leave the original untouched", () => {
    const a = Dataset.make([Element.string(0x00100020, "LO", "A")])
    const b = a.with(Element.string(0x00100010, "PN", "Doe^J")).with(Element.string(0x00100020, "LO", "Z"))
    const c = b.without("PatientName")
    expect(a.string(0x00100020)).toBe("A")
    expect(b.elements().map((e) => e.tag)).toEqual([0x00100010, 0x00100020])
    expect(b.string(0x00100020)).toBe("Z")
    expect(c.has("PatientName")).toBe(false)
    expect(c.has("00100020")).toBe(true)
    expect(c.without(0x12345678)).toBe(c)
  })

  it("fromRecord takes keywords or hex tags, VRs from the dictionary, nested records for sequences, null for empty", () => {
    const ds = DS.unsafeFromRecord({
      PatientName: "Doe^John",
      "00100020": "123",
      "(0028,0010)": 512,
      ImagePositionPatient: [1.5, -2, 3],
      ImageType: ["ORIGINAL", "PRIMARY"],
      DimensionIndexPointer: [0x00100010],
      ReferencedImageSequence: [{ ReferencedSOPInstanceUID: "1.2.3" }, { ReferencedSOPInstanceUID: "1.2.4" }],
      PatientBirthDate: null
    })
    expect(ds.get("PatientName")?.vr).toBe("PN")
    expect(ds.get("Rows")?.vr).toBe("US")
    expect(ds.number("Rows")).toBe(512)
    expect(ds.numbers("ImagePositionPatient")).toEqual([1.5, -2, 3])
    expect(ds.strings("ImageType")).toEqual(["ORIGINAL", "PRIMARY"])
    expect(ds.numbers("DimensionIndexPointer")).toEqual([0x00100010])
    expect(ds.sequence("ReferencedImageSequence")?.map((i) => i.uid("ReferencedSOPInstanceUID"))).toEqual(["1.2.3", "1.2.4"])
    expect(ds.bytes("PatientBirthDate")?.length).toBe(0)
    expect(ds.string("PatientBirthDate")).toBeUndefined()
    expect(ds.characterSet).toEqual([])
  })

  it("fromRecord declares ISO_IR 192 when text is not ASCII, and fails on unknown keywords", () => {
    const ds = DS.unsafeFromRecord({ PatientName: "Müller^Jürgen" })
    expect(ds.characterSet).toEqual(["ISO_IR 192"])
    expect(ds.string("SpecificCharacterSet")).toBe("ISO_IR 192")
    expect(Array.from(ds.bytes("PatientName") ?? [])).toEqual(Array.from(Buffer.from("Müller^Jürgen ", "utf8")))
    const bad = Dataset.fromRecord({ NoSuchKeyword: "x" })
    assert(Result.isFailure(bad))
    expect(bad.failure.reason).toContain("NoSuchKeyword")
  })

  it("typed getters trim per VR and return undefined when absent", () => {
    const ds = Dataset.make([
      Element.primitive(0x00080018, "UI", Uint8Array.from([...Buffer.from("1.2.3"), 0])),
      Element.string(0x00100010, "PN", "Doe^John^^Dr "),
      Element.string(0x00104000, "LT", "  indented "),
      Element.string(0x00080020, "DA", "20240131"),
      Element.string(0x00080030, "TM", "101500"),
      Element.string(0x0008002a, "DT", "20240131101500"),
      Element.string(0x00200013, "IS", " 42 "),
      Element.int16(0x00189219, [-1, 2]),
      Element.float32(0x00189461, 0.25)
    ])
    expect(ds.uid("SOPInstanceUID")).toBe("1.2.3")
    expect(ds.personName("PatientName")).toMatchObject({ familyName: "Doe", givenName: "John", namePrefix: "Dr" })
    expect(ds.string("PatientComments")).toBe("  indented")
    expect(ds.date("StudyDate")).toEqual({ year: 2024, month: 1, day: 31 })
    expect(ds.time("StudyTime")).toMatchObject({ hours: 10, minutes: 15, seconds: 0 })
    expect(ds.dateTime("AcquisitionDateTime")?.time?.minutes).toBe(15)
    expect(ds.number("InstanceNumber")).toBe(42)
    expect(ds.numbers(0x00189219)).toEqual([-1, 2])
    expect(ds.strings(0x00189219)).toEqual(["-1", "2"])
    expect(ds.number(0x00189461)).toBe(0.25)
    expect(ds.string("PatientID")).toBeUndefined()
    expect(ds.sequence("PatientName")).toBeUndefined()
    expect(ds.get("NoSuchKeyword")).toBeUndefined()
  })

  it("Element.fromValue checks the value against the VR", () => {
    expect(Result.isFailure(Element.fromValue("Rows", "abc"))).toBe(true)
    expect(Result.isFailure(Element.fromValue("ReferencedImageSequence", "abc"))).toBe(true)
    const rows = Element.fromValue("Rows", 7)
    assert(Result.isSuccess(rows) && rows.success._tag === "Primitive")
    expect(Array.from(rows.success.bytes)).toEqual([7, 0])
    const sv = Element.fromValue(0x00091001, [1, -1], { vr: "SV" })
    assert(Result.isSuccess(sv) && sv.success._tag === "Primitive")
    expect(Dataset.make([sv.success]).numbers(0x00091001)).toEqual([1, -1])
  })

  it("equals compares values independent of byte order", () => {
    const x = DS.unsafeFromRecord({ Rows: 3, PixelSpacing: ["0.5", "0.5"] })
    const be = DatasetCodec.decode(Result.getOrThrow(DatasetCodec.encode(x, "1.2.840.10008.1.2.2")), "1.2.840.10008.1.2.2")
    assert(Result.isSuccess(be))
    expect(Dataset.equals(x, be.success)).toBe(true)
    expect(Dataset.equals(x, x.with(Element.uint16(0x00280010, 4)))).toBe(false)
  })
})
