import { assert, describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as Dataset from "../src/Dataset.js"
import * as DatasetCodec from "../src/DatasetCodec.js"
import * as Element from "../src/Element.js"
import * as Json from "../src/Json.js"

const { Dataset: DS } = Dataset

const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${String(r.failure)}`)
  return r.success
}

// The study-level example of PS3.18 §F.4 (DICOM JSON model), trimmed to one of each kind of attribute.
const standardExample = {
  "0020000D": { vr: "UI", Value: ["1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"] },
  "00080005": { vr: "CS", Value: ["ISO_IR 192"] },
  "00080020": { vr: "DA", Value: ["20130409"] },
  "00080030": { vr: "TM", Value: ["131600.0000"] },
  "00080050": { vr: "SH", Value: ["11235813"] },
  "00080056": { vr: "CS", Value: ["ONLINE"] },
  "00080061": { vr: "CS", Value: ["CT", "PET"] },
  "00080090": { vr: "PN", Value: [{ Alphabetic: "^Bob^^Dr." }] },
  "00081190": { vr: "UR", Value: ["http://wado.nema.org/studies/1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"] },
  "00090010": { vr: "LO", Value: ["Vendor A"] },
  "00091002": { vr: "UN", InlineBinary: "z0x9c8v7" },
  "00100010": { vr: "PN", Value: [{ Alphabetic: "Wang^XiaoDong", Ideographic: "王^小東" }] },
  "00100020": { vr: "LO", Value: ["12345"] },
  "00100021": { vr: "LO", Value: ["Hospital A"] },
  "00100030": { vr: "DA", Value: ["19670701"] },
  "00100040": { vr: "CS", Value: ["M"] },
  "00101002": {
    vr: "SQ",
    Value: [
      { "00100020": { vr: "LO", Value: ["54321"] }, "00100021": { vr: "LO", Value: ["Hospital B"] } },
      { "00100020": { vr: "LO", Value: ["24680"] }, "00100021": { vr: "LO", Value: ["Hospital C"] } }
    ]
  },
  "00201206": { vr: "IS", Value: [4] },
  "00201208": { vr: "IS", Value: [942] }
}

describe("PS3.18 §F.2 · DICOM JSON model: data set -> JSON", () => {
  it("keys attributes by 8-digit upper-case hex tags in ascending order, each with its vr and a Value array", () => {
    const ds = DS.unsafeFromRecord({ PatientID: "123", StudyInstanceUID: "1.2.3", ModalitiesInStudy: ["CT", "MR"], "00091001": new Uint8Array([1, 2]) })
    const json = Json.toJson(ds)
    expect(Object.keys(json)).toEqual(["00080061", "00091001", "00100020", "0020000D"])
    expect(json["00100020"]).toEqual({ vr: "LO", Value: ["123"] })
    expect(json["0020000D"]).toEqual({ vr: "UI", Value: ["1.2.3"] }) // NUL padding dropped
    expect(json["00080061"]).toEqual({ vr: "CS", Value: ["CT", "MR"] })
    expect(json["00091001"]).toEqual({ vr: "UN", InlineBinary: "AQI=" })
  })

  it("§F.2.2 PN values are objects with Alphabetic, Ideographic and Phonetic component groups (empty groups left out)", () => {
    const ds = DS.unsafeFromRecord({ PatientName: "Yamada^Tarou=山田^太郎=やまだ^たろう", ReferringPhysicianName: "^Bob^^Dr." })
    const json = Json.toJson(ds)
    expect(json["00100010"]).toEqual({ vr: "PN", Value: [{ Alphabetic: "Yamada^Tarou", Ideographic: "山田^太郎", Phonetic: "やまだ^たろう" }] })
    expect(json["00080090"]).toEqual({ vr: "PN", Value: [{ Alphabetic: "^Bob^^Dr." }] })
  })

  it("§F.2.3 DS, IS and binary numbers are JSON numbers; AT values are hex strings", () => {
    const ds = DS.unsafeFromRecord({
      SliceThickness: "2.5",
      NumberOfStudyRelatedInstances: "942",
      ImagePositionPatient: [1.5, -2, 3],
      Rows: 512,
      ReferencedFrameNumber: [1, 2],
      DimensionIndexPointer: [0x00100010, 0x7fe00010],
      FrameTime: 33.5
    })
    const json = Json.toJson(ds)
    expect(json["00180050"]).toEqual({ vr: "DS", Value: [2.5] })
    expect(json["00201208"]).toEqual({ vr: "IS", Value: [942] })
    expect(json["00200032"]).toEqual({ vr: "DS", Value: [1.5, -2, 3] })
    expect(json["00280010"]).toEqual({ vr: "US", Value: [512] })
    expect(json["00209165"]).toEqual({ vr: "AT", Value: ["00100010", "7FE00010"] })
  })

  it("§F.2.5 an empty attribute has no Value; an empty value inside a multi-valued one is null", () => {
    const ds = DS.unsafeFromRecord({ PatientBirthDate: null, ImageType: ["ORIGINAL", "", "AXIAL"] })
    const json = Json.toJson(ds)
    expect(json["00100030"]).toEqual({ vr: "DA" })
    expect(json["00080008"]).toEqual({ vr: "CS", Value: ["ORIGINAL", null, "AXIAL"] })
  })

  it("SQ values are arrays of nested JSON data sets; an empty sequence has no Value", () => {
    const ds = DS.unsafeFromRecord({
      ReferencedSeriesSequence: [{ SeriesInstanceUID: "1.2.3.4" }, { SeriesInstanceUID: "1.2.3.5" }],
      ReferencedImageSequence: []
    })
    const json = Json.toJson(ds)
    expect(json["00081115"]).toEqual({
      vr: "SQ",
      Value: [{ "0020000E": { vr: "UI", Value: ["1.2.3.4"] } }, { "0020000E": { vr: "UI", Value: ["1.2.3.5"] } }]
    })
    expect(json["00081140"]).toEqual({ vr: "SQ" })
  })

  it("§F.2.7 OB/OW/UN values are InlineBinary base64, little endian even when the data set was big endian", () => {
    const le = Dataset.make([Element.uint16(0x7fe00010, [0x0102, 0x0304], "OW"), Element.bytes(0x00420011, "OB", new Uint8Array([1, 2, 3, 4]))])
    const be = ok(DatasetCodec.decode(ok(DatasetCodec.encode(le, "1.2.840.10008.1.2.2")), "1.2.840.10008.1.2.2"))
    const expected = { vr: "OW", InlineBinary: "AgEEAw==" } // 02 01 04 03
    expect(Json.toJson(le)["7FE00010"]).toEqual(expected)
    expect(Json.toJson(be)["7FE00010"]).toEqual(expected)
    expect(Json.toJson(le)["00420011"]).toEqual({ vr: "OB", InlineBinary: "AQIDBA==" })
  })

  it("decodes text with the data set's Specific Character Set", () => {
    const ds = ok(DatasetCodec.decode(ok(DatasetCodec.encode(DS.unsafeFromRecord({ SpecificCharacterSet: "ISO_IR 100", PatientName: "Müller^Jürgen" }), "1.2.840.10008.1.2.1")), "1.2.840.10008.1.2.1"))
    expect(Json.toJson(ds)["00100010"]).toEqual({ vr: "PN", Value: [{ Alphabetic: "Müller^Jürgen" }] })
  })
})

describe("PS3.18 §F.2 · DICOM JSON model: JSON -> data set", () => {
  it("reads the example of PS3.18 §F.4 and writes it back unchanged", () => {
    const ds = ok(Json.fromJson(standardExample))
    expect(ds.string("PatientID")).toBe("12345")
    expect(ds.personName("PatientName")?.ideographic).toBe("王^小東")
    expect(ds.strings("ModalitiesInStudy")).toEqual(["CT", "PET"])
    expect(ds.number("NumberOfStudyRelatedInstances")).toBe(942)
    expect(ds.sequence("OtherPatientIDsSequence")?.map((item) => item.string("IssuerOfPatientID"))).toEqual(["Hospital B", "Hospital C"])
    expect(ds.bytes(0x00091002)).toEqual(new Uint8Array([0xcf, 0x4c, 0x7d, 0x73, 0xcb, 0xfb]))
    expect(ds.characterSet).toEqual(["ISO_IR 192"])
    // Written back (after a trip through Explicit VR Little Endian bytes): the same JSON.
    const bytes = ok(DatasetCodec.encode(ds, "1.2.840.10008.1.2.1"))
    const again = Json.toJson(ok(DatasetCodec.decode(bytes, "1.2.840.10008.1.2.1")))
    expect(again).toEqual(Object.fromEntries(Object.entries(standardExample).sort(([a], [b]) => (a < b ? -1 : 1))))
  })

  it("round-trips a data set with every kind of value through JSON text", () => {
    const ds = DS.unsafeFromRecord({
      SpecificCharacterSet: "ISO_IR 192",
      PatientName: "Doe^John=ドウ^ジョン",
      PatientID: "ID-1",
      OtherPatientIDs: ["A", "B"],
      PatientBirthDate: null,
      StudyDescription: "Thorax",
      ImagePositionPatient: [1.5, -2, 3],
      Rows: 4,
      ReferencedFrameNumber: [1, 2, 3],
      DimensionIndexPointer: [0x00100010],
      PixelSpacing: [0.5, 0.5],
      RealWorldValueFirstValueMapped: 0,
      ReferencedSeriesSequence: [{ SeriesInstanceUID: "1.2.3", ReferencedInstanceSequence: [{ ReferencedSOPInstanceUID: "1.2.3.4" }] }],
      PixelData: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
    })
    const text = Json.stringify(ds)
    const back = ok(Json.parse(text))
    expect(Json.toJson(back)).toEqual(Json.toJson(ds))
    const e1 = ok(DatasetCodec.encode(ds, "1.2.840.10008.1.2.1"))
    const e2 = ok(DatasetCodec.encode(back, "1.2.840.10008.1.2.1"))
    expect(e2).toEqual(e1)
  })

  it("marks a data set with non-ASCII text as ISO_IR 192 (JSON text is Unicode)", () => {
    const ds = ok(Json.fromJson({ "00100010": { vr: "PN", Value: [{ Alphabetic: "Müller" }] } }))
    expect(ds.characterSet).toEqual(["ISO_IR 192"])
    expect(ds.string("SpecificCharacterSet")).toBe("ISO_IR 192")
    const decoded = ok(DatasetCodec.decode(ok(DatasetCodec.encode(ds, "1.2.840.10008.1.2")), "1.2.840.10008.1.2"))
    expect(decoded.personName("PatientName")?.familyName).toBe("Müller")
  })

  it("fails with the path of the offending attribute", () => {
    const bad = (json: unknown) => {
      const r = Json.fromJson(json)
      assert(Result.isFailure(r))
      return r.failure
    }
    expect(bad([]).reason).toMatch(/must be an object/)
    expect(bad({ PatientName: { vr: "PN" } }).path).toBe("PatientName")
    expect(bad({ "00100010": { vr: "XX" } }).reason).toMatch(/unknown vr/)
    expect(bad({ "00281050": { vr: "US", Value: ["x"] } }).reason).toMatch(/number/)
    expect(bad({ "00209165": { vr: "AT", Value: ["0010"] } }).path).toBe("00209165[0]")
    expect(bad({ "00081115": { vr: "SQ", Value: [{ "0020000E": { vr: "UI", Value: [1] } }] } }).path).toBe("00081115[0].0020000E[0]")
    expect(bad({ "00420011": { vr: "OB", InlineBinary: "!!" } }).reason).toMatch(/base64/)
    expect(Result.isFailure(Json.parse("{"))).toBe(true)
  })
})
