import { assert, describe, expect, it } from "@effect/vitest"
import * as VR from "../src/VR.js"

// PS3.5 Table 7.1-1: VRs with a 2-byte reserved field and a 4-byte length in explicit VR.
const table7_1_1 = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
// PS3.5 Table 7.1-2: VRs with a 2-byte length in explicit VR.
const table7_1_2 = ["AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"]

describe("PS3.5 Table 6.2-1 · the 34 value representations", () => {
  it("lists every VR once, and only VRs", () => {
    expect(VR.all.length).toBe(34)
    expect(new Set(VR.all).size).toBe(34)
    expect([...VR.all].sort()).toEqual([...table7_1_1, ...table7_1_2].sort())
    for (const vr of VR.all) assert.isTrue(VR.isVR(vr))
    for (const s of ["", "XX", "ob", "OBX", "toString", "__proto__"]) assert.isFalse(VR.isVR(s), s)
  })

  it("reads a VR from the two header bytes", () => {
    for (const vr of VR.all) expect(VR.fromBytes(vr.charCodeAt(0), vr.charCodeAt(1))).toBe(vr)
    expect(VR.fromBytes(0x58, 0x58)).toBeUndefined()
    expect(VR.fromBytes(0x00, 0x00)).toBeUndefined()
    expect(VR.fromBytes(0x6f, 0x62)).toBeUndefined()
    expect(VR.fromBytes(0x5b, 0x41)).toBeUndefined()
  })
})

describe("PS3.5 §7.1.2 · explicit VR length field", () => {
  it("Table 7.1-1 VRs have a 4-byte length", () => {
    for (const vr of table7_1_1) assert.isTrue(VR.isVR(vr) && VR.info(vr).longLength, vr)
  })
  it("Table 7.1-2 VRs have a 2-byte length", () => {
    for (const vr of table7_1_2) assert.isTrue(VR.isVR(vr) && !VR.info(vr).longLength, vr)
  })
})

describe("PS3.5 §6.2 · padding, kind and value size", () => {
  it("pads UI and binary values with NUL, other strings with space", () => {
    expect(VR.info("UI").padByte).toBe(0x00)
    expect(VR.info("OB").padByte).toBe(0x00)
    expect(VR.info("UN").padByte).toBe(0x00)
    for (const vr of ["AE", "CS", "DA", "DS", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR", "UT"] as const) {
      expect(VR.info(vr).padByte, vr).toBe(0x20)
    }
  })

  it("gives binary value sizes", () => {
    const sizes = { AT: 4, FD: 8, FL: 4, SL: 4, SS: 2, SV: 8, UL: 4, US: 2, UV: 8, OB: 1, OW: 2, OF: 4, OD: 8, OL: 4, OV: 8, UN: 1 } as const
    for (const [vr, size] of Object.entries(sizes)) {
      assert.isTrue(VR.isVR(vr))
      if (!VR.isVR(vr)) continue
      expect(VR.info(vr).kind, vr).toBe("binary")
      expect(VR.info(vr).bytesPerValue, vr).toBe(size)
    }
    expect(VR.info("SQ").kind).toBe("sequence")
    expect(VR.info("SQ").bytesPerValue).toBe(0)
    expect(VR.info("PN").kind).toBe("string")
    expect(VR.info("PN").bytesPerValue).toBe(0)
  })

  it("splits string values on backslash except LT, ST, UT, UR", () => {
    for (const vr of ["LT", "ST", "UT", "UR"] as const) assert.isFalse(VR.info(vr).multiValued, vr)
    for (const vr of ["AE", "CS", "DS", "IS", "LO", "PN", "SH", "UC", "UI"] as const) assert.isTrue(VR.info(vr).multiValued, vr)
  })

  it("decodes SH LO ST LT PN UC UT with the Specific Character Set, and nothing else", () => {
    const affected = VR.all.filter((vr) => VR.info(vr).charsetAffected)
    expect([...affected].sort()).toEqual(["LO", "LT", "PN", "SH", "ST", "UC", "UT"])
  })

  it("knows the maximum value lengths of Table 6.2-1", () => {
    const max = { AE: 16, AS: 4, CS: 16, DA: 8, DS: 16, DT: 26, IS: 12, LO: 64, LT: 10240, SH: 16, ST: 1024, TM: 14, UI: 64 } as const
    for (const [vr, n] of Object.entries(max)) if (VR.isVR(vr)) expect(VR.info(vr).maxLength, vr).toBe(n)
    expect(VR.info("UT").maxLength).toBeUndefined()
    expect(VR.info("OB").maxLength).toBeUndefined()
  })

  it("describes each VR under its own code", () => {
    for (const vr of VR.all) expect(VR.info(vr).vr).toBe(vr)
  })
})
