import { assert, describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as Tag from "../src/Tag.js"

const Uint16 = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 0xffff }))

describe("PS3.5 §7.1 · Tag as group * 0x10000 + element", () => {
  it("packs group and element into an unsigned 32-bit number", () => {
    expect(Tag.make(0x0010, 0x0010)).toBe(0x00100010)
    expect(Tag.make(0xfffe, 0xe000)).toBe(0xfffee000)
    assert.isTrue(Tag.make(0xffff, 0xffff) > 0)
    expect(Tag.group(0x7fe00010)).toBe(0x7fe0)
    expect(Tag.element(0x7fe00010)).toBe(0x0010)
    expect(Tag.group(0xfffee0dd)).toBe(0xfffe)
  })

  it("names the item and delimitation tags of PS3.5 §7.5 and Pixel Data", () => {
    expect(Tag.Item).toBe(Tag.make(0xfffe, 0xe000))
    expect(Tag.ItemDelimitationItem).toBe(Tag.make(0xfffe, 0xe00d))
    expect(Tag.SequenceDelimitationItem).toBe(Tag.make(0xfffe, 0xe0dd))
    expect(Tag.PixelData).toBe(Tag.make(0x7fe0, 0x0010))
  })

  it("renders as the standard writes it", () => {
    expect(Tag.toString(0x00100010)).toBe("(0010,0010)")
    expect(Tag.toString(0xfffee00d)).toBe("(FFFE,E00D)")
    expect(Tag.toHex(0x0008001a)).toBe("0008001A")
    expect(Tag.toHex(0)).toBe("00000000")
  })

  it("parses the three spellings, case-insensitive", () => {
    expect(Tag.parse("0010,0010")).toBe(0x00100010)
    expect(Tag.parse("(0010,0010)")).toBe(0x00100010)
    expect(Tag.parse("00100010")).toBe(0x00100010)
    expect(Tag.parse("(fffe,e0dd)")).toBe(0xfffee0dd)
    expect(Tag.parse("7fe00010")).toBe(0x7fe00010)
  })

  it("rejects malformed tags", () => {
    for (const bad of ["", "0010", "0010,001", "(0010,0010", "0010,0010)", "0010;0010", "g0100010", "001000100", "(00100010"]) {
      expect(Tag.parse(bad), bad).toBeUndefined()
    }
  })

  it.prop("toString and toHex parse back to the same tag", [Uint16, Uint16], ([g, e]) => {
    const tag = Tag.make(g, e)
    return Tag.parse(Tag.toString(tag)) === tag && Tag.parse(Tag.toHex(tag)) === tag && Tag.group(tag) === g && Tag.element(tag) === e
  })
})

describe("PS3.5 §7.8.1 · private data elements", () => {
  it("odd groups are private except 0001, 0003, 0005, 0007 and FFFF", () => {
    assert.isTrue(Tag.isPrivate(0x00090010))
    assert.isTrue(Tag.isPrivate(0x00291010))
    assert.isTrue(Tag.isPrivate(0x7fe10010))
    assert.isTrue(Tag.isPrivate(0xfffd0000))
    for (const g of [0x0001, 0x0003, 0x0005, 0x0007, 0xffff]) assert.isFalse(Tag.isPrivate(Tag.make(g, 0x0010)))
    assert.isFalse(Tag.isPrivate(0x00100010))
    assert.isFalse(Tag.isPrivate(0xfffee000))
  })

  it("private creators are elements 0010-00FF of a private group", () => {
    assert.isTrue(Tag.isPrivateCreator(0x00090010))
    assert.isTrue(Tag.isPrivateCreator(0x001900ff))
    assert.isFalse(Tag.isPrivateCreator(0x0009000f))
    assert.isFalse(Tag.isPrivateCreator(0x00090100))
    assert.isFalse(Tag.isPrivateCreator(0x00091010))
    assert.isFalse(Tag.isPrivateCreator(0x00100010))
  })
})

describe("PS3.5 §7.2 · group length", () => {
  it("is element 0000 of any group", () => {
    assert.isTrue(Tag.isGroupLength(0x00000000))
    assert.isTrue(Tag.isGroupLength(0x00020000))
    assert.isTrue(Tag.isGroupLength(0x00090000))
    assert.isFalse(Tag.isGroupLength(0x00020001))
  })
})
