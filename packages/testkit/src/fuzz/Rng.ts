/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every
 * machine, so every fuzz input can be rebuilt from the seed printed with a finding.
 */

/** A deterministic random source. */
export interface Rng {
  /** The seed this generator started from. */
  readonly seed: number
  /** A float in [0, 1). */
  readonly next: () => number
  /** An integer in [min, max] (both included). */
  readonly int: (min: number, max: number) => number
  /** true or false with probability `p` of true (default 0.5). */
  readonly bool: (p?: number) => boolean
  /** One element of a non-empty array. */
  readonly pick: <A>(xs: ReadonlyArray<A>) => A
  /** Random bytes, length in [min, max]. */
  readonly bytes: (min: number, max: number) => Uint8Array
  /** An array of length in [min, max] filled by `f`. */
  readonly array: <A>(min: number, max: number, f: () => A) => Array<A>
}

/** A mulberry32 generator from a 32-bit seed. */
export const make = (seed: number): Rng => {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  const bytes = (min: number, max: number): Uint8Array => {
    const out = new Uint8Array(int(min, max))
    for (let i = 0; i < out.length; i++) out[i] = int(0, 255)
    return out
  }
  return {
    seed: seed >>> 0,
    next,
    int,
    bool: (p = 0.5) => next() < p,
    pick: <A>(xs: ReadonlyArray<A>): A => xs[int(0, xs.length - 1)] as A,
    bytes,
    array: <A>(min: number, max: number, f: () => A): Array<A> => {
      const n = int(min, max)
      const out: Array<A> = []
      for (let i = 0; i < n; i++) out.push(f())
      return out
    }
  }
}

/** The seed of iteration `i` of a run started with `seed` (a 32-bit hash, so neighbouring runs do not overlap). */
export const iterationSeed = (seed: number, i: number): number => {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}
