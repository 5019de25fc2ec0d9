/**
 * Attribute matching of PS3.4 §C.2.2.2 for C-FIND identifiers: single value matching, universal
 * matching (an empty key), wildcard matching (`*`, `?`), range matching (dates, times, date-times) and
 * list of UID matching. Sequence matching is treated as universal.
 *
 * @since 0.1.0
 */
import type { Dataset, Element } from "@dicomnet/data"

/** A matching key of an identifier: the attribute tag, its VR and its values (empty for universal matching). @category models */
export interface Key {
  readonly tag: number
  readonly vr: string
  /** The key's values as text (empty = universal matching). */
  readonly values: ReadonlyArray<string>
}

/** The keys of an identifier, except Query/Retrieve Level, Specific Character Set and group lengths. @category constructors */
export const keysOf = (identifier: Dataset.Dataset): ReadonlyArray<Key> => {
  const keys: Array<Key> = []
  for (const e of identifier.elements()) {
    if (e.tag === 0x00080052 || e.tag === 0x00080005 || (e.tag & 0xffff) === 0) continue
    if (e._tag !== "Primitive") {
      keys.push({ tag: e.tag, vr: e.vr, values: [] })
      continue
    }
    keys.push({ tag: e.tag, vr: e.vr, values: (identifier.strings(e.tag) ?? []).filter((v) => v !== "") })
  }
  return keys
}

const escapeRegExp = (s: string): string => s.replace(/[.+^${}()|[\]\\]/g, "\\$&")

/** A wildcard pattern (`*` any run, `?` one character) as a RegExp anchored at both ends. @category constructors */
export const wildcard = (pattern: string, caseInsensitive = false): RegExp =>
  new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : escapeRegExp(c))).join("")}$`, caseInsensitive ? "is" : "s")

const hasWildcard = (s: string): boolean => s.includes("*") || s.includes("?")

// VRs for which PS3.4 §C.2.2.2.4 allows wildcards (not DA, TM, DT, UI, numbers).
const wildcardVRs = new Set(["AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"])
const rangeVRs = new Set(["DA", "TM", "DT"])

/** Compares DA/TM/DT values as text after dropping separators: equal-length prefixes compare like the values. */
const normalizeTemporal = (s: string): string => s.replace(/[:.\-\s]/g, "")

const inRange = (value: string, range: string, vr: string): boolean => {
  const dash = vr === "DT" || vr === "TM" || vr === "DA" ? range.indexOf("-") : -1
  if (dash < 0) return normalizeTemporal(value) === normalizeTemporal(range)
  const lower = normalizeTemporal(range.slice(0, dash))
  const upper = normalizeTemporal(range.slice(dash + 1))
  const v = normalizeTemporal(value)
  if (v === "") return false
  // A time or date-time bound covers every value it is a prefix of: "1200" <= "120000.5" and "1300" covers "130059".
  if (lower !== "" && v.slice(0, lower.length) < lower) return false
  if (upper !== "" && v.slice(0, upper.length) > upper) return false
  return true
}

/** True when one value of the attribute matches one value of the key (PS3.4 §C.2.2.2.1–§C.2.2.2.5). @category matching */
export const matchValue = (key: Key, value: string): boolean => {
  for (const k of key.values) {
    if (rangeVRs.has(key.vr)) {
      if (inRange(value, k, key.vr)) return true
    } else if (wildcardVRs.has(key.vr) && hasWildcard(k)) {
      // PS3.4 §C.2.2.2.1 lets PN matching be case-insensitive: ours is (dcmqrscp's is not).
      if (wildcard(k, key.vr === "PN").test(value)) return true
    } else if (key.vr === "PN") {
      if (k.toLowerCase() === value.toLowerCase()) return true
    } else if (k === value) return true
  }
  return false
}

/**
 * True when an attribute with these values (`candidate.strings(tag)`, undefined when absent) matches `key`:
 * universal keys always match; a missing or empty attribute matches only a universal key.
 * @category matching
 */
export const matchesValues = (key: Key, values: ReadonlyArray<string> | undefined): boolean => {
  if (key.values.length === 0) return true
  if (values === undefined || values.length === 0) return false
  for (const v of values) if (matchValue(key, v)) return true
  return false
}

/**
 * True when the attribute in `candidate` matches `key`: universal keys always match; a missing or empty
 * attribute matches only a universal key (PS3.4 §C.2.2.2.3 leaves zero-length attributes unmatched).
 * @category matching
 */
export const matches = (key: Key, candidate: Dataset.Dataset): boolean =>
  key.values.length === 0 || matchesValues(key, candidate.strings(key.tag))

/**
 * The key's values when matching it is plain string equality with one of them (single value matching
 * without wildcards, list of UID matching), so that an index of exact values can answer it; undefined for
 * universal, wildcard, range and PN (case-insensitive) keys.
 * @category matching
 */
export const exactValues = (key: Key): ReadonlyArray<string> | undefined => {
  if (key.values.length === 0 || rangeVRs.has(key.vr) || key.vr === "PN") return undefined
  if (wildcardVRs.has(key.vr) && key.values.some(hasWildcard)) return undefined
  return key.values
}

/** True when every key matches. @category matching */
export const matchesAll = (keys: ReadonlyArray<Key>, candidate: Dataset.Dataset): boolean => {
  for (const key of keys) if (!matches(key, candidate)) return false
  return true
}

/** The element of `source` to answer a key with, or an empty element of the key's VR when absent. @category responses */
export const answer = (key: Key, source: Dataset.Dataset): Element.Element =>
  source.get(key.tag) ?? { _tag: "Primitive", tag: key.tag, vr: key.vr as Element.Primitive["vr"], bytes: new Uint8Array(0) }
