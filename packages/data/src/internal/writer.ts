// The data set encoder: a sizing pass computes the exact output length (and rejects values that do not fit),
// then one buffer is allocated and filled; item and sequence lengths are back-patched after their contents.
import { DataEncodeError } from "../DataError.js"
import type { Dataset } from "../Dataset.js"
import type { Element, Primitive } from "../Element.js"
import * as VRs from "../VR.js"
import { swapUnit, writeSwapped } from "./binary.js"
import type { Syntax } from "./reader.js"

const ITEM = 0xfffee000
const ITEM_DELIMITATION = 0xfffee00d
const SEQUENCE_DELIMITATION = 0xfffee0dd
const UNDEFINED = 0xffffffff
const implicitLE: Syntax = { explicitVR: false, littleEndian: true }

const fail = (tag: number, reason: string): never => {
  throw new DataEncodeError({ tag, reason })
}

const itemsSyntax = (s: Syntax, e: Element): Syntax => (e._tag === "Sequence" && e.encodedAsUN === true && s.explicitVR ? implicitLE : s)

const padded = (n: number): number => n + (n & 1)

const sizeOfDataset = (ds: Dataset, s: Syntax): number => {
  let n = 0
  for (const e of ds.elements()) n += sizeOfElement(e, s)
  return n
}

const sizeOfElement = (e: Element, s: Syntax): number => {
  switch (e._tag) {
    case "Primitive": {
      const len = padded(e.bytes.length)
      if (s.explicitVR && !VRs.info(e.vr).longLength) {
        if (len > 0xfffe) fail(e.tag, `value of ${len} bytes does not fit the 16-bit length field of VR ${e.vr} in explicit VR`)
        return 8 + len
      }
      if (len >= UNDEFINED) fail(e.tag, `value of ${len} bytes does not fit a 32-bit length`)
      return (s.explicitVR ? 12 : 8) + len
    }
    case "Sequence": {
      const inner = itemsSyntax(s, e)
      let n = (s.explicitVR ? 12 : 8) + (e.undefinedLength === true ? 8 : 0)
      for (const item of e.items) n += 8 + sizeOfDataset(item, inner) + (item.undefinedLength ? 8 : 0)
      return n
    }
    case "Fragments": {
      let n = (s.explicitVR ? 12 : 8) + 8 + padded(e.offsetTable.length) + 8
      for (const f of e.fragments) n += 8 + padded(f.length)
      return n
    }
  }
}

interface Out {
  readonly b: Uint8Array
  pos: number
}

const put16 = (o: Out, v: number, le: boolean): void => {
  const b = o.b
  if (le) {
    b[o.pos] = v & 0xff
    b[o.pos + 1] = (v >>> 8) & 0xff
  } else {
    b[o.pos] = (v >>> 8) & 0xff
    b[o.pos + 1] = v & 0xff
  }
  o.pos += 2
}

const put32 = (o: Out, v: number, le: boolean): void => {
  if (le) {
    put16(o, v & 0xffff, true)
    put16(o, v >>> 16, true)
  } else {
    put16(o, v >>> 16, false)
    put16(o, v & 0xffff, false)
  }
}

const set32 = (b: Uint8Array, at: number, v: number, le: boolean): void => {
  const o: Out = { b, pos: at }
  put32(o, v, le)
}

const putTag = (o: Out, tag: number, le: boolean): void => {
  put16(o, tag >>> 16, le)
  put16(o, tag & 0xffff, le)
}

const putValue = (o: Out, bytes: Uint8Array, padByte: number): void => {
  o.b.set(bytes, o.pos)
  o.pos += bytes.length
  if (bytes.length & 1) o.b[o.pos++] = padByte
}

/** Writes a value in the target byte order (swapping binary VRs whose order differs) and its pad byte. */
const putValueIn = (o: Out, e: Primitive, le: boolean, padByte: number): void => {
  const unit = (e.littleEndian !== false) === le ? 1 : swapUnit(e.vr)
  if (unit === 1) {
    putValue(o, e.bytes, padByte)
    return
  }
  writeSwapped(o.b, o.pos, e.bytes, unit)
  o.pos += e.bytes.length
  if (e.bytes.length & 1) o.b[o.pos++] = padByte
}

/** Writes the element header; `length` is the value length or UNDEFINED. Returns the offset of the length field. */
const putHeader = (o: Out, tag: number, vr: string, length: number, s: Syntax, long: boolean): number => {
  putTag(o, tag, s.littleEndian)
  if (!s.explicitVR) {
    const at = o.pos
    put32(o, length, s.littleEndian)
    return at
  }
  o.b[o.pos++] = vr.charCodeAt(0)
  o.b[o.pos++] = vr.charCodeAt(1)
  if (long) {
    o.b[o.pos++] = 0
    o.b[o.pos++] = 0
    const at = o.pos
    put32(o, length, s.littleEndian)
    return at
  }
  const at = o.pos
  put16(o, length, s.littleEndian)
  return at
}

const writeDataset = (o: Out, ds: Dataset, s: Syntax): void => {
  for (const e of ds.elements()) writeElement(o, e, s)
}

const writeElement = (o: Out, e: Element, s: Syntax): void => {
  switch (e._tag) {
    case "Primitive": {
      const info = VRs.info(e.vr)
      putHeader(o, e.tag, e.vr, padded(e.bytes.length), s, info.longLength)
      putValueIn(o, e, s.littleEndian, info.padByte)
      return
    }
    case "Sequence": {
      const inner = itemsSyntax(s, e)
      const undefinedLength = e.undefinedLength === true
      const at = putHeader(o, e.tag, inner === s ? "SQ" : "UN", UNDEFINED, s, true)
      const start = o.pos
      for (const item of e.items) {
        putTag(o, ITEM, inner.littleEndian)
        const itemAt = o.pos
        put32(o, UNDEFINED, inner.littleEndian)
        const itemStart = o.pos
        writeDataset(o, item, inner)
        if (item.undefinedLength) {
          putTag(o, ITEM_DELIMITATION, inner.littleEndian)
          put32(o, 0, inner.littleEndian)
        } else {
          set32(o.b, itemAt, o.pos - itemStart, inner.littleEndian)
        }
      }
      if (undefinedLength) {
        putTag(o, SEQUENCE_DELIMITATION, inner.littleEndian)
        put32(o, 0, inner.littleEndian)
      } else {
        set32(o.b, at, o.pos - start, s.littleEndian)
      }
      return
    }
    case "Fragments": {
      putHeader(o, e.tag, e.vr, UNDEFINED, s, true)
      putTag(o, ITEM, s.littleEndian)
      put32(o, padded(e.offsetTable.length), s.littleEndian)
      putValue(o, e.offsetTable, 0)
      for (const f of e.fragments) {
        putTag(o, ITEM, s.littleEndian)
        put32(o, padded(f.length), s.littleEndian)
        putValue(o, f, 0)
      }
      putTag(o, SEQUENCE_DELIMITATION, s.littleEndian)
      put32(o, 0, s.littleEndian)
      return
    }
  }
}

/** Encodes a data set; throws DataEncodeError. */
export const writeDataset_ = (ds: Dataset, s: Syntax): Uint8Array => {
  const out: Out = { b: new Uint8Array(sizeOfDataset(ds, s)), pos: 0 }
  writeDataset(out, ds, s)
  return out.b
}

/** The exact number of bytes `ds` encodes to; throws DataEncodeError. */
export const encodedLength = (ds: Dataset, s: Syntax): number => sizeOfDataset(ds, s)
