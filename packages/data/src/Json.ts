/**
 * The DICOM JSON model (PS3.18 §F.2): a data set as a JSON object keyed by 8-digit upper-case hex tags, each
 * attribute `{ vr, Value }` — strings as strings, DS/IS and binary numbers as numbers, AT as hex strings, PN as
 * `{ Alphabetic, Ideographic, Phonetic }`, SQ items as nested objects — or `{ vr, InlineBinary }` (base64) for
 * OB/OD/OF/OL/OV/OW/UN. An empty attribute has neither (§F.2.5). BulkDataURI is not produced; on input it is
 * read as an empty value.
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"
import { Base64 } from "effect/encoding"
import * as CharacterSet from "./CharacterSet.js"
import { Dataset } from "./Dataset.js"
import type { Element as ElementT, Primitive } from "./Element.js"
import * as Element from "./Element.js"
import * as Tag from "./Tag.js"
import * as Value from "./Value.js"
import type { VR } from "./VR.js"
import * as VRs from "./VR.js"

/** A PN value (PS3.18 §F.2.2): the three component groups, each present only when not empty. @since 0.1.0 @category models */
export interface PersonNameJson {
  readonly Alphabetic?: string
  readonly Ideographic?: string
  readonly Phonetic?: string
}

/** One value of a JSON attribute; `null` stands for an empty value inside a multi-valued attribute. @since 0.1.0 @category models */
export type ValueJson = string | number | PersonNameJson | DatasetJson | null

/** A DICOM JSON attribute object (PS3.18 §F.2.2). @since 0.1.0 @category models */
export interface AttributeJson {
  readonly vr: VR
  readonly Value?: ReadonlyArray<ValueJson>
  readonly InlineBinary?: string
  readonly BulkDataURI?: string
}

/** A DICOM JSON data set: attributes keyed by "GGGGEEEE". @since 0.1.0 @category models */
export interface DatasetJson {
  readonly [tag: string]: AttributeJson
}

/** A JSON value that is not a valid DICOM JSON data set; `path` locates it ("00081115[0].0020000E"). @since 0.1.0 @category errors */
export class JsonDecodeError extends Data.TaggedError("JsonDecodeError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return this.path === "" ? this.reason : `at ${this.path}: ${this.reason}`
  }
}

const SpecificCharacterSet = 0x00080005

// --- Dataset -> JSON ------------------------------------------------------------------------------------------

const swapBytes = (bytes: Uint8Array, size: number): Uint8Array => {
  const out = new Uint8Array(bytes.length)
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j] ?? 0
  }
  return out
}

const personNameJson = (value: string): PersonNameJson | null => {
  if (value === "") return null
  const [alphabetic = "", ideographic = "", phonetic = ""] = value.split("=")
  const out: { Alphabetic?: string; Ideographic?: string; Phonetic?: string } = {}
  if (alphabetic !== "") out.Alphabetic = alphabetic
  if (ideographic !== "") out.Ideographic = ideographic
  if (phonetic !== "") out.Phonetic = phonetic
  return out
}

const primitiveJson = (ds: Dataset, e: Primitive): AttributeJson => {
  const vr = e.vr
  if (e.bytes.length === 0) return { vr }
  switch (vr) {
    case "OB":
    case "UN":
      return { vr, InlineBinary: Base64.encode(e.bytes) }
    case "OD":
    case "OF":
    case "OL":
    case "OV":
    case "OW": {
      // InlineBinary is little endian whatever the transfer syntax the data set came in (PS3.18 §F.2.7).
      const le = e.littleEndian === false ? swapBytes(e.bytes, VRs.info(vr).bytesPerValue) : e.bytes
      return { vr, InlineBinary: Base64.encode(le) }
    }
    case "AT":
      return { vr, Value: (ds.numbers(e.tag) ?? []).map((t) => Tag.toHex(t)) }
    case "FD":
    case "FL":
    case "SL":
    case "SS":
    case "SV":
    case "UL":
    case "US":
    case "UV":
      return { vr, Value: [...(ds.numbers(e.tag) ?? [])] }
    default:
      break
  }
  const strings = ds.strings(e.tag) ?? []
  if (strings.length === 0) return { vr }
  if (vr === "PN") return { vr, Value: strings.map(personNameJson) }
  if (vr === "DS" || vr === "IS") {
    return { vr, Value: strings.map((s) => (s === "" ? null : (Value.parseNumber(s) ?? s))) }
  }
  return { vr, Value: strings.map((s) => (s === "" ? null : s)) }
}

const elementJson = (ds: Dataset, e: ElementT): AttributeJson | undefined => {
  switch (e._tag) {
    case "Sequence":
      return e.items.length === 0 ? { vr: "SQ" } : { vr: "SQ", Value: e.items.map(toJson) }
    case "Fragments":
      // Encapsulated pixel data would need BulkDataURI or a re-encoding of the fragments: left out.
      return undefined
    case "Primitive":
      return primitiveJson(ds, e)
  }
}

/**
 * A data set in the DICOM JSON model (PS3.18 §F.2). Group lengths and encapsulated pixel data are left out;
 * text is decoded with the data set's Specific Character Set (JSON text is Unicode).
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (ds: Dataset): DatasetJson => {
  const out: Record<string, AttributeJson> = {}
  for (const e of ds.elements()) {
    if (Tag.isGroupLength(e.tag)) continue
    const attribute = elementJson(ds, e)
    if (attribute !== undefined) out[Tag.toHex(e.tag)] = attribute
  }
  return out
}

// --- JSON -> Dataset ------------------------------------------------------------------------------------------

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null && !Array.isArray(u)

const hexTag = /^[0-9A-Fa-f]{8}$/

const hasNonAsciiText = (json: Readonly<Record<string, unknown>>): boolean => {
  for (const attribute of Object.values(json)) {
    if (!isRecord(attribute) || !Array.isArray(attribute["Value"])) continue
    for (const v of attribute["Value"] as ReadonlyArray<unknown>) {
      if (typeof v === "string" && !CharacterSet.isAscii(v)) return true
      if (isRecord(v)) {
        if (attribute["vr"] === "SQ") {
          if (hasNonAsciiText(v)) return true
        } else {
          for (const c of Object.values(v)) if (typeof c === "string" && !CharacterSet.isAscii(c)) return true
        }
      }
    }
  }
  return false
}

type Decoded = Result.Result<ElementT, JsonDecodeError>

const personNameText = (v: unknown, path: string): Result.Result<string, JsonDecodeError> => {
  if (v === null) return Result.succeed("")
  if (typeof v === "string") return Result.succeed(v) // lenient: some producers write PN as plain strings
  if (!isRecord(v)) return Result.fail(new JsonDecodeError({ path, reason: "a PN value must be an object with Alphabetic, Ideographic, Phonetic" }))
  const group = (key: string): string => (typeof v[key] === "string" ? (v[key] as string) : "")
  return Result.succeed([group("Alphabetic"), group("Ideographic"), group("Phonetic")].join("=").replace(/=+$/, ""))
}

const attributeElement = (tag: number, attribute: Readonly<Record<string, unknown>>, path: string, characterSet: ReadonlyArray<string>, depth: number): Decoded => {
  const vrRaw = attribute["vr"]
  if (typeof vrRaw !== "string" || !VRs.isVR(vrRaw)) return Result.fail(new JsonDecodeError({ path, reason: `missing or unknown vr ${JSON.stringify(vrRaw)}` }))
  const vr: VR = vrRaw
  const values = attribute["Value"]
  const inline = attribute["InlineBinary"]
  if (typeof inline === "string") {
    const bytes = Base64.decode(inline)
    if (Result.isFailure(bytes)) return Result.fail(new JsonDecodeError({ path, reason: "InlineBinary is not valid base64" }))
    return Result.succeed(Element.bytes(tag, vr, bytes.success))
  }
  if (values === undefined) {
    return Result.succeed(vr === "SQ" ? Element.sequence(tag, []) : Element.primitive(tag, vr, new Uint8Array(0)))
  }
  if (!Array.isArray(values)) return Result.fail(new JsonDecodeError({ path, reason: "Value must be an array" }))
  const list = values as ReadonlyArray<unknown>
  const info = VRs.info(vr)
  if (vr === "SQ") {
    const items: Array<Dataset> = []
    for (let i = 0; i < list.length; i++) {
      const item = list[i]
      if (!isRecord(item)) return Result.fail(new JsonDecodeError({ path: `${path}[${i}]`, reason: "a sequence item must be an object" }))
      const r = datasetAt(item, `${path}[${i}].`, characterSet, depth + 1)
      if (Result.isFailure(r)) return Result.fail(r.failure)
      items.push(r.success)
    }
    return Result.succeed(Element.sequence(tag, items))
  }
  if (vr === "PN") {
    const texts: Array<string> = []
    for (let i = 0; i < list.length; i++) {
      const r = personNameText(list[i], `${path}[${i}]`)
      if (Result.isFailure(r)) return Result.fail(r.failure)
      texts.push(r.success)
    }
    return Result.succeed(Element.string(tag, vr, texts, characterSet))
  }
  if (vr === "AT") {
    const tags: Array<number> = []
    for (let i = 0; i < list.length; i++) {
      const v = list[i]
      if (typeof v !== "string" || !hexTag.test(v)) return Result.fail(new JsonDecodeError({ path: `${path}[${i}]`, reason: "an AT value must be an 8-digit hex string" }))
      tags.push(Number.parseInt(v, 16) >>> 0)
    }
    return Result.succeed(Element.attributeTag(tag, tags))
  }
  if (info.kind === "binary") {
    const numbers: Array<number> = []
    for (let i = 0; i < list.length; i++) {
      const v = list[i]
      const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN
      if (!Number.isFinite(n)) return Result.fail(new JsonDecodeError({ path: `${path}[${i}]`, reason: `a ${vr} value must be a number` }))
      numbers.push(n)
    }
    const e = Element.fromValue(tag, numbers, { vr })
    return Result.isFailure(e) ? Result.fail(new JsonDecodeError({ path, reason: e.failure.reason })) : Result.succeed(e.success)
  }
  const texts: Array<string> = []
  for (let i = 0; i < list.length; i++) {
    const v = list[i]
    if (v === null) texts.push("")
    else if (typeof v === "string") texts.push(v)
    else if (typeof v === "number" && (vr === "DS" || vr === "IS")) texts.push(vr === "DS" ? Value.formatDecimal(v) : String(Math.trunc(v)))
    else return Result.fail(new JsonDecodeError({ path: `${path}[${i}]`, reason: `a ${vr} value must be a ${vr === "DS" || vr === "IS" ? "number" : "string"}` }))
  }
  return Result.succeed(Element.string(tag, vr, info.multiValued ? texts : texts.join(""), characterSet))
}

const maxDepth = 64

const datasetAt = (
  json: Readonly<Record<string, unknown>>,
  prefix: string,
  inherited: ReadonlyArray<string>,
  depth: number
): Result.Result<Dataset, JsonDecodeError> => {
  if (depth > maxDepth) return Result.fail(new JsonDecodeError({ path: prefix, reason: `sequences nested deeper than ${maxDepth}` }))
  const elements: Array<ElementT> = []
  let characterSet = inherited
  const unicode = depth === 0 && hasNonAsciiText(json)
  if (unicode) {
    // JSON text is Unicode: UTF-8 holds every character, whatever (0008,0005) said.
    characterSet = ["ISO_IR 192"]
    elements.push(Element.string(SpecificCharacterSet, "CS", "ISO_IR 192"))
  } else {
    const cs = json["00080005"]
    if (isRecord(cs) && Array.isArray(cs["Value"])) {
      characterSet = (cs["Value"] as ReadonlyArray<unknown>).map((v) => (typeof v === "string" ? v : ""))
    }
  }
  for (const [key, attribute] of Object.entries(json)) {
    const path = `${prefix}${key}`
    if (!hexTag.test(key)) return Result.fail(new JsonDecodeError({ path, reason: "a key must be an 8-digit hex tag" }))
    const tag = Number.parseInt(key, 16) >>> 0
    if (tag === SpecificCharacterSet && unicode) continue
    if (!isRecord(attribute)) return Result.fail(new JsonDecodeError({ path, reason: "an attribute must be an object with a vr" }))
    const e = attributeElement(tag, attribute, path, characterSet, depth)
    if (Result.isFailure(e)) return Result.fail(e.failure)
    elements.push(e.success)
  }
  return Result.succeed(Dataset.make(elements, { characterSet }))
}

/**
 * A data set from the DICOM JSON model (PS3.18 §F.2). Text with characters outside ASCII makes the data set
 * declare ISO_IR 192 (UTF-8) as its Specific Character Set.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromJson = (json: unknown): Result.Result<Dataset, JsonDecodeError> => {
  if (!isRecord(json)) return Result.fail(new JsonDecodeError({ path: "", reason: "a DICOM JSON data set must be an object" }))
  return datasetAt(json, "", [], 0)
}

/**
 * The DICOM JSON text of a data set (`JSON.stringify` of `toJson`), indented when `space` is given.
 *
 * @since 0.1.0
 * @category encoding
 */
export const stringify = (ds: Dataset, space?: number): string => JSON.stringify(toJson(ds), null, space)

/**
 * A data set from DICOM JSON text.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parse = (text: string): Result.Result<Dataset, JsonDecodeError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Result.fail(new JsonDecodeError({ path: "", reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` }))
  }
  return fromJson(json)
}
