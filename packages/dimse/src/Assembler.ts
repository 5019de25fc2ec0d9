/**
 * A sans-IO DIMSE message assembler (PS3.7 §6.3.1, PS3.8 Annex E): PDVs from P-DATA-TF PDUs go in,
 * message events come out.
 *
 * - Command fragments are copied into one buffer, bounded by `maxCommandLength` (64 KiB by default); a
 *   command sent in a single PDV is decoded in place without a copy.
 * - Data set fragments are passed through as the PDV's own views: the assembler never concatenates them.
 * - Every rule break is a typed `DimseProtocolError` (the association layer answers it with an A-ABORT);
 *   an undecodable command set is a `DimseDecodeError`. After a failure the assembler stays failed.
 *
 * For every message the events are: `Command`, then (when the command announces a data set) one `Data`
 * event per data PDV, the last one with `isLast`, then `MessageComplete`.
 *
 * @since 0.1.0
 */
import type { PDataTf, Pdv } from "@dicomnet/pdu"
import { Result } from "effect"
import type * as Command from "./Command.js"
import * as CommandSet from "./CommandSet.js"
import { type AssemblerError, DimseProtocolError, type DimseProtocolErrorReason } from "./DimseError.js"

/** A decoded command; `command.hasDataset` tells whether `Data` events follow. @since 0.1.0 @category models */
export interface CommandEvent {
  readonly _tag: "Command"
  readonly presentationContextId: number
  readonly command: Command.DimseCommand
}

/** A data set fragment: a view into the received PDU, never copied. @since 0.1.0 @category models */
export interface DataEvent {
  readonly _tag: "Data"
  readonly presentationContextId: number
  readonly data: Uint8Array
  readonly isLast: boolean
}

/** The message is complete (after its last data fragment, or right after a command without data set). @since 0.1.0 @category models */
export interface MessageCompleteEvent {
  readonly _tag: "MessageComplete"
  readonly presentationContextId: number
  readonly command: Command.DimseCommand
}

/** What the assembler emits. @since 0.1.0 @category models */
export type AssemblerEvent = CommandEvent | DataEvent | MessageCompleteEvent

/** Assembler options. @since 0.1.0 @category models */
export interface Options {
  /** Largest command set accepted, in bytes (default 65536). */
  readonly maxCommandLength?: number | undefined
}

/** Where the assembler is within a message. @since 0.1.0 @category models */
export type Phase = "Idle" | "Command" | "Data" | "Failed"

/** Default bound of a command set: 64 KiB (real command sets are a few hundred bytes). @since 0.1.0 @category constants */
export const defaultMaxCommandLength = 65536

const empty: ReadonlyArray<AssemblerEvent> = []

/**
 * A stateful, synchronous assembler. Feed it PDVs in the order received; it returns the events they
 * complete or the first protocol failure.
 *
 * @since 0.1.0
 * @category models
 */
export class Assembler {
  private phase: Phase = "Idle"
  private contextId = 0
  private command: Command.DimseCommand | undefined = undefined
  private buffer: Uint8Array = new Uint8Array(0)
  private buffered = 0
  // True after a message without data set, until the next command starts: tells UnexpectedDataset from DataBeforeCommand.
  private afterDatasetlessCommand = false
  private failure: AssemblerError | undefined = undefined
  private readonly maxCommandLength: number

  constructor(options?: Options) {
    this.maxCommandLength = options?.maxCommandLength ?? defaultMaxCommandLength
  }

  /** Where the assembler is: between messages (`Idle`), within a command, within a data set, or failed. */
  get state(): Phase {
    return this.phase
  }

  /** Feeds one PDV; returns the events it completes (often none or one). */
  feed(pdv: Pdv): Result.Result<ReadonlyArray<AssemblerEvent>, AssemblerError> {
    if (this.failure !== undefined) return Result.fail(this.failure)
    const id = pdv.presentationContextId
    switch (this.phase) {
      case "Idle": {
        if (!pdv.isCommand) {
          return this.afterDatasetlessCommand
            ? this.fail("UnexpectedDataset", id, "a data set PDV follows a command whose Command Data Set Type is 0101H")
            : this.fail("DataBeforeCommand", id, "a data set PDV arrived before any command")
        }
        this.afterDatasetlessCommand = false
        this.contextId = id
        if (pdv.isLast) {
          // The common case: the whole command in one PDV, decoded in place.
          if (pdv.data.byteLength > this.maxCommandLength) return this.tooLarge(id, pdv.data.byteLength)
          return this.commandComplete(pdv.data)
        }
        this.phase = "Command"
        this.buffered = 0
        return this.append(pdv)
      }
      case "Command": {
        if (!pdv.isCommand) {
          return this.fail("CommandDataInterleaved", id, "a data set PDV arrived before the last fragment of the command")
        }
        if (id !== this.contextId) return this.mismatch(id)
        const appended = this.append(pdv)
        if (Result.isFailure(appended) || !pdv.isLast) return appended
        return this.commandComplete(this.buffer.subarray(0, this.buffered))
      }
      case "Data": {
        if (pdv.isCommand) {
          return this.fail("CommandDuringDataset", id, "a command PDV arrived before the last fragment of the data set")
        }
        if (id !== this.contextId) return this.mismatch(id)
        const data: DataEvent = { _tag: "Data", presentationContextId: id, data: pdv.data, isLast: pdv.isLast }
        if (!pdv.isLast) return Result.succeed([data])
        const command = this.command as Command.DimseCommand
        this.phase = "Idle"
        this.command = undefined
        return Result.succeed([data, { _tag: "MessageComplete", presentationContextId: id, command }])
      }
      case "Failed":
        return Result.fail(this.lastFailure())
    }
  }

  /** Feeds every PDV of a P-DATA-TF PDU; returns all the events they complete. */
  feedPDataTf(pdu: PDataTf): Result.Result<ReadonlyArray<AssemblerEvent>, AssemblerError> {
    return this.feedAll(pdu.pdvs)
  }

  /** Feeds PDVs in order; returns all the events they complete, or the first failure. */
  feedAll(pdvs: Iterable<Pdv>): Result.Result<ReadonlyArray<AssemblerEvent>, AssemblerError> {
    let out: Array<AssemblerEvent> | undefined
    let single: ReadonlyArray<AssemblerEvent> = empty
    for (const pdv of pdvs) {
      const r = this.feed(pdv)
      if (Result.isFailure(r)) return r
      if (r.success.length === 0) continue
      if (single.length === 0 && out === undefined) single = r.success
      else {
        out ??= [...single]
        out.push(...r.success)
      }
    }
    return Result.succeed(out ?? single)
  }

  /** Declares the end of input (release or end of stream): fails with `IncompleteMessage` inside a message. */
  end(): Result.Result<void, AssemblerError> {
    if (this.failure !== undefined) return Result.fail(this.failure)
    if (this.phase === "Idle") return Result.void
    const where = this.phase === "Command" ? "a command" : "a data set"
    return this.fail("IncompleteMessage", this.contextId, `the PDVs ended in the middle of ${where}`)
  }

  // A method (not the field) so that TypeScript does not carry the narrowing of `this.failure` across calls.
  private lastFailure(): AssemblerError {
    return this.failure ?? new DimseProtocolError({ reason: "IncompleteMessage", presentationContextId: 0, detail: "failed" })
  }

  private append(pdv: Pdv): Result.Result<ReadonlyArray<AssemblerEvent>, AssemblerError> {
    const n = pdv.data.byteLength
    const needed = this.buffered + n
    if (needed > this.maxCommandLength) return this.tooLarge(pdv.presentationContextId, needed)
    if (needed > this.buffer.byteLength) {
      const grown = new Uint8Array(Math.min(this.maxCommandLength, Math.max(needed, this.buffer.byteLength * 2, 256)))
      grown.set(this.buffer.subarray(0, this.buffered))
      this.buffer = grown
    }
    this.buffer.set(pdv.data, this.buffered)
    this.buffered = needed
    return Result.succeed(empty)
  }

  private commandComplete(bytes: Uint8Array): Result.Result<ReadonlyArray<AssemblerEvent>, AssemblerError> {
    const decoded = CommandSet.decode(bytes)
    this.buffered = 0
    if (Result.isFailure(decoded)) {
      this.phase = "Failed"
      this.failure = decoded.failure
      return Result.fail(decoded.failure)
    }
    const command = decoded.success
    const id = this.contextId
    const event: CommandEvent = { _tag: "Command", presentationContextId: id, command }
    if (command.hasDataset) {
      this.phase = "Data"
      this.command = command
      return Result.succeed([event])
    }
    this.phase = "Idle"
    this.afterDatasetlessCommand = true
    return Result.succeed([event, { _tag: "MessageComplete", presentationContextId: id, command }])
  }

  private mismatch(id: number): Result.Result<never, AssemblerError> {
    return this.fail(
      "ContextIdMismatch",
      id,
      `a PDV for presentation context ${id} continues a message on presentation context ${this.contextId}`
    )
  }

  private tooLarge(id: number, length: number): Result.Result<never, AssemblerError> {
    return this.fail("CommandTooLarge", id, `the command set reaches ${length} bytes, more than the ${this.maxCommandLength} accepted`)
  }

  private fail(reason: DimseProtocolErrorReason, presentationContextId: number, detail: string): Result.Result<never, AssemblerError> {
    const error = new DimseProtocolError({ reason, presentationContextId, detail })
    this.phase = "Failed"
    this.failure = error
    return Result.fail(error)
  }
}

/** A new assembler, between messages. @since 0.1.0 @category constructors */
export const make = (options?: Options): Assembler => new Assembler(options)
