/**
 * Typed failures of the PDU codec and framer: every one names the facts a user needs.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** A PDU whose bytes do not follow PS3.8 §9.3: `offset` is relative to the first byte of the PDU. @category errors */
export class PduDecodeError extends Data.TaggedError("PduDecodeError")<{
  readonly offset: number
  readonly reason: string
  readonly pduType?: number | undefined
}> {
  override get message(): string {
    const type = this.pduType === undefined ? "" : ` (PDU type 0x${this.pduType.toString(16).padStart(2, "0")})`
    return `invalid PDU${type} at offset ${this.offset}: ${this.reason}`
  }
}

/** A PDU announcing more bytes than we accept (PS3.8 §D.1 maximum length, or the fixed bound for other PDUs). @category errors */
export class PduTooLarge extends Data.TaggedError("PduTooLarge")<{
  readonly pduType: number
  /** The PDU length field (bytes after the 6-byte header). */
  readonly length: number
  /** The largest PDU length field accepted for this PDU type. */
  readonly maxLength: number
}> {
  override get message(): string {
    return `PDU type 0x${this.pduType.toString(16).padStart(2, "0")} announces ${this.length} bytes, more than the ${this.maxLength} accepted`
  }
}

/** A PDU type code outside PS3.8 §9.3.1 (an unrecognized PDU, PS3.8 Evt19). @category errors */
export class UnknownPduType extends Data.TaggedError("UnknownPduType")<{
  readonly pduType: number
}> {
  override get message(): string {
    return `unknown PDU type 0x${this.pduType.toString(16).padStart(2, "0")}`
  }
}

/** Any failure of the framer. @category errors */
export type FramerError = PduDecodeError | PduTooLarge | UnknownPduType
