/**
 * The PS3.6 data dictionary: keyword, name, VR and VM of every public data element, generated from
 * the standard's tables (see scripts/generate-dictionary.mjs), with repeating groups (PS3.5 §7.6),
 * group length elements (PS3.5 §7.2) and private creator elements (PS3.5 §7.8.1).
 *
 * @since 0.1.0
 */
import * as Generated from "./internal/dictionary.generated.js"
import * as Tag from "./Tag.js"
import type { VR } from "./VR.js"
import { isVR } from "./VR.js"

/**
 * One data element of PS3.6.
 *
 * For a repeating-group element `mask` names its range (e.g. "60xx3000"); `lookup` answers with the
 * tag that was asked for, `byKeyword` with the first tag of the range that is not another element. `vr` is empty for the item and
 * delimitation tags (FFFE,E000/E00D/E0DD), which have no VR.
 *
 * @since 0.1.0
 * @category models
 */
export interface DictionaryEntry {
  readonly tag: Tag.Tag
  readonly keyword: string
  readonly name: string
  readonly vr: ReadonlyArray<VR>
  readonly vm: string
  readonly retired: boolean
  readonly mask?: string
}

/**
 * PS3.6 edition the dictionary reflects.
 *
 * @since 0.1.0
 * @category constants
 */
export const edition = Generated.edition

// Parsing -------------------------------------------------------------------------------------

const parseVrs = (packed: string, line: string): ReadonlyArray<VR> => {
  if (packed === "") return []
  const vrs: Array<VR> = []
  for (const vr of packed.split("/")) {
    if (!isVR(vr)) throw new Error(`dictionary.generated.ts: unknown VR in line ${line}`)
    vrs.push(vr)
  }
  return vrs
}

// The VR used when the data set does not say (implicit VR): the first listed VR, except that
// "OB or OW" is OW — PS3.5 §A.1 (Pixel Data, Overlay Data, Curve/Audio Data, LUT data in implicit VR).
const implicitVr = (vrs: ReadonlyArray<VR>): VR => {
  const first = vrs[0]
  if (first === undefined) return "UN"
  if (first === "OB" && vrs[1] === "OW") return "OW"
  return first
}

const parseLine = (line: string, mask: boolean): DictionaryEntry => {
  const fields = line.split("|")
  if (fields.length !== 6) throw new Error(`dictionary.generated.ts: malformed line ${line}`)
  const [tagText = "", vrText = "", vm = "", keyword = "", name = "", retired = ""] = fields
  const tag = Number.parseInt(mask ? tagText.replace(/x/g, "0") : tagText, 16) >>> 0
  const entry = { tag, keyword, name, vr: parseVrs(vrText, line), vm, retired: retired === "R" }
  return mask ? { ...entry, mask: tagText } : entry
}

// Repeating groups: one table per distinct mask pattern (bits that must match), so a lookup costs
// one Map probe per pattern (a handful), whatever the number of masks.
interface MaskTable {
  readonly bits: number
  readonly entries: Map<number, DictionaryEntry>
  readonly vrs: Map<number, VR>
}

const maskBits = (mask: string): number => {
  let bits = 0
  for (let i = 0; i < mask.length; i++) bits = (bits * 16 + (mask[i] === "x" ? 0 : 0xf)) >>> 0
  return bits
}

const popcount = (n: number): number => {
  let count = 0
  for (let v = n; v !== 0; v >>>= 1) count += v & 1
  return count
}

/** The parsed dictionary: built at the first lookup, not when the module loads (~20 ms and a few MB of heap). */
interface Tables {
  readonly byTag: Map<number, DictionaryEntry>
  readonly vrByTag: Map<number, VR>
  readonly byKeyword: Map<string, DictionaryEntry>
  readonly maskTables: ReadonlyArray<MaskTable>
}

let built: Tables | undefined

const tables = (): Tables => {
  if (built === undefined) built = build()
  return built
}

const build = (): Tables => {
  const byTag = new Map<number, DictionaryEntry>()
  const vrByTag = new Map<number, VR>()
  const byKeyword = new Map<string, DictionaryEntry>()
  for (const line of Generated.elements.split("\n")) {
    const entry = parseLine(line, false)
    byTag.set(entry.tag, entry)
    vrByTag.set(entry.tag, implicitVr(entry.vr))
    if (entry.keyword !== "") byKeyword.set(entry.keyword, entry)
  }
  const maskTables: Array<MaskTable> = []
  for (const line of Generated.repeatingGroups.split("\n")) {
    const entry = parseLine(line, true)
    const bits = maskBits(entry.mask ?? "")
    let table = maskTables.find((t) => t.bits === bits)
    if (table === undefined) {
      table = { bits, entries: new Map(), vrs: new Map() }
      maskTables.push(table)
    }
    table.entries.set(entry.tag, entry)
    table.vrs.set(entry.tag, implicitVr(entry.vr))
  }
  // Most specific patterns first, should two masks ever overlap.
  maskTables.sort((a, b) => popcount(b.bits) - popcount(a.bits))
  const t: Tables = { byTag, vrByTag, byKeyword, maskTables }
  // A repeating-group keyword resolves to the first tag of its range (every "x" the same digit, 0 to F)
  // that lookup answers with that keyword: (0028,0400) is Transform Label, so 002804x0 starts at (0028,0410).
  for (const table of maskTables) {
    for (const [key, entry] of table.entries) {
      const mask = entry.mask ?? ""
      let representative = entry
      for (let digit = 0; digit < 16; digit++) {
        const tag = Number.parseInt(mask.replace(/x/g, digit.toString(16)), 16) >>> 0
        if (lookupIn(t, tag)?.keyword === entry.keyword) {
          representative = { ...entry, tag }
          break
        }
      }
      table.entries.set(key, representative)
      if (entry.keyword !== "") byKeyword.set(entry.keyword, representative)
    }
  }
  return t
}

/**
 * Number of data elements with a fixed tag in the generated table.
 *
 * @since 0.1.0
 * @category constants
 */
export const elementCount: number = Generated.elementCount

/**
 * Number of repeating-group masks in the generated table.
 *
 * @since 0.1.0
 * @category constants
 */
export const repeatingGroupCount: number = Generated.repeatingCount

// Lookups -------------------------------------------------------------------------------------

const findRepeating = (maskTables: ReadonlyArray<MaskTable>, tag: Tag.Tag): DictionaryEntry | undefined => {
  for (const table of maskTables) {
    const entry = table.entries.get((tag & table.bits) >>> 0)
    if (entry !== undefined) return entry
  }
  return undefined
}

/**
 * The dictionary entry of a tag: exact match, then group length (gggg,0000) as UL "GroupLength",
 * private creators (gggg,0010-00FF in odd groups) as LO "PrivateCreator", other private tags
 * undefined, then repeating groups (50xx, 60xx, 002031xx, ...).
 *
 * @since 0.1.0
 * @category lookups
 */
export const lookup = (tag: Tag.Tag): DictionaryEntry | undefined => lookupIn(tables(), tag)

/** `lookup` in the given tables (also while they are being built). */
const lookupIn = (dictionary: Tables, tag: Tag.Tag): DictionaryEntry | undefined => {
  const t = tag >>> 0
  const exact = dictionary.byTag.get(t)
  if (exact !== undefined) return exact
  if (Tag.isGroupLength(t)) {
    // PS3.5 §7.2: group length is retired for every group except 0000 and 0002 (both exact entries).
    return { tag: t, keyword: "GroupLength", name: "Group Length", vr: ["UL"], vm: "1", retired: true }
  }
  if (Tag.isPrivate(t)) {
    return Tag.isPrivateCreator(t)
      ? { tag: t, keyword: "PrivateCreator", name: "Private Creator", vr: ["LO"], vm: "1", retired: false }
      : undefined
  }
  const repeating = findRepeating(dictionary.maskTables, t)
  return repeating === undefined ? undefined : { ...repeating, tag: t }
}

/**
 * The entry with this PS3.6 keyword (e.g. "PatientName"); undefined when unknown.
 *
 * @since 0.1.0
 * @category lookups
 */
export const byKeyword = (keyword: string): DictionaryEntry | undefined => tables().byKeyword.get(keyword)

/**
 * The tag of a PS3.6 keyword (for a repeating-group keyword, the first tag of its range that is not another element); undefined when unknown.
 *
 * @since 0.1.0
 * @category lookups
 */
export const tagOf = (keyword: string): Tag.Tag | undefined => tables().byKeyword.get(keyword)?.tag

/**
 * The VR to use for a tag in implicit VR: the first dictionary VR ("OB or OW" gives OW), UL for group
 * lengths, LO for private creators, "UN" when unknown. One Map probe for dictionary tags.
 *
 * @since 0.1.0
 * @category lookups
 */
export const vrOf = (tag: Tag.Tag): VR => {
  const t = tag >>> 0
  const { maskTables, vrByTag } = tables()
  const vr = vrByTag.get(t)
  if (vr !== undefined) return vr
  if ((t & 0xffff) === 0) return "UL"
  if (Tag.isPrivate(t)) return Tag.isPrivateCreator(t) ? "LO" : "UN"
  for (const table of maskTables) {
    const masked = table.vrs.get((t & table.bits) >>> 0)
    if (masked !== undefined) return masked
  }
  return "UN"
}

/**
 * Every data element with a fixed tag, in tag order (for tools and tests).
 *
 * @since 0.1.0
 * @category lookups
 */
export const entries = (): IterableIterator<DictionaryEntry> => tables().byTag.values()

/**
 * Every repeating-group data element (entries carry their `mask`).
 *
 * @since 0.1.0
 * @category lookups
 */
export const repeatingGroups = (): ReadonlyArray<DictionaryEntry> => tables().maskTables.flatMap((t) => [...t.entries.values()])
