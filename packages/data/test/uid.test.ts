import { assert, describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as Uid from "../src/Uid.js"

interface SourceUid {
  readonly uid: string
  readonly name: string
  readonly type: string
  readonly info: string
  readonly retired: boolean
  readonly keyword: string
}
const sourceDir = process.env["DICOM_STANDARD_DIR"] ?? new URL("../standard", import.meta.url).pathname
const source = (JSON.parse(readFileSync(join(sourceDir, "uids.json"), "utf8")) as { readonly uids: ReadonlyArray<SourceUid> }).uids

describe("PS3.6 Table A-1 · the generated UID registry", () => {
  it("holds every registered UID with its name, type, info and retirement", () => {
    expect(Uid.all.length).toBe(source.length)
    for (const u of source) expect(Uid.lookup(u.uid), u.uid).toEqual(u)
  })

  it("round-trips keyword -> UID for every UID with a keyword", () => {
    const withKeyword = source.filter((u) => u.keyword !== "")
    for (const u of withKeyword) {
      expect(Uid.byKeyword(u.keyword)?.uid, u.keyword).toBe(u.uid)
      expect((Uid.Uids as Record<string, string>)[u.keyword], u.keyword).toBe(u.uid)
    }
    expect(Object.keys(Uid.Uids).length).toBe(withKeyword.length)
  })

  it("names well-known UIDs", () => {
    expect(Uid.Uids.Verification).toBe("1.2.840.10008.1.1")
    expect(Uid.Uids.ImplicitVRLittleEndian).toBe("1.2.840.10008.1.2")
    expect(Uid.Uids.CTImageStorage).toBe("1.2.840.10008.5.1.4.1.1.2")
    expect(Uid.nameOf("1.2.840.10008.1.1")).toBe("Verification SOP Class")
    expect(Uid.nameOf("1.2.3.4")).toBe("1.2.3.4")
    expect(Uid.lookup("1.2.3.4")).toBeUndefined()
    expect(Uid.lookup("1.2.840.10008.3.1.1.1")?.type).toBe("Application Context Name")
  })

  it("every registered UID is valid", () => {
    for (const u of source) assert.isTrue(Uid.isValid(u.uid), u.uid)
  })
})

describe("PS3.5 §9.1 · UID encoding rules", () => {
  it("accepts digits and dots with single-digit zero components", () => {
    for (const ok of ["1", "0", "1.2.840.10008.1.2", "1.2.0.3", "2.25.0", "1." + "2".repeat(62)]) assert.isTrue(Uid.isValid(ok), ok)
  })

  it("rejects empty, too long, non-digit, empty components and leading zeros", () => {
    const bad = ["", "1." + "2".repeat(63), "1..2", ".1.2", "1.2.", "1.02", "01.2", "1.2a", "1.2 ", "1,2", "1.2\0"]
    for (const uid of bad) assert.isFalse(Uid.isValid(uid), JSON.stringify(uid))
  })
})

describe("PS3.5 §B.2 · UUID-derived UIDs", () => {
  it("generates valid, distinct 2.25 UIDs holding a version 4 UUID", () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const uid = Uid.generate()
      assert.isTrue(uid.startsWith("2.25."), uid)
      assert.isTrue(Uid.isValid(uid), uid)
      const value = BigInt(uid.slice(5))
      assert.isTrue(value < 1n << 128n)
      expect((value >> 76n) & 0xfn).toBe(4n)
      expect((value >> 62n) & 0x3n).toBe(2n)
      seen.add(uid)
    }
    expect(seen.size).toBe(200)
  })
})
