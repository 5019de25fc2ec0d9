/**
 * The command-set encoder behind `CommandSet.encode`, with the allocation of the output left to the caller:
 * `CommandSet.encode` returns an array of its own; the session's send path carves command sets from a shared
 * slab (`carve`), because allocating each ~100-byte array on its own (an off-heap backing store each) cost
 * more than the rest of the encoding together.
 */
import { Result } from "effect"
import * as Command from "../Command.js"
import { DimseEncodeError } from "../DimseError.js"
import { CommandDataSetTypeTag, CommandFieldTag, type FieldSpec, layouts } from "./layout.js"

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

// A shared zero-filled slab; a region is never handed out twice.
const slabSize = 64 * 1024
let slab = new Uint8Array(slabSize)
let slabUsed = 0

/** `n` fresh zero bytes, a view into a shared slab (its `.buffer` is the slab: use `byteOffset`). */
export const carve = (n: number): Uint8Array => {
  if (n > slabSize / 8) return new Uint8Array(n)
  if (slabUsed + n > slabSize) {
    slab = new Uint8Array(slabSize)
    slabUsed = 0
  }
  const out = slab.subarray(slabUsed, slabUsed + n)
  slabUsed += n
  return out
}

/** Little-endian uint16 at `o`. */
const w16 = (out: Uint8Array, o: number, v: number): void => {
  out[o] = v & 0xff
  out[o + 1] = (v >>> 8) & 0xff
}

/** Little-endian uint32 at `o`. */
const w32 = (out: Uint8Array, o: number, v: number): void => {
  out[o] = v & 0xff
  out[o + 1] = (v >>> 8) & 0xff
  out[o + 2] = (v >>> 16) & 0xff
  out[o + 3] = (v >>> 24) & 0xff
}

/** Encodes a command as a command set (see `CommandSet.encode`) into bytes from `alloc` (zero-filled). */
export const encodeWith = (command: Command.DimseCommand, alloc: (length: number) => Uint8Array): Result.Result<Uint8Array, DimseEncodeError> => {
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
  // Pass 2: bytes, written byte by byte (a DataView over a small new array's buffer costs more than the
  // whole encoding: V8 moves the array off-heap to hand out its buffer). The array starts zero-filled.
  const out = alloc(12 + total)
  out[4] = 4 // (0000,0000) UL, length 4
  w32(out, 8, total)
  let o = 12
  const writeUs = (tag: number, v: number): void => {
    w16(out, o + 2, tag & 0xffff)
    out[o + 4] = 2
    w16(out, o + 8, v)
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
    w16(out, o + 2, spec.tag & 0xffff)
    o += 8
    const start = o
    if (spec.vr === "AT") {
      for (const t of value as ReadonlyArray<number>) {
        w16(out, o, t >>> 16)
        w16(out, o + 2, t & 0xffff)
        o += 4
      }
    } else {
      const s = value as string
      for (let k = 0; k < s.length; k++) out[o++] = s.charCodeAt(k)
      if ((s.length & 1) === 1) out[o++] = spec.vr === "UI" ? 0x00 : 0x20
    }
    w32(out, start - 4, o - start)
  }
  if (pendingField) writeUs(CommandFieldTag, layout.commandField)
  if (pendingType) writeUs(CommandDataSetTypeTag, command.hasDataset ? Command.DataSetPresent : Command.NoDataSet)
  return Result.succeed(out)
}
