// Builds element bytes by hand for the codec tests (so that expectations do not depend on our encoder).
export const ascii = (s: string): Array<number> => Array.from(s, (c) => c.charCodeAt(0))
export const le16 = (v: number): Array<number> => [v & 0xff, (v >>> 8) & 0xff]
export const le32 = (v: number): Array<number> => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]
export const be16 = (v: number): Array<number> => [(v >>> 8) & 0xff, v & 0xff]
export const be32 = (v: number): Array<number> => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]
export const tagLE = (t: number): Array<number> => [...le16(t >>> 16), ...le16(t & 0xffff)]
export const tagBE = (t: number): Array<number> => [...be16(t >>> 16), ...be16(t & 0xffff)]

/** Explicit VR LE element with a 16-bit length. */
export const shortLE = (tag: number, vr: string, value: ReadonlyArray<number>): Array<number> => [
  ...tagLE(tag),
  ...ascii(vr),
  ...le16(value.length),
  ...value
]
/** Explicit VR LE element with a 32-bit length (or 0xFFFFFFFF). */
export const longLE = (tag: number, vr: string, length: number, value: ReadonlyArray<number> = []): Array<number> => [
  ...tagLE(tag),
  ...ascii(vr),
  0,
  0,
  ...le32(length),
  ...value
]
/** Implicit VR LE element (also item and delimiter headers). */
export const implicitLE = (tag: number, length: number, value: ReadonlyArray<number> = []): Array<number> => [
  ...tagLE(tag),
  ...le32(length),
  ...value
]
export const bytes = (...parts: ReadonlyArray<ReadonlyArray<number>>): Uint8Array => Uint8Array.from(parts.flat())
