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
import { DimseDecodeError, type DimseEncodeError } from "./DimseError.js"
import { encodeWith } from "./internal/commandEncoder.js"
import { CommandDataSetTypeTag, CommandFieldTag, CommandGroupLength, byCommandField, byTag } from "./internal/layout.js"
import { tagString } from "./internal/tagString.js"

// ---------------------------------------------------------------------------------------------------------
// encode

const fresh = (length: number): Uint8Array => new Uint8Array(length)

/**
 * Encodes a command as a command set (Implicit VR Little Endian, group 0000, group length first).
 * Fails when a field is out of range for its VR (uint16, string length or repertoire); `hasDataset`
 * becomes Command Data Set Type 0101H (false) or 0001H (true).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (command: Command.DimseCommand): Result.Result<Uint8Array, DimseEncodeError> => encodeWith(command, fresh)

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
