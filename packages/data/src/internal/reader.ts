// The data set decoder: one pass over the bytes, building elements whose values are views (subarray) into the
// input. Failures are thrown as DataDecodeError inside this module and caught at the public boundary
// (DatasetCodec), so the hot loop carries no Result allocation per element.
import { DataDecodeError, type DecodeErrorKind, decodeError } from "../DataError.js"
import { Dataset } from "../Dataset.js"
import * as Dictionary from "../Dictionary.js"
import type { Element, Fragments, Sequence } from "../Element.js"
import * as VRs from "../VR.js"
import type { VR } from "../VR.js"

const ITEM = 0xfffee000
const ITEM_DELIMITATION = 0xfffee00d
const SEQUENCE_DELIMITATION = 0xfffee0dd
const PIXEL_DATA = 0x7fe00010
const UNDEFINED = 0xffffffff

export interface Syntax {
  readonly explicitVR: boolean
  readonly littleEndian: boolean
}

export interface ReadOptions {
  readonly maxDepth: number
}

interface Ctx {
  readonly b: Uint8Array
  readonly explicitVR: boolean
  readonly le: boolean
  readonly maxDepth: number
}

const fail = (kind: DecodeErrorKind, offset: number, tag: number | undefined, reason: string): never => {
  throw decodeError(kind, offset, tag, reason)
}

const u16 = (c: Ctx, o: number): number => {
  const b = c.b
  return c.le ? (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) : ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0)
}

const u32 = (c: Ctx, o: number): number => {
  const b = c.b
  return c.le
    ? ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0
    : (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0
}

const tagAt = (c: Ctx, o: number): number => ((u16(c, o) << 16) | u16(c, o + 2)) >>> 0

/** Running out of the buffer itself is "Truncated" (more bytes may come); inside a container, it is malformed. */
const overrun = (c: Ctx, end: number): DecodeErrorKind => (end >= c.b.length ? "Truncated" : "InvalidLength")

/** Decodes a whole data set; throws DataDecodeError. */
export const readDataset = (bytes: Uint8Array, syntax: Syntax, options: ReadOptions, characterSet: ReadonlyArray<string> = []): Dataset => {
  const c: Ctx = { b: bytes, explicitVR: syntax.explicitVR, le: syntax.littleEndian, maxDepth: options.maxDepth }
  return readElements(c, 0, bytes.length, 0, characterSet, false).dataset
}

/** Reads elements from `start` to `end`, or (undelimited=true) until an Item Delimitation Item. */
const readElements = (
  c: Ctx,
  start: number,
  end: number,
  depth: number,
  characterSet: ReadonlyArray<string>,
  delimited: boolean
): { readonly dataset: Dataset; readonly next: number } => {
  const b = c.b
  const elements: Array<Element> = []
  let sorted = true
  let last = -1
  let pos = start
  while (pos < end) {
    if (end - pos < 8) fail(overrun(c, end), pos, undefined, `element header needs 8 bytes, ${end - pos} left`)
    const tag = tagAt(c, pos)
    if (tag === ITEM_DELIMITATION) {
      if (!delimited) fail("InvalidStructure", pos, tag, "Item Delimitation Item outside an item of undefined length")
      return { dataset: finish(elements, sorted, characterSet, true), next: pos + 8 }
    }
    if (tag === ITEM || tag === SEQUENCE_DELIMITATION) fail("InvalidStructure", pos, tag, "item or delimiter outside a sequence")
    let vr: VR
    let length: number
    let header: number
    if (c.explicitVR) {
      const found = VRs.fromBytes(b[pos + 4] ?? 0, b[pos + 5] ?? 0)
      if (found === undefined) {
        fail("InvalidVR", pos + 4, tag, `unknown VR code 0x${(((b[pos + 4] ?? 0) << 8) | (b[pos + 5] ?? 0)).toString(16).padStart(4, "0")}`)
      }
      vr = found as VR
      if (VRs.info(vr).longLength) {
        if (end - pos < 12) fail(overrun(c, end), pos, tag, `element header needs 12 bytes, ${end - pos} left`)
        length = u32(c, pos + 8)
        header = 12
      } else {
        length = u16(c, pos + 6)
        header = 8
      }
    } else {
      vr = Dictionary.vrOf(tag)
      length = u32(c, pos + 4)
      header = 8
    }
    const valueStart = pos + header
    let element: Element
    if (length === UNDEFINED) {
      if (vr === "SQ" || (!c.explicitVR && tag !== PIXEL_DATA)) {
        const r = readSequence(c, tag, valueStart, end, true, depth, characterSet)
        element = r.element
        pos = r.next
      } else if (vr === "UN") {
        // PS3.5 §6.2.2: a UN element of undefined length holds a sequence encoded in Implicit VR Little Endian.
        const implicit: Ctx = { b, explicitVR: false, le: true, maxDepth: c.maxDepth }
        const r = readSequence(implicit, tag, valueStart, end, true, depth, characterSet)
        element = { ...r.element, encodedAsUN: true }
        pos = r.next
      } else if (vr === "OB" || vr === "OW" || tag === PIXEL_DATA) {
        const r = readFragments(c, tag, vr === "OW" ? "OW" : "OB", valueStart, end)
        element = r.element
        pos = r.next
      } else {
        return fail("InvalidLength", pos, tag, `undefined length is not allowed for VR ${vr}`)
      }
    } else {
      if (length > end - valueStart) {
        fail(overrun(c, end), pos, tag, `value length ${length} exceeds the ${end - valueStart} bytes available`)
      }
      if (vr === "SQ") {
        const r = readSequence(c, tag, valueStart, valueStart + length, false, depth, characterSet)
        element = r.element
      } else if (c.le) {
        element = { _tag: "Primitive", tag, vr, bytes: b.subarray(valueStart, valueStart + length) }
      } else {
        element = { _tag: "Primitive", tag, vr, bytes: b.subarray(valueStart, valueStart + length), littleEndian: false }
      }
      pos = valueStart + length
    }
    if (tag <= last) sorted = false
    last = tag
    elements.push(element)
  }
  if (delimited) fail(overrun(c, end), pos, undefined, "item of undefined length has no Item Delimitation Item")
  return { dataset: finish(elements, sorted, characterSet, false), next: pos }
}

const finish = (elements: Array<Element>, sorted: boolean, characterSet: ReadonlyArray<string>, undefinedLength: boolean): Dataset => {
  const options = undefinedLength ? { characterSet, undefinedLength } : { characterSet }
  return sorted ? Dataset.unsafeFromSorted(elements, options) : Dataset.make(elements, options)
}

/** Reads the items of a sequence: within [start, end) for a defined length, or up to a delimiter. */
const readSequence = (
  c: Ctx,
  tag: number,
  start: number,
  end: number,
  undefinedLength: boolean,
  depth: number,
  characterSet: ReadonlyArray<string>
): { readonly element: Sequence; readonly next: number } => {
  if (depth + 1 > c.maxDepth) fail("TooDeep", start, tag, `sequences nested deeper than maxDepth ${c.maxDepth}`)
  const items: Array<Dataset> = []
  let pos = start
  for (;;) {
    if (!undefinedLength && pos >= end) break
    if (end - pos < 8) fail(overrun(c, end), pos, tag, `item header needs 8 bytes, ${end - pos} left`)
    const itemTag = tagAt(c, pos)
    const length = u32(c, pos + 4)
    if (itemTag === SEQUENCE_DELIMITATION) {
      if (!undefinedLength) fail("InvalidStructure", pos, tag, "Sequence Delimitation Item in a sequence of defined length")
      pos += 8
      break
    }
    if (itemTag !== ITEM) fail("InvalidStructure", pos, tag, `expected an Item (FFFE,E000) in the sequence, found ${itemTag.toString(16).padStart(8, "0")}`)
    // An item's parent character set applies unless the item has its own (0008,0005).
    if (length === UNDEFINED) {
      const r = readElements(c, pos + 8, end, depth + 1, characterSet, true)
      items.push(r.dataset)
      pos = r.next
    } else {
      if (length > end - (pos + 8)) fail(overrun(c, end), pos, tag, `item length ${length} exceeds the ${end - pos - 8} bytes available`)
      const r = readElements(c, pos + 8, pos + 8 + length, depth + 1, characterSet, false)
      items.push(r.dataset)
      pos = pos + 8 + length
    }
  }
  const element: Sequence = undefinedLength
    ? { _tag: "Sequence", tag, vr: "SQ", items, undefinedLength: true }
    : { _tag: "Sequence", tag, vr: "SQ", items }
  return { element, next: pos }
}

/** Reads encapsulated pixel data (PS3.5 §A.4): Basic Offset Table item, fragment items, delimiter. */
const readFragments = (
  c: Ctx,
  tag: number,
  vr: "OB" | "OW",
  start: number,
  end: number
): { readonly element: Fragments; readonly next: number } => {
  const fragments: Array<Uint8Array> = []
  let offsetTable: Uint8Array | undefined
  let pos = start
  for (;;) {
    if (end - pos < 8) fail(overrun(c, end), pos, tag, `fragment item header needs 8 bytes, ${end - pos} left`)
    const itemTag = tagAt(c, pos)
    const length = u32(c, pos + 4)
    if (itemTag === SEQUENCE_DELIMITATION) {
      pos += 8
      break
    }
    if (itemTag !== ITEM) fail("InvalidStructure", pos, tag, "expected a fragment Item (FFFE,E000) in encapsulated pixel data")
    if (length > end - (pos + 8)) fail(overrun(c, end), pos, tag, `fragment length ${length} exceeds the ${end - pos - 8} bytes available`)
    const value = c.b.subarray(pos + 8, pos + 8 + length)
    if (offsetTable === undefined) offsetTable = value
    else fragments.push(value)
    pos += 8 + length
  }
  return { element: { _tag: "Fragments", tag, vr, offsetTable: offsetTable ?? c.b.subarray(start, start), fragments }, next: pos }
}

/** Converts anything thrown while decoding into a DataDecodeError (non-decode errors are our bugs: "Internal"). */
export const asDecodeError = (e: unknown): DataDecodeError =>
  e instanceof DataDecodeError ? e : decodeError("Internal", 0, undefined, `internal error: ${e instanceof Error ? e.message : String(e)}`)
