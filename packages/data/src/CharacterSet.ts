/**
 * Specific Character Set (0008,0005) support (PS3.5 §6.1, PS3.3 C.12.1.1.2): decoding text values of
 * SH, LO, ST, LT, PN, UC and UT with single-byte ISO_IR sets, UTF-8 (ISO_IR 192), GB18030/GBK and
 * ISO 2022 code extensions (escape sequences switching G0/G1, e.g. ISO 2022 IR 87 Japanese,
 * ISO 2022 IR 149 Korean), and encoding for the single-byte sets and UTF-8.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { DataEncodeError } from "./DataError.js"
import { decodeLatin1, decoderFor, encodeUtf8 } from "./internal/text.js"
import type { VR } from "./VR.js"
import * as VRs from "./VR.js"

// Defined terms (PS3.3 Table C.12-2/C.12-3/C.12-4/C.12-5) -> WHATWG encoding labels.
const singleByte: Record<string, string> = {
  "ISO_IR 100": "latin1",
  "ISO_IR 101": "iso-8859-2",
  "ISO_IR 109": "iso-8859-3",
  "ISO_IR 110": "iso-8859-4",
  "ISO_IR 144": "iso-8859-5",
  "ISO_IR 127": "iso-8859-6",
  "ISO_IR 126": "iso-8859-7",
  "ISO_IR 138": "iso-8859-8",
  "ISO_IR 148": "iso-8859-9",
  "ISO_IR 203": "iso-8859-15",
  "ISO_IR 166": "windows-874",
  "ISO_IR 13": "shift_jis"
}
const multiByte: Record<string, string> = {
  "ISO_IR 192": "utf-8",
  GB18030: "gb18030",
  GBK: "gbk"
}

/** A code element that G0 or G1 can designate under ISO 2022 (PS3.3 Table C.12-3/C.12-4). */
type CodeElement =
  | { readonly kind: "ascii" }
  | { readonly kind: "single"; readonly label: string } // 96-character set invoked in GR
  | { readonly kind: "katakana" } // JIS X 0201 katakana in GR
  | { readonly kind: "jisx0208" } // 94x94 in G0 (7-bit pairs)
  | { readonly kind: "jisx0212" } // 94x94 in G0 (7-bit pairs)
  | { readonly kind: "gr2"; readonly label: string } // 94x94 in GR (KS X 1001, GB 2312)

const ascii: CodeElement = { kind: "ascii" }
const termToG1: Record<string, CodeElement> = {
  "ISO 2022 IR 100": { kind: "single", label: "latin1" },
  "ISO 2022 IR 101": { kind: "single", label: "iso-8859-2" },
  "ISO 2022 IR 109": { kind: "single", label: "iso-8859-3" },
  "ISO 2022 IR 110": { kind: "single", label: "iso-8859-4" },
  "ISO 2022 IR 144": { kind: "single", label: "iso-8859-5" },
  "ISO 2022 IR 127": { kind: "single", label: "iso-8859-6" },
  "ISO 2022 IR 126": { kind: "single", label: "iso-8859-7" },
  "ISO 2022 IR 138": { kind: "single", label: "iso-8859-8" },
  "ISO 2022 IR 148": { kind: "single", label: "iso-8859-9" },
  "ISO 2022 IR 203": { kind: "single", label: "iso-8859-15" },
  "ISO 2022 IR 166": { kind: "single", label: "windows-874" },
  "ISO 2022 IR 13": { kind: "katakana" },
  "ISO 2022 IR 149": { kind: "gr2", label: "euc-kr" },
  "ISO 2022 IR 58": { kind: "gr2", label: "gbk" }
}

const normalize = (term: string): string => term.trim().toUpperCase().replace(/^ISO-IR /, "ISO_IR ")

/**
 * True when decodeString knows the defined term ("" and "ISO_IR 6" are the default repertoire).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSupported = (term: string): boolean => {
  const t = normalize(term)
  return (
    t === "" ||
    t === "ISO_IR 6" ||
    t === "ISO 2022 IR 6" ||
    t === "ISO 2022 IR 87" ||
    t === "ISO 2022 IR 159" ||
    t in singleByte ||
    t in multiByte ||
    t in termToG1
  )
}

/**
 * Parses the raw value of Specific Character Set (0008,0005) into its terms (first may be empty).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (value: string): ReadonlyArray<string> => {
  const terms = value.replace(/[\0 ]+$/, "").split("\\").map((t) => t.trim())
  return terms.length === 1 && terms[0] === "" ? [] : terms
}

const isIso2022 = (characterSet: ReadonlyArray<string>): boolean =>
  characterSet.length > 1 || (characterSet[0] !== undefined && normalize(characterSet[0]).startsWith("ISO 2022"))

const decodeWith = (label: string, bytes: Uint8Array): string => {
  if (label === "latin1") return decodeLatin1(bytes)
  const d = decoderFor(label)
  return d === undefined ? decodeLatin1(bytes) : d.decode(bytes)
}

/**
 * Decodes a text value with the data set's Specific Character Set; VRs not affected by it
 * (AE, CS, DA, UI, ...) use the default repertoire. Unknown terms fall back to ISO 8859-1.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeString = (bytes: Uint8Array, characterSet: ReadonlyArray<string>, vr: VR): string => {
  if (characterSet.length === 0 || !VRs.info(vr).charsetAffected) return decodeLatin1(bytes)
  if (isIso2022(characterSet)) return decodeIso2022(bytes, characterSet, vr)
  const term = normalize(characterSet[0] ?? "")
  const label = singleByte[term] ?? multiByte[term]
  return label === undefined ? decodeLatin1(bytes) : decodeWith(label, bytes)
}

const initialG1 = (characterSet: ReadonlyArray<string>): CodeElement | undefined => {
  const first = normalize(characterSet[0] ?? "")
  return termToG1[first]
}

// PS3.5 §6.1.2.5.3: code sets reset to the initial ones after CR, LF, FF, TAB, and for PN after "^" and "=",
// for multi-valued VRs after "\".
const isDelimiter = (b: number, vr: VR): boolean =>
  b === 0x0d || b === 0x0a || b === 0x0c || b === 0x09 || (vr === "PN" && (b === 0x5e || b === 0x3d)) || (b === 0x5c && VRs.info(vr).multiValued)

const decodeIso2022 = (bytes: Uint8Array, characterSet: ReadonlyArray<string>, vr: VR): string => {
  const g1Initial = initialG1(characterSet)
  let g0: CodeElement = ascii
  let g1: CodeElement | undefined = g1Initial
  let out = ""
  let i = 0
  const n = bytes.length
  while (i < n) {
    const b = bytes[i] ?? 0
    if (b === 0x1b) {
      const consumed = readEscape(bytes, i)
      if (consumed === undefined) {
        out += "\u001b"
        i++
        continue
      }
      if (consumed.g0 !== undefined) g0 = consumed.g0
      if (consumed.g1 !== undefined) g1 = consumed.g1
      i += consumed.length
      continue
    }
    // A run of bytes under one code element: 7-bit bytes go to G0, 8-bit bytes to G1.
    let j = i
    if (b < 0x80) {
      if (g0.kind === "jisx0208" || g0.kind === "jisx0212") {
        while (j < n && (bytes[j] ?? 0) !== 0x1b && (bytes[j] ?? 0) < 0x80 && (bytes[j] ?? 0) >= 0x21) j++
        if (j === i) {
          // A control character inside a two-byte run: emit it and fall back to ASCII.
          out += String.fromCharCode(b)
          if (isDelimiter(b, vr)) {
            g0 = ascii
            g1 = g1Initial
          }
          i++
          continue
        }
        out += decodeJis(bytes.subarray(i, j), g0.kind === "jisx0212")
      } else {
        while (j < n) {
          const c = bytes[j] ?? 0
          if (c === 0x1b || c >= 0x80) break
          j++
          if (isDelimiter(c, vr)) break
        }
        out += decodeLatin1(bytes, i, j)
        const last = bytes[j - 1] ?? 0
        if (isDelimiter(last, vr)) {
          g0 = ascii
          g1 = g1Initial
        }
      }
    } else {
      while (j < n && (bytes[j] ?? 0) >= 0x80) j++
      out += decodeG1(bytes.subarray(i, j), g1)
    }
    i = j
  }
  return out
}

const decodeJis = (run: Uint8Array, x0212: boolean): string => {
  // JIS X 0208 / 0212 in G0 map to EUC-JP by setting the high bit (0212 with the SS3 prefix 0x8F).
  const pairs = run.length >> 1
  const euc = new Uint8Array(pairs * (x0212 ? 3 : 2))
  let o = 0
  for (let k = 0; k < pairs * 2; k += 2) {
    if (x0212) euc[o++] = 0x8f
    euc[o++] = (run[k] ?? 0) | 0x80
    euc[o++] = (run[k + 1] ?? 0) | 0x80
  }
  return decodeWith("euc-jp", euc)
}

const decodeG1 = (run: Uint8Array, g1: CodeElement | undefined): string => {
  if (g1 === undefined) return decodeLatin1(run)
  switch (g1.kind) {
    case "single":
    case "gr2":
      return decodeWith(g1.label, run)
    case "katakana":
      return decodeWith("shift_jis", run)
    default:
      return decodeLatin1(run)
  }
}

// ESC sequences of PS3.3 Table C.12-3/C.12-4; returns how many bytes it spans and what it designates.
const readEscape = (
  b: Uint8Array,
  i: number
): { readonly length: number; readonly g0?: CodeElement; readonly g1?: CodeElement } | undefined => {
  const c1 = b[i + 1]
  const c2 = b[i + 2]
  const c3 = b[i + 3]
  if (c1 === 0x28 && (c2 === 0x42 || c2 === 0x4a)) return { length: 3, g0: ascii } // ESC ( B, ESC ( J
  if (c1 === 0x29 && c2 === 0x49) return { length: 3, g1: { kind: "katakana" } } // ESC ) I
  if (c1 === 0x24 && c2 === 0x42) return { length: 3, g0: { kind: "jisx0208" } } // ESC $ B
  if (c1 === 0x24 && c2 === 0x28 && c3 === 0x44) return { length: 4, g0: { kind: "jisx0212" } } // ESC $ ( D
  if (c1 === 0x24 && c2 === 0x29 && c3 === 0x43) return { length: 4, g1: { kind: "gr2", label: "euc-kr" } } // ESC $ ) C
  if (c1 === 0x24 && c2 === 0x29 && c3 === 0x41) return { length: 4, g1: { kind: "gr2", label: "gbk" } } // ESC $ ) A
  if (c1 === 0x2d && c2 !== undefined) {
    const label = g1Final[String.fromCharCode(c2)]
    if (label !== undefined) return { length: 3, g1: { kind: "single", label } }
  }
  return undefined
}

// ESC - F (96-character sets in G1): final byte as a character.
const g1Final: Record<string, string> = {
  A: "latin1",
  B: "iso-8859-2",
  C: "iso-8859-3",
  D: "iso-8859-4",
  L: "iso-8859-5",
  G: "iso-8859-6",
  F: "iso-8859-7",
  H: "iso-8859-8",
  M: "iso-8859-9",
  b: "iso-8859-15",
  T: "windows-874"
}

// Reverse tables for single-byte sets, built once from the decoder (so encoding matches decoding).
const reverseTables = new Map<string, Map<number, number>>()
const reverseTable = (label: string): Map<number, number> | undefined => {
  let table = reverseTables.get(label)
  if (table !== undefined) return table
  const d = decoderFor(label)
  if (d === undefined) return undefined
  table = new Map()
  for (let b = 0x80; b <= 0xff; b++) {
    const s = d.decode(Uint8Array.of(b))
    const cp = s.codePointAt(0)
    if (s.length === 1 && cp !== undefined && cp !== 0xfffd && !table.has(cp)) table.set(cp, b)
  }
  reverseTables.set(label, table)
  return table
}

const encodeSingleByte = (value: string, label: string | undefined, tag: number | undefined): Result.Result<Uint8Array, DataEncodeError> => {
  const out = new Uint8Array(value.length)
  const table = label === undefined || label === "latin1" ? undefined : reverseTable(label)
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x80 || (label === "latin1" && c <= 0xff)) {
      out[i] = c
      continue
    }
    const b = table?.get(c)
    if (b === undefined) {
      return Result.fail(
        new DataEncodeError({ tag, reason: `character U+${c.toString(16).toUpperCase().padStart(4, "0")} is not in ${label ?? "the default repertoire (ISO_IR 6)"}` })
      )
    }
    out[i] = b
  }
  return Result.succeed(out)
}

/**
 * Encodes a text value with a Specific Character Set: the default repertoire, the single-byte ISO_IR sets
 * and ISO_IR 192 (UTF-8). Characters outside the set, and ISO 2022 multi-byte sets, fail with a typed error.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeString = (
  value: string,
  characterSet: ReadonlyArray<string>,
  vr: VR,
  tag?: number
): Result.Result<Uint8Array, DataEncodeError> => {
  if (characterSet.length === 0 || !VRs.info(vr).charsetAffected) return encodeSingleByte(value, undefined, tag)
  const term = normalize(characterSet[0] ?? "")
  if (term === "ISO_IR 192") return Result.succeed(encodeUtf8(value))
  if (term === "" || term === "ISO_IR 6" || term === "ISO 2022 IR 6") {
    // ISO 2022 with an ASCII first set: plain ASCII values need no escape sequence.
    return encodeSingleByte(value, undefined, tag)
  }
  const label = singleByte[term]
  if (label !== undefined && term !== "ISO_IR 13") return encodeSingleByte(value, label, tag)
  return Result.fail(new DataEncodeError({ tag, reason: `encoding text in ${characterSet.join("\\")} is not supported` }))
}

/**
 * Encodes text leniently: like encodeString, but replaces characters the set cannot hold with "?".
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeStringLossy = (value: string, characterSet: ReadonlyArray<string>, vr: VR): Uint8Array => {
  const strict = encodeString(value, characterSet, vr)
  if (Result.isSuccess(strict)) return strict.success
  let replaced = ""
  for (const ch of value) {
    const one = encodeString(ch, characterSet, vr)
    replaced += Result.isSuccess(one) ? ch : "?"
  }
  const again = encodeString(replaced, characterSet, vr)
  return Result.isSuccess(again) ? again.success : encodeUtf8(replaced)
}

/**
 * True when every character of the string is 7-bit ASCII (encodable in every character set).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAscii = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return false
  return true
}
