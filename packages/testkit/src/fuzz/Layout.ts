/**
 * Lenient structure walkers that find the length fields of valid encodings (PDUs and their items,
 * PDVs, data elements and items), so that mutations can aim at them. They never fail: on anything
 * unexpected they stop and return what they found so far.
 */
import { Dictionary } from "@dicomnet/data"
import type { LengthField } from "./Mutate.js"

const maxFields = 4096

const be16 = (b: Uint8Array, o: number): number => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0)
const be32 = (b: Uint8Array, o: number): number => (be16(b, o) * 0x10000 + be16(b, o + 2)) >>> 0

/** Length fields of the sub-items in [start, end) (PS3.8 §9.3 item headers: type, reserved, 16-bit length). */
const items = (b: Uint8Array, start: number, end: number, out: Array<LengthField>, depth: number): void => {
  let p = start
  while (p + 4 <= end && out.length < maxFields) {
    const type = b[p] as number
    const length = be16(b, p + 2)
    out.push({ offset: p + 2, size: 2, littleEndian: false, valueStart: p + 4 })
    const s = p + 4
    const e = Math.min(end, s + length)
    if (depth === 0 && (type === 0x20 || type === 0x21)) items(b, s + 4, e, out, 1)
    else if (depth === 0 && type === 0x50) items(b, s, e, out, 1)
    else if (type === 0x54 || type === 0x56 || type === 0x57 || type === 0x59) {
      // PS3.7 Annex D: the sub-item starts with a 16-bit UID (or response) length.
      out.push({ offset: s, size: 2, littleEndian: false, valueStart: s + 2 })
      if (type === 0x57) {
        const second = s + 2 + be16(b, s)
        if (second + 2 <= e) out.push({ offset: second, size: 2, littleEndian: false, valueStart: second + 2 })
      }
    } else if (type === 0x58 && s + 4 <= e) {
      out.push({ offset: s + 2, size: 2, littleEndian: false, valueStart: s + 4 })
      const secondary = s + 4 + be16(b, s + 2)
      if (secondary + 2 <= e) out.push({ offset: secondary, size: 2, littleEndian: false, valueStart: secondary + 2 })
    }
    p = s + length
  }
}

/** The length fields of one encoded PDU: the PDU length, item and sub-item lengths, PDV lengths. */
export const pduFields = (b: Uint8Array): ReadonlyArray<LengthField> => {
  const out: Array<LengthField> = []
  if (b.length < 6) return out
  out.push({ offset: 2, size: 4, littleEndian: false, valueStart: 6 })
  const end = Math.min(b.length, 6 + be32(b, 2))
  const type = b[0]
  if (type === 0x01 || type === 0x02) items(b, 74, end, out, 0)
  else if (type === 0x04) {
    let p = 6
    while (p + 6 <= end && out.length < maxFields) {
      out.push({ offset: p, size: 4, littleEndian: false, valueStart: p + 4 })
      p += 4 + be32(b, p)
    }
  }
  return out
}

/** Element layout of a data set encoding. */
export interface ElementSyntax {
  readonly explicitVR: boolean
  readonly littleEndian: boolean
}

const longVRs = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"])

/**
 * The length fields of data elements, items and delimiters (PS3.5 §7.1, §7.5), descending into
 * sequences and items. Item tags are always read in the data set's byte order.
 */
export const elementFields = (b: Uint8Array, syntax: ElementSyntax): ReadonlyArray<LengthField> => {
  const out: Array<LengthField> = []
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const le = syntax.littleEndian
  const walk = (start: number, end: number, depth: number): number => {
    let p = start
    while (p + 8 <= end && out.length < maxFields && depth < 32) {
      const group = view.getUint16(p, le)
      const element = view.getUint16(p + 2, le)
      const tag = ((group << 16) | element) >>> 0
      if (group === 0xfffe) {
        // Item, item delimiter or sequence delimiter: tag + 4-byte length, never a VR (PS3.5 §7.5).
        out.push({ offset: p + 4, size: 4, littleEndian: le, valueStart: p + 8 })
        const length = view.getUint32(p + 4, le)
        if (element === 0xe00d || element === 0xe0dd) return p + 8
        if (length === 0xffffffff) p = walk(p + 8, end, depth + 1)
        else {
          walk(p + 8, Math.min(end, p + 8 + length), depth + 1)
          p = p + 8 + length
        }
        continue
      }
      let vr: string
      let length: number
      let valueStart: number
      if (syntax.explicitVR) {
        vr = String.fromCharCode(b[p + 4] as number, b[p + 5] as number)
        if (longVRs.has(vr)) {
          if (p + 12 > end) return end
          out.push({ offset: p + 8, size: 4, littleEndian: le, valueStart: p + 12 })
          length = view.getUint32(p + 8, le)
          valueStart = p + 12
        } else {
          out.push({ offset: p + 6, size: 2, littleEndian: le, valueStart: p + 8 })
          length = view.getUint16(p + 6, le)
          valueStart = p + 8
        }
      } else {
        vr = Dictionary.vrOf(tag)
        out.push({ offset: p + 4, size: 4, littleEndian: le, valueStart: p + 8 })
        length = view.getUint32(p + 4, le)
        valueStart = p + 8
      }
      if (length === 0xffffffff) {
        p = walk(valueStart, end, depth + 1)
        continue
      }
      if (vr === "SQ") walk(valueStart, Math.min(end, valueStart + length), depth + 1)
      p = valueStart + length
    }
    return end
  }
  walk(0, b.length, 0)
  return out
}
