/**
 * A light walk over the top-level elements of a data set (one walker for the sender, which groups files
 * by study, and the receiver, which files objects by study and series), reading only the identifying UIDs a sender needs
 * (SOP Class, SOP Instance, Patient ID, Study and Series Instance) from the first bytes of a file, without decoding the rest.
 * Nested sequences are stepped over (defined or undefined length); tags must ascend, which also tells a data
 * set from bytes that merely look like one.
 */
import { Tags } from "./Tags.js"
import * as Tag from "./Tag.js"
import * as VR from "./VR.js"

/** The UIDs found, or why the walk could not finish. */
export type Walk =
  | {
    readonly _tag: "Found"
    readonly sopClassUid: string | undefined
    readonly sopInstanceUid: string | undefined
    readonly studyInstanceUid: string | undefined
    readonly seriesInstanceUid: string | undefined
    readonly patientId: string | undefined
  }
  | { readonly _tag: "NeedMore" }
  | { readonly _tag: "Invalid"; readonly reason: string; readonly offset: number }

const SOP_CLASS = Tags.SOPClassUID
const SOP_INSTANCE = Tags.SOPInstanceUID
const PATIENT_ID = Tags.PatientID
const STUDY_INSTANCE = Tags.StudyInstanceUID
const SERIES_INSTANCE = Tags.SeriesInstanceUID
const ITEM = Tag.Item
const ITEM_END = Tag.ItemDelimitationItem
const SEQUENCE_END = Tag.SequenceDelimitationItem
const UNDEFINED = 0xffffffff

class NeedMore {}
class Invalid {
  constructor(readonly reason: string, readonly offset: number) {}
}

interface Cursor {
  readonly bytes: Uint8Array
  readonly explicit: boolean
  readonly little: boolean
  pos: number
}

const u16 = (c: Cursor, at: number): number => {
  if (at + 2 > c.bytes.length) throw new NeedMore()
  const a = c.bytes[at] ?? 0
  const b = c.bytes[at + 1] ?? 0
  return c.little ? a | (b << 8) : (a << 8) | b
}
const u32 = (c: Cursor, at: number): number =>
  c.little ? (u16(c, at) | (u16(c, at + 2) << 16)) >>> 0 : ((u16(c, at) << 16) | u16(c, at + 2)) >>> 0

interface Header {
  readonly tag: number
  readonly vr: string | undefined
  readonly length: number
}

const readHeader = (c: Cursor): Header => {
  const at = c.pos
  const tag = ((u16(c, at) << 16) | u16(c, at + 2)) >>> 0
  // Item and delimitation tags have no VR in any syntax.
  if (tag >>> 16 === 0xfffe || !c.explicit) {
    const length = u32(c, at + 4)
    c.pos = at + 8
    return { tag, vr: undefined, length }
  }
  if (at + 6 > c.bytes.length) throw new NeedMore()
  const vr = String.fromCharCode(c.bytes[at + 4] ?? 0, c.bytes[at + 5] ?? 0)
  if (!VR.isVR(vr)) throw new Invalid(`unknown VR '${vr}'`, at + 4)
  if (VR.info(vr).longLength) {
    const length = u32(c, at + 8)
    c.pos = at + 12
    return { tag, vr, length }
  }
  const length = u16(c, at + 6)
  c.pos = at + 8
  return { tag, vr, length }
}

const skip = (c: Cursor, length: number): void => {
  if (c.pos + length > c.bytes.length) throw new NeedMore()
  c.pos += length
}

/** Steps over the items of an undefined-length sequence, up to and including its delimiter. */
const skipSequence = (c: Cursor, depth: number): void => {
  if (depth > 32) throw new Invalid("sequences nested too deep", c.pos)
  for (;;) {
    const h = readHeader(c)
    if (h.tag === SEQUENCE_END) return
    if (h.tag !== ITEM) throw new Invalid(`expected an item in a sequence, found (${hex(h.tag)})`, c.pos - 8)
    if (h.length !== UNDEFINED) skip(c, h.length)
    else skipItem(c, depth + 1)
  }
}

/** Steps over the elements of an undefined-length item, up to and including its delimiter. */
const skipItem = (c: Cursor, depth: number): void => {
  for (;;) {
    const h = readHeader(c)
    if (h.tag === ITEM_END) return
    if (h.length === UNDEFINED) skipSequence(c, depth + 1)
    else skip(c, h.length)
  }
}

const hex = (tag: number): string =>
  `${(tag >>> 16).toString(16).padStart(4, "0")},${(tag & 0xffff).toString(16).padStart(4, "0")}`.toUpperCase()

const text = (c: Cursor, length: number): string => {
  if (c.pos + length > c.bytes.length) throw new NeedMore()
  let s = ""
  for (let i = 0; i < length; i++) s += String.fromCharCode(c.bytes[c.pos + i] ?? 0)
  return s.replace(/[\0 ]+$/, "")
}

/**
 * Walks the data set starting at `offset` in the given syntax (not deflated) until past Series Instance UID.
 * "NeedMore" when the bytes end before that and `complete` is false (read more of the file and walk again).
 */
export const walk = (
  bytes: Uint8Array,
  offset: number,
  syntax: { readonly explicitVR: boolean; readonly littleEndian: boolean },
  complete: boolean
): Walk => {
  const c: Cursor = { bytes, explicit: syntax.explicitVR, little: syntax.littleEndian, pos: offset }
  let sopClassUid: string | undefined
  let sopInstanceUid: string | undefined
  let studyInstanceUid: string | undefined
  let seriesInstanceUid: string | undefined
  let patientId: string | undefined
  let previous = -1
  let passed = false
  try {
    while (c.pos < bytes.length) {
      const start = c.pos
      const h = readHeader(c)
      if (h.tag >>> 16 === 0xfffe) return { _tag: "Invalid", reason: `unexpected (${hex(h.tag)}) at the top level`, offset: start }
      if (h.tag <= previous) return { _tag: "Invalid", reason: `tags out of order at (${hex(h.tag)})`, offset: start }
      previous = h.tag
      if (h.tag > SERIES_INSTANCE) {
        passed = true
        break
      }
      if (h.length === UNDEFINED) {
        skipSequence(c, 0)
        continue
      }
      if (h.length > 0x1000000 && h.tag < SERIES_INSTANCE) return { _tag: "Invalid", reason: `implausible length ${h.length}`, offset: start }
      if (h.tag === SOP_CLASS) sopClassUid = text(c, h.length)
      else if (h.tag === SOP_INSTANCE) sopInstanceUid = text(c, h.length)
      else if (h.tag === STUDY_INSTANCE) studyInstanceUid = text(c, h.length)
      else if (h.tag === SERIES_INSTANCE) seriesInstanceUid = text(c, h.length)
      else if (h.tag === PATIENT_ID) patientId = text(c, h.length)
      skip(c, h.length)
    }
  } catch (e) {
    if (e instanceof NeedMore) return { _tag: "NeedMore" }
    if (e instanceof Invalid) return { _tag: "Invalid", reason: e.reason, offset: e.offset }
    throw e
  }
  if (!passed && !complete) return { _tag: "NeedMore" }
  return { _tag: "Found", sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid, patientId }
}
