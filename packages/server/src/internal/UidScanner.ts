/**
 * Finds Study Instance UID (0020,000D) and Series Instance UID (0020,000E) near the start of a data set
 * without decoding it: top-level element headers are walked (values skipped, undefined-length sequences
 * followed item by item) until a tag past (0020,000E). Used to file a received object by study and series
 * while its bytes stream to disk.
 */

/** What the bytes seen so far tell. */
export type Scan =
  | { readonly _tag: "Found"; readonly study: string | undefined; readonly series: string | undefined }
  | { readonly _tag: "NeedMore" }

const longVRs = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"])
const UNDEFINED = 0xffffffff
const ITEM = 0xfffee000
const ITEM_END = 0xfffee00d
const SEQUENCE_END = 0xfffee0dd
const STUDY = 0x0020000d
const SERIES = 0x0020000e

class Truncated {}
const truncated = new Truncated()

/** Walks `bytes` (a data set's first bytes, in `explicitVR`/`littleEndian` encoding). */
export const scan = (bytes: Uint8Array, explicitVR: boolean, littleEndian: boolean): Scan => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const need = (pos: number, n: number) => {
    if (pos + n > bytes.length) throw truncated
  }
  const u16 = (pos: number) => view.getUint16(pos, littleEndian)
  const u32 = (pos: number) => view.getUint32(pos, littleEndian)
  const tagAt = (pos: number) => ((u16(pos) << 16) | u16(pos + 2)) >>> 0

  /** One element header: [tag, value offset, length]. */
  const header = (pos: number): readonly [number, number, number] => {
    need(pos, 8)
    const tag = tagAt(pos)
    if ((tag >>> 16) === 0xfffe || !explicitVR) return [tag, pos + 8, u32(pos + 4)]
    const vr = String.fromCharCode(bytes[pos + 4] ?? 0, bytes[pos + 5] ?? 0)
    if (longVRs.has(vr)) {
      need(pos, 12)
      return [tag, pos + 12, u32(pos + 8)]
    }
    return [tag, pos + 8, u16(pos + 6)]
  }

  /** Past the items of an undefined-length value, up to its sequence delimiter. */
  const skipSequence = (start: number): number => {
    let pos = start
    for (;;) {
      need(pos, 8)
      const tag = tagAt(pos)
      const length = u32(pos + 4)
      if (tag === SEQUENCE_END) return pos + 8
      if (tag !== ITEM) throw new Error("not an item")
      pos = length === UNDEFINED ? skipItem(pos + 8) : pos + 8 + length
    }
  }

  /** Past the elements of an undefined-length item, up to its item delimiter. */
  const skipItem = (start: number): number => {
    let pos = start
    for (;;) {
      const [tag, value, length] = header(pos)
      if (tag === ITEM_END) return value
      pos = length === UNDEFINED ? skipSequence(value) : value + length
    }
  }

  const text = (value: number, length: number): string => {
    need(value, length)
    let s = ""
    for (let i = value; i < value + length; i++) s += String.fromCharCode(bytes[i] as number)
    return s.replace(/[\0 ]+$/, "")
  }

  let study: string | undefined
  let series: string | undefined
  try {
    let pos = 0
    for (;;) {
      if (pos >= bytes.length) return { _tag: "NeedMore" }
      const [tag, value, length] = header(pos)
      if (tag > SERIES) return { _tag: "Found", study, series }
      if (tag === STUDY) study = text(value, length)
      else if (tag === SERIES) {
        series = text(value, length)
        return { _tag: "Found", study, series }
      }
      pos = length === UNDEFINED ? skipSequence(value) : value + length
    }
  } catch (e) {
    if (e instanceof Truncated) return { _tag: "NeedMore" }
    // Not a data set we can walk: file it without study/series.
    return { _tag: "Found", study: undefined, series: undefined }
  }
}
