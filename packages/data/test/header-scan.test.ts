import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { Dataset, DatasetCodec, Element, HeaderScan, TransferSyntax } from "../src/index.js"

const CT = "1.2.840.10008.5.1.4.1.1.2"
const encoded = (ts: string) => {
  const r = DatasetCodec.encode(
    Dataset.make([
      Element.string(0x00080016, "UI", CT),
      Element.string(0x00080018, "UI", "1.2.3.1"),
      Element.string(0x00100010, "PN", "Doe^Jane"),
      Element.string(0x00100020, "LO", "PID-1"),
      Element.string(0x0020000d, "UI", "1.2.3.100"),
      Element.string(0x0020000e, "UI", "1.2.3.100.7"),
      Element.bytes(0x7fe00010, "OW", new Uint8Array(64).fill(7))
    ]),
    ts
  )
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

describe("HeaderScan · the identifying UIDs from a data set's first bytes", () => {
  it("finds SOP class/instance, patient, study and series in explicit LE, implicit LE and explicit BE", () => {
    for (const [ts, explicitVR, littleEndian] of [
      [TransferSyntax.ExplicitVRLittleEndian, true, true],
      [TransferSyntax.ImplicitVRLittleEndian, false, true],
      [TransferSyntax.ExplicitVRBigEndian, true, false]
    ] as const) {
      expect(HeaderScan.walk(encoded(ts), 0, { explicitVR, littleEndian }, false)).toEqual({
        _tag: "Found",
        sopClassUid: CT,
        sopInstanceUid: "1.2.3.1",
        patientId: "PID-1",
        studyInstanceUid: "1.2.3.100",
        seriesInstanceUid: "1.2.3.100.7"
      })
    }
  })

  it("asks for more bytes when they stop before an element past (0020,000E), unless they are all there is", () => {
    const bytes = encoded(TransferSyntax.ExplicitVRLittleEndian)
    const syntax = { explicitVR: true, littleEndian: true }
    expect(HeaderScan.walk(bytes.subarray(0, 40), 0, syntax, false)).toEqual({ _tag: "NeedMore" })
    const upToSeries = bytes.subarray(0, bytes.length - (12 + 64))
    expect(HeaderScan.walk(upToSeries, 0, syntax, false)).toEqual({ _tag: "NeedMore" })
    expect(HeaderScan.walk(upToSeries, 0, syntax, true)).toMatchObject({ _tag: "Found", seriesInstanceUid: "1.2.3.100.7" })
  })

  it("steps over sequences of undefined length and stops at the first element past (0020,000E)", () => {
    // (0008,1115) SQ of undefined length with one item of undefined length holding (0008,1150) UI.
    const sq = [
      0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff,
      0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff,
      0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 4, 0, 0x31, 0x2e, 0x32, 0x00,
      0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0,
      0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0
    ]
    const study = [0x20, 0x00, 0x0d, 0x00, 0x55, 0x49, 4, 0, 0x39, 0x2e, 0x39, 0x00]
    const next = [0x20, 0x00, 0x10, 0x00, 0x53, 0x48, 2, 0, 0x31, 0x20]
    expect(HeaderScan.walk(new Uint8Array([...sq, ...study, ...next]), 0, { explicitVR: true, littleEndian: true }, false)).toMatchObject({
      _tag: "Found",
      studyInstanceUid: "9.9",
      seriesInstanceUid: undefined
    })
  })

  it("tells bytes that are not a data set: tags out of order, unknown VR codes", () => {
    const syntax = { explicitVR: true, littleEndian: true }
    const outOfOrder = new Uint8Array([0x20, 0x00, 0x0d, 0x00, 0x55, 0x49, 2, 0, 0x31, 0x00, 0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 2, 0, 0x31, 0x00])
    expect(HeaderScan.walk(outOfOrder, 0, syntax, true)).toMatchObject({ _tag: "Invalid" })
    const badVr = new Uint8Array([0x08, 0x00, 0x16, 0x00, 0x5a, 0x5a, 2, 0, 0x31, 0x00])
    expect(HeaderScan.walk(badVr, 0, syntax, true)).toMatchObject({ _tag: "Invalid", offset: 4 })
  })
})
