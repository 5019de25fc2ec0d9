/**
 * Parsing and formatting of DICOM value formats (PS3.5 §6.2): person names (PN), dates (DA), times (TM),
 * date-times (DT) and decimal/integer strings (DS, IS).
 *
 * @since 0.1.0
 */

/**
 * A person name (PS3.5 §6.2.1): three component groups, the alphabetic one split into its five components.
 *
 * @since 0.1.0
 * @category models
 */
export interface PersonName {
  readonly alphabetic: string
  readonly ideographic: string
  readonly phonetic: string
  readonly familyName: string
  readonly givenName: string
  readonly middleName: string
  readonly namePrefix: string
  readonly nameSuffix: string
}

/**
 * Parses "Family^Given^Middle^Prefix^Suffix=Ideographic=Phonetic".
 *
 * @since 0.1.0
 * @category parsing
 */
export const parsePersonName = (value: string): PersonName => {
  const [alphabetic = "", ideographic = "", phonetic = ""] = value.split("=")
  const [familyName = "", givenName = "", middleName = "", namePrefix = "", nameSuffix = ""] = alphabetic.split("^")
  return {
    alphabetic: alphabetic.trim(),
    ideographic: ideographic.trim(),
    phonetic: phonetic.trim(),
    familyName: familyName.trim(),
    givenName: givenName.trim(),
    middleName: middleName.trim(),
    namePrefix: namePrefix.trim(),
    nameSuffix: nameSuffix.trim()
  }
}

/**
 * Formats a person name from its components, dropping trailing empty components and groups.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatPersonName = (name: {
  readonly familyName?: string
  readonly givenName?: string
  readonly middleName?: string
  readonly namePrefix?: string
  readonly nameSuffix?: string
  readonly ideographic?: string
  readonly phonetic?: string
}): string => {
  const alphabetic = [name.familyName, name.givenName, name.middleName, name.namePrefix, name.nameSuffix]
    .map((c) => c ?? "")
    .join("^")
    .replace(/\^+$/, "")
  return [alphabetic, name.ideographic ?? "", name.phonetic ?? ""].join("=").replace(/=+$/, "")
}

/**
 * A calendar date (DA).
 *
 * @since 0.1.0
 * @category models
 */
export interface DicomDate {
  readonly year: number
  readonly month: number
  readonly day: number
}

const digits = (s: string, from: number, count: number): number | undefined => {
  if (s.length < from + count) return undefined
  let n = 0
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 0x30
    if (c < 0 || c > 9) return undefined
    n = n * 10 + c
  }
  return n
}

const daysIn = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/**
 * Parses a DA value "YYYYMMDD" (also the ACR-NEMA form "YYYY.MM.DD"); undefined when malformed.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseDate = (value: string): DicomDate | undefined => {
  const s = value.trim()
  const compact = s.length === 10 && s[4] === "." && s[7] === "." ? s.slice(0, 4) + s.slice(5, 7) + s.slice(8) : s
  if (compact.length !== 8) return undefined
  const year = digits(compact, 0, 4)
  const month = digits(compact, 4, 2)
  const day = digits(compact, 6, 2)
  if (year === undefined || month === undefined || day === undefined) return undefined
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  return { year, month, day }
}

/**
 * Formats a date as DA "YYYYMMDD".
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatDate = (d: DicomDate): string =>
  String(d.year).padStart(4, "0") + String(d.month).padStart(2, "0") + String(d.day).padStart(2, "0")

/**
 * A time of day (TM); absent parts were not given in the value.
 *
 * @since 0.1.0
 * @category models
 */
export interface DicomTime {
  readonly hours: number
  readonly minutes: number | undefined
  readonly seconds: number | undefined
  /** Fraction of a second in microseconds. */
  readonly microseconds: number | undefined
}

/**
 * Parses a TM value "HH[MM[SS[.FFFFFF]]]" (also ACR-NEMA "HH:MM:SS"); undefined when malformed.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseTime = (value: string): DicomTime | undefined => {
  let s = value.trim()
  if (s.length >= 5 && s[2] === ":") s = s.replace(/:/g, "")
  const dot = s.indexOf(".")
  const main = dot === -1 ? s : s.slice(0, dot)
  if (main.length !== 2 && main.length !== 4 && main.length !== 6) return undefined
  const hours = digits(main, 0, 2)
  const minutes = main.length >= 4 ? digits(main, 2, 2) : undefined
  const seconds = main.length >= 6 ? digits(main, 4, 2) : undefined
  if (hours === undefined || hours > 23) return undefined
  if (main.length >= 4 && (minutes === undefined || minutes > 59)) return undefined
  if (main.length >= 6 && (seconds === undefined || seconds > 60)) return undefined
  let microseconds: number | undefined
  if (dot !== -1) {
    const frac = s.slice(dot + 1)
    if (frac.length < 1 || frac.length > 6 || main.length !== 6) return undefined
    const f = digits(frac, 0, frac.length)
    if (f === undefined) return undefined
    microseconds = f * 10 ** (6 - frac.length)
  }
  return { hours, minutes, seconds, microseconds }
}

/**
 * Formats a time as TM "HHMMSS[.FFFFFF]".
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatTime = (t: DicomTime): string => {
  const two = (n: number) => String(n).padStart(2, "0")
  let s = two(t.hours)
  if (t.minutes !== undefined) s += two(t.minutes)
  if (t.minutes !== undefined && t.seconds !== undefined) s += two(t.seconds)
  if (t.minutes !== undefined && t.seconds !== undefined && t.microseconds !== undefined) s += "." + String(t.microseconds).padStart(6, "0")
  return s
}

/**
 * A date-time (DT): date parts, optional time parts and an optional UTC offset in minutes.
 *
 * @since 0.1.0
 * @category models
 */
export interface DicomDateTime {
  readonly year: number
  readonly month: number | undefined
  readonly day: number | undefined
  readonly time: DicomTime | undefined
  readonly utcOffsetMinutes: number | undefined
}

/**
 * Parses a DT value "YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX]"; undefined when malformed.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseDateTime = (value: string): DicomDateTime | undefined => {
  let s = value.trim()
  let utcOffsetMinutes: number | undefined
  const sign = Math.max(s.lastIndexOf("+"), s.lastIndexOf("-"))
  if (sign !== -1) {
    const z = s.slice(sign + 1)
    const hh = digits(z, 0, 2)
    const mm = digits(z, 2, 2)
    if (z.length !== 4 || hh === undefined || mm === undefined) return undefined
    utcOffsetMinutes = (s[sign] === "-" ? -1 : 1) * (hh * 60 + mm)
    s = s.slice(0, sign)
  }
  const year = digits(s, 0, 4)
  if (year === undefined || (s.length !== 4 && s.length < 6)) return undefined
  const month = s.length >= 6 ? digits(s, 4, 2) : undefined
  if (s.length >= 6 && (month === undefined || month < 1 || month > 12)) return undefined
  const day = s.length >= 8 ? digits(s, 6, 2) : undefined
  if (month !== undefined && s.length >= 8 && (day === undefined || day < 1 || day > daysIn(year, month))) return undefined
  if (s.length === 7) return undefined
  let time: DicomTime | undefined
  if (s.length > 8) {
    time = parseTime(s.slice(8))
    if (time === undefined) return undefined
  }
  return { year, month, day, time, utcOffsetMinutes }
}

/**
 * Parses one DS or IS value (leading/trailing spaces allowed); undefined when not a finite number.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseNumber = (value: string): number | undefined => {
  const s = value.trim()
  if (s === "") return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : undefined
}

/**
 * Formats a number as a DS value of at most 16 characters (PS3.5 Table 6.2-1).
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatDecimal = (n: number): string => {
  const plain = String(n)
  if (plain.length <= 16) return plain
  for (let p = 15; p > 0; p--) {
    const s = n.toPrecision(p).replace(/(\.\d*?)0+(e|$)/, "$1$2").replace(/\.(e|$)/, "$1")
    if (s.length <= 16) return s
  }
  return n.toExponential(0)
}
