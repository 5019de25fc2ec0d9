import type { VR } from "../VR.js"

/** Size of the unit whose bytes are swapped between little and big endian (AT swaps two 16-bit halves). */
export const swapUnit = (vr: VR): number => {
  switch (vr) {
    case "AT":
    case "US":
    case "SS":
    case "OW":
      return 2
    case "UL":
    case "SL":
    case "FL":
    case "OF":
    case "OL":
      return 4
    case "FD":
    case "OD":
    case "SV":
    case "UV":
    case "OV":
      return 8
    default:
      return 1
  }
}

/**
 * Writes `bytes` into `out` at `at` with every `unit`-byte group reversed, in one pass (wide typed-array views
 * when both sides are aligned, a byte loop otherwise).
 */
export const writeSwapped = (out: Uint8Array, at: number, bytes: Uint8Array, unit: number): void => {
  const count = Math.floor(bytes.length / unit)
  const whole = count * unit
  const dst = out.byteOffset + at
  const src = bytes.byteOffset
  if (unit === 2 && (dst & 1) === 0 && (src & 1) === 0) {
    const d = new Uint16Array(out.buffer, dst, count)
    const s = new Uint16Array(bytes.buffer, src, count)
    for (let i = 0; i < count; i++) {
      const x = s[i] ?? 0
      d[i] = ((x & 0xff) << 8) | (x >>> 8)
    }
  } else if ((unit === 4 || unit === 8) && (dst & 3) === 0 && (src & 3) === 0) {
    const n = whole >>> 2
    const d = new Uint32Array(out.buffer, dst, n)
    const s = new Uint32Array(bytes.buffer, src, n)
    const step = unit === 8 ? 1 : 0
    for (let i = 0; i < n; i++) {
      // For 8-byte units the two swapped halves also trade places.
      const x = s[step === 0 ? i : i ^ 1] ?? 0
      d[i] = ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)
    }
  } else {
    for (let i = 0; i < whole; i += unit) for (let k = 0; k < unit; k++) out[at + i + k] = bytes[i + unit - 1 - k] ?? 0
  }
  for (let i = whole; i < bytes.length; i++) out[at + i] = bytes[i] ?? 0
}

/** A DataView over exactly the bytes of a view. */
export const viewOf = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
