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

/** A copy of `bytes` with every `unit`-byte group reversed (a trailing partial group is copied as is). */
export const swapped = (bytes: Uint8Array, unit: number): Uint8Array => {
  const out = new Uint8Array(bytes.length)
  const whole = bytes.length - (bytes.length % unit)
  if (unit === 2) {
    for (let i = 0; i < whole; i += 2) {
      out[i] = bytes[i + 1] ?? 0
      out[i + 1] = bytes[i] ?? 0
    }
  } else {
    for (let i = 0; i < whole; i += unit) for (let k = 0; k < unit; k++) out[i + k] = bytes[i + unit - 1 - k] ?? 0
  }
  for (let i = whole; i < bytes.length; i++) out[i] = bytes[i] ?? 0
  return out
}

/** A DataView over exactly the bytes of a view. */
export const viewOf = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
