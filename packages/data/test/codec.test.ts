import { deflateRawSync } from "node:zlib"
import { assert, describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { Dataset, equals } from "../src/Dataset.js"
import * as DatasetCodec from "../src/DatasetCodec.js"
import * as Element from "../src/Element.js"
import { ascii, be16, bytes, implicitLE, le16, le32, longLE, shortLE, tagBE } from "./support/bytes.js"
import { dataset as generate, rng } from "./support/generate.js"

const ImplicitLE = "1.2.840.10008.1.2"
const ExplicitLE = "1.2.840.10008.1.2.1"
const ExplicitBE = "1.2.840.10008.1.2.2"
const Deflated = "1.2.840.10008.1.2.1.99"
const ITEM = 0xfffee000
const ITEM_END = 0xfffee00d
const SEQ_END = 0xfffee0dd
const UNDEFINED = 0xffffffff

const ok = <A, E extends { readonly message: string }>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) return assert.fail(r.failure.message)
  return r.success
}
const failure = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) return assert.fail("expected a failure")
  return r.failure
}

describe("PS3.5 §7 · round trips decode(encode(x)) = x over generated data sets", () => {
  const cases = [
    { name: "Implicit VR Little Endian", uid: ImplicitLE, explicit: false },
    { name: "Explicit VR Little Endian", uid: ExplicitLE, explicit: true },
    { name: "Explicit VR Big Endian", uid: ExplicitBE, explicit: true },
    { name: "Deflated Explicit VR Little Endian", uid: Deflated, explicit: true }
  ] as const
  for (const c of cases) {
    it(`${c.name}: 300 seeded data sets with nested sequences, fragments and UN sequences`, () => {
      let sequences = 0
      for (let seed = 1; seed <= 300; seed++) {
        const x = generate(rng(seed * 7919), { explicit: c.explicit })
        const encoded = ok(DatasetCodec.encode(x, c.uid))
        const decoded = ok(DatasetCodec.decode(encoded, c.uid))
        if (!equals(decoded, x)) assert.fail(`seed ${seed}: decode(encode(x)) differs from x`)
        // Exact reproduction: the decoded data set encodes to the same bytes (inflated, for deflate).
        const again = ok(DatasetCodec.encode(decoded, c.uid))
        const a = c.uid === Deflated ? ok(DatasetCodec.inflate(again)) : again
        const b = c.uid === Deflated ? ok(DatasetCodec.inflate(encoded)) : encoded
        expect(Buffer.from(a).equals(Buffer.from(b)), `seed ${seed}`).toBe(true)
        sequences += x.elements().filter((e) => e._tag === "Sequence").length
      }
      expect(sequences).toBeGreaterThan(100)
    })
  }

  it("a data set decoded from Big Endian re-encodes to Little Endian with swapped binary values", () => {
    const x = Dataset.make([Element.uint16(0x00280010, [1, 0x0102]), Element.attributeTag(0x00209165, 0x00100020), Element.float64(0x00189087, 2.5)])
    const be = ok(DatasetCodec.encode(x, ExplicitBE))
    const fromBe = ok(DatasetCodec.decode(be, ExplicitBE))
    expect(fromBe.littleEndian).toBe(false)
    expect(fromBe.numbers(0x00280010)).toEqual([1, 0x0102])
    expect(fromBe.numbers(0x00209165)).toEqual([0x00100020])
    expect(fromBe.number(0x00189087)).toBe(2.5)
    expect(Buffer.from(ok(DatasetCodec.encode(fromBe, ExplicitLE))).equals(Buffer.from(ok(DatasetCodec.encode(x, ExplicitLE))))).toBe(true)
  })
})

describe("PS3.5 §7.1.2 · data element encoding with explicit VR", () => {
  it("writes a 16-bit length for short VRs and reserved bytes plus a 32-bit length for OB, SQ, UN, UT ...", () => {
    const x = Dataset.make([Element.string(0x00100020, "LO", "AB"), Element.bytes(0x00420011, "OB", Uint8Array.of(1, 2))])
    expect(Array.from(ok(DatasetCodec.encode(x, ExplicitLE)))).toEqual([
      ...shortLE(0x00100020, "LO", ascii("AB")),
      ...longLE(0x00420011, "OB", 2, [1, 2])
    ])
  })

  it("writes tags, lengths and binary values big endian in Explicit VR Big Endian (PS3.5 §7.3)", () => {
    const x = Dataset.make([Element.uint16(0x00280010, 0x0201)])
    expect(Array.from(ok(DatasetCodec.encode(x, ExplicitBE)))).toEqual([...tagBE(0x00280010), ...ascii("US"), ...be16(2), 0x02, 0x01])
  })

  it("pads odd-length values: spaces for text, NUL for UI and binary (PS3.5 §6.2)", () => {
    const x = Dataset.make([
      Element.primitive(0x00080060, "CS", Uint8Array.from(ascii("ABC"))),
      Element.primitive(0x00080018, "UI", Uint8Array.from(ascii("1.2.3"))),
      Element.primitive(0x00420011, "OB", Uint8Array.of(9, 9, 9))
    ])
    expect(Array.from(ok(DatasetCodec.encode(x, ExplicitLE)))).toEqual([
      ...shortLE(0x00080018, "UI", [...ascii("1.2.3"), 0]),
      ...shortLE(0x00080060, "CS", ascii("ABC ")),
      ...longLE(0x00420011, "OB", 4, [9, 9, 9, 0])
    ])
  })

  it("fails with a typed error when a value is too long for a 16-bit length field", () => {
    const x = Dataset.make([Element.primitive(0x00100020, "LO", new Uint8Array(70000))])
    const e = failure(DatasetCodec.encode(x, ExplicitLE))
    expect(e._tag).toBe("DataEncodeError")
    expect(e.tag).toBe(0x00100020)
    expect(e.message).toContain("(0010,0020)")
    // Implicit VR has a 32-bit length for every element.
    expect(ok(DatasetCodec.encode(x, ImplicitLE)).length).toBe(70008)
  })

  it("rejects an unknown VR code with a typed error naming offset and tag", () => {
    const input = bytes(shortLE(0x00100010, "PN", ascii("AB")), [0x10, 0x00, 0x20, 0x00, ...ascii("ZZ"), ...le16(0)])
    const e = failure(DatasetCodec.decode(input, ExplicitLE))
    expect(e.kind).toBe("InvalidVR")
    expect(e.offset).toBe(14)
    expect(e.tag).toBe(0x00100020)
    expect(e.message).toBe("at offset 14, tag (0010,0020): unknown VR code 0x5a5a")
  })
})

describe("PS3.5 §7.5 · nesting of data sets", () => {
  const item = implicitLE(0x00081150, 4, ascii("1.2\0"))
  it("reads sequences and items of undefined length (delimitation items)", () => {
    const input = bytes(
      longLE(0x00081140, "SQ", UNDEFINED),
      implicitLE(ITEM, UNDEFINED),
      shortLE(0x00081150, "UI", ascii("1.2\0")),
      implicitLE(ITEM_END, 0),
      implicitLE(SEQ_END, 0)
    )
    const ds = ok(DatasetCodec.decode(input, ExplicitLE))
    const seq = ds.get(0x00081140)
    assert(seq?._tag === "Sequence")
    expect(seq.undefinedLength).toBe(true)
    expect(seq.items[0]?.undefinedLength).toBe(true)
    expect(seq.items[0]?.uid(0x00081150)).toBe("1.2")
    expect(Array.from(ok(DatasetCodec.encode(ds, ExplicitLE)))).toEqual(Array.from(input))
  })

  it("reads sequences and items of defined length in implicit VR (VR SQ from the dictionary)", () => {
    const input = bytes(implicitLE(0x00081140, 8 + item.length, [...implicitLE(ITEM, item.length), ...item]))
    const ds = ok(DatasetCodec.decode(input, ImplicitLE))
    expect(ds.sequence("ReferencedImageSequence")?.[0]?.uid("ReferencedSOPClassUID")).toBe("1.2")
    expect(Array.from(ok(DatasetCodec.encode(ds, ImplicitLE)))).toEqual(Array.from(input))
  })

  it("reads a private element of undefined length in implicit VR as a sequence", () => {
    const input = bytes(implicitLE(0x00091001, UNDEFINED), implicitLE(ITEM, item.length), item, implicitLE(SEQ_END, 0))
    const ds = ok(DatasetCodec.decode(input, ImplicitLE))
    expect(ds.sequence(0x00091001)?.length).toBe(1)
  })

  it("parses UN of undefined length as an Implicit VR LE sequence and writes it back as such (PS3.5 §6.2.2)", () => {
    const input = bytes(longLE(0x00091001, "UN", UNDEFINED), implicitLE(ITEM, UNDEFINED), item, implicitLE(ITEM_END, 0), implicitLE(SEQ_END, 0))
    const ds = ok(DatasetCodec.decode(input, ExplicitLE))
    const seq = ds.get(0x00091001)
    assert(seq?._tag === "Sequence")
    expect(seq.encodedAsUN).toBe(true)
    expect(seq.items[0]?.get(0x00081150)?.vr).toBe("UI")
    expect(Array.from(ok(DatasetCodec.encode(ds, ExplicitLE)))).toEqual(Array.from(input))
  })

  it("keeps encapsulated pixel data as untouched fragments that are views into the input (PS3.5 §A.4)", () => {
    const input = bytes(
      longLE(0x7fe00010, "OB", UNDEFINED),
      implicitLE(ITEM, 4, le32(0)),
      implicitLE(ITEM, 4, [0xff, 0xd8, 0xff, 0xe0]),
      implicitLE(ITEM, 2, [0xff, 0xd9]),
      implicitLE(SEQ_END, 0)
    )
    const ds = ok(DatasetCodec.decode(input, "1.2.840.10008.1.2.4.50"))
    const px = ds.get("PixelData")
    assert(px?._tag === "Fragments")
    expect(px.fragments.map((f) => Array.from(f))).toEqual([[0xff, 0xd8, 0xff, 0xe0], [0xff, 0xd9]])
    expect(px.fragments[0]?.buffer).toBe(input.buffer)
    expect(Array.from(ok(DatasetCodec.encode(ds, "1.2.840.10008.1.2.4.50")))).toEqual(Array.from(input))
  })

  it("fails with TooDeep when sequences nest deeper than maxDepth (default 64)", () => {
    const nest = (depth: number): Array<number> =>
      depth === 0 ? [] : [...longLE(0x00081140, "SQ", UNDEFINED), ...implicitLE(ITEM, UNDEFINED), ...nest(depth - 1), ...implicitLE(ITEM_END, 0), ...implicitLE(SEQ_END, 0)]
    expect(Result.isSuccess(DatasetCodec.decode(bytes(nest(64)), ExplicitLE))).toBe(true)
    const e = failure(DatasetCodec.decode(bytes(nest(65)), ExplicitLE))
    expect(e.kind).toBe("TooDeep")
    expect(e.tag).toBe(0x00081140)
    expect(failure(DatasetCodec.decode(bytes(nest(5)), ExplicitLE, { maxDepth: 4 })).kind).toBe("TooDeep")
  })
})

describe("Values stay raw views until a getter reads them", () => {
  it("decoded element values are subarrays of the input buffer (no copies)", () => {
    const x = generate(rng(42), { explicit: true, maxElements: 30 })
    const input = ok(DatasetCodec.encode(x, ExplicitLE))
    const ds = ok(DatasetCodec.decode(input, ExplicitLE))
    let checked = 0
    for (const e of ds.elements()) {
      if (e._tag !== "Primitive") continue
      expect(e.bytes.buffer).toBe(input.buffer)
      expect(e.bytes.byteOffset).toBeGreaterThanOrEqual(input.byteOffset)
      checked++
    }
    expect(checked).toBeGreaterThan(5)
  })

  it("a forwarded data set encodes to the input bytes without any getter being called", () => {
    const input = bytes(shortLE(0x00100010, "PN", ascii("Doe^J ")), shortLE(0x00100020, "LO", [0xff, 0xfe]), longLE(0x00420011, "OB", 2, [7, 8]))
    const out = ok(DatasetCodec.encode(ok(DatasetCodec.decode(input, ExplicitLE)), ExplicitLE))
    expect(Array.from(out)).toEqual(Array.from(input))
  })
})

describe("PS3.5 §A.5 · Deflated Explicit VR Little Endian", () => {
  it("bounds the inflated size (maxInflatedBytes)", () => {
    const big = Dataset.make([Element.bytes(0x00420011, "OB", new Uint8Array(4 * 1024 * 1024))])
    const deflated = ok(DatasetCodec.encode(big, Deflated))
    expect(deflated.length).toBeLessThan(64 * 1024)
    const e = failure(DatasetCodec.decode(deflated, Deflated, { maxInflatedBytes: 1024 * 1024 }))
    expect(e.kind).toBe("Deflate")
    expect(e.reason).toContain("maxInflatedBytes")
    expect(ok(DatasetCodec.decode(deflated, Deflated)).bytes(0x00420011)?.length).toBe(4 * 1024 * 1024)
  })

  it("a deflate bomb (65 MiB of zeros in ~65 KB) fails under the default maxInflatedBytes of 64 MiB, naming the limit", () => {
    const plain = new Uint8Array(12 + 65 * 1024 * 1024)
    plain.set(longLE(0x7fe00010, "OB", 65 * 1024 * 1024))
    const bomb = new Uint8Array(deflateRawSync(plain, { level: 1 }))
    expect(bomb.length).toBeLessThan(512 * 1024)
    expect(DatasetCodec.defaultMaxInflatedBytes).toBe(64 * 1024 * 1024)
    const e = failure(DatasetCodec.decode(bomb, Deflated))
    expect(e.kind).toBe("Deflate")
    expect(e.reason).toContain(`maxInflatedBytes ${64 * 1024 * 1024}`)
    expect(failure(DatasetCodec.inflate(bomb)).kind).toBe("Deflate")
    // A caller that expects such objects raises the limit explicitly.
    expect(ok(DatasetCodec.decode(bomb, Deflated, { maxInflatedBytes: 66 * 1024 * 1024 })).bytes(0x7fe00010)?.length).toBe(65 * 1024 * 1024)
  })

  it("inflates into one buffer of exactly the inflated size, across deflate blocks", () => {
    const ds = generate(rng(11), { explicit: true, maxElements: 60 })
    const plain = ok(DatasetCodec.encodeWith(ds, { explicitVR: true, littleEndian: true }))
    for (const level of [0, 1, 9] as const) {
      const out = ok(DatasetCodec.inflate(new Uint8Array(deflateRawSync(plain, { level }))))
      expect(out).toEqual(plain)
      expect(out.buffer.byteLength).toBe(plain.length)
    }
    expect(ok(DatasetCodec.inflate(new Uint8Array(deflateRawSync(new Uint8Array(0)))))).toEqual(new Uint8Array(0))
  })

  it("fails with a typed error on a broken or truncated deflate stream", () => {
    const good = ok(DatasetCodec.encode(generate(rng(3), { explicit: true, maxElements: 40 }), Deflated))
    expect(failure(DatasetCodec.decode(good.subarray(0, good.length >> 1), Deflated)).kind).toBe("Deflate")
    expect(failure(DatasetCodec.decode(Uint8Array.of(0xff, 0xff, 0xff, 0xff), Deflated)).kind).toBe("Deflate")
  })
})

describe("Malformed input gives a DataDecodeError naming offset and tag", () => {
  it("a value length past the end of the buffer is Truncated", () => {
    const input = bytes(shortLE(0x00100010, "PN", ascii("AB")), [0x10, 0, 0x20, 0, ...ascii("LO"), ...le16(200), 1, 2])
    const e = failure(DatasetCodec.decode(input, ExplicitLE))
    expect(e).toMatchObject({ kind: "Truncated", offset: 10, tag: 0x00100020 })
  })
  it("a value length past the end of its item is InvalidLength", () => {
    const inner = shortLE(0x00081150, "UI", ascii("1.2\0"))
    inner[6] = 40 // length 40 inside an item of 12 bytes
    const input = bytes(longLE(0x00081140, "SQ", 8 + inner.length), implicitLE(ITEM, inner.length), inner, shortLE(0x00100010, "PN", new Array(40).fill(0x41)))
    expect(failure(DatasetCodec.decode(input, ExplicitLE))).toMatchObject({ kind: "InvalidLength", tag: 0x00081150 })
  })
  it("a truncated element header is Truncated", () => {
    expect(failure(DatasetCodec.decode(Uint8Array.of(0x10, 0, 0x10, 0, 0x50), ExplicitLE))).toMatchObject({ kind: "Truncated", offset: 0 })
  })
  it("undefined length on a VR that cannot have one is InvalidLength", () => {
    expect(failure(DatasetCodec.decode(bytes(longLE(0x00420011, "UT", UNDEFINED)), ExplicitLE))).toMatchObject({ kind: "InvalidLength", tag: 0x00420011 })
  })
  it("a stray delimiter or a non-item inside a sequence is InvalidStructure", () => {
    expect(failure(DatasetCodec.decode(bytes(implicitLE(ITEM_END, 0)), ExplicitLE)).kind).toBe("InvalidStructure")
    expect(failure(DatasetCodec.decode(bytes(longLE(0x00081140, "SQ", 8), shortLE(0x00100010, "PN", [])), ExplicitLE)).kind).toBe("InvalidStructure")
  })
})
