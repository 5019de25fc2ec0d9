/**
 * Typed failures of the data codecs: every malformed input ends in a `DataDecodeError` that names the
 * byte offset and the tag being read; every value that cannot be written ends in a `DataEncodeError`.
 *
 * @since 0.1.0
 */
import { Data } from "effect"
import * as Tag from "./Tag.js"

/**
 * What went wrong, as a machine-readable category ("Truncated" means: more bytes are needed).
 *
 * @since 0.1.0
 * @category models
 */
export type DecodeErrorKind =
  | "Truncated"
  | "InvalidLength"
  | "InvalidVR"
  | "InvalidStructure"
  | "TooDeep"
  | "Deflate"
  | "NotPart10"
  | "Internal"

/**
 * A data set or file could not be decoded; `offset` is relative to the start of the decoded buffer.
 *
 * @since 0.1.0
 * @category errors
 */
export class DataDecodeError extends Data.TaggedError("DataDecodeError")<{
  readonly offset: number
  readonly tag: number | undefined
  readonly reason: string
  readonly kind?: DecodeErrorKind
}> {
  /** "at offset 132, tag (0010,0010): reason". */
  override get message(): string {
    const where = this.tag === undefined ? "" : `, tag ${Tag.toString(this.tag)}`
    return `at offset ${this.offset}${where}: ${this.reason}`
  }
}

/**
 * A data set could not be encoded (a value that does not fit its VR, length field or character set).
 *
 * @since 0.1.0
 * @category errors
 */
export class DataEncodeError extends Data.TaggedError("DataEncodeError")<{
  readonly tag: number | undefined
  readonly reason: string
}> {
  /** "tag (0010,0010): reason". */
  override get message(): string {
    return this.tag === undefined ? this.reason : `tag ${Tag.toString(this.tag)}: ${this.reason}`
  }
}

/**
 * Builds a decode error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeError = (kind: DecodeErrorKind, offset: number, tag: number | undefined, reason: string): DataDecodeError =>
  new DataDecodeError({ kind, offset, tag, reason })

/**
 * True when the decoder only ran out of bytes (reading more input may succeed).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTruncated = (e: DataDecodeError): boolean => e.kind === "Truncated"
