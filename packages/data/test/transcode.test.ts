import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { deflateRawSync } from "node:zlib"
import { afterAll, assert, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Result, Stream } from "effect"
import { Dataset, equals } from "../src/Dataset.js"
import * as DatasetCodec from "../src/DatasetCodec.js"
import type { Element } from "../src/Element.js"
import * as Part10 from "../src/Part10.js"
import * as Transcode from "../src/Transcode.js"
import * as TransferSyntax from "../src/TransferSyntax.js"
import { type Line, parseDump, run } from "./support/dcmtk.js"
import { bytes, implicitLE, longLE, shortLE } from "./support/bytes.js"
import { dataset as generate, type Rng, rng } from "./support/generate.js"

const IVRLE = TransferSyntax.ImplicitVRLittleEndian
const EVRLE = TransferSyntax.ExplicitVRLittleEndian
const EVRBE = TransferSyntax.ExplicitVRBigEndian
const DEFL = TransferSyntax.DeflatedExplicitVRLittleEndian

const syntaxes = [
  { uid: IVRLE, name: "Implicit VR LE", option: "+ti" },
  { uid: EVRLE, name: "Explicit VR LE", option: "+te" },
  { uid: EVRBE, name: "Explicit VR BE", option: "+tb" },
  { uid: DEFL, name: "Deflated Explicit VR LE", option: "+td" }
] as const

const pairs = syntaxes.flatMap((from) => syntaxes.map((to) => ({ from, to })))

const ok = <A, E extends { readonly message: string }>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) return assert.fail(r.failure.message)
  return r.success
}

const failure = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) return assert.fail("expected a failure")
  return r.failure
}

const concat = (pieces: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of pieces) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Splits `bytes` at random points (1 byte to a few KiB) and pushes every piece. */
const transcodeChunked = (r: Rng, bytes: Uint8Array, from: string, to: string): Result.Result<Uint8Array, Transcode.TranscodeError> => {
  const t = Transcode.make(from, to)
  const out: Array<Uint8Array> = []
  let i = 0
  while (i < bytes.length) {
    const size = r.next() < 0.3 ? 1 + r.int(13) : 1 + r.int(4096)
    // Copies, so a view returned for one push cannot alias a later piece.
    const pushed = t.push(bytes.slice(i, Math.min(bytes.length, i + size)))
    if (Result.isFailure(pushed)) return Result.fail(pushed.failure)
    out.push(...pushed.success)
    i += size
  }
  const ended = t.end()
  if (Result.isFailure(ended)) return Result.fail(ended.failure)
  out.push(...ended.success)
  return Result.succeed(concat(out))
}

const raw = (bytes: Uint8Array, uid: string): Uint8Array => (uid === DEFL ? ok(DatasetCodec.inflate(bytes)) : bytes)

const hasFragments = (ds: Dataset): boolean => ds.elements().some((e: Element) => e._tag === "Fragments")

describe("PS3.5 §A.1–§A.5 · streaming transcoding between the uncompressed transfer syntaxes", () => {
  for (const { from, to } of pairs) {
    it(`${from.name} -> ${to.name}: random data sets under random chunkings equal DatasetCodec's encoding`, () => {
      const r = rng(0x5eed + from.uid.length * 31 + to.uid.length)
      let compared = 0
      for (let seed = 0; seed < 60; seed++) {
        const source = generate(rng(seed * 7919 + 1), { explicit: from.uid !== IVRLE, maxDepth: 3, maxElements: 14 })
        const input = ok(DatasetCodec.encode(source, from.uid))
        const decoded = ok(DatasetCodec.decode(input, from.uid))
        const ours = transcodeChunked(r, input, from.uid, to.uid)
        if (hasFragments(decoded) && from.uid !== to.uid) {
          // PS3.5 §A.4: encapsulated pixel data has no place in a native transfer syntax.
          assert(Result.isFailure(ours))
          expect(ours.failure._tag).toBe("DataEncodeError")
          expect(ours.failure.tag).toBe(0x7fe00010)
          continue
        }
        const expected = ok(DatasetCodec.encode(decoded, to.uid))
        const got = ok(ours)
        const a = ok(DatasetCodec.decode(got, to.uid))
        const b = ok(DatasetCodec.decode(expected, to.uid))
        assert.isTrue(equals(a, b), `seed ${seed}`)
        // Explicit -> implicit loses the VRs of private elements (they read back as UN); otherwise nothing changes.
        if (from.uid === IVRLE || to.uid !== IVRLE) assert.isTrue(equals(a, decoded), `seed ${seed}: same content as the source`)
        // Where element headers keep their size, lengths are kept too: the very bytes DatasetCodec writes.
        if (from.uid === IVRLE ? to.uid === IVRLE : to.uid !== IVRLE) {
          expect(Buffer.from(raw(got, to.uid)).equals(Buffer.from(raw(expected, to.uid))), `seed ${seed}`).toBe(true)
        }
        compared++
      }
      expect(compared).toBeGreaterThan(30)
    })
  }

  it("passes values that need no swap through as views of the pushed chunk", () => {
    const pixels = new Uint8Array(64 * 1024).map((_, i) => i & 0xff)
    const ds = Dataset.unsafeFromRecord({ Rows: 128, Columns: 256 }).with({ _tag: "Primitive", tag: 0x7fe00010, vr: "OW", bytes: pixels })
    const input = ok(DatasetCodec.encode(ds, IVRLE))
    const t = Transcode.make(IVRLE, EVRLE)
    const out = ok(t.push(input))
    const view = out.find((p) => p.length === pixels.length)
    assert(view !== undefined)
    expect(view.buffer).toBe(input.buffer)
    expect(ok(t.end())).toEqual([])
  })

  it("streams a large value through: each push gives back what it took, less a bounded carry-over", () => {
    const pixels = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 0xff)
    const input = ok(DatasetCodec.encode(Dataset.make([{ _tag: "Primitive", tag: 0x7fe00010, vr: "OW", bytes: pixels }]), EVRLE))
    // The OW header is 12 bytes in explicit VR, 8 in implicit VR.
    for (const [to, shrink] of [[EVRBE, 0], [IVRLE, 4]] as const) {
      const t = Transcode.make(EVRLE, to)
      let pushed = 0
      let out = 0
      const step = 999 // odd, so header and 2-byte units split across pushes
      for (let i = 0; i < input.length; i += step) {
        const piece = input.subarray(i, i + step)
        pushed += piece.length
        for (const o of ok(t.push(piece))) out += o.length
        // Only a header (12 bytes) or a split value unit (< 8 bytes) may wait for the next push.
        expect(pushed - out).toBeLessThan(12 + shrink)
      }
      for (const o of ok(t.end())) out += o.length
      expect(out).toBe(input.length - shrink)
    }
  })

  it("swaps binary values per value size between little and big endian", () => {
    const ds = Dataset.unsafeFromRecord({
      Rows: 0x0102,
      ReferencePixelX0: -2,
      DimensionIndexValues: [0x01020304],
      FrameIncrementPointer: [0x00181063],
      PixelSpacing: "0.5\\0.5"
    }).with({ _tag: "Primitive", tag: 0x00189087, vr: "FD", bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })
    const le = ok(DatasetCodec.encode(ds, EVRLE))
    const be = ok(Transcode.transcode(le, EVRLE, EVRBE))
    const back = ok(DatasetCodec.decode(be, EVRBE))
    expect(back.number("Rows")).toBe(0x0102)
    expect(back.number("ReferencePixelX0")).toBe(-2)
    expect(back.numbers("DimensionIndexValues")).toEqual([0x01020304])
    expect(back.numbers("FrameIncrementPointer")).toEqual([0x00181063])
    expect(back.strings("PixelSpacing")).toEqual(["0.5", "0.5"])
    expect([...(back.bytes(0x00189087) ?? [])]).toEqual([8, 7, 6, 5, 4, 3, 2, 1])
    expect(Buffer.from(ok(Transcode.transcode(be, EVRBE, EVRLE))).equals(Buffer.from(le))).toBe(true)
  })

  it("writes a value longer than 0xFFFE bytes with a 2-byte-length VR as UN in explicit VR (§6.2.2)", () => {
    const long = new Uint8Array(0x10000 + 2).fill(0x41)
    const ds = Dataset.make([{ _tag: "Primitive", tag: 0x00081030, vr: "LO", bytes: long }])
    const implicit = ok(DatasetCodec.encode(ds, IVRLE))
    for (const to of [EVRLE, EVRBE]) {
      const back = ok(DatasetCodec.decode(ok(Transcode.transcode(implicit, IVRLE, to)), to))
      const e = back.get(0x00081030)
      assert(e !== undefined && e._tag === "Primitive")
      expect(e.vr).toBe("UN")
      expect(e.bytes.length).toBe(long.length)
      expect(e.bytes.every((b) => b === 0x41)).toBe(true)
    }
  })

  it("turns defined-length sequences and items into undefined length when header sizes change (§7.5)", () => {
    const item = Dataset.unsafeFromRecord({ ReferencedSOPClassUID: "1.2.3", ReferencedSOPInstanceUID: "1.2.3.4" })
    const ds = Dataset.make([{ _tag: "Sequence", tag: 0x00081140, vr: "SQ", items: [item, item] }])
    const implicit = ok(DatasetCodec.encode(ds, IVRLE))
    const explicit = ok(Transcode.transcode(implicit, IVRLE, EVRLE))
    const back = ok(DatasetCodec.decode(explicit, EVRLE))
    const seq = back.get(0x00081140)
    assert(seq !== undefined && seq._tag === "Sequence")
    expect(seq.undefinedLength).toBe(true)
    expect(seq.items.map((i) => i.undefinedLength)).toEqual([true, true])
    assert.isTrue(equals(back, ds))
    // Between explicit syntaxes the defined lengths stay.
    const be = ok(DatasetCodec.decode(ok(Transcode.transcode(ok(DatasetCodec.encode(ds, EVRLE)), EVRLE, EVRBE)), EVRBE)).get(0x00081140)
    assert(be !== undefined && be._tag === "Sequence")
    expect(be.undefinedLength).toBeUndefined()
  })

  it("drops group lengths when element headers change size, keeps them otherwise (PS3.5 §7.2)", () => {
    const ds = Dataset.make([
      { _tag: "Primitive", tag: 0x00100000, vr: "UL", bytes: Uint8Array.of(16, 0, 0, 0) },
      { _tag: "Primitive", tag: 0x00100020, vr: "LO", bytes: new TextEncoder().encode("12345678") }
    ])
    const implicit = ok(DatasetCodec.encode(ds, IVRLE))
    const explicit = ok(DatasetCodec.decode(ok(Transcode.transcode(implicit, IVRLE, EVRLE)), EVRLE))
    expect(explicit.has(0x00100000)).toBe(false)
    expect(explicit.string("PatientID")).toBe("12345678")
    const be = ok(DatasetCodec.decode(ok(Transcode.transcode(ok(DatasetCodec.encode(ds, EVRLE)), EVRLE, EVRBE)), EVRBE))
    expect(be.number(0x00100000)).toBe(16)
  })

  it("pads odd-length values to even length outside defined-length containers", () => {
    // (0010,0010) PN "ABC" with an odd length 3, hand-made Explicit VR LE.
    const input = Uint8Array.of(0x10, 0x00, 0x10, 0x00, 0x50, 0x4e, 0x03, 0x00, 0x41, 0x42, 0x43)
    const implicit = ok(Transcode.transcode(input, EVRLE, IVRLE))
    expect([...implicit]).toEqual([0x10, 0x00, 0x10, 0x00, 0x04, 0x00, 0x00, 0x00, 0x41, 0x42, 0x43, 0x20])
  })

  it("passes encapsulated pixel data through unchanged when the transfer syntax stays the same", () => {
    const ds = Dataset.unsafeFromRecord({ Rows: 2 }).with({
      _tag: "Fragments",
      tag: 0x7fe00010,
      vr: "OB",
      offsetTable: new Uint8Array(0),
      fragments: [Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6)]
    })
    const jpeg = "1.2.840.10008.1.2.4.50"
    const bytes = ok(DatasetCodec.encode(ds, jpeg))
    assert.isTrue(Transcode.supports(jpeg, jpeg))
    assert.isFalse(Transcode.supports(jpeg, EVRLE))
    expect(Buffer.from(ok(Transcode.transcode(bytes, jpeg, jpeg))).equals(Buffer.from(bytes))).toBe(true)
    const refused = Transcode.transcode(bytes, jpeg, EVRLE)
    assert(Result.isFailure(refused))
    expect(refused.failure._tag).toBe("DataEncodeError")
  })

  it.effect("Transcode.stream pipes a byte stream through a transcoder", () =>
    Effect.gen(function* () {
      const ds = generate(rng(99), { explicit: true, maxDepth: 2, maxElements: 20 })
      const clean = Dataset.make(ds.elements().filter((e) => e._tag !== "Fragments"))
      const input = ok(DatasetCodec.encode(clean, EVRBE))
      const pieces = Array.from({ length: Math.ceil(input.length / 7) }, (_, i) => input.slice(i * 7, i * 7 + 7))
      const out = yield* Stream.fromIterable(pieces).pipe(Transcode.stream(EVRBE, DEFL), Stream.runCollect)
      assert.isTrue(equals(ok(DatasetCodec.decode(concat(out), DEFL)), clean))
      const failed = yield* Stream.make(Uint8Array.of(0x10, 0x00, 0x10, 0x00, 0x5a, 0x5a, 0, 0)).pipe(Transcode.stream(EVRLE, IVRLE), Stream.runCollect, Effect.flip)
      expect(failed._tag).toBe("DataDecodeError")
    })
  )
})

describe("Transcode · malformed input gives typed errors", () => {
  const errorOf = (bytes: Uint8Array, from: string, to: string) => {
    const r = Transcode.transcode(bytes, from, to)
    assert(Result.isFailure(r), "expected a failure")
    return r.failure
  }

  it("an unknown VR code is InvalidVR at its offset", () => {
    const e = errorOf(Uint8Array.of(0x10, 0x00, 0x10, 0x00, 0x5a, 0x5a, 0, 0), EVRLE, IVRLE)
    assert(e._tag === "DataDecodeError")
    expect(e.kind).toBe("InvalidVR")
    expect(e.offset).toBe(4)
    expect(e.tag).toBe(0x00100010)
  })

  it("input that stops inside a header or a value is Truncated", () => {
    const full = ok(DatasetCodec.encode(Dataset.unsafeFromRecord({ PatientName: "DOE^JOHN", PatientID: "123" }), EVRLE))
    for (const cut of [3, 10, full.length - 1]) {
      const e = errorOf(full.subarray(0, cut), EVRLE, EVRBE)
      assert(e._tag === "DataDecodeError")
      expect(e.kind).toBe("Truncated")
    }
  })

  it("an element running past the end of its item is InvalidLength", () => {
    // Item of length 8 holding an element header that announces 4 more bytes.
    const bytes = Uint8Array.of(
      0x08, 0x00, 0x40, 0x11, 0x10, 0x00, 0x00, 0x00, // (0008,1140) implicit, length 16
      0xfe, 0xff, 0x00, 0xe0, 0x08, 0x00, 0x00, 0x00, // Item, length 8
      0x08, 0x00, 0x50, 0x11, 0x04, 0x00, 0x00, 0x00 // (0008,1150) length 4: past the item
    )
    const e = errorOf(bytes, IVRLE, EVRLE)
    assert(e._tag === "DataDecodeError")
    expect(e.kind).toBe("InvalidLength")
  })

  it("a delimiter outside a sequence is InvalidStructure", () => {
    const e = errorOf(Uint8Array.of(0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0), IVRLE, EVRLE)
    assert(e._tag === "DataDecodeError")
    expect(e.kind).toBe("InvalidStructure")
  })

  it("a sequence that is never closed is Truncated at end()", () => {
    const t = Transcode.make(EVRLE, IVRLE)
    ok(t.push(Uint8Array.of(0x08, 0x00, 0x40, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff)))
    const e = t.end()
    assert(Result.isFailure(e))
    assert(e.failure._tag === "DataDecodeError")
    expect(e.failure.kind).toBe("Truncated")
    // A failed transcoder keeps failing.
    assert.isTrue(Result.isFailure(t.push(new Uint8Array(2))))
  })

  it("a broken or incomplete deflate stream is a Deflate error", () => {
    const deflated = ok(DatasetCodec.encode(Dataset.unsafeFromRecord({ PatientName: "DOE^JOHN", StudyDescription: "x".repeat(200) }), DEFL))
    const e = errorOf(deflated.subarray(0, deflated.length - 3), DEFL, EVRLE)
    assert(e._tag === "DataDecodeError")
    expect(e.kind === "Deflate" || e.kind === "Truncated").toBe(true)
    const garbage = errorOf(Uint8Array.of(0xff, 0xff, 0xff, 0xff), DEFL, EVRLE)
    assert(garbage._tag === "DataDecodeError")
    expect(garbage.kind).toBe("Deflate")
  })

  it("nesting deeper than maxDepth is TooDeep", () => {
    let ds = Dataset.unsafeFromRecord({ CodeValue: "X" })
    for (let i = 0; i < 6; i++) ds = Dataset.make([{ _tag: "Sequence", tag: 0x0040a730, vr: "SQ", items: [ds] }])
    const t = Transcode.make(EVRLE, IVRLE, { maxDepth: 4 })
    const r = t.push(ok(DatasetCodec.encode(ds, EVRLE)))
    assert(Result.isFailure(r) && r.failure._tag === "DataDecodeError")
    expect(r.failure.kind).toBe("TooDeep")
  })

  it("an unsupported pair is refused with a DataEncodeError", () => {
    const r = Transcode.make("1.2.840.10008.1.2.4.50", EVRLE).push(new Uint8Array(0))
    assert(Result.isFailure(r))
    expect(r.failure._tag).toBe("DataEncodeError")
  })
})

// An Explicit VR LE data set (3,216 bytes) that fflate 0.8.3's streaming Deflate compresses into a stream no inflater
// accepts ("invalid distance too far back", 101arrowz/fflate#260): fuzz target data.transcode, seed 0xb00902cc, shrunk.
const fflateTrigger =
  "CACAAExPGgBWVFE5VlNDNEEyRDNPTEw5V0JERlFTNFBFIDoAQAJTUQAAwAIAAP7/AOD/////CAA1AFRNBABOMEpNEgCHAERBBgAzNVk0MVMYAEaZRkQY" +
  "APEe0matWcRIA3MvsVkcwX/3XYtpG4PNDyQAIABGTBAAX7lNuyzO9t0Zw3oQrf0J8P7/DeAAAAAA/v8A4P////8IABQBU1QeAFVMWFczQjdETzVKRDRB" +
  "NDFaIFdIMVkgVktPUjhZMxgAYnBMVBYAUjdUSC1PMTI2WVlUVDZTTEJVQk9EIBgAMJNGRBgAAW+zbMGG5sMivuzlicv8YkxRVNz0w32VGAA4mVVTAAAo" +
  "AB9wRkwQAMziOKsZRPKiTRWNR50iCedQABgARFMKAFZaMzBMRi5GNiAAIUABQUUIADRDTDhJSzVJCjAVB1NRAAD//////v8A4HABAAAYAEBgVUwIAFhp" +
  "zydpVRByGABicExUCAAwUThPIEw3IBgAVZVTUQAA//////7/AOD/////CQD7EFVOAAAGAAAAT8scmFr6GAAAUFNIBgBGMEs0VEhEAAkATFQaAERBNVBa" +
  "U0o4RjEuRVFQMEtXNDRUTlhPTUk0/v8N4AAAAAD+/wDg0gAAAAgAgBBMTxQAMVFOTE9UMzRDOUlSVERGQS4zTiANAM4QVU4AAAQAAABn2bHpEwCxEFVO" +
  "AAAGAAAA95GY6DjsFAAkMERTDgBSM0hBMEFSN1I0R1BMSBcA5hBVTgAABgAAAMtnU7moghgAdABJUwQARkhVICAAcABMTwIAWiAiADAARkwMALgRbrD+" +
  "OL0zj8/cQmgA8mJGRBAAriKSCWB2ZmNlU/l76FccIwQwFABDUxAAT1RDRzZCMk4wWFVZMUQtWQowFQZMTwoALlo1UjFPOEEzMP7/3eAAAAAAIgAwFVVM" +
  "CAAnG2K6Wlq04f7/3eAAAAAAEDBUAExPFAAyQVZNMFVTU01QIC1BQ1ZHQTZDNv7/DeAAAAAAQAAj4FNRAACWCQAA/v8A4AAAAAD+/wDg/////wgAPhBM" +
  "Tw4AOTFMMVgwQ0dHUFRCUzkXAJ4QVU4AAAQAAACngna5IAAnAExPDgBVTFQ1TkFCTlE5UzNETiIAJxVGTBAAit0iJbJhlEraWzVSvtbGklQAAhFDUw4A" +
  "VERZMFZNWjRGTE9XOSBUACETRFMQADg4QTQwLjYtVTc1TEEyOUYIQBUBTFQaAFJYN0JYWFZINV5FNy1BUEM0UTNOMDRONVpPEEATEExUFABWQlM0SjNF" +
  "TkRaWFgtVF5ERCA2VP7/DeAAAAAA/v8A4P////8IADMhU1EAAAgAAAD+/wDgAAAAABEA9RBVTgAABAAAAEZgAfkXAGsQVU4AAAAAAAAXALQQVU4AAAQA" +
  "AAARwyvPGABwkEZEGAAfNKupCsDqbG+A0RGDEH1Z2hIEFXtlEfloAKBiU1EAAP/////+/wDg/////wgAICJTUQAAyAEAAP7/AOCWAAAADwDuEFVOAAAC" +
  "AAAA2n0VAM0QVU4AAAYAAAAYmIu4jWgVANUQVU4AAAAAAAAXAKUQVU4AAAAAAAAIMEIBSVMCADdDCjDVAElTBABaTjlPCjAuAURTCAAuUS5ITjlCUgow" +
  "1gFEUwwAWEg1RllPM1VEOUgzCjDkAkZMCADD6Bd4NgJBvQowlANGTAwA7ijNBWRivZ7daSqd/v8A4HIAAAAJAOEQVU4AAAQAAAC31rjYGAA3FlVMBACw" +
  "YJX3GABRk0ZMDAASMYbt6GVrLqbIyYUYAHSUQ1MCAFdQKACZkFVTAABAAGCgTE8KADA1VVUuOE1SVCBSAAgARkQIAIvMSPWYxdfDCjAGAERBBgBOVk42" +
  "SyD+/wDg/////wgACABDUxAAVU0tRi5JNzJHNE1XN1lYLQ0A2BBVTgAABAAAALIBNUwPAJwQVU4AAAgAAACPafdXbN08BBgAIFBMTyAASjAzODVSQkIt" +
  "VThNTlY2RVFXSDI4QU5VR1kgVFg1TjUYAEKZRkQIAFW4jfwuCSWEKAB0lENTDgA0TEFPUlFXWUwgOC1QRAQwVABDUwYAVDYzOE9eCjAlBEZMAAD+/w3g" +
  "AAAAAAgAWiJTUQAA//////7/3eAAAAAAFwAvEFVOAAAGAAAA0ULstiCjGABBkExPDABSWF5GTkNTRTZTVCAYABWXRkQQAMFIZ8Iq2ePL/nPBBjtXqLBU" +
  "AAISSVMGAEIxQ1NIIHAAChJTUQAA//////7/AOD/////CAAaAFVJDgBPUFFUVlVMOExRIEhLSxEAVxBVTgAABAAAACuKvaQRAOgQVU4AAAgAAAC3AD2h" +
  "8N/i6RQAVgBEUwwAQlhFQ0s4SVFURi0gFABIYERTBABeWFogFwDREFVOAAAIAAAAgs3OuJWxihFSADAAU1MIANsFWZz5HIN5agAFAExPBgBYNzFYNVH+" +
  "/w3gAAAAAP7/AODGAAAACABQEFBOJABLTU00SDdXIDdaUE9MVVAxU0IuNjNaNDExIElFUjlRTjZZT0kTAKkQVU4AAAQAAABqzLZAFQAhEFVOAAACAAAA" +
  "g88VAM8QVU4AAAQAAAAAOh1YGAAAcENTEABIMzc0NllUMEoxVCBTLVMgGAAWmUxPKABOWTVCUV4yNzVWVkRMTkQzRzNZRkRLVzJaREpYOE0gMFFUN0hE" +
  "QlVIGAAimUxPFAAxNkVGQVhLV09TTjhaQkQgQkIxICgAIAdVUwAA/v8A4P////8IACORVUkmAEFGQ1QgM01LQjU1UVcyU0ZJXjM4WFRCR01LQ1JCRFVO" +
  "NTVWR0g1FwBGEFVOAAAEAAAAT46cwxgAIFBMTyYASDMzRDY3VDBRTkdELTAwNU5GNk1OLkpFUSA0RlM3TlhKOUVDWURmABcARkwIAOXdPU+0Fn4ragAR" +
  "AE9MAAAAAAAAcgAQA0NTCgBVREY1S0VTUEsgCjByAExPAgA4IAwwGAFVUwgAWa4adrYTn1/+/w3gAAAAAP7/3eAAAAAACjByB1NRAAA2AQAA/v8A4NYA" +
  "AAAAABBQU0gAAAgAgABMTwYALi5GUkQgCwDuEFVOAAAAAAAADQBtEFVOAAAGAAAAX+85jgb+DwDpEFVOAAAEAAAAwvDbQxcAhxBVTgAAAgAAANnZGAAV" +
  "l0ZEIAArr73c2tl8MbXIPyXaQ3bq5qFkgsKDSaolNmDsIKZv0GgA0GJVUwgAbR09tB/9AXAIMHgARFMCAFcyCjA0AURTAAAKMGUGT0YAAAQAAADUTAV9" +
  "CjA1B1NUIgBXV0RCNDFXSU5FOEFPRVA1TFJGQ0VPVE5MMjEtVVA2WFog/v8A4CgAAAALAIIQVU4AAAAAAAAoADQASVMIADguTSBERU8gCDBFAEZMBAAo" +
  "GFIB/v8A4P////9wAFgCRkwQAGNXnt6tY6aGkX4WWRuTmVf+/w3gAAAAABAwBQBMTwoAQTVIRjM3TDBFWv7/DeAAAAAA/v8A4CwAAAAWABoAVVMAABgA" +
  "tBFDUwgAS1FFQjUyVFEGMIIASVMMAFdaUElRLl5eNklIOP7/AOD/////FgA0AERTDABUSUReIEVXRCAtMiAgAFSSRkQgAAKPL7SdtpKXw0RXtKUKfesx" +
  "DMDxdaSrKJhcKSbbnYokKAAHAVVTBgCvNKUizcRgAAAwU1EAAKYBAAD+/wDg/////wsA8RBVTgAABAAAAFrTN7ENAGkQVU4AAAYAAACJL9+hbAUXANIQ" +
  "VU4AAAIAAAB+0nIAFABVUwIAAlr+/w3gAAAAAP7/AOD0AAAAEQDTEFVOAAAIAAAA75UM9jm6W1sVALMQVU4AAAAAAAAYADtgU0wQABvGLT8ZuPk3lV92" +
  "cT2mAvkYAGGQRkQYAD5RbuRCKktfBh6BWwTsTH4cWOigOrZYpBgAGJVTUwQA5tadnSgAAgRVUwgANc3+djGqBNdAADdAUE4mAEJIQVIyNzggUSA1WUlR" +
  "RVBDLVhWMlEtODg1MktUUFBVOVpBSS4udgAwAExPJgBIWjhHWU5VWjZER1lLNVktMERSUEY3V1dDSUM1OUxLWFhQV0FJMAowGgJEUwwAODNZNlZJUjQ2" +
  "RzAgCjDkAkZMCABX8K8rnhBOev7/AOD/////EgBiAENTDABROE1KTDVTTEtUOFIYAFKURkwQABUeefsVT4Cuj35/cFSdYbEgAA0AVUkQAC5aWjI3STk1" +
  "S1VRUzVHNgA6AEgCRkwEALGwwkj+/w3gAAAAAAwwGQFVUwAA/v8N4AAAAAD+/93gAAAAAAowJgZGRBAARWF4aY1bF9Q11BkscMspw/7/DeAAAAAA"

const ITEM = 0xfffee000
const ITEM_END = 0xfffee00d
const UNDEFINED = 0xffffffff
const uid = [0x31, 0x2e, 0x32, 0x00] // "1.2\0"

describe("Transcode · fuzz findings (regressions)", () => {
  it("Deflated Explicit VR LE output inflates to the data set (not fflate's streaming Deflate, 101arrowz/fflate#260)", () => {
    const input = Uint8Array.from(Buffer.from(fflateTrigger, "base64"))
    expect(input.length).toBe(3216)
    const source = ok(DatasetCodec.decode(input, EVRLE))
    for (const from of [EVRLE, IVRLE, EVRBE]) {
      const encoded = ok(DatasetCodec.encode(source, from))
      // From Implicit VR, sequences and items are written with undefined length (§7.5), so the bytes differ.
      const expected = from === IVRLE ? ok(Transcode.transcode(encoded, from, EVRLE)) : input
      for (const r of [Transcode.transcode(encoded, from, DEFL), transcodeChunked(rng(from.length), encoded, from, DEFL)]) {
        const deflated = ok(r)
        expect(ok(DatasetCodec.inflate(deflated))).toEqual(expected)
        assert.isTrue(equals(ok(DatasetCodec.decode(deflated, DEFL)), source))
      }
    }
  })

  it("a deflated target is written at end(): pushes give nothing, end() gives the whole stream", () => {
    const input = Uint8Array.from(Buffer.from(fflateTrigger, "base64"))
    const t = Transcode.make(EVRLE, DEFL)
    expect(ok(t.push(input.subarray(0, 1000)))).toEqual([])
    expect(ok(t.push(input.subarray(1000)))).toEqual([])
    const out = ok(t.end())
    expect(out.length).toBe(1)
    expect(ok(DatasetCodec.inflate(concat(out)))).toEqual(input)
  })

  it("a deflated source is bounded by maxInflatedBytes (default 64 MiB): a deflate bomb is a Deflate error naming the limit", () => {
    // 65 MiB of zeros in one OB element: about 65 KB deflated.
    const plain = new Uint8Array(12 + 65 * 1024 * 1024)
    plain.set(longLE(0x7fe00010, "OB", 65 * 1024 * 1024))
    const bomb = new Uint8Array(deflateRawSync(plain, { level: 1 }))
    expect(bomb.length).toBeLessThan(512 * 1024)
    expect(DatasetCodec.defaultMaxInflatedBytes).toBe(64 * 1024 * 1024)
    for (const options of [{}, { maxInflatedBytes: 1024 * 1024 }]) {
      const t = Transcode.make(DEFL, EVRLE, options)
      let failed: Transcode.TranscodeError | undefined
      for (let i = 0; i < bomb.length && failed === undefined; i += 65536) {
        const r = t.push(bomb.subarray(i, i + 65536))
        if (Result.isFailure(r)) failed = r.failure
      }
      assert(failed !== undefined && failed._tag === "DataDecodeError")
      expect(failed.kind).toBe("Deflate")
      expect(failed.reason).toContain(`maxInflatedBytes ${options.maxInflatedBytes ?? 64 * 1024 * 1024}`)
    }
  })

  describe("Explicit -> Implicit VR: an explicit VR that Implicit VR decoding (VR from the dictionary) would read otherwise", () => {
    it("(300A,0616), SQ in the dictionary, sent as US, is a DataEncodeError naming the tag and both VRs", () => {
      const input = Uint8Array.from(Buffer.from("0a301606555302000100", "hex"))
      for (const from of [EVRLE, DEFL]) {
        const r = Transcode.transcode(from === DEFL ? ok(DatasetCodec.encode(ok(DatasetCodec.decode(input, EVRLE)), DEFL)) : input, from, IVRLE)
        assert(Result.isFailure(r))
        const e = r.failure
        assert(e._tag === "DataEncodeError")
        expect(e.tag).toBe(0x300a0616)
        expect(e.reason).toContain("(300A,0616)")
        expect(e.reason).toContain("VR US")
        expect(e.reason).toContain("SQ")
      }
      // Explicit targets carry the VR, so nothing is lost there.
      for (const to of [EVRLE, EVRBE]) assert.isTrue(equals(ok(DatasetCodec.decode(ok(Transcode.transcode(input, EVRLE, to)), to)), ok(DatasetCodec.decode(input, EVRLE))))
    })

    it("a sequence at (7FE0,0010) is a DataEncodeError (Implicit VR decoding would read encapsulated pixel data)", () => {
      for (const input of [bytes(longLE(0x7fe00010, "SQ", UNDEFINED), implicitLE(0xfffee0dd, 0)), bytes(longLE(0x7fe00010, "SQ", 0)), bytes(longLE(0x7fe00010, "UN", UNDEFINED), implicitLE(0xfffee0dd, 0))]) {
        ok(DatasetCodec.decode(input, EVRLE))
        const r = Transcode.transcode(input, EVRLE, IVRLE)
        assert(Result.isFailure(r) && r.failure._tag === "DataEncodeError")
        expect(r.failure.tag).toBe(0x7fe00010)
      }
    })

    it("UN of defined length where the dictionary says SQ is read as the Implicit VR LE sequence it holds (§6.2.2)", () => {
      const content = [...implicitLE(ITEM, 12), ...implicitLE(0x00081150, 4, uid)]
      const input = bytes(longLE(0x00081140, "UN", content.length, content), shortLE(0x00100020, "LO", [0x41, 0x20]))
      const out = ok(DatasetCodec.decode(ok(Transcode.transcode(input, EVRLE, IVRLE)), IVRLE))
      const items = out.sequence(0x00081140)
      assert(items !== undefined)
      expect(items.length).toBe(1)
      expect(items[0]?.uid(0x00081150)).toBe("1.2")
      expect(out.string(0x00100020)).toBe("A")
      // Garbage inside such a UN value is refused, not forwarded.
      const broken = bytes(longLE(0x00081140, "UN", 4, [1, 2, 3, 4]))
      assert.isTrue(Result.isFailure(Transcode.transcode(broken, EVRLE, IVRLE)))
    })
  })

  describe("what DatasetCodec.decode rejects, the transcoder rejects with the same kind of error", () => {
    // (0008,1140) of defined length `length` (correct: 28) holding one item of undefined length, then (0010,0020).
    const sequence = (length: number) =>
      bytes(implicitLE(0x00081140, length), implicitLE(ITEM, UNDEFINED), implicitLE(0x00081150, 4, uid), implicitLE(ITEM_END, 0), implicitLE(0x00100020, 2, [0x41, 0x20]))

    it("the well-formed reference transcodes and decodes", () => {
      ok(DatasetCodec.decode(sequence(28), IVRLE))
      for (const to of [IVRLE, EVRLE]) ok(DatasetCodec.decode(ok(Transcode.transcode(sequence(28), IVRLE, to)), to))
    })

    it("a defined-length sequence that ends inside its undefined-length item (before or across the Item Delimitation Item) is InvalidLength", () => {
      for (const length of [20, 24, 27]) {
        const input = sequence(length)
        const d = DatasetCodec.decode(input, IVRLE)
        assert(Result.isFailure(d))
        expect(d.failure.kind).toBe("InvalidLength")
        for (const to of [IVRLE, EVRLE, EVRBE]) {
          for (const r of [Transcode.transcode(input, IVRLE, to), transcodeChunked(rng(length), input, IVRLE, to)]) {
            assert(Result.isFailure(r), `length ${length} -> ${to}`)
            assert(r.failure._tag === "DataDecodeError")
            expect(r.failure.kind).toBe("InvalidLength")
            expect(r.failure.tag === 0x00081140 || r.failure.tag === ITEM_END).toBe(true)
          }
        }
      }
    })

    it("an undefined-length sequence or item still open where its enclosing defined-length item ends is InvalidLength", () => {
      // Item of length 20 holding (0040,A730) SQ undefined, an item of undefined length and nothing more.
      const inner = [...longLE(0x0040a730, "SQ", UNDEFINED), ...implicitLE(ITEM, UNDEFINED)]
      const input = bytes(longLE(0x00081140, "SQ", 8 + inner.length), implicitLE(ITEM, inner.length), inner, implicitLE(ITEM_END, 0), implicitLE(0xfffee0dd, 0), implicitLE(0xfffee0dd, 0))
      expect(failure(DatasetCodec.decode(input, EVRLE)).kind).toBe("InvalidLength")
      const r = Transcode.transcode(input, EVRLE, IVRLE)
      assert(Result.isFailure(r) && r.failure._tag === "DataDecodeError")
      expect(r.failure.kind).toBe("InvalidLength")
      expect(r.failure.reason).toContain("undefined length")
    })

    it("at end(), an open item or sequence is Truncated, as it is for the decoder", () => {
      const input = sequence(0xffffffff).subarray(0, 8 + 8 + 12) // undefined-length sequence, item, one element
      expect(failure(DatasetCodec.decode(input, IVRLE)).kind).toBe("Truncated")
      const r = Transcode.transcode(input, IVRLE, EVRLE)
      assert(Result.isFailure(r) && r.failure._tag === "DataDecodeError")
      expect(r.failure.kind).toBe("Truncated")
    })
  })
})

// Text dump for dump2dcm: sequences nested two deep, private elements, every binary VR that swaps.
const dump = `
(0008,0005) CS [ISO_IR 100]
(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]
(0008,0018) UI [2.25.1234567890]
(0008,0060) CS [OT]
(0008,1140) SQ (Sequence with undefined length)
  (fffe,e000) na (Item with undefined length)
    (0008,1150) UI [1.2.840.10008.5.1.4.1.1.2]
    (0008,1155) UI [1.2.3.4.5]
    (0008,1160) IS [1\\2\\3]
  (fffe,e00d) na (ItemDelimitationItem)
  (fffe,e000) na (Item with undefined length)
    (0040,a730) SQ (Sequence with undefined length)
      (fffe,e000) na (Item with undefined length)
        (0008,0100) SH [CODE1]
        (0008,0104) LO [odd]
      (fffe,e00d) na (ItemDelimitationItem)
    (fffe,e0dd) na (SequenceDelimitationItem)
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0009,0010) LO [DICOMNET TEST]
(0009,1001) LO [private text]
(0010,0010) PN [Doe^Jane]
(0010,0020) LO [PID-001]
(0018,1310) US 0\\256\\256\\0
(0018,6020) SL -42
(0018,9087) FD 2.25
(0018,9219) SS -7
(0018,9461) FL 0.5\\-1.5
(0020,9157) UL 4000000000\\1
(0020,9165) AT (0010,0010)\\(0028,0010)
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 4
(0028,0011) US 4
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
(0042,0011) OB 01\\02\\03\\fe
(7fe0,0010) OW 0001\\0002\\0003\\0004\\0005\\0006\\0007\\0008\\0009\\000a\\000b\\000c\\000d\\000e\\000f\\0010
`

describe("Transcode · interoperability with DCMTK 3.6 (dcmdump reads our output, dcmconv agrees)", () => {
  let dir = ""
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dicomnet-transcode-"))
    writeFileSync(join(dir, "source.dump"), Buffer.from(dump, "latin1"))
    const made = await run("dump2dcm", ["-q", join(dir, "source.dump"), join(dir, "source.dcm")])
    expect(made.stderr).toBe("")
    expect(made.code).toBe(0)
    // One source per syntax, written by dcmconv with defined-length sequences and items (its default).
    for (const s of syntaxes) {
      const conv = await run("dcmconv", [s.option, join(dir, "source.dcm"), join(dir, `src${s.option.slice(1)}.dcm`)])
      expect(conv.stderr).toBe("")
      expect(conv.code).toBe(0)
    }
  })
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true })
  })

  const dcmdump = async (file: string): Promise<ReadonlyArray<Line>> => {
    const r = await run("dcmdump", ["-Un", "+L", file])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    return parseDump(r.stdout)
  }

  for (const { from, to } of pairs) {
    it(`${from.name} -> ${to.name}: dcmdump reads our file, element by element as dcmconv ${to.option} writes it`, async () => {
      const source = new Uint8Array(readFileSync(join(dir, `src${from.option.slice(1)}.dcm`)))
      const meta = ok(Part10.readMeta(source))
      expect(meta.transferSyntaxUid).toBe(from.uid)
      const body = ok(transcodeChunked(rng(from.option.charCodeAt(2) * 97 + to.option.charCodeAt(2)), source.subarray(meta.datasetOffset), from.uid, to.uid))
      const head = Part10.encodeMeta({
        mediaStorageSopClassUid: meta.mediaStorageSopClassUid ?? "",
        mediaStorageSopInstanceUid: meta.mediaStorageSopInstanceUid ?? "",
        transferSyntaxUid: to.uid
      })
      const ours = join(dir, `ours${from.option.slice(1)}${to.option.slice(1)}.dcm`)
      writeFileSync(ours, concat([head, body]))
      const theirs = join(dir, `dcmconv${from.option.slice(1)}${to.option.slice(1)}.dcm`)
      const conv = await run("dcmconv", [to.option, join(dir, `src${from.option.slice(1)}.dcm`), theirs])
      expect(conv.stderr).toBe("")
      expect(conv.code).toBe(0)
      const listed = await dcmdump(ours)
      expect(listed.length).toBeGreaterThan(30)
      expect(listed).toEqual(await dcmdump(theirs))
    })
  }
})
