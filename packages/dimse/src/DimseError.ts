/**
 * Typed failures of the DIMSE layer: malformed command sets (decode), values that cannot be written
 * (encode) and PDV sequences that break PS3.7 §6.3.1 / PS3.8 Annex E (protocol; the association layer
 * answers those with an A-ABORT).
 *
 * @since 0.1.0
 */
import { tagString } from "./internal/tagString.js"
import { Data } from "effect"

/**
 * A command set whose bytes do not follow PS3.7 §6.3 / Annex E: `offset` is relative to the first byte of
 * the command set, `tag` is the element being read (when known).
 *
 * @since 0.1.0
 * @category errors
 */
export class DimseDecodeError extends Data.TaggedError("DimseDecodeError")<{
  readonly offset: number
  readonly tag?: number | undefined
  readonly reason: string
}> {
  /** "command set at offset 12, tag (0000,0100): reason". */
  override get message(): string {
    const where = this.tag === undefined ? "" : `, tag ${tagString(this.tag)}`
    return `command set at offset ${this.offset}${where}: ${this.reason}`
  }
}

/**
 * A command whose field cannot be written (a number out of range, a string too long or outside its VR's repertoire).
 *
 * @since 0.1.0
 * @category errors
 */
export class DimseEncodeError extends Data.TaggedError("DimseEncodeError")<{
  readonly tag: number
  readonly reason: string
}> {
  /** "command field (0000,0110): reason". */
  override get message(): string {
    return `command field ${tagString(this.tag)}: ${this.reason}`
  }
}

/**
 * Why a PDV sequence breaks the DIMSE message rules (PS3.7 §6.3.1, PS3.8 Annex E):
 * - `DataBeforeCommand`: a data set PDV arrived while no command was being received or had been received.
 * - `CommandDataInterleaved`: a data set PDV arrived before the last fragment of its command.
 * - `ContextIdMismatch`: a PDV names another presentation context than the message it continues.
 * - `UnexpectedDataset`: a data set PDV for a command whose Command Data Set Type (0000,0800) is 0101H.
 * - `CommandDuringDataset`: a command PDV arrived before the last fragment of the previous data set.
 * - `CommandTooLarge`: command fragments add up to more than the configured limit.
 * - `IncompleteMessage`: the PDV stream ended in the middle of a message.
 * - `ContextNotAccepted`: a command arrived on a presentation context the association did not accept.
 *
 * @since 0.1.0
 * @category models
 */
export type DimseProtocolErrorReason =
  | "DataBeforeCommand"
  | "CommandDataInterleaved"
  | "ContextIdMismatch"
  | "UnexpectedDataset"
  | "CommandDuringDataset"
  | "CommandTooLarge"
  | "IncompleteMessage"
  | "ContextNotAccepted"

/**
 * A PDV sequence that breaks the DIMSE message rules; `presentationContextId` is the offending PDV's.
 *
 * @since 0.1.0
 * @category errors
 */
export class DimseProtocolError extends Data.TaggedError("DimseProtocolError")<{
  readonly reason: DimseProtocolErrorReason
  readonly presentationContextId: number
  readonly detail: string
}> {
  /** "DIMSE protocol error (UnexpectedDataset) on presentation context 1: detail". */
  override get message(): string {
    return `DIMSE protocol error (${this.reason}) on presentation context ${this.presentationContextId}: ${this.detail}`
  }
}

/**
 * Any failure of the assembler: a broken PDV sequence or an undecodable command set.
 *
 * @since 0.1.0
 * @category errors
 */
export type AssemblerError = DimseProtocolError | DimseDecodeError

/**
 * A data set collected into one buffer grew past the limit the caller set (see `MessageStream.collect`).
 *
 * @since 0.1.0
 * @category errors
 */
export class DatasetTooLarge extends Data.TaggedError("DatasetTooLarge")<{
  /** Bytes received when the limit was passed. */
  readonly length: number
  readonly maxLength: number
}> {
  /** "data set of at least 70000 bytes exceeds the 65536 accepted". */
  override get message(): string {
    return `data set of at least ${this.length} bytes exceeds the ${this.maxLength} accepted`
  }
}

/**
 * No response to a DIMSE request within the DIMSE timeout (PS3.7 §9.1: the requestor's own timer).
 *
 * @since 0.1.0
 * @category errors
 */
export class DimseTimeout extends Data.TaggedError("DimseTimeout")<{
  /** The request's Message ID (0000,0110). */
  readonly messageId: number
  /** The DIMSE service, e.g. "C-FIND". */
  readonly service: string
  /** The request's `_tag`, e.g. "CFindRq" (always set by the session). */
  readonly command?: string | undefined
  readonly millis: number
}> {
  /** "no C-ECHO response to message 1 within 5000 ms (DIMSE timeout)". */
  override get message(): string {
    return `no ${this.service} response to message ${this.messageId} within ${this.millis} ms (DIMSE timeout)`
  }
}

/**
 * Why a DIMSE session ended before an operation could complete:
 * - `Ended`: the channel ended normally (association released);
 * - `ProtocolError`: the peer broke the DIMSE message rules (the caller answers with an A-ABORT);
 * - `MessageInterrupted`: one of our messages stopped after some of its PDUs were sent (its data set
 *   stream failed or was interrupted), so the association cannot carry another message (A-ABORT);
 * - `ResponseNotEncodable`: a final response could not be encoded even without its optional fields, so the
 *   request cannot be answered (A-ABORT rather than leaving the peer waiting);
 * - `ReleaseTimeout`: the peer asked to release but our performer operations did not finish within the
 *   release timeout (A-ABORT rather than never answering the release).
 *
 * @since 0.1.0
 * @category models
 */
export type SessionClosedReason = "Ended" | "ProtocolError" | "MessageInterrupted" | "ResponseNotEncodable" | "ReleaseTimeout"

/**
 * The DIMSE session is over: outstanding and new operations fail with this (a channel failure, such as
 * an abort, is passed on as the channel's own error instead).
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionClosed extends Data.TaggedError("SessionClosed")<{
  readonly reason: SessionClosedReason
  readonly detail: string
  /** The assembler's failure, for `ProtocolError`. */
  readonly protocolError?: AssemblerError | undefined
}> {
  /** "DIMSE session closed (ProtocolError): detail". */
  override get message(): string {
    return `DIMSE session closed (${this.reason}): ${this.detail}`
  }
}
