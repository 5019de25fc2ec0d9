// TextDecoder/TextEncoder are WHATWG globals (Node, browsers, Deno, Bun) but not part of the ES lib this
// package compiles against, so they are reached through globalThis with a minimal local type.
interface Decoder {
  decode(input: Uint8Array): string
}
interface Encoder {
  encode(input: string): Uint8Array
}
interface TextGlobals {
  readonly TextDecoder: new (label?: string, options?: { fatal?: boolean }) => Decoder
  readonly TextEncoder: new () => Encoder
}
const globals = globalThis as unknown as TextGlobals

const decoders = new Map<string, Decoder | null>()

/** A cached TextDecoder for a WHATWG encoding label; undefined when the runtime does not know it. */
export const decoderFor = (label: string): Decoder | undefined => {
  let d = decoders.get(label)
  if (d === undefined) {
    try {
      d = new globals.TextDecoder(label)
    } catch {
      d = null
    }
    decoders.set(label, d)
  }
  return d ?? undefined
}

const utf8Encoder = new globals.TextEncoder()

/** UTF-8 bytes of a string. */
export const encodeUtf8 = (s: string): Uint8Array => utf8Encoder.encode(s)

/** ISO 8859-1 (and ASCII) decoding: byte i is code point i (TextDecoder's "latin1" is windows-1252). */
export const decodeLatin1 = (bytes: Uint8Array, start = 0, end = bytes.length): string => {
  if (end - start <= 16) {
    let out = ""
    for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i] ?? 0)
    return out
  }
  let out = ""
  // apply() takes a typed array as its argument list; chunks keep under engine argument limits.
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)) as unknown as Array<number>)
  }
  return out
}
