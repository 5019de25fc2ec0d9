import type { Command } from "@dicomnet/dimse"
import { Result } from "effect"

/** Hex string ("00 01 ...") -> bytes. */
export const hex = (s: string): Uint8Array => new Uint8Array(s.trim().split(/\s+/).map((b) => Number.parseInt(b, 16)))

/** Bytes -> "00 01 ..." */
export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ")

/** ASCII bytes of a string, as hex. */
export const ascii = (s: string): string => toHex(new TextEncoder().encode(s))

/** The success of a Result, or a thrown error naming the failure (tests only). */
export const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${String(r.failure)}`)
  return r.success
}

/** The failure of a Result, or a thrown error (tests only). */
export const err = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) throw new Error(`expected failure, got ${JSON.stringify(r.success)}`)
  return r.failure
}

const trimmed = new Set(["moveDestination", "moveOriginatorApplicationEntityTitle", "errorComment"])

/** A command as decode returns it: AE and LO values without leading/trailing spaces (PS3.5 §6.2 padding). */
export const normalized = (c: Command.DimseCommand): Command.DimseCommand => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(c)) {
    if (v === undefined) continue
    out[k] = trimmed.has(k) && typeof v === "string" ? v.trim() : v
  }
  return out as unknown as Command.DimseCommand
}

/** A deterministic PRNG (mulberry32) for random splittings. */
export const prng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
