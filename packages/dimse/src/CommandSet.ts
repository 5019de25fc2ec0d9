/**
 * The command-set codec (PS3.7 §6.3 and Annex E): a specialised encoder/decoder for group 0000, always in
 * Implicit VR Little Endian, with plain loops over a DataView and no Dataset machinery.
 *
 * - `encode` writes Command Group Length (0000,0000) first, then the command's elements in ascending tag
 *   order; strings are padded to even length (UI with NUL, AE and LO with a space).
 * - `decode` reads elements by tag with the VRs of the local command dictionary (see internal/layout.ts),
 *   skips unknown and retired group-0000 elements, ignores a Command Group Length that disagrees with
 *   the bytes present (the elements are authoritative), and rejects truncated or malformed input with a
 *   `DimseDecodeError`. Every length is checked against the bytes present before it is used.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import * as Command from "./Command.js"
import { DimseDecodeError, DimseEncodeError } from "./DimseError.js"
import {
  CommandDataSetTypeTag,
  CommandFieldTag,
  CommandGroupLength,
  byCommandField,
  byTag,
  type FieldSpec,
  layouts
} from "./internal/layout.js"
import { tagString } from "./internal/tagString.js"

// ---------------------------------------------------------------------------------------------------------
// encode

type Values = Readonly<Record<string, unknown>>

// Byte length of one value before padding, or a reason why it cannot be written.
const valueLength = (spec: FieldSpec, value: unknown): number | string => {
  switch (spec.vr) {
    case "US":
      return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffff
        ? 2
        : `${spec.key} must be an integer in 0..65535, got ${String(value)}`
    case "AT": {
      if (!Array.isArray(value)) return `${spec.key} must be an array of tags`
      for (const t of value) {
        if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t > 0xffffffff) {
          return `${spec.key} holds ${String(t)}, not a 32-bit tag`
        }
      }
      return value.length * 4
    }
    default: {
      if (typeof value !== "string") return `${spec.key} must be a string`
      const n = value.length
      if (n > spec.maxLength) return `${spec.key} is ${n} characters long, more than the ${spec.maxLength} of ${spec.vr}`
      if (spec.vr !== "LO" && n === 0) return `${spec.key} is empty`
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i)
        const ok = spec.vr === "UI" ? (c >= 0x30 && c <= 0x39) || c === 0x2e : c >= 0x20 && c <= 0x7e && c !== 0x5c
        if (!ok) return `${spec.key} holds character code ${c}, outside the ${spec.vr} repertoire`
      }
      return n
    }
  }
}

/**
 * Encodes a command as a command set (Implicit VR Little Endian, group 0000, group length first).
 * Fails when a field is out of range for its VR (uint16, string length or repertoire); `hasDataset`
 * becomes Command Data Set Type 0101H (false) or 0001H (true).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (command: Command.DimseCommand): Result.Result<Uint8Array, DimseEncodeError> => {
  const layout = layouts[command._tag]
  const values = command as unknown as Values
  const specs = layout.fields
  // Pass 1: lengths (and validation). Command Field and Command Data Set Type: 2 x (8 + 2) bytes.
  let total = 20
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i] as FieldSpec
    const value = values[spec.key]
    if (value === undefined) continue
    const len = valueLength(spec, value)
    if (typeof len === "string") return Result.fail(new DimseEncodeError({ tag: spec.tag, reason: len }))
    total += 8 + len + (len & 1)
  }
  // Pass 2: bytes.
  const out = new Uint8Array(12 + total)
  const view = new DataView(out.buffer)
  view.setUint32(4, 4, true) // (0000,0000) UL, length 4
  view.setUint32(8, total, true)
  let o = 12
  const writeUs = (tag: number, v: number): void => {
    view.setUint16(o, 0, true)
    view.setUint16(o + 2, tag & 0xffff, true)
    view.setUint32(o + 4, 2, true)
    view.setUint16(o + 8, v, true)
    o += 10
  }
  let pendingField = true
  let pendingType = true
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i] as FieldSpec
    if (pendingField && spec.tag > CommandFieldTag) {
      writeUs(CommandFieldTag, layout.commandField)
      pendingField = false
    }
    if (pendingType && spec.tag > CommandDataSetTypeTag) {
      writeUs(CommandDataSetTypeTag, command.hasDataset ? Command.DataSetPresent : Command.NoDataSet)
      pendingType = false
    }
    const value = values[spec.key]
    if (value === undefined) continue
    if (spec.vr === "US") {
      writeUs(spec.tag, value as number)
      continue
    }
    view.setUint16(o, 0, true)
    view.setUint16(o + 2, spec.tag & 0xffff, true)
    o += 8
    const start = o
    if (spec.vr === "AT") {
      for (const t of value as ReadonlyArray<number>) {
        view.setUint16(o, t >>> 16, true)
        view.setUint16(o + 2, t & 0xffff, true)
        o += 4
      }
    } else {
      const s = value as string
      for (let k = 0; k < s.length; k++) out[o++] = s.charCodeAt(k)
      if ((s.length & 1) === 1) out[o++] = spec.vr === "UI" ? 0x00 : 0x20
    }
    view.setUint32(start - 4, o - start, true)
  }
  if (pendingField) writeUs(CommandFieldTag, layout.commandField)
  if (pendingType) writeUs(CommandDataSetTypeTag, command.hasDataset ? Command.DataSetPresent : Command.NoDataSet)
  return Result.succeed(out)
}

// ---------------------------------------------------------------------------------------------------------
// decode

// Reads an ASCII/Latin-1 string value, dropping padding: trailing NULs and spaces, and leading spaces
// except for UI (PS3.5 §6.2: leading spaces of AE and LO are not significant).
const readString = (bytes: Uint8Array, start: number, end: number, vr: "UI" | "AE" | "LO"): string => {
  while (end > start && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x20)) end--
  if (vr !== "UI") while (start < end && bytes[start] === 0x20) start++
  let s = ""
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i] as number)
  return s
}

const fail = (offset: number, tag: number | undefined, reason: string) =>
  Result.fail(new DimseDecodeError({ offset, tag, reason }))

/**
 * Decodes a command set (Implicit VR Little Endian, group 0000) into a typed command.
 *
 * Unknown and retired group-0000 elements are skipped; an element of another group, a length past the
 * end of the input, a value of the wrong size for its VR, an unknown Command Field, a missing required
 * field or an out-of-range Priority fail with a `DimseDecodeError` naming the offset and tag.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (bytes: Uint8Array): Result.Result<Command.DimseCommand, DimseDecodeError> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = bytes.byteLength
  const found: Record<string, unknown> = {}
  let commandField = -1
  let dataSetType = -1
  let o = 0
  while (o < end) {
    if (end - o < 8) return fail(o, undefined, `truncated element header: ${end - o} bytes left, 8 needed`)
    const group = view.getUint16(o, true)
    const element = view.getUint16(o + 2, true)
    const tag = ((group << 16) | element) >>> 0
    const length = view.getUint32(o + 4, true)
    if (group !== 0x0000) return fail(o, tag, "element outside group 0000 in a command set")
    const value = o + 8
    if (length > end - value) return fail(o, tag, `value length ${length} exceeds the ${end - value} bytes left`)
    if (tag === CommandFieldTag || tag === CommandDataSetTypeTag) {
      if (length !== 2) return fail(o, tag, `US value of length ${length}, 2 expected`)
      if (tag === CommandFieldTag) commandField = view.getUint16(value, true)
      else dataSetType = view.getUint16(value, true)
    } else if (tag === CommandGroupLength) {
      if (length !== 4) return fail(o, tag, `UL value of length ${length}, 4 expected`)
    } else {
      const spec = byTag.get(tag)
      if (spec !== undefined) {
        switch (spec.vr) {
          case "US":
            if (length !== 2) return fail(o, tag, `US value of length ${length}, 2 expected`)
            found[spec.key] = view.getUint16(value, true)
            break
          case "AT": {
            if ((length & 3) !== 0) return fail(o, tag, `AT value of length ${length}, not a multiple of 4`)
            const tags: Array<number> = []
            for (let p = value; p < value + length; p += 4) {
              tags.push(((view.getUint16(p, true) << 16) | view.getUint16(p + 2, true)) >>> 0)
            }
            found[spec.key] = tags
            break
          }
          default:
            if (length > spec.maxLength + 1) {
              return fail(o, tag, `${spec.vr} value of length ${length}, more than ${spec.maxLength}`)
            }
            found[spec.key] = readString(bytes, value, value + length, spec.vr)
        }
      }
      // else: an unknown or retired group-0000 element: skipped.
    }
    o = value + length
  }
  if (commandField < 0) return fail(end, CommandFieldTag, "Command Field (0000,0100) is missing")
  const layout = byCommandField.get(commandField)
  if (layout === undefined) {
    return fail(end, CommandFieldTag, `unknown Command Field 0x${commandField.toString(16).padStart(4, "0")}`)
  }
  if (dataSetType < 0) return fail(end, CommandDataSetTypeTag, "Command Data Set Type (0000,0800) is missing")
  const out: Record<string, unknown> = { _tag: layout.tag, hasDataset: dataSetType !== Command.NoDataSet }
  for (const spec of layout.required) {
    if (found[spec.key] === undefined) {
      return fail(end, spec.tag, `${layout.tag} requires ${spec.key} ${tagString(spec.tag)}`)
    }
  }
  for (const spec of layout.fields) {
    const v = found[spec.key]
    if (v !== undefined) out[spec.key] = v
  }
  const priority = out["priority"]
  if (priority !== undefined && priority !== 0 && priority !== 1 && priority !== 2) {
    return fail(end, 0x00000700, `Priority ${String(priority)} is not 0 (medium), 1 (high) or 2 (low)`)
  }
  return Result.succeed(out as unknown as Command.DimseCommand)
}
