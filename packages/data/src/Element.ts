/**
 * Data elements (PS3.5 §7.1). A primitive element keeps its value as raw bytes, a view into the buffer it was
 * decoded from (no copy), in that buffer's byte order; values are decoded only when a getter asks.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { encodeStringLossy } from "./CharacterSet.js"
import { DataEncodeError } from "./DataError.js"
import type { Dataset } from "./Dataset.js"
import * as Dictionary from "./Dictionary.js"
import { viewOf } from "./internal/binary.js"
import * as Tag from "./Tag.js"
import * as VRs from "./VR.js"
import type { VR } from "./VR.js"

/**
 * An element with a value of bytes (strings, numbers, OB/OW/UN...).
 *
 * @since 0.1.0
 * @category models
 */
export interface Primitive {
  readonly _tag: "Primitive"
  readonly tag: Tag.Tag
  readonly vr: VR
  /** The raw value bytes (a view; padding included; odd length only if the input was malformed). */
  readonly bytes: Uint8Array
  /** Byte order of `bytes`; absent means little endian. */
  readonly littleEndian?: boolean
}

/**
 * A sequence of items (VR SQ), each item a data set.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sequence {
  readonly _tag: "Sequence"
  readonly tag: Tag.Tag
  readonly vr: "SQ"
  readonly items: ReadonlyArray<Dataset>
  /** Written with undefined length and a Sequence Delimitation Item (default: defined length). */
  readonly undefinedLength?: boolean
  /** Came from a UN element of undefined length (PS3.5 §6.2.2) and is written back as such in explicit VR. */
  readonly encodedAsUN?: boolean
}

/**
 * Encapsulated pixel data (PS3.5 §A.4): the Basic Offset Table and the fragments, kept untouched.
 *
 * @since 0.1.0
 * @category models
 */
export interface Fragments {
  readonly _tag: "Fragments"
  readonly tag: Tag.Tag
  readonly vr: "OB" | "OW"
  readonly offsetTable: Uint8Array
  readonly fragments: ReadonlyArray<Uint8Array>
}

/**
 * A data element.
 *
 * @since 0.1.0
 * @category models
 */
export type Element = Primitive | Sequence | Fragments

/**
 * An element from raw value bytes (kept as given, not copied).
 *
 * @since 0.1.0
 * @category constructors
 */
export const primitive = (tag: Tag.Tag, vr: VR, bytes: Uint8Array, littleEndian = true): Primitive =>
  littleEndian ? { _tag: "Primitive", tag, vr, bytes } : { _tag: "Primitive", tag, vr, bytes, littleEndian }

const padded = (bytes: Uint8Array, vr: VR): Uint8Array => {
  if ((bytes.length & 1) === 0) return bytes
  const out = new Uint8Array(bytes.length + 1)
  out.set(bytes)
  out[bytes.length] = VRs.info(vr).padByte
  return out
}

/**
 * A string element (values joined with backslash, padded to even length); characters outside the character
 * set become "?" (use CharacterSet.encodeString for strict checking).
 *
 * @since 0.1.0
 * @category constructors
 */
export const string = (
  tag: Tag.Tag,
  vr: VR,
  value: string | ReadonlyArray<string>,
  characterSet: ReadonlyArray<string> = []
): Primitive => {
  const text = typeof value === "string" ? value : value.join("\\")
  return primitive(tag, vr, padded(encodeStringLossy(text, characterSet, vr), vr))
}

const numbers = (
  tag: Tag.Tag,
  vr: VR,
  size: number,
  value: number | ReadonlyArray<number>,
  write: (view: DataView, offset: number, v: number) => void
): Primitive => {
  const values = typeof value === "number" ? [value] : value
  const bytes = new Uint8Array(values.length * size)
  const view = viewOf(bytes)
  for (let i = 0; i < values.length; i++) write(view, i * size, values[i] ?? 0)
  return primitive(tag, vr, bytes)
}

/**
 * An unsigned 16-bit element (US, or OW).
 *
 * @since 0.1.0
 * @category constructors
 */
export const uint16 = (tag: Tag.Tag, value: number | ReadonlyArray<number>, vr: "US" | "OW" = "US"): Primitive =>
  numbers(tag, vr, 2, value, (d, o, v) => d.setUint16(o, v, true))

/**
 * An unsigned 32-bit element (UL, or OL).
 *
 * @since 0.1.0
 * @category constructors
 */
export const uint32 = (tag: Tag.Tag, value: number | ReadonlyArray<number>, vr: "UL" | "OL" = "UL"): Primitive =>
  numbers(tag, vr, 4, value, (d, o, v) => d.setUint32(o, v, true))

/**
 * A signed 16-bit element (SS).
 *
 * @since 0.1.0
 * @category constructors
 */
export const int16 = (tag: Tag.Tag, value: number | ReadonlyArray<number>): Primitive =>
  numbers(tag, "SS", 2, value, (d, o, v) => d.setInt16(o, v, true))

/**
 * A signed 32-bit element (SL).
 *
 * @since 0.1.0
 * @category constructors
 */
export const int32 = (tag: Tag.Tag, value: number | ReadonlyArray<number>): Primitive =>
  numbers(tag, "SL", 4, value, (d, o, v) => d.setInt32(o, v, true))

/**
 * A 32-bit float element (FL, or OF).
 *
 * @since 0.1.0
 * @category constructors
 */
export const float32 = (tag: Tag.Tag, value: number | ReadonlyArray<number>, vr: "FL" | "OF" = "FL"): Primitive =>
  numbers(tag, vr, 4, value, (d, o, v) => d.setFloat32(o, v, true))

/**
 * A 64-bit float element (FD, or OD).
 *
 * @since 0.1.0
 * @category constructors
 */
export const float64 = (tag: Tag.Tag, value: number | ReadonlyArray<number>, vr: "FD" | "OD" = "FD"): Primitive =>
  numbers(tag, vr, 8, value, (d, o, v) => d.setFloat64(o, v, true))

/**
 * A 64-bit integer element (SV, UV, OV) from numbers (exact up to 2^53).
 *
 * @since 0.1.0
 * @category constructors
 */
export const int64 = (tag: Tag.Tag, value: number | ReadonlyArray<number>, vr: "SV" | "UV" | "OV" = "SV"): Primitive =>
  numbers(tag, vr, 8, value, (d, o, v) =>
    vr === "SV" ? d.setBigInt64(o, BigInt(Math.trunc(v)), true) : d.setBigUint64(o, BigInt(Math.trunc(v)), true)
  )

/**
 * An Attribute Tag element (AT): each value a tag, written as group then element.
 *
 * @since 0.1.0
 * @category constructors
 */
export const attributeTag = (tag: Tag.Tag, value: Tag.Tag | ReadonlyArray<Tag.Tag>): Primitive =>
  numbers(tag, "AT", 4, value, (d, o, v) => {
    d.setUint16(o, v >>> 16, true)
    d.setUint16(o + 2, v & 0xffff, true)
  })

/**
 * A binary element from bytes (OB, UN, ...), padded to even length.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bytes = (tag: Tag.Tag, vr: VR, value: Uint8Array): Primitive => primitive(tag, vr, padded(value, vr))

/**
 * A sequence element.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sequence = (tag: Tag.Tag, items: ReadonlyArray<Dataset>, options: { readonly undefinedLength?: boolean } = {}): Sequence =>
  options.undefinedLength === true ? { _tag: "Sequence", tag, vr: "SQ", items, undefinedLength: true } : { _tag: "Sequence", tag, vr: "SQ", items }

/**
 * Encapsulated pixel data from its fragments (and an optional Basic Offset Table, empty by default).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fragments = (
  tag: Tag.Tag,
  fragmentList: ReadonlyArray<Uint8Array>,
  offsetTable: Uint8Array = new Uint8Array(0),
  vr: "OB" | "OW" = "OB"
): Fragments => ({ _tag: "Fragments", tag, vr, offsetTable, fragments: fragmentList })

/**
 * A value accepted by fromValue: text, numbers, bytes or (for SQ) items.
 *
 * @since 0.1.0
 * @category models
 */
export type Value = string | number | bigint | ReadonlyArray<string> | ReadonlyArray<number> | Uint8Array | ReadonlyArray<Dataset>

/**
 * Resolves a keyword ("PatientName") or hex tag ("00100010", "(0010,0010)") or a numeric tag.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveTag = (tagOrKeyword: Tag.Tag | string): Tag.Tag | undefined =>
  typeof tagOrKeyword === "number" ? tagOrKeyword >>> 0 : (Dictionary.tagOf(tagOrKeyword) ?? Tag.parse(tagOrKeyword))

const isDatasetArray = (value: Value): value is ReadonlyArray<Dataset> =>
  Array.isArray(value) && value.length > 0 && typeof value[0] === "object"

/**
 * An element from a plain value, its VR from the dictionary unless given (UN for unknown tags).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromValue = (
  tagOrKeyword: Tag.Tag | string,
  value: Value,
  options: { readonly vr?: VR; readonly characterSet?: ReadonlyArray<string> } = {}
): Result.Result<Element, DataEncodeError> => {
  const tag = resolveTag(tagOrKeyword)
  if (tag === undefined) return Result.fail(new DataEncodeError({ tag: undefined, reason: `unknown keyword or tag '${String(tagOrKeyword)}'` }))
  const vr = options.vr ?? Dictionary.vrOf(tag)
  const fail = (what: string) => Result.fail(new DataEncodeError({ tag, reason: `a ${what} is not a valid value for VR ${vr}` }))
  const info = VRs.info(vr)
  if (info.kind === "sequence") {
    if (Array.isArray(value) && (value.length === 0 || isDatasetArray(value))) return Result.succeed(sequence(tag, value as ReadonlyArray<Dataset>))
    return fail(typeof value)
  }
  if (value instanceof Uint8Array) return Result.succeed(bytes(tag, vr, value))
  if (isDatasetArray(value)) return fail("sequence")
  if (info.kind === "string") {
    if (typeof value === "string") return Result.succeed(string(tag, vr, value, options.characterSet ?? []))
    if (typeof value === "number" || typeof value === "bigint") return Result.succeed(string(tag, vr, String(value)))
    return Result.succeed(string(tag, vr, (value as ReadonlyArray<string | number>).map(String), options.characterSet ?? []))
  }
  if (typeof value === "string") return fail("string")
  const list: ReadonlyArray<number> =
    typeof value === "number" ? [value] : typeof value === "bigint" ? [Number(value)] : (value as ReadonlyArray<unknown>).map(Number)
  switch (vr) {
    case "US":
    case "OW":
      return Result.succeed(uint16(tag, list, vr))
    case "SS":
      return Result.succeed(int16(tag, list))
    case "UL":
    case "OL":
      return Result.succeed(uint32(tag, list, vr))
    case "SL":
      return Result.succeed(int32(tag, list))
    case "FL":
    case "OF":
      return Result.succeed(float32(tag, list, vr))
    case "FD":
    case "OD":
      return Result.succeed(float64(tag, list, vr))
    case "SV":
    case "UV":
    case "OV":
      return Result.succeed(int64(tag, list, vr))
    case "AT":
      return Result.succeed(attributeTag(tag, list))
    default:
      return Result.succeed(bytes(tag, vr, Uint8Array.from(list)))
  }
}
