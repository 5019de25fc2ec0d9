// Seeded randomness: cyrb128 hashes a label to 128 bits, sfc32 turns 128 bits into a stream of numbers. Every
// entity (patient, study, series, instance) draws from its own stream, keyed by the seed and its position, so any
// file can be generated without generating the ones before it, and the same seed always gives the same bytes.

/** Four 32-bit words from a string (cyrb128). */
export const hash128 = (s: string): readonly [number, number, number, number] => {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

export interface Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number
  /** Uniform integer in [0, n). */
  readonly int: (n: number) => number
  /** Uniform in [lo, hi). */
  readonly range: (lo: number, hi: number) => number
  readonly pick: <A>(xs: ReadonlyArray<A>) => A
}

/** A small fast generator (sfc32) seeded from a label. */
export const rng = (label: string): Rng => {
  let [a, b, c, d] = hash128(label)
  const next = (): number => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  // Warm up: the first outputs of sfc32 from related seeds are correlated.
  for (let i = 0; i < 12; i++) next()
  const int = (n: number): number => Math.floor(next() * n)
  return { next, int, range: (lo, hi) => lo + next() * (hi - lo), pick: (xs) => xs[int(xs.length)] as (typeof xs)[number] }
}

/**
 * A UID under the UUID root 2.25 (PS3.5 §B.2) from a label: the 128-bit hash made a version 8 ("custom") UUID
 * (RFC 9562: version nibble 8, variant bits 10), in decimal.
 */
export const uid = (label: string): string => {
  const [a, h2, h3, d] = hash128(label)
  const b = ((h2 & 0xffff0fff) | 0x00008000) >>> 0
  const c = ((h3 & 0x3fffffff) | 0x80000000) >>> 0
  const value = (BigInt(a) << 96n) | (BigInt(b) << 64n) | (BigInt(c) << 32n) | BigInt(d)
  return `2.25.${value.toString()}`
}
