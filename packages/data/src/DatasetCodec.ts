/**
 * Encoding and decoding of data sets in the uncompressed transfer syntaxes (PS3.5 §7, §A): Implicit VR Little
 * Endian, Explicit VR Little Endian, Explicit VR Big Endian (retired) and Deflated Explicit VR Little Endian.
 * Encapsulated transfer syntaxes use Explicit VR Little Endian for the data set, with pixel data kept as fragments.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { Inflate, deflateSync, inflateSync } from "fflate"
import { type DataDecodeError, DataEncodeError, decodeError } from "./DataError.js"
import type { Dataset } from "./Dataset.js"
import { asDecodeError, readDataset } from "./internal/reader.js"
import { encodedLength, writeDataset_ } from "./internal/writer.js"

/**
 * How elements are laid out: explicit or implicit VR, little or big endian (PS3.5 §7.1).
 *
 * @since 0.1.0
 * @category models
 */
export interface Syntax {
  readonly explicitVR: boolean
  readonly littleEndian: boolean
}

/**
 * Limits applied while decoding untrusted input.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  /** Deepest allowed nesting of sequences (default 64). */
  readonly maxDepth?: number
  /** Largest inflated size of a deflated data set in bytes (default 64 MiB; raise it explicitly for larger objects). */
  readonly maxInflatedBytes?: number
  /** Character set inherited when the data set has no (0008,0005) (default: the default repertoire). */
  readonly characterSet?: ReadonlyArray<string>
}

/**
 * Default deepest nesting of sequences.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxDepth = 64

/**
 * Default bound on the inflated size of a deflated data set (64 MiB): Deflated Explicit VR Little Endian carries
 * small non-image objects in practice, and a few hundred KB of deflate can inflate to hundreds of MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxInflatedBytes = 64 * 1024 * 1024

const IMPLICIT_LE = "1.2.840.10008.1.2"
const EXPLICIT_BE = "1.2.840.10008.1.2.2"
const DEFLATED = new Set(["1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95"])

/**
 * The element layout of a transfer syntax and whether the data set is deflated; every transfer syntax other than
 * Implicit VR LE and Explicit VR BE uses Explicit VR LE (PS3.5 §A.4).
 *
 * @since 0.1.0
 * @category transfer syntaxes
 */
export const syntaxOf = (transferSyntaxUid: string): Syntax & { readonly deflated: boolean } => {
  const uid = transferSyntaxUid.replace(/[\0 ]+$/, "")
  if (uid === IMPLICIT_LE) return { explicitVR: false, littleEndian: true, deflated: false }
  if (uid === EXPLICIT_BE) return { explicitVR: true, littleEndian: false, deflated: false }
  return { explicitVR: true, littleEndian: true, deflated: DEFLATED.has(uid) }
}

/**
 * Decodes a data set laid out per `syntax`; values stay views into `bytes`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeWith = (bytes: Uint8Array, syntax: Syntax, options: DecodeOptions = {}): Result.Result<Dataset, DataDecodeError> => {
  try {
    return Result.succeed(readDataset(bytes, syntax, { maxDepth: options.maxDepth ?? defaultMaxDepth }, options.characterSet ?? []))
  } catch (e) {
    return Result.fail(asDecodeError(e))
  }
}

/**
 * Inflates a raw DEFLATE stream (RFC 1951, no zlib header, PS3.5 §A.5), failing once the output passes `maxBytes`.
 * Two passes: the first inflates in small steps and only counts (so a bomb fails before anything is kept), the
 * second inflates into one buffer of exactly that size; memory is the output plus fflate's window.
 *
 * @since 0.1.0
 * @category decoding
 */
export const inflate = (bytes: Uint8Array, maxBytes: number = defaultMaxInflatedBytes): Result.Result<Uint8Array, DataDecodeError> => {
  let total = 0
  let ended = false
  const counter = new Inflate((chunk, final) => {
    total += chunk.length
    if (final) ended = true
  })
  // Small input steps bound the overshoot: one 4 KiB step inflates to at most ~4 MiB (deflate's 1032:1 limit).
  const step = 4096
  try {
    for (let i = 0; i < bytes.length && !ended; i += step) {
      counter.push(bytes.subarray(i, Math.min(bytes.length, i + step)), i + step >= bytes.length)
      if (total > maxBytes) return Result.fail(decodeError("Deflate", i, undefined, `inflated data set exceeds maxInflatedBytes ${maxBytes}`))
    }
    if (bytes.length === 0) counter.push(bytes, true)
  } catch (e) {
    return Result.fail(decodeError("Deflate", 0, undefined, `broken deflate stream: ${e instanceof Error ? e.message : String(e)}`))
  }
  if (!ended) return Result.fail(decodeError("Deflate", bytes.length, undefined, "deflate stream ends before its final block"))
  try {
    const out = inflateSync(bytes, { out: new Uint8Array(total) })
    if (out.length !== total) return Result.fail(decodeError("Deflate", 0, undefined, `inflated ${out.length} bytes where the first pass counted ${total}`))
    return Result.succeed(out)
  } catch (e) {
    return Result.fail(decodeError("Deflate", 0, undefined, `broken deflate stream: ${e instanceof Error ? e.message : String(e)}`))
  }
}

/**
 * Decodes a data set in the given transfer syntax (deflated ones are inflated first, within maxInflatedBytes).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (bytes: Uint8Array, transferSyntaxUid: string, options: DecodeOptions = {}): Result.Result<Dataset, DataDecodeError> => {
  const syntax = syntaxOf(transferSyntaxUid)
  if (!syntax.deflated) return decodeWith(bytes, syntax, options)
  const inflated = inflate(bytes, options.maxInflatedBytes ?? defaultMaxInflatedBytes)
  return Result.isFailure(inflated) ? Result.fail(inflated.failure) : decodeWith(inflated.success, syntax, options)
}

/**
 * Encodes a data set laid out per `syntax` (odd values padded; lengths as the data set says: defined by default).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeWith = (ds: Dataset, syntax: Syntax): Result.Result<Uint8Array, DataEncodeError> => {
  try {
    return Result.succeed(writeDataset_(ds, syntax))
  } catch (e) {
    if (e instanceof DataEncodeError) return Result.fail(e)
    return Result.fail(new DataEncodeError({ tag: undefined, reason: `internal error: ${e instanceof Error ? e.message : String(e)}` }))
  }
}

/**
 * Encodes a data set in the given transfer syntax (deflated ones are deflated after encoding).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (ds: Dataset, transferSyntaxUid: string): Result.Result<Uint8Array, DataEncodeError> => {
  const syntax = syntaxOf(transferSyntaxUid)
  const raw = encodeWith(ds, syntax)
  if (!syntax.deflated || Result.isFailure(raw)) return raw
  return Result.succeed(deflateSync(raw.success, { level: 6 }))
}

/**
 * The number of bytes `ds` encodes to in `syntax` (before any deflate).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodedSize = (ds: Dataset, syntax: Syntax): Result.Result<number, DataEncodeError> => {
  try {
    return Result.succeed(encodedLength(ds, syntax))
  } catch (e) {
    return e instanceof DataEncodeError ? Result.fail(e) : Result.fail(new DataEncodeError({ tag: undefined, reason: String(e) }))
  }
}

