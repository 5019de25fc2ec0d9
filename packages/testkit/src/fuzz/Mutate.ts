/**
 * Byte-level mutations of valid encodings: bit flips, overwrites, truncation, insertion, deletion,
 * duplication, and length fields set to extremes. Mutations that know where the length fields are
 * (`LengthField` hints from the structure walkers in Layout.ts) hit them most of the time.
 */
import type { Rng } from "./Rng.js"

/** Where a length field sits in an encoding, and where the value it counts begins. */
export interface LengthField {
  readonly offset: number
  readonly size: 2 | 4
  readonly littleEndian: boolean
  /** Offset of the first byte the length counts (to compute "just past the end"). */
  readonly valueStart: number
}

/** One mutated input and a short description of what was done (printed with findings). */
export interface Mutated {
  readonly bytes: Uint8Array
  readonly label: string
}

/** The length values that break decoders most often. */
export const extremeLengths = (field: LengthField, total: number): ReadonlyArray<number> => {
  const max = field.size === 2 ? 0xffff : 0xffffffff
  const pastEnd = Math.min(max, Math.max(0, total - field.valueStart + 1))
  return field.size === 2
    ? [0, 1, 3, 0x7fff, 0x8000, 0xfffe, 0xffff, pastEnd, Math.max(0, pastEnd - 2)]
    : [0, 1, 3, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, pastEnd, Math.max(0, pastEnd - 2)]
}

/** Reads a length field (0 if it lies outside `bytes`). */
export const read = (bytes: Uint8Array, field: LengthField): number => {
  if (field.offset + field.size > bytes.length) return 0
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return field.size === 2 ? view.getUint16(field.offset, field.littleEndian) : view.getUint32(field.offset, field.littleEndian)
}

/** Writes `value` into a length field of a copy of `bytes` (no-op if the field lies outside). */
export const write = (bytes: Uint8Array, field: LengthField, value: number): Uint8Array => {
  const out = bytes.slice()
  if (field.offset + field.size > out.length) return out
  const view = new DataView(out.buffer)
  if (field.size === 2) view.setUint16(field.offset, value & 0xffff, field.littleEndian)
  else view.setUint32(field.offset, value >>> 0, field.littleEndian)
  return out
}

const interesting = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x5c, 0x1b] as const

const clampIndex = (r: Rng, n: number): number => (n === 0 ? 0 : r.int(0, n - 1))

/** Flips 1 to 8 random bits. */
export const bitFlip = (r: Rng, bytes: Uint8Array): Mutated => {
  const out = bytes.slice()
  if (out.length === 0) return { bytes: out, label: "bit flip (empty)" }
  const n = r.int(1, 8)
  for (let k = 0; k < n; k++) {
    const i = clampIndex(r, out.length)
    out[i] = (out[i] as number) ^ (1 << r.int(0, 7))
  }
  return { bytes: out, label: `${n} bit flips` }
}

/** Overwrites 1 to 8 bytes at one place with random or "interesting" values. */
export const overwrite = (r: Rng, bytes: Uint8Array): Mutated => {
  const out = bytes.slice()
  if (out.length === 0) return { bytes: out, label: "overwrite (empty)" }
  const at = clampIndex(r, out.length)
  const n = Math.min(r.int(1, 8), out.length - at)
  for (let k = 0; k < n; k++) out[at + k] = r.bool() ? r.int(0, 255) : r.pick(interesting)
  return { bytes: out, label: `overwrite ${n} bytes at ${at}` }
}

/** Cuts the input at a random position (or at a length field's boundary when hints are given). */
export const truncate = (r: Rng, bytes: Uint8Array, fields: ReadonlyArray<LengthField> = []): Mutated => {
  let at: number
  if (fields.length > 0 && r.bool()) {
    const f = r.pick(fields)
    at = Math.min(bytes.length, Math.max(0, r.pick([f.offset, f.offset + 1, f.valueStart, f.valueStart + read(bytes, f), f.valueStart + read(bytes, f) - 1])))
  } else {
    at = r.int(0, Math.max(0, bytes.length - 1))
  }
  return { bytes: bytes.slice(0, at), label: `truncated to ${at} of ${bytes.length} bytes` }
}

/** Inserts 1 to 32 random bytes at a random position. */
export const insert = (r: Rng, bytes: Uint8Array): Mutated => {
  const at = r.int(0, bytes.length)
  const extra = r.bytes(1, 32)
  const out = new Uint8Array(bytes.length + extra.length)
  out.set(bytes.subarray(0, at))
  out.set(extra, at)
  out.set(bytes.subarray(at), at + extra.length)
  return { bytes: out, label: `inserted ${extra.length} bytes at ${at}` }
}

/** Deletes a random range of 1 to 16 bytes. */
export const remove = (r: Rng, bytes: Uint8Array): Mutated => {
  if (bytes.length === 0) return { bytes: bytes.slice(), label: "delete (empty)" }
  const at = clampIndex(r, bytes.length)
  const n = Math.min(r.int(1, 16), bytes.length - at)
  const out = new Uint8Array(bytes.length - n)
  out.set(bytes.subarray(0, at))
  out.set(bytes.subarray(at + n), at)
  return { bytes: out, label: `deleted ${n} bytes at ${at}` }
}

/** Copies a random range of the input to another random position (repeats structures). */
export const duplicate = (r: Rng, bytes: Uint8Array): Mutated => {
  if (bytes.length === 0) return { bytes: bytes.slice(), label: "duplicate (empty)" }
  const from = clampIndex(r, bytes.length)
  const n = Math.min(r.int(1, 64), bytes.length - from)
  const at = r.int(0, bytes.length)
  const out = new Uint8Array(bytes.length + n)
  out.set(bytes.subarray(0, at))
  out.set(bytes.subarray(from, from + n), at)
  out.set(bytes.subarray(at), at + n)
  return { bytes: out, label: `duplicated ${n} bytes from ${from} at ${at}` }
}

/** Sets a length field (a hinted one, or a random 16/32-bit field) to an extreme value. */
export const lengthExtreme = (r: Rng, bytes: Uint8Array, fields: ReadonlyArray<LengthField> = []): Mutated => {
  const field: LengthField =
    fields.length > 0 && r.bool(0.85)
      ? r.pick(fields)
      : (() => {
          const size = r.pick([2, 4] as const)
          const offset = r.int(0, Math.max(0, bytes.length - size))
          return { offset, size, littleEndian: r.bool(), valueStart: offset + size }
        })()
  const current = read(bytes, field)
  const choices = [...extremeLengths(field, bytes.length), current + 1, Math.max(0, current - 1), current | 1, current * 2]
  const value = r.pick(choices)
  return { bytes: write(bytes, field, value), label: `length field at ${field.offset} (${field.size} bytes) ${current} -> ${value >>> 0}` }
}

/** One to three stacked mutations, chosen at random. */
export const mutate = (r: Rng, bytes: Uint8Array, fields: ReadonlyArray<LengthField> = []): Mutated => {
  const rounds = r.pick([1, 1, 1, 2, 3])
  let current: Mutated = { bytes, label: "" }
  const labels: Array<string> = []
  for (let k = 0; k < rounds; k++) {
    // Length fields only match the original layout, so hints are used for the first round only.
    const hints = k === 0 ? fields : []
    const roll = r.int(0, 9)
    const next =
      roll <= 2
        ? lengthExtreme(r, current.bytes, hints)
        : roll === 3
          ? bitFlip(r, current.bytes)
          : roll === 4
            ? overwrite(r, current.bytes)
            : roll === 5
              ? truncate(r, current.bytes, hints)
              : roll === 6
                ? insert(r, current.bytes)
                : roll === 7
                  ? remove(r, current.bytes)
                  : roll === 8
                    ? duplicate(r, current.bytes)
                    : bitFlip(r, current.bytes)
    labels.push(next.label)
    current = next
  }
  return { bytes: current.bytes, label: labels.join("; ") }
}

/** Every strict prefix of `bytes` (truncation at every boundary), shortest first. */
export function* truncations(bytes: Uint8Array): Generator<Mutated> {
  for (let n = 0; n < bytes.length; n++) yield { bytes: bytes.subarray(0, n), label: `truncated to ${n} of ${bytes.length} bytes` }
}

/** Every length field set to every extreme value, one field at a time. */
export function* extremes(bytes: Uint8Array, fields: ReadonlyArray<LengthField>): Generator<Mutated> {
  for (const f of fields) {
    const current = read(bytes, f)
    for (const v of [...extremeLengths(f, bytes.length), current + 1, Math.max(0, current - 1), current | 1]) {
      yield { bytes: write(bytes, f, v), label: `length field at ${f.offset} (${f.size} bytes) ${current} -> ${v >>> 0}` }
    }
  }
}
