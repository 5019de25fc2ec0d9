/**
 * The data set (PS3.5 §7): an immutable collection of elements sorted by tag. Values stay raw bytes until a
 * typed getter reads them, so a data set that is only forwarded is never decoded value by value.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import * as CharacterSet from "./CharacterSet.js"
import { DataEncodeError } from "./DataError.js"
import type { Element as ElementT, Primitive, Value as ElementValue } from "./Element.js"
import * as Element from "./Element.js"
import { decodeLatin1 } from "./internal/text.js"
import type * as Tag from "./Tag.js"
import * as Value from "./Value.js"
import type { VR } from "./VR.js"
import * as VRs from "./VR.js"

const SpecificCharacterSet = 0x00080005

/**
 * Options when making a data set.
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions {
  /** Character set to use when the data set has no (0008,0005) itself (items inherit their parent's). */
  readonly characterSet?: ReadonlyArray<string>
  /** For an item: written with undefined length and an Item Delimitation Item. */
  readonly undefinedLength?: boolean
}

/**
 * A value in a record for fromRecord: text, numbers, bytes, nested records for SQ, or null for an empty value.
 *
 * @since 0.1.0
 * @category models
 */
export type RecordValue =
  | string
  | number
  | bigint
  | ReadonlyArray<string>
  | ReadonlyArray<number>
  | Uint8Array
  | ReadonlyArray<DatasetRecord | Dataset>
  | null

/**
 * A plain description of a data set: keys are keywords ("PatientName") or hex tags ("00100020").
 *
 * @since 0.1.0
 * @category models
 */
export interface DatasetRecord {
  readonly [key: string]: RecordValue
}

const trimEnd = (s: string): string => s.replace(/[ \0]+$/, "")

/**
 * An immutable DICOM data set.
 *
 * @since 0.1.0
 * @category models
 */
export class Dataset {
  readonly #elements: ReadonlyArray<ElementT>
  /** Specific Character Set in effect: from (0008,0005), else inherited, else [] (default repertoire). */
  readonly characterSet: ReadonlyArray<string>
  /** True when every element holding bytes is little endian (false after decoding Explicit VR Big Endian). */
  readonly littleEndian: boolean
  /** For an item: written with undefined length. */
  readonly undefinedLength: boolean

  private constructor(elements: ReadonlyArray<ElementT>, options: MakeOptions) {
    this.#elements = elements
    this.undefinedLength = options.undefinedLength ?? false
    const cs = find(elements, SpecificCharacterSet)
    this.characterSet =
      cs !== undefined && cs._tag === "Primitive" ? CharacterSet.parse(decodeLatin1(cs.bytes)) : (options.characterSet ?? [])
    let le = true
    for (const e of elements) if (e._tag === "Primitive" && e.littleEndian === false) le = false
    this.littleEndian = le
  }

  /** The empty data set. */
  static readonly empty: Dataset = new Dataset([], {})

  /** A data set from elements in any order (a later element with the same tag replaces an earlier one). */
  static make(elements: Iterable<ElementT>, options: MakeOptions = {}): Dataset {
    const list = Array.from(elements)
    let sorted = true
    for (let i = 1; i < list.length; i++) {
      if ((list[i - 1]?.tag ?? 0) >= (list[i]?.tag ?? 0)) {
        sorted = false
        break
      }
    }
    if (!sorted) {
      const byTag = new Map<number, ElementT>()
      for (const e of list) byTag.set(e.tag, e)
      return new Dataset(
        [...byTag.values()].sort((a, b) => a.tag - b.tag),
        options
      )
    }
    return new Dataset(list, options)
  }

  /** Takes over an array already strictly ascending by tag (the decoder's path: no copy, no check). */
  static unsafeFromSorted(elements: ReadonlyArray<ElementT>, options: MakeOptions = {}): Dataset {
    return new Dataset(elements, options)
  }

  /** A data set from a record of keywords or hex tags; VRs come from the dictionary. */
  static fromRecord(record: DatasetRecord, options: MakeOptions = {}): Result.Result<Dataset, DataEncodeError> {
    return fromRecordAt(record, options, 0)
  }

  /** Like fromRecord, but throws the DataEncodeError (for literals in tests and examples). */
  static unsafeFromRecord(record: DatasetRecord, options: MakeOptions = {}): Dataset {
    const r = fromRecordAt(record, options, 0)
    if (Result.isFailure(r)) throw r.failure
    return r.success
  }

  /** Number of elements (top level). */
  get size(): number {
    return this.#elements.length
  }

  /** The elements in ascending tag order. */
  elements(): ReadonlyArray<ElementT> {
    return this.#elements
  }

  /** The element with this tag or keyword. */
  get(tagOrKeyword: Tag.Tag | string): ElementT | undefined {
    const tag = Element.resolveTag(tagOrKeyword)
    return tag === undefined ? undefined : find(this.#elements, tag)
  }

  /** True when the element is present. */
  has(tagOrKeyword: Tag.Tag | string): boolean {
    return this.get(tagOrKeyword) !== undefined
  }

  /** A copy with the element added or replaced. */
  with(element: ElementT): Dataset {
    const list = this.#elements
    const i = lowerBound(list, element.tag)
    const next = list.slice()
    if (list[i]?.tag === element.tag) next[i] = element
    else next.splice(i, 0, element)
    return new Dataset(next, this.#options(element.tag === SpecificCharacterSet))
  }

  /** A copy without the element. */
  without(tagOrKeyword: Tag.Tag | string): Dataset {
    const tag = Element.resolveTag(tagOrKeyword)
    if (tag === undefined) return this
    const i = lowerBound(this.#elements, tag)
    if (this.#elements[i]?.tag !== tag) return this
    const next = this.#elements.slice()
    next.splice(i, 1)
    return new Dataset(next, this.#options(tag === SpecificCharacterSet))
  }

  #options(charsetChanged: boolean): MakeOptions {
    return charsetChanged
      ? { undefinedLength: this.undefinedLength }
      : { characterSet: this.characterSet, undefinedLength: this.undefinedLength }
  }

  #primitive(tagOrKeyword: Tag.Tag | string): Primitive | undefined {
    const e = this.get(tagOrKeyword)
    return e !== undefined && e._tag === "Primitive" ? e : undefined
  }

  /** All values of a string element, decoded with the character set and trimmed per VR. */
  strings(tagOrKeyword: Tag.Tag | string): ReadonlyArray<string> | undefined {
    const e = this.#primitive(tagOrKeyword)
    if (e === undefined) return undefined
    const info = VRs.info(e.vr)
    if (info.kind !== "string") {
      const ns = this.numbers(tagOrKeyword)
      return ns?.map(String)
    }
    const text = CharacterSet.decodeString(e.bytes, this.characterSet, e.vr)
    if (text.length === 0) return []
    if (!info.multiValued) return [trimValue(text, e.vr)]
    return text.split("\\").map((v) => trimValue(v, e.vr))
  }

  /** The first value of a string element (or a number rendered as text); undefined when absent or empty. */
  string(tagOrKeyword: Tag.Tag | string): string | undefined {
    return this.strings(tagOrKeyword)?.[0]
  }

  /** All values of a numeric element: binary VRs in their byte order, IS/DS parsed, AT as tags. */
  numbers(tagOrKeyword: Tag.Tag | string): ReadonlyArray<number> | undefined {
    const e = this.#primitive(tagOrKeyword)
    if (e === undefined) return undefined
    if (e.vr === "IS" || e.vr === "DS") {
      const text = trimEnd(decodeLatin1(e.bytes))
      if (text.trim() === "") return []
      const out: Array<number> = []
      for (const v of text.split("\\")) {
        const n = Value.parseNumber(v)
        if (n !== undefined) out.push(n)
      }
      return out
    }
    return readNumbers(e)
  }

  /** The first value of a numeric element. */
  number(tagOrKeyword: Tag.Tag | string): number | undefined {
    return this.numbers(tagOrKeyword)?.[0]
  }

  /** A UID value (UI), without padding. */
  uid(tagOrKeyword: Tag.Tag | string): string | undefined {
    return this.string(tagOrKeyword)
  }

  /** A person name (PN) split into groups and components. */
  personName(tagOrKeyword: Tag.Tag | string): Value.PersonName | undefined {
    const s = this.string(tagOrKeyword)
    return s === undefined ? undefined : Value.parsePersonName(s)
  }

  /** A date (DA); undefined when absent or malformed. */
  date(tagOrKeyword: Tag.Tag | string): Value.DicomDate | undefined {
    const s = this.string(tagOrKeyword)
    return s === undefined ? undefined : Value.parseDate(s)
  }

  /** A time (TM); undefined when absent or malformed. */
  time(tagOrKeyword: Tag.Tag | string): Value.DicomTime | undefined {
    const s = this.string(tagOrKeyword)
    return s === undefined ? undefined : Value.parseTime(s)
  }

  /** A date-time (DT); undefined when absent or malformed. */
  dateTime(tagOrKeyword: Tag.Tag | string): Value.DicomDateTime | undefined {
    const s = this.string(tagOrKeyword)
    return s === undefined ? undefined : Value.parseDateTime(s)
  }

  /** The items of a sequence element. */
  sequence(tagOrKeyword: Tag.Tag | string): ReadonlyArray<Dataset> | undefined {
    const e = this.get(tagOrKeyword)
    return e !== undefined && e._tag === "Sequence" ? e.items : undefined
  }

  /** The raw value bytes of a primitive element (a view, in the element's byte order). */
  bytes(tagOrKeyword: Tag.Tag | string): Uint8Array | undefined {
    return this.#primitive(tagOrKeyword)?.bytes
  }
}

const trimValue = (v: string, vr: VR): string => {
  switch (vr) {
    case "UI":
      return v.replace(/[\0 ]+$/, "")
    case "LT":
    case "ST":
    case "UT":
    case "UR":
      return v.replace(/[ \0]+$/, "") // leading spaces are significant
    default:
      return v.trim().replace(/\0+$/, "")
  }
}

const readNumbers = (e: Primitive): ReadonlyArray<number> | undefined => {
  const size = VRs.info(e.vr).bytesPerValue
  if (size === 0 || VRs.info(e.vr).kind !== "binary") return undefined
  const le = e.littleEndian !== false
  const b = e.bytes
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const count = Math.floor(b.length / size)
  const out = new Array<number>(count)
  for (let i = 0; i < count; i++) {
    const o = i * size
    switch (e.vr) {
      case "US":
      case "OW":
        out[i] = view.getUint16(o, le)
        break
      case "SS":
        out[i] = view.getInt16(o, le)
        break
      case "UL":
      case "OL":
        out[i] = view.getUint32(o, le)
        break
      case "SL":
        out[i] = view.getInt32(o, le)
        break
      case "FL":
      case "OF":
        out[i] = view.getFloat32(o, le)
        break
      case "FD":
      case "OD":
        out[i] = view.getFloat64(o, le)
        break
      case "SV":
        out[i] = Number(view.getBigInt64(o, le))
        break
      case "UV":
      case "OV":
        out[i] = Number(view.getBigUint64(o, le))
        break
      case "AT":
        out[i] = ((view.getUint16(o, le) << 16) | view.getUint16(o + 2, le)) >>> 0
        break
      default:
        out[i] = b[o] ?? 0
    }
  }
  return out
}

// Function declarations (hoisted): the class's static initializer runs before later const bindings exist.
function lowerBound(list: ReadonlyArray<ElementT>, tag: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((list[mid]?.tag ?? 0) < tag) lo = mid + 1
    else hi = mid
  }
  return lo
}

function find(list: ReadonlyArray<ElementT>, tag: number): ElementT | undefined {
  const e = list[lowerBound(list, tag)]
  return e !== undefined && e.tag === tag ? e : undefined
}

const hasNonAscii = (record: DatasetRecord): boolean => {
  for (const v of Object.values(record)) {
    if (typeof v === "string" && !CharacterSet.isAscii(v)) return true
    if (Array.isArray(v)) {
      for (const x of v as ReadonlyArray<unknown>) {
        if (typeof x === "string" && !CharacterSet.isAscii(x)) return true
        if (typeof x === "object" && x !== null && !(x instanceof Dataset) && hasNonAscii(x as DatasetRecord)) return true
      }
    }
  }
  return false
}

const fromRecordAt = (record: DatasetRecord, options: MakeOptions, depth: number): Result.Result<Dataset, DataEncodeError> => {
  let characterSet = options.characterSet ?? []
  const elements: Array<ElementT> = []
  const own = record["SpecificCharacterSet"] ?? record["00080005"]
  if (typeof own === "string") characterSet = CharacterSet.parse(own)
  else if (Array.isArray(own)) characterSet = own.map(String)
  else if (depth === 0 && characterSet.length === 0 && hasNonAscii(record)) {
    // Non-ASCII text needs a declared character set: UTF-8 holds every character.
    characterSet = ["ISO_IR 192"]
    elements.push(Element.string(SpecificCharacterSet, "CS", "ISO_IR 192"))
  }
  for (const [key, raw] of Object.entries(record)) {
    const tag = Element.resolveTag(key)
    if (tag === undefined) return Result.fail(new DataEncodeError({ tag: undefined, reason: `unknown keyword or tag '${key}'` }))
    let value: ElementValue
    if (raw === null) {
      value = new Uint8Array(0)
    } else if (Array.isArray(raw) && raw.length > 0 && typeof raw[0] === "object") {
      const items: Array<Dataset> = []
      for (const item of raw as ReadonlyArray<DatasetRecord | Dataset>) {
        if (item instanceof Dataset) {
          items.push(item)
          continue
        }
        const r = fromRecordAt(item, { characterSet }, depth + 1)
        if (Result.isFailure(r)) return r
        items.push(r.success)
      }
      value = items
    } else {
      value = raw as ElementValue
    }
    const element = Element.fromValue(tag, value, { characterSet })
    if (Result.isFailure(element)) return Result.fail(element.failure)
    elements.push(element.success)
  }
  return Result.succeed(Dataset.make(elements, options.undefinedLength === undefined ? { characterSet } : { characterSet, undefinedLength: options.undefinedLength }))
}

/**
 * The empty data set.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: Dataset = Dataset.empty

/**
 * A data set from elements in any order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (elements: Iterable<ElementT>, options?: MakeOptions): Dataset => Dataset.make(elements, options)

/**
 * A data set from a record of keywords or hex tags (VRs from the dictionary; null gives an empty value).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRecord = (record: DatasetRecord, options?: MakeOptions): Result.Result<Dataset, DataEncodeError> =>
  Dataset.fromRecord(record, options)

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const canonical = (e: Primitive): Uint8Array => {
  if (e.littleEndian !== false) return e.bytes
  const unit = e.vr === "AT" ? 2 : VRs.info(e.vr).kind === "binary" ? VRs.info(e.vr).bytesPerValue : 1
  if (unit <= 1) return e.bytes
  const out = new Uint8Array(e.bytes.length)
  for (let i = 0; i + unit <= e.bytes.length; i += unit) for (let k = 0; k < unit; k++) out[i + k] = e.bytes[i + unit - 1 - k] ?? 0
  return out
}

/**
 * Structural equality: same tags, VRs and values (compared in little-endian order), recursively.
 *
 * @since 0.1.0
 * @category equivalence
 */
export const equals = (a: Dataset, b: Dataset): boolean => {
  const x = a.elements()
  const y = b.elements()
  if (x.length !== y.length) return false
  for (let i = 0; i < x.length; i++) {
    const p = x[i]
    const q = y[i]
    if (p === undefined || q === undefined || p.tag !== q.tag || p._tag !== q._tag || p.vr !== q.vr) return false
    if (p._tag === "Primitive" && q._tag === "Primitive") {
      if (!sameBytes(canonical(p), canonical(q))) return false
    } else if (p._tag === "Sequence" && q._tag === "Sequence") {
      if (p.items.length !== q.items.length) return false
      for (let k = 0; k < p.items.length; k++) {
        const pi = p.items[k]
        const qi = q.items[k]
        if (pi === undefined || qi === undefined || !equals(pi, qi)) return false
      }
    } else if (p._tag === "Fragments" && q._tag === "Fragments") {
      if (!sameBytes(p.offsetTable, q.offsetTable) || p.fragments.length !== q.fragments.length) return false
      for (let k = 0; k < p.fragments.length; k++) {
        const pf = p.fragments[k]
        const qf = q.fragments[k]
        if (pf === undefined || qf === undefined || !sameBytes(pf, qf)) return false
      }
    }
  }
  return true
}
