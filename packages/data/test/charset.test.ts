import { assert, describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as CharacterSet from "../src/CharacterSet.js"
import { Dataset } from "../src/Dataset.js"
import * as DatasetCodec from "../src/DatasetCodec.js"
import * as Element from "../src/Element.js"

const hex = (s: string): Uint8Array => Uint8Array.from(s.split(" ").map((h) => Number.parseInt(h, 16)))
const encoded = (value: string, cs: ReadonlyArray<string>, vr: "PN" | "LO" | "CS" = "PN"): Array<number> => {
  const r = CharacterSet.encodeString(value, cs, vr)
  if (Result.isFailure(r)) return assert.fail(r.failure.message)
  return Array.from(r.success)
}

describe("PS3.5 §6.1 · Specific Character Set (0008,0005)", () => {
  it("parses the defined terms of (0008,0005), keeping an empty first value", () => {
    expect(CharacterSet.parse("ISO_IR 100 ")).toEqual(["ISO_IR 100"])
    expect(CharacterSet.parse("\\ISO 2022 IR 87")).toEqual(["", "ISO 2022 IR 87"])
    expect(CharacterSet.parse("")).toEqual([])
  })

  it("default repertoire: ASCII in, ASCII out; other characters are an encoding error", () => {
    expect(CharacterSet.decodeString(hex("44 6f 65"), [], "PN")).toBe("Doe")
    const e = CharacterSet.encodeString("Müller", [], "PN", 0x00100010)
    assert(Result.isFailure(e))
    expect(e.failure.message).toContain("U+00FC")
    expect(e.failure.tag).toBe(0x00100010)
  })

  it("ISO_IR 100 (Latin-1) decodes and encodes byte for byte (PS3.5 Annex C example)", () => {
    const bytes = hex("42 75 63 5e 4a e9 72 f4 6d 65")
    expect(CharacterSet.decodeString(bytes, ["ISO_IR 100"], "PN")).toBe("Buc^Jérôme")
    expect(encoded("Buc^Jérôme", ["ISO_IR 100"])).toEqual(Array.from(bytes))
  })

  it("ISO_IR 192 (UTF-8) decodes and encodes every character", () => {
    const text = "Wang^XiaoDong=王^小東="
    expect(CharacterSet.decodeString(Uint8Array.from(encoded(text, ["ISO_IR 192"])), ["ISO_IR 192"], "PN")).toBe(text)
    expect(encoded("é", ["ISO_IR 192"])).toEqual([0xc3, 0xa9])
  })

  it("other single-byte sets: ISO_IR 144 (Cyrillic), ISO_IR 126 (Greek), ISO_IR 148 (Turkish)", () => {
    const cyrillic = hex("bb ee da 63 65 dc d1 79 70 d3")
    expect(CharacterSet.decodeString(cyrillic, ["ISO_IR 144"], "PN")).toBe("Люкceмбypг")
    expect(encoded("Люкceмбypг", ["ISO_IR 144"])).toEqual(Array.from(cyrillic))
    expect(CharacterSet.decodeString(hex("c4 e9 ef ed f5 f3 e9 ef f2"), ["ISO_IR 126"], "PN")).toBe("Διονυσιος")
    expect(CharacterSet.decodeString(hex("c7 fd fe"), ["ISO_IR 148"], "LO")).toBe("Çış")
  })

  it("GB18030 decodes Chinese text", () => {
    expect(CharacterSet.decodeString(hex("57 61 6e 67 5e 58 69 61 6f 44 6f 6e 67 3d cd f5 5e d0 a1 b6 ab 3d"), ["GB18030"], "PN")).toBe(
      "Wang^XiaoDong=王^小东="
    )
  })

  it("ISO 2022 IR 87: Japanese person name with JIS X 0208 escapes (PS3.5 Annex H.3.1)", () => {
    const bytes = hex(
      "59 61 6d 61 64 61 5e 54 61 72 6f 75 3d 1b 24 42 3b 33 45 44 1b 28 42 5e 1b 24 42 42 40 4f 3a 1b 28 42 3d 1b 24 42 24 64 24 5e 24 40 1b 28 42 5e 1b 24 42 24 3f 24 6d 24 26 1b 28 42"
    )
    expect(CharacterSet.decodeString(bytes, ["", "ISO 2022 IR 87"], "PN")).toBe("Yamada^Tarou=山田^太郎=やまだ^たろう")
  })

  it("ISO 2022 IR 13 + IR 87: half-width katakana in G1, kanji via ESC $ B, back via ESC ( J (PS3.5 Annex H.3.2)", () => {
    const bytes = hex(
      "d4 cf c0 de 5e c0 db b3 3d 1b 24 42 3b 33 45 44 1b 28 4a 5e 1b 24 42 42 40 4f 3a 1b 28 4a 3d 1b 24 42 24 64 24 5e 24 40 1b 28 4a 5e 1b 24 42 24 3f 24 6d 24 26 1b 28 4a"
    )
    expect(CharacterSet.decodeString(bytes, ["ISO 2022 IR 13", "ISO 2022 IR 87"], "PN")).toBe("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう")
  })

  it("ISO 2022 IR 149: Korean person name with KS X 1001 in G1 (PS3.5 Annex I.2)", () => {
    const bytes = hex(
      "48 6f 6e 67 5e 47 69 6c 64 6f 6e 67 3d 1b 24 29 43 fb f3 5e 1b 24 29 43 d1 ce d4 d7 3d 1b 24 29 43 c8 ab 5e 1b 24 29 43 b1 e6 b5 bf"
    )
    expect(CharacterSet.decodeString(bytes, ["", "ISO 2022 IR 149"], "PN")).toBe("Hong^Gildong=洪^吉洞=홍^길동")
  })

  it("VRs not affected by the character set (CS, UI, DA, AE ...) are read in the default repertoire", () => {
    expect(CharacterSet.decodeString(hex("e9"), ["ISO_IR 192"], "CS")).toBe("é")
    expect(CharacterSet.decodeString(hex("41 42"), ["ISO_IR 144"], "UI")).toBe("AB")
  })

  it("a data set reads its strings with its own (0008,0005) and items inherit it", () => {
    const ds = Dataset.make([
      Element.string(0x00080005, "CS", "ISO_IR 100"),
      Element.primitive(0x00100010, "PN", hex("4a e9 72 f4 6d 65")),
      Element.sequence(0x00081140, [Dataset.make([Element.primitive(0x00104000, "LT", hex("e9 74 e9"))])])
    ])
    const back = DatasetCodec.decode(Result.getOrThrow(DatasetCodec.encode(ds, "1.2.840.10008.1.2.1")), "1.2.840.10008.1.2.1")
    assert(Result.isSuccess(back))
    expect(back.success.characterSet).toEqual(["ISO_IR 100"])
    expect(back.success.string("PatientName")).toBe("Jérôme")
    expect(back.success.sequence(0x00081140)?.[0]?.string(0x00104000)).toBe("été")
  })

  it("Element.string replaces characters the set cannot hold with '?'", () => {
    expect(Array.from(Element.string(0x00100010, "PN", "A山", ["ISO_IR 100"]).bytes)).toEqual([0x41, 0x3f])
  })
})
