import { assert, describe, expect, it } from "@effect/vitest"
import * as TransferSyntax from "../src/TransferSyntax.js"
import * as Uid from "../src/Uid.js"

const flags = (uid: string) => {
  const ts = TransferSyntax.info(uid)
  assert.isDefined(ts, uid)
  return ts === undefined
    ? undefined
    : { explicitVR: ts.explicitVR, littleEndian: ts.littleEndian, deflated: ts.deflated, encapsulated: ts.encapsulated }
}

describe("PS3.5 Annex A · the uncompressed transfer syntaxes", () => {
  it("Implicit VR Little Endian (§A.1)", () => {
    expect(TransferSyntax.ImplicitVRLittleEndian).toBe("1.2.840.10008.1.2")
    expect(flags("1.2.840.10008.1.2")).toEqual({ explicitVR: false, littleEndian: true, deflated: false, encapsulated: false })
  })
  it("Explicit VR Little Endian (§A.2)", () => {
    expect(TransferSyntax.ExplicitVRLittleEndian).toBe("1.2.840.10008.1.2.1")
    expect(flags("1.2.840.10008.1.2.1")).toEqual({ explicitVR: true, littleEndian: true, deflated: false, encapsulated: false })
  })
  it("Explicit VR Big Endian (§A.3, retired)", () => {
    expect(TransferSyntax.ExplicitVRBigEndian).toBe("1.2.840.10008.1.2.2")
    expect(flags("1.2.840.10008.1.2.2")).toEqual({ explicitVR: true, littleEndian: false, deflated: false, encapsulated: false })
    expect(TransferSyntax.info("1.2.840.10008.1.2.2")?.retired).toBe(true)
  })
  it("Deflated Explicit VR Little Endian (§A.5)", () => {
    expect(TransferSyntax.DeflatedExplicitVRLittleEndian).toBe("1.2.840.10008.1.2.1.99")
    expect(flags("1.2.840.10008.1.2.1.99")).toEqual({ explicitVR: true, littleEndian: true, deflated: true, encapsulated: false })
  })
  it("are exactly those four", () => {
    expect(TransferSyntax.uncompressed).toEqual([
      "1.2.840.10008.1.2",
      "1.2.840.10008.1.2.1",
      "1.2.840.10008.1.2.2",
      "1.2.840.10008.1.2.1.99"
    ])
  })
})

describe("PS3.5 §A.4 · encapsulated transfer syntaxes", () => {
  it("JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE, MPEG, HEVC and deflated frames are explicit VR LE with fragments", () => {
    const encapsulated = [
      "1.2.840.10008.1.2.4.50",
      "1.2.840.10008.1.2.4.51",
      "1.2.840.10008.1.2.4.57",
      "1.2.840.10008.1.2.4.70",
      "1.2.840.10008.1.2.4.80",
      "1.2.840.10008.1.2.4.81",
      "1.2.840.10008.1.2.4.90",
      "1.2.840.10008.1.2.4.91",
      "1.2.840.10008.1.2.4.201",
      "1.2.840.10008.1.2.4.203",
      "1.2.840.10008.1.2.5",
      "1.2.840.10008.1.2.4.100",
      "1.2.840.10008.1.2.4.107",
      "1.2.840.10008.1.2.1.98",
      "1.2.840.10008.1.2.8.1"
    ]
    for (const uid of encapsulated) {
      expect(flags(uid), uid).toEqual({ explicitVR: true, littleEndian: true, deflated: false, encapsulated: true })
    }
  })

  it("JPIP Referenced Deflate deflates the data set but does not encapsulate", () => {
    expect(flags("1.2.840.10008.1.2.4.95")).toEqual({ explicitVR: true, littleEndian: true, deflated: true, encapsulated: false })
    expect(flags("1.2.840.10008.1.2.4.94")).toEqual({ explicitVR: true, littleEndian: true, deflated: false, encapsulated: false })
  })
})

describe("PS3.6 Table A-1 · registry", () => {
  it("lists every registered transfer syntax with its name and keyword", () => {
    const registered = Uid.all.filter((u) => u.type === "Transfer Syntax")
    expect(TransferSyntax.all.length).toBe(registered.length)
    assert.isTrue(registered.length > 50)
    for (const u of registered) {
      expect(TransferSyntax.info(u.uid)?.name).toBe(u.name)
      expect(TransferSyntax.info(u.uid)?.keyword).toBe(u.keyword)
    }
    expect(TransferSyntax.info("1.2.840.10008.1.2.4.50")?.name).toBe("JPEG Baseline (Process 1)")
  })

  it("knows nothing of unregistered or non-transfer-syntax UIDs", () => {
    expect(TransferSyntax.info("1.2.3.4.5")).toBeUndefined()
    expect(TransferSyntax.info("1.2.840.10008.1.1")).toBeUndefined()
  })
})
