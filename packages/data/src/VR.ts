/**
 * Value Representations (PS3.5 §6.2) and the facts the codecs need about each one.
 *
 * @since 0.1.0
 */

/**
 * A two-letter Value Representation code (PS3.5 Table 6.2-1).
 *
 * @since 0.1.0
 * @category models
 */
export type VR =
  | "AE"
  | "AS"
  | "AT"
  | "CS"
  | "DA"
  | "DS"
  | "DT"
  | "FD"
  | "FL"
  | "IS"
  | "LO"
  | "LT"
  | "OB"
  | "OD"
  | "OF"
  | "OL"
  | "OV"
  | "OW"
  | "PN"
  | "SH"
  | "SL"
  | "SQ"
  | "SS"
  | "ST"
  | "SV"
  | "TM"
  | "UC"
  | "UI"
  | "UL"
  | "UN"
  | "UR"
  | "US"
  | "UT"
  | "UV"

/**
 * How a value is represented: character strings, fixed-size binary numbers/bytes, or a sequence of items.
 *
 * @since 0.1.0
 * @category models
 */
export type Kind = "string" | "binary" | "sequence"

/**
 * What the codecs need to know about a VR.
 *
 * @since 0.1.0
 * @category models
 */
export interface VRInfo {
  readonly vr: VR
  /** Explicit VR uses a 2-byte reserved field and a 4-byte length (PS3.5 §7.1.2, Table 7.1-1). */
  readonly longLength: boolean
  /** Byte used to pad a value to even length (PS3.5 §6.2): 0x00 for UI and binary VRs, space otherwise. */
  readonly padByte: 0x20 | 0x00
  readonly kind: Kind
  /** Size of one binary value in bytes (AT 4, US 2, OB 1, ...); 0 for strings and SQ. */
  readonly bytesPerValue: number
  /** True when a string value may hold several values separated by backslash (false for LT, ST, UT, UR). */
  readonly multiValued: boolean
  /** True when the value is decoded with the Specific Character Set (0008,0005) (PS3.5 §6.1.2.3). */
  readonly charsetAffected: boolean
  /**
   * Maximum length of one value in bytes from PS3.5 Table 6.2-1 (PN: per component group;
   * DT/TM: outside range matching); undefined when limited only by the length field.
   */
  readonly maxLength: number | undefined
}

const str = (
  vr: VR,
  maxLength: number | undefined,
  options: { readonly multiValued?: boolean; readonly charset?: boolean; readonly long?: boolean; readonly pad?: 0x20 | 0x00 } = {}
): VRInfo => ({
  vr,
  longLength: options.long ?? false,
  padByte: options.pad ?? 0x20,
  kind: "string",
  bytesPerValue: 0,
  multiValued: options.multiValued ?? true,
  charsetAffected: options.charset ?? false,
  maxLength
})

const bin = (vr: VR, bytesPerValue: number, long: boolean): VRInfo => ({
  vr,
  longLength: long,
  padByte: 0x00,
  kind: "binary",
  bytesPerValue,
  multiValued: false,
  charsetAffected: false,
  // Fixed-size numbers (Table 6.2-1 gives their size); "other" byte/word streams have no per-value limit.
  maxLength: long ? undefined : bytesPerValue
})

const infos: { readonly [K in VR]: VRInfo } = {
  AE: str("AE", 16),
  AS: str("AS", 4),
  AT: bin("AT", 4, false),
  CS: str("CS", 16),
  DA: str("DA", 8),
  DS: str("DS", 16),
  DT: str("DT", 26),
  FD: bin("FD", 8, false),
  FL: bin("FL", 4, false),
  IS: str("IS", 12),
  LO: str("LO", 64, { charset: true }),
  LT: str("LT", 10240, { multiValued: false, charset: true }),
  OB: bin("OB", 1, true),
  OD: bin("OD", 8, true),
  OF: bin("OF", 4, true),
  OL: bin("OL", 4, true),
  OV: bin("OV", 8, true),
  OW: bin("OW", 2, true),
  PN: str("PN", 64, { charset: true }),
  SH: str("SH", 16, { charset: true }),
  SL: bin("SL", 4, false),
  SQ: {
    vr: "SQ",
    longLength: true,
    padByte: 0x00,
    kind: "sequence",
    bytesPerValue: 0,
    multiValued: false,
    charsetAffected: false,
    maxLength: undefined
  },
  SS: bin("SS", 2, false),
  ST: str("ST", 1024, { multiValued: false, charset: true }),
  SV: bin("SV", 8, true),
  TM: str("TM", 14),
  UC: str("UC", undefined, { charset: true, long: true }),
  UI: str("UI", 64, { pad: 0x00 }),
  UL: bin("UL", 4, false),
  UN: bin("UN", 1, true),
  UR: str("UR", undefined, { multiValued: false, long: true }),
  US: bin("US", 2, false),
  UT: str("UT", undefined, { multiValued: false, charset: true, long: true }),
  UV: bin("UV", 8, true)
}

/**
 * Every VR, in alphabetical order.
 *
 * @since 0.1.0
 * @category constants
 */
export const all: ReadonlyArray<VR> = Object.keys(infos) as Array<VR>

// Two upper-case ASCII letters -> index (b0 - 0x41) * 26 + (b1 - 0x41); undefined where no VR.
const byCode: Array<VR | undefined> = new Array<VR | undefined>(26 * 26).fill(undefined)
for (const vr of all) byCode[(vr.charCodeAt(0) - 0x41) * 26 + (vr.charCodeAt(1) - 0x41)] = vr

/**
 * True when the string is one of the VR codes.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isVR = (s: string): s is VR => Object.hasOwn(infos, s)

/**
 * Reads a VR from its two ASCII bytes in an explicit VR element header; undefined when not a VR.
 *
 * @since 0.1.0
 * @category parsing
 */
export const fromBytes = (b0: number, b1: number): VR | undefined => {
  const i = b0 - 0x41
  const j = b1 - 0x41
  if (i < 0 || i >= 26 || j < 0 || j >= 26) return undefined
  return byCode[i * 26 + j]
}

/**
 * The facts about a VR (length field size, padding, kind, value size, limits).
 *
 * @since 0.1.0
 * @category accessors
 */
export const info = (vr: VR): VRInfo => infos[vr]
