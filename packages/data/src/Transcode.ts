/**
 * A streaming, sans-IO transcoder between the uncompressed transfer syntaxes (PS3.5 §A.1–§A.5): Implicit VR
 * Little Endian, Explicit VR Little Endian, Explicit VR Big Endian and Deflated Explicit VR Little Endian. Bytes
 * go in as chunks of any size and come out as chunks; memory stays bounded (one element header, a partial value
 * unit and a stack of open sequences and items), and values are never gathered: large values such as native
 * pixel data stream through in pieces, as views of the input when no byte swap is needed. One exception: a
 * Deflated Explicit VR Little Endian target is compressed in one piece at end() (fflate's streaming Deflate
 * writes corrupt streams, 101arrowz/fflate#260), so its memory grows with the data set; that transfer syntax is
 * used in practice for small non-image objects. Deflated input is inflated as it streams in, within
 * `maxInflatedBytes`.
 *
 * Rules applied (PS3.5):
 * - Explicit -> Implicit drops the VR; Implicit -> Explicit takes it from the dictionary (UN, with a 4-byte length,
 *   for unknown and private tags), and a 2-byte-length VR whose value exceeds 0xFFFE bytes becomes UN (§6.2.2).
 * - Little <-> Big Endian swaps the binary VRs per value size (US SS UL SL FL FD AT OW OF OD OL OV SV UV).
 * - When element headers change size (Implicit <-> Explicit), defined-length sequences and items are written with
 *   undefined length and delimitation items (§7.5), so no length needs to be known in advance.
 * - A UN element of undefined length (a sequence in Implicit VR Little Endian, §6.2.2) keeps its content as is.
 * - Odd-length values are padded to even length, except inside a sequence or item whose defined length is kept.
 * - Group lengths (gggg,0000), retired in data sets, are dropped when element headers change size (they would lie).
 * - Encapsulated pixel data (§A.4) passes through only when `from` equals `to`: a native syntax cannot carry it.
 * - Explicit -> Implicit: an element whose explicit VR would make Implicit VR decoding (VR from the dictionary)
 *   parse it otherwise is refused (DataEncodeError naming both VRs): a non-SQ VR where the dictionary says SQ, or a
 *   sequence at (7FE0,0010). A UN element of defined length that the dictionary knows as SQ is read as the
 *   Implicit VR Little Endian sequence it holds (§6.2.2) and written as a sequence.
 * - The structure is checked as `DatasetCodec.decode` checks it: a defined-length sequence or item ends exactly at an
 *   element boundary, an undefined-length one is closed before its enclosing defined-length one ends, and at end()
 *   an open sequence, item, value or header is Truncated.
 *
 * @since 0.1.0
 */
import { Effect, Result, Stream } from "effect"
import { Inflate, deflateSync } from "fflate"
import * as Bytes from "./Bytes.js"
import { type DataDecodeError, DataEncodeError, type DecodeErrorKind, decodeError } from "./DataError.js"
import * as Dictionary from "./Dictionary.js"
import * as Tag from "./Tag.js"
import { defaultMaxInflatedBytes, syntaxOf } from "./DatasetCodec.js"
import { swapUnit } from "./internal/binary.js"
import * as VRs from "./VR.js"
import type { VR } from "./VR.js"

/**
 * A failure while transcoding: malformed input (DataDecodeError) or content the target cannot hold (DataEncodeError).
 *
 * @since 0.1.0
 * @category errors
 */
export type TranscodeError = DataDecodeError | DataEncodeError

/**
 * Options of a transcoder.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Deepest allowed nesting of sequences (default 64). */
  readonly maxDepth?: number
  /** Deflate level for a deflated target (default 6). */
  readonly deflateLevel?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9
  /** Largest inflated size of a deflated source in bytes (default `DatasetCodec.defaultMaxInflatedBytes`, 64 MiB). */
  readonly maxInflatedBytes?: number
}

/**
 * A stateful transcoder: push chunks of the source data set, then end; each call returns the output chunks ready
 * so far. Outputs may be views of pushed chunks, so a pushed chunk must not be modified afterwards.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transcoder {
  readonly from: string
  readonly to: string
  /** Consumes a chunk of the source data set (any split). */
  readonly push: (chunk: Uint8Array) => Result.Result<ReadonlyArray<Uint8Array>, TranscodeError>
  /** Signals the end of the source; fails when the data set is incomplete. */
  readonly end: () => Result.Result<ReadonlyArray<Uint8Array>, TranscodeError>
}

const IMPLICIT_LE = "1.2.840.10008.1.2"
const uncompressed = new Set([IMPLICIT_LE, "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"])

/**
 * True when `make(from, to)` can transcode: both are uncompressed transfer syntaxes, or they are the same one.
 *
 * @since 0.1.0
 * @category predicates
 */
export const supports = (from: string, to: string): boolean =>
  clean(from) === clean(to) || (uncompressed.has(clean(from)) && uncompressed.has(clean(to)))

const clean = (uid: string): string => uid.replace(/[\0 ]+$/, "")

const ITEM = 0xfffee000
const ITEM_DELIMITATION = 0xfffee00d
const SEQUENCE_DELIMITATION = 0xfffee0dd
const PIXEL_DATA = 0x7fe00010
const UNDEFINED = 0xffffffff
/** Values shorter than this are copied into the output buffer; longer ones leave as views of the input. */
const COPY_BELOW = 2048
const OUT_SIZE = 16384
/** Deflated input is inflated in steps of this size, so one push never inflates more than ~1032x of it at once. */
const INFLATE_STEP = 16384

interface Layout {
  readonly explicitVR: boolean
  readonly littleEndian: boolean
}

const implicitLE: Layout = { explicitVR: false, littleEndian: true }

interface Frame {
  readonly kind: "item" | "sequence" | "fragments"
  readonly tag: number
  /** Input offset where a defined-length frame ends; -1 for undefined length. */
  readonly inEnd: number
  /** The nearest enclosing input end (own or inherited); -1 when none. */
  readonly limit: number
  readonly inS: Layout
  readonly outS: Layout
  /** Defined length in the input, undefined in the output: a delimitation item is written when it ends. */
  readonly addDelimiter: boolean
  /** The output keeps a defined length (so nothing inside may change size). */
  readonly outDefined: boolean
}

// Thrown inside the transcoder and caught at push/end.
class Failure {
  constructor(readonly error: TranscodeError) {}
}

const failDecode = (kind: DecodeErrorKind, offset: number, tag: number | undefined, reason: string): never => {
  throw new Failure(decodeError(kind, offset, tag, reason))
}

const failEncode = (tag: number | undefined, reason: string): never => {
  throw new Failure(new DataEncodeError({ tag, reason }))
}

/** The output: small writes gather in a buffer that is handed out in slices; large values pass as views. */
class Out {
  buf = new Uint8Array(OUT_SIZE)
  start = 0
  pos = 0
  constructor(readonly sink: (piece: Uint8Array) => void) {}

  ensure(k: number): void {
    if (this.buf.length - this.pos >= k) return
    this.flush()
    this.buf = new Uint8Array(Math.max(OUT_SIZE, k))
    this.start = 0
    this.pos = 0
  }

  flush(): void {
    if (this.pos > this.start) {
      this.sink(this.buf.subarray(this.start, this.pos))
      this.start = this.pos
    }
  }

  view(piece: Uint8Array): void {
    this.flush()
    this.sink(piece)
  }

  copy(src: Uint8Array, at: number, n: number): void {
    this.ensure(n)
    this.buf.set(src.subarray(at, at + n), this.pos)
    this.pos += n
  }

  u8(v: number): void {
    this.ensure(1)
    this.buf[this.pos++] = v
  }

  u16(v: number, le: boolean): void {
    this.ensure(2)
    const b = this.buf
    const p = this.pos
    if (le) {
      b[p] = v & 0xff
      b[p + 1] = (v >>> 8) & 0xff
    } else {
      b[p] = (v >>> 8) & 0xff
      b[p + 1] = v & 0xff
    }
    this.pos = p + 2
  }

  u32(v: number, le: boolean): void {
    if (le) {
      this.u16(v & 0xffff, true)
      this.u16(v >>> 16, true)
    } else {
      this.u16(v >>> 16, false)
      this.u16(v & 0xffff, false)
    }
  }

  tag(t: number, le: boolean): void {
    this.u16(t >>> 16, le)
    this.u16(t & 0xffff, le)
  }

  /** An element header; `length` may be UNDEFINED. */
  header(t: number, vr: VR, length: number, s: Layout): void {
    this.tag(t, s.littleEndian)
    if (!s.explicitVR) {
      this.u32(length, s.littleEndian)
      return
    }
    this.u8(vr.charCodeAt(0))
    this.u8(vr.charCodeAt(1))
    if (VRs.info(vr).longLength) {
      this.u16(0, true)
      this.u32(length, s.littleEndian)
    } else {
      this.u16(length, s.littleEndian)
    }
  }
}

const HEADER = 0
const VALUE = 1

class Machine {
  readonly from: Layout
  readonly to: Layout
  readonly rewriteLengths: boolean
  readonly sameSyntax: boolean
  readonly maxDepth: number
  readonly out: Out
  readonly stack: Array<Frame> = []
  depth = 0
  definedOut = 0
  inPos = 0
  mode = HEADER
  readonly hdr = new Uint8Array(12)
  hdrLen = 0
  need = 8
  remaining = 0
  /** Bytes per swapped unit: 1 copies, 2/4/8 swap, 0 drops the value. */
  unit = 1
  pad = -1
  readonly unitBuf = new Uint8Array(8)
  unitLen = 0

  constructor(from: Layout, to: Layout, sameSyntax: boolean, maxDepth: number, sink: (piece: Uint8Array) => void) {
    this.from = from
    this.to = to
    this.sameSyntax = sameSyntax
    // Element headers change size only between implicit and explicit VR (8 vs 8/12 bytes).
    this.rewriteLengths = from.explicitVR !== to.explicitVR
    this.maxDepth = maxDepth
    this.out = new Out(sink)
  }

  feed(chunk: Uint8Array): void {
    const n = chunk.length
    let i = 0
    while (i < n) {
      if (this.mode === VALUE) {
        const take = Math.min(this.remaining, n - i)
        if (this.unit === 1) {
          if (take >= COPY_BELOW) this.out.view(chunk.subarray(i, i + take))
          else this.out.copy(chunk, i, take)
        } else if (this.unit > 1) {
          this.swap(chunk, i, take)
        }
        i += take
        this.inPos += take
        this.remaining -= take
        if (this.remaining === 0) this.endValue()
        continue
      }
      const hdr = this.hdr
      while (this.hdrLen < this.need && i < n) hdr[this.hdrLen++] = chunk[i++] ?? 0
      if (this.hdrLen < this.need) break
      this.header()
    }
  }

  finish(): void {
    if (this.mode === VALUE) failDecode("Truncated", this.inPos, undefined, `input ends ${this.remaining} bytes before the end of a value`)
    if (this.hdrLen > 0) failDecode("Truncated", this.inPos, undefined, `input ends inside an element header (${this.hdrLen} bytes)`)
    const open = this.stack[this.stack.length - 1]
    if (open !== undefined) failDecode("Truncated", this.inPos, open.tag, `input ends inside an open ${open.kind === "fragments" ? "encapsulated pixel data element" : open.kind}`)
    this.out.flush()
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1]
  }

  private u16(at: number, le: boolean): number {
    const b = this.hdr
    return le ? (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) : ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0)
  }

  private u32(at: number, le: boolean): number {
    return le
      ? (this.u16(at, true) | (this.u16(at + 2, true) << 16)) >>> 0
      : ((this.u16(at, false) << 16) | this.u16(at + 2, false)) >>> 0
  }

  private resetHeader(): void {
    this.hdrLen = 0
    this.need = 8
  }

  private push(frame: Frame): void {
    this.stack.push(frame)
    if (frame.outDefined) this.definedOut++
  }

  private pop(): Frame | undefined {
    const f = this.stack.pop()
    if (f?.outDefined === true) this.definedOut--
    if (f?.kind === "sequence") this.depth--
    return f
  }

  private delimiter(f: Frame): void {
    this.out.tag(f.kind === "item" ? ITEM_DELIMITATION : SEQUENCE_DELIMITATION, f.outS.littleEndian)
    this.out.u32(0, f.outS.littleEndian)
  }

  /**
   * Closes every defined-length frame that the input has just reached the end of; fails when an undefined-length
   * frame is still open where its enclosing defined-length container ends (it can no longer be delimited).
   */
  private closeFrames(): void {
    for (;;) {
      const f = this.top()
      if (f === undefined) return
      if (f.inEnd === -1) {
        if (f.limit !== -1 && this.inPos >= f.limit) {
          const closing = f.kind === "item" ? "Item Delimitation Item" : "Sequence Delimitation Item"
          const what = f.kind === "item" ? "item" : f.kind === "fragments" ? "encapsulated pixel data element" : "sequence"
          failDecode("InvalidLength", this.inPos, f.tag, `${what} of undefined length has no ${closing} before its enclosing item or sequence ends at ${f.limit}`)
        }
        return
      }
      if (this.inPos < f.inEnd) return
      this.pop()
      if (f.addDelimiter) this.delimiter(f)
    }
  }

  private checkFits(at: number, end: number, tag: number, what: string): void {
    const limit = this.top()?.limit ?? -1
    if (limit !== -1 && end > limit) failDecode("InvalidLength", at, tag, `${what} ends at ${end}, past the end of its enclosing item or sequence at ${limit}`)
  }

  private header(): void {
    const f = this.top()
    const s = f === undefined ? this.from : f.inS
    const os = f === undefined ? this.to : f.outS
    const le = s.littleEndian
    const tag = ((this.u16(0, le) << 16) | this.u16(2, le)) >>> 0
    const at = this.inPos
    if (f !== undefined && f.kind !== "item") {
      // Inside a sequence or encapsulated pixel data: only items and the sequence delimiter (8 bytes, no VR).
      const length = this.u32(4, le)
      this.checkFits(at, at + 8, tag, "item header")
      this.inPos += 8
      this.resetHeader()
      if (tag === SEQUENCE_DELIMITATION) {
        if (f.inEnd !== -1) failDecode("InvalidStructure", at, f.tag, "Sequence Delimitation Item in a sequence of defined length")
        this.pop()
        this.delimiter(f)
        this.closeFrames()
        return
      }
      if (tag !== ITEM) failDecode("InvalidStructure", at, f.tag, `expected an Item (FFFE,E000), found ${tag.toString(16).padStart(8, "0")}`)
      if (f.kind === "fragments") {
        if (length === UNDEFINED) failDecode("InvalidLength", at, f.tag, "fragment item of undefined length")
        this.checkFits(at, this.inPos + length, f.tag, "fragment")
        const pad = (length & 1) === 1 && this.definedOut === 0
        this.out.tag(ITEM, os.littleEndian)
        this.out.u32(pad ? length + 1 : length, os.littleEndian)
        this.startValue(length, 1, pad ? 0 : -1)
        return
      }
      const defined = length !== UNDEFINED
      const inEnd = defined ? this.inPos + length : -1
      if (defined) this.checkFits(at, inEnd, f.tag, "item")
      const keep = defined && !this.rewriteLengths
      this.out.tag(ITEM, os.littleEndian)
      this.out.u32(keep ? length : UNDEFINED, os.littleEndian)
      this.push({ kind: "item", tag: f.tag, inEnd, limit: defined ? inEnd : f.limit, inS: s, outS: os, addDelimiter: defined && !keep, outDefined: keep })
      this.closeFrames()
      return
    }
    if (tag >>> 16 === 0xfffe) {
      if (tag === ITEM_DELIMITATION && f !== undefined && f.inEnd === -1) {
        this.checkFits(at, at + 8, tag, "Item Delimitation Item")
        this.inPos += 8
        this.resetHeader()
        this.pop()
        this.delimiter(f)
        this.closeFrames()
        return
      }
      failDecode("InvalidStructure", at, tag, "item or delimiter outside a sequence, or in an item of defined length")
      return
    }
    let vr: VR
    let length: number
    let size: number
    if (s.explicitVR) {
      const found = VRs.fromBytes(this.hdr[4] ?? 0, this.hdr[5] ?? 0)
      if (found === undefined) {
        failDecode("InvalidVR", at + 4, tag, `unknown VR code 0x${(((this.hdr[4] ?? 0) << 8) | (this.hdr[5] ?? 0)).toString(16).padStart(4, "0")}`)
        return
      }
      vr = found
      if (VRs.info(vr).longLength) {
        if (this.need === 8) {
          this.need = 12
          return
        }
        length = this.u32(8, le)
        size = 12
      } else {
        length = this.u16(6, le)
        size = 8
      }
    } else {
      vr = Dictionary.vrOf(tag)
      length = this.u32(4, le)
      size = 8
    }
    this.checkFits(at, at + size, tag, "element header")
    this.inPos += size
    this.resetHeader()
    if (length === UNDEFINED) {
      this.undefinedLength(tag, vr, s, os, at)
      return
    }
    this.checkFits(at, this.inPos + length, tag, "value")
    if (vr === "SQ") {
      this.checkImplicit(tag, vr, length, s, os)
      this.enterSequence(tag, "SQ", this.inPos + length, length, s, os, at)
      return
    }
    if (s.explicitVR && !os.explicitVR && Dictionary.vrOf(tag) === "SQ") {
      // Implicit VR decoding would read this value as a sequence (VR from the dictionary).
      if (vr !== "UN") failEncode(tag, `${Tag.toString(tag)} has VR ${vr} in the input where the dictionary says SQ: Implicit VR Little Endian cannot carry it (it would be read as a sequence)`)
      // PS3.5 §6.2.2: the value of a UN element known to be a sequence is an Implicit VR Little Endian sequence.
      this.enterSequence(tag, "SQ", this.inPos + length, length, implicitLE, os, at)
      return
    }
    if (this.rewriteLengths && (tag & 0xffff) === 0) {
      // A group length (gggg,0000, retired in data sets, PS3.5 §7.2) is wrong once headers change size: dropped.
      this.startValue(length, 0, -1)
      return
    }
    let outVR = vr
    const padded = length + (length & 1)
    // PS3.5 §6.2.2: a value too long for a 2-byte length field is written as UN.
    if (os.explicitVR && !VRs.info(outVR).longLength && padded > 0xfffe) outVR = "UN"
    const pad = (length & 1) === 1 && this.definedOut === 0
    this.out.header(tag, outVR, pad ? padded : length, os)
    const unit = s.littleEndian !== os.littleEndian && outVR !== "UN" ? swapUnit(vr) : 1
    this.startValue(length, unit, pad ? VRs.info(outVR).padByte : -1)
  }

  /** Explicit -> Implicit: a sequence at (7FE0,0010) would be read back as encapsulated pixel data. */
  private checkImplicit(tag: number, vr: VR, length: number, s: Layout, os: Layout): void {
    if (tag === PIXEL_DATA && s.explicitVR && !os.explicitVR) {
      failEncode(tag, `${Tag.toString(tag)} has VR ${vr}${length === UNDEFINED ? " of undefined length" : ""} (a sequence) in the input where the dictionary says OB or OW: Implicit VR Little Endian cannot carry it (it would be read as encapsulated pixel data)`)
    }
  }

  private undefinedLength(tag: number, vr: VR, s: Layout, os: Layout, at: number): void {
    if (vr === "SQ" || (!s.explicitVR && tag !== PIXEL_DATA)) {
      this.checkImplicit(tag, vr, UNDEFINED, s, os)
      this.enterSequence(tag, "SQ", -1, UNDEFINED, s, os, at)
    } else if (vr === "UN") {
      this.checkImplicit(tag, vr, UNDEFINED, s, os)
      // PS3.5 §6.2.2: the items of a UN element of undefined length are in Implicit VR Little Endian, kept so.
      this.enterSequence(tag, "UN", -1, UNDEFINED, implicitLE, implicitLE, at, os)
    } else if (vr === "OB" || vr === "OW" || tag === PIXEL_DATA) {
      if (!this.sameSyntax) failEncode(tag, "encapsulated pixel data cannot be written in a native (uncompressed) transfer syntax")
      this.out.header(tag, vr === "OW" ? "OW" : "OB", UNDEFINED, os)
      this.push({ kind: "fragments", tag, inEnd: -1, limit: this.top()?.limit ?? -1, inS: s, outS: os, addDelimiter: false, outDefined: false })
      this.closeFrames()
    } else {
      failDecode("InvalidLength", at, tag, `undefined length is not allowed for VR ${vr}`)
    }
  }

  private enterSequence(tag: number, vr: "SQ" | "UN", inEnd: number, length: number, s: Layout, os: Layout, at: number, headerLayout: Layout = os): void {
    if (this.depth + 1 > this.maxDepth) failDecode("TooDeep", at, tag, `sequences nested deeper than maxDepth ${this.maxDepth}`)
    this.depth++
    const defined = inEnd !== -1
    const keep = defined && !this.rewriteLengths
    this.out.header(tag, headerLayout.explicitVR ? vr : "SQ", keep ? length : UNDEFINED, headerLayout)
    const limit = defined ? inEnd : (this.top()?.limit ?? -1)
    this.push({ kind: "sequence", tag, inEnd, limit, inS: s, outS: os, addDelimiter: defined && !keep, outDefined: keep })
    this.closeFrames()
  }

  private startValue(length: number, unit: number, pad: number): void {
    this.remaining = length
    this.unit = unit
    this.pad = pad
    this.unitLen = 0
    if (length === 0) this.endValue()
    else this.mode = VALUE
  }

  private endValue(): void {
    if (this.unitLen > 0) {
      // A value whose length is not a multiple of its unit: the tail is copied as is (as DatasetCodec does).
      this.out.copy(this.unitBuf, 0, this.unitLen)
      this.unitLen = 0
    }
    if (this.pad !== -1) this.out.u8(this.pad)
    this.mode = HEADER
    this.closeFrames()
  }

  /** Writes `n` bytes of `chunk` from `at` with every `unit`-byte group reversed, carrying a partial group over. */
  private swap(chunk: Uint8Array, at: number, n: number): void {
    const unit = this.unit
    const ub = this.unitBuf
    const end = at + n
    let p = at
    if (this.unitLen > 0) {
      while (this.unitLen < unit && p < end) ub[this.unitLen++] = chunk[p++] ?? 0
      if (this.unitLen < unit) return
      this.out.ensure(unit)
      for (let k = unit - 1; k >= 0; k--) this.out.buf[this.out.pos++] = ub[k] ?? 0
      this.unitLen = 0
    }
    const whole = end - p - ((end - p) % unit)
    if (whole > 0) {
      const out = this.out
      out.ensure(whole)
      const b = out.buf
      let o = out.pos
      const stop = p + whole
      if (unit === 2) {
        for (; p < stop; p += 2, o += 2) {
          b[o] = chunk[p + 1] ?? 0
          b[o + 1] = chunk[p] ?? 0
        }
      } else if (unit === 4) {
        for (; p < stop; p += 4, o += 4) {
          b[o] = chunk[p + 3] ?? 0
          b[o + 1] = chunk[p + 2] ?? 0
          b[o + 2] = chunk[p + 1] ?? 0
          b[o + 3] = chunk[p] ?? 0
        }
      } else {
        for (; p < stop; p += unit, o += unit) for (let k = 0; k < unit; k++) b[o + k] = chunk[p + unit - 1 - k] ?? 0
      }
      out.pos = o
      if (whole >= OUT_SIZE) out.flush()
    }
    while (p < end) ub[this.unitLen++] = chunk[p++] ?? 0
  }
}

/**
 * A transcoder from one transfer syntax to another (see `supports`); fails on the first push when the pair is not
 * supported.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (fromTransferSyntaxUid: string, toTransferSyntaxUid: string, options: Options = {}): Transcoder => {
  const from = clean(fromTransferSyntaxUid)
  const to = clean(toTransferSyntaxUid)
  const fromS = syntaxOf(from)
  const toS = syntaxOf(to)
  let outputs: Array<Uint8Array> = []
  // A deflated target gathers the Explicit VR LE bytes and deflates them at end() with deflateSync: fflate's
  // streaming Deflate can write a corrupt stream (101arrowz/fflate#260). Memory grows with the data set here.
  const plain: Array<Uint8Array> | undefined = toS.deflated ? [] : undefined
  const sink = plain === undefined ? (piece: Uint8Array) => outputs.push(piece) : (piece: Uint8Array) => plain.push(piece)
  const machine = new Machine(fromS, toS, from === to, options.maxDepth ?? 64, sink)
  const maxInflated = options.maxInflatedBytes ?? defaultMaxInflatedBytes
  let inflated = 0
  let inflater: Inflate | undefined
  if (fromS.deflated) {
    inflater = new Inflate((data) => {
      inflated += data.length
      if (inflated > maxInflated) failDecode("Deflate", machine.inPos, undefined, `inflated data set exceeds maxInflatedBytes ${maxInflated}`)
      machine.feed(data)
    })
  }
  let failed: TranscodeError | undefined = supports(from, to)
    ? undefined
    : new DataEncodeError({ tag: undefined, reason: `cannot transcode from ${from} to ${to}: only between the uncompressed transfer syntaxes` })
  let ended = false

  const run = (step: () => void): Result.Result<ReadonlyArray<Uint8Array>, TranscodeError> => {
    if (failed !== undefined) return Result.fail(failed)
    try {
      step()
    } catch (e) {
      failed =
        e instanceof Failure ? e.error : new DataEncodeError({ tag: undefined, reason: `internal error: ${e instanceof Error ? e.message : String(e)}` })
      return Result.fail(failed)
    }
    const ready = outputs
    outputs = []
    return Result.succeed(ready)
  }

  const inflate = (chunk: Uint8Array, final: boolean): void => {
    if (inflater === undefined) return
    try {
      if (chunk.length === 0) inflater.push(chunk, final)
      for (let i = 0; i < chunk.length; i += INFLATE_STEP) {
        inflater.push(chunk.subarray(i, Math.min(chunk.length, i + INFLATE_STEP)), final && i + INFLATE_STEP >= chunk.length)
      }
    } catch (e) {
      if (e instanceof Failure) throw e
      const reason = final ? "deflate stream ends before its final block" : `broken deflate stream: ${e instanceof Error ? e.message : String(e)}`
      failDecode("Deflate", machine.inPos, undefined, reason)
    }
  }

  return {
    from,
    to,
    push: (chunk) =>
      run(() => {
        if (ended) failEncode(undefined, "push after end")
        if (inflater !== undefined) inflate(chunk, false)
        else machine.feed(chunk)
        machine.out.flush()
      }),
    end: () =>
      run(() => {
        if (ended) return
        ended = true
        inflate(new Uint8Array(0), true)
        machine.finish()
        if (plain !== undefined) {
          const whole = Bytes.concat(plain)
          plain.length = 0
          outputs.push(deflateSync(whole, { level: options.deflateLevel ?? 6 }))
        }
      })
  }
}

/**
 * Transcodes a whole data set held in memory (a convenience over make; the output is one buffer).
 *
 * @since 0.1.0
 * @category constructors
 */
export const transcode = (
  bytes: Uint8Array,
  fromTransferSyntaxUid: string,
  toTransferSyntaxUid: string,
  options: Options = {}
): Result.Result<Uint8Array, TranscodeError> => {
  const t = make(fromTransferSyntaxUid, toTransferSyntaxUid, options)
  const a = t.push(bytes)
  if (Result.isFailure(a)) return Result.fail(a.failure)
  const b = t.end()
  if (Result.isFailure(b)) return Result.fail(b.failure)
  const parts = [...a.success, ...b.success]
  // One buffer of its own: a single output piece may be a view into `bytes`.
  return Result.succeed(parts.length === 1 ? (parts[0] as Uint8Array).slice() : Bytes.concat(parts))
}

/**
 * A stream pipe: the bytes of a data set in `from` in, the same data set in `to` out (a fresh transcoder per run).
 *
 * @since 0.1.0
 * @category streams
 */
export const stream =
  (fromTransferSyntaxUid: string, toTransferSyntaxUid: string, options: Options = {}) =>
  <E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Uint8Array, E | TranscodeError, R> =>
    Stream.suspend(() => {
      const t = make(fromTransferSyntaxUid, toTransferSyntaxUid, options)
      return self.pipe(
        Stream.mapEffect((chunk) => Effect.fromResult(t.push(chunk))),
        Stream.concat(Stream.fromEffect(Effect.suspend(() => Effect.fromResult(t.end())))),
        Stream.flattenIterable
      )
    })
