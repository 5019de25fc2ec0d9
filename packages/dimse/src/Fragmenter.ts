/**
 * Splits a DIMSE message (command set bytes, then an optional data set) into P-DATA-TF PDUs sized to the
 * peer's maximum PDU length (PS3.8 §9.3.5, Annex D.1; message control header of Annex E).
 *
 * - Each PDU's variable field (its PDV items: 4-byte length + context id + control header + fragment)
 *   stays within `maxPduLength`, so a PDU carrying a single PDV holds at most `maxPduLength - 6` bytes of
 *   payload. `maxPduLength` 0 (unlimited, PS3.8 §D.1) is capped at `unlimitedCap` (1 MiB).
 * - The command comes first, its last fragment flagged; then the data set, its last fragment flagged
 *   (an empty data set still yields one empty last fragment).
 * - PDVs are packed greedily: a small command and the start of the data set share one PDU (unless
 *   `separateCommand` is set).
 * - Payloads are never copied: fragments are `subarray` views of the input chunks.
 *
 * @since 0.1.0
 */
import type { PDataTf, Pdv } from "@dicomnet/pdu"
import { Result, Stream } from "effect"
import type * as Command from "./Command.js"
import * as CommandSet from "./CommandSet.js"
import { DimseEncodeError } from "./DimseError.js"

/** Payload cap when the peer announces an unlimited (0) maximum PDU length: 1 MiB. @since 0.1.0 @category constants */
export const unlimitedCap = 1024 * 1024

/** Bytes a PDV item adds to its fragment: item length (4), presentation context id (1), control header (1). @since 0.1.0 @category constants */
export const pdvOverhead = 6

/** Fragmenter options. @since 0.1.0 @category models */
export interface Options {
  /** The presentation context of the message (odd, 1..255). */
  readonly presentationContextId: number
  /** The peer's Maximum Length Received (PS3.8 §D.1); 0 means unlimited. */
  readonly maxPduLength: number
  /** End the PDU after the command's last fragment, so data set PDVs never share a PDU with it (default false). */
  readonly separateCommand?: boolean | undefined
}

/**
 * Largest fragment a single-PDV P-DATA-TF may carry for a maximum PDU length: `maxPduLength - 6`, or
 * `unlimitedCap` when `maxPduLength` is 0 (at least 1 byte, whatever the peer announced).
 *
 * @since 0.1.0
 * @category getters
 */
export const maxFragmentLength = (maxPduLength: number): number =>
  maxPduLength === 0 ? unlimitedCap : Math.max(1, maxPduLength - pdvOverhead)

const emptyBytes = new Uint8Array(0)

/**
 * A stateful packer of PDVs into P-DATA-TF PDUs: add the command, then data set chunks in order, then
 * `flush`; `take` hands over the PDUs completed so far (for streaming).
 *
 * @since 0.1.0
 * @category models
 */
export class Fragmenter {
  private readonly contextId: number
  private readonly capacity: number
  private readonly separateCommand: boolean
  private ready: Array<PDataTf> = []
  private batch: Array<Pdv> = []
  private used = 0

  constructor(options: Options) {
    this.contextId = options.presentationContextId
    this.capacity = maxFragmentLength(options.maxPduLength) + pdvOverhead
    this.separateCommand = options.separateCommand ?? false
  }

  /** Adds the command set (its last fragment flagged). */
  command(bytes: Uint8Array): void {
    this.add(bytes, true, true)
    if (this.separateCommand) this.close()
  }

  /** Adds a data set chunk; `isLast` flags the final fragment of the data set. */
  data(chunk: Uint8Array, isLast: boolean): void {
    if (chunk.byteLength === 0 && !isLast) return
    this.add(chunk, false, isLast)
  }

  /** The PDUs completed so far (the one being filled stays). */
  take(): Array<PDataTf> {
    const out = this.ready
    this.ready = []
    return out
  }

  /** Closes the PDU being filled and returns every PDU not yet taken. */
  flush(): Array<PDataTf> {
    this.close()
    return this.take()
  }

  private add(payload: Uint8Array, isCommand: boolean, isLast: boolean): void {
    const n = payload.byteLength
    let offset = 0
    do {
      let room = this.capacity - this.used - pdvOverhead
      // Start a new PDU when this one cannot take a useful fragment (or, for an empty payload, its header).
      if (room < 1 && (n > 0 || room < 0)) {
        this.close()
        room = this.capacity - pdvOverhead
      }
      const length = Math.min(n - offset, room)
      const end = offset + length
      this.batch.push({
        presentationContextId: this.contextId,
        isCommand,
        isLast: isLast && end === n,
        data: offset === 0 && end === n ? payload : payload.subarray(offset, end)
      })
      this.used += pdvOverhead + length
      offset = end
      if (this.capacity - this.used - pdvOverhead < 1) this.close() // full: hand it over now
    } while (offset < n)
  }

  private close(): void {
    if (this.batch.length === 0) return
    this.ready.push({ _tag: "PDataTf", pdvs: this.batch })
    this.batch = []
    this.used = 0
  }
}

/** A new fragmenter for one message. @since 0.1.0 @category constructors */
export const make = (options: Options): Fragmenter => new Fragmenter(options)

/**
 * Splits a command set and an optional data set (one buffer, or chunks in order) into P-DATA-TF PDUs.
 *
 * @since 0.1.0
 * @category fragmenting
 */
export const fragment = (
  options: Options,
  command: Uint8Array,
  dataset?: Uint8Array | Iterable<Uint8Array> | undefined
): Array<PDataTf> => {
  const f = new Fragmenter(options)
  f.command(command)
  if (dataset === undefined) return f.flush()
  if (dataset instanceof Uint8Array) {
    f.data(dataset, true)
    return f.flush()
  }
  // One chunk of lookahead: a chunk is the last one only once the iterator says so.
  let held: Uint8Array | undefined
  for (const chunk of dataset) {
    if (chunk.byteLength === 0) continue
    if (held !== undefined) f.data(held, false)
    held = chunk
  }
  f.data(held ?? emptyBytes, true)
  return f.flush()
}

/**
 * Encodes a command and splits it, with its data set, into P-DATA-TF PDUs; fails when the command cannot
 * be encoded or when `command.hasDataset` disagrees with the presence of `dataset`.
 *
 * @since 0.1.0
 * @category fragmenting
 */
export const message = (
  options: Options,
  command: Command.DimseCommand,
  dataset?: Uint8Array | Iterable<Uint8Array> | undefined
): Result.Result<Array<PDataTf>, DimseEncodeError> => {
  const mismatch = checkDataset(command, dataset !== undefined)
  if (mismatch !== undefined) return Result.fail(mismatch)
  return Result.map(CommandSet.encode(command), (bytes) => fragment(options, bytes, dataset))
}

const checkDataset = (command: Command.DimseCommand, present: boolean): DimseEncodeError | undefined =>
  command.hasDataset === present
    ? undefined
    : new DimseEncodeError({
        tag: 0x00000800,
        reason: command.hasDataset
          ? `${command._tag} announces a data set but none is given`
          : `${command._tag} announces no data set (0101H) but one is given`
      })

/**
 * Streams a message as P-DATA-TF PDUs: the command set, then the data set chunks as they arrive.
 *
 * Memory holds one chunk of lookahead (to flag the last fragment) plus the PDU being filled; chunks are
 * never copied. Backpressure is the consumer's: a chunk is pulled from `dataset` only when the PDUs of
 * the previous one have been taken downstream.
 *
 * @since 0.1.0
 * @category fragmenting
 */
export const stream = <E = never, R = never>(
  options: Options,
  command: Uint8Array,
  dataset: Stream.Stream<Uint8Array, E, R> | undefined
): Stream.Stream<PDataTf, E, R> => {
  if (dataset === undefined) return Stream.suspend(() => Stream.fromIterable(fragment(options, command)))
  return Stream.suspend(() => {
    const f = new Fragmenter(options)
    f.command(command)
    return dataset.pipe(
      Stream.mapAccum(
        (): Uint8Array | undefined => undefined,
        (held: Uint8Array | undefined, chunk: Uint8Array) => {
          if (chunk.byteLength === 0) return [held, []] as const
          if (held !== undefined) f.data(held, false)
          return [chunk, f.take()] as const
        },
        {
          onHalt: (held) => {
            f.data(held ?? emptyBytes, true)
            return f.flush()
          }
        }
      )
    )
  })
}

/**
 * Encodes a command and streams it with its data set as P-DATA-TF PDUs (see `stream`); fails like `message`.
 *
 * @since 0.1.0
 * @category fragmenting
 */
export const streamMessage = <E = never, R = never>(
  options: Options,
  command: Command.DimseCommand,
  dataset: Stream.Stream<Uint8Array, E, R> | undefined
): Stream.Stream<PDataTf, E | DimseEncodeError, R> => {
  const mismatch = checkDataset(command, dataset !== undefined)
  if (mismatch !== undefined) return Stream.fail(mismatch)
  const encoded = CommandSet.encode(command)
  return Result.isFailure(encoded) ? Stream.fail(encoded.failure) : stream(options, encoded.success, dataset)
}
