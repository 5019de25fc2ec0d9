/**
 * Resource limits of the server, with safe defaults, and what bounds each piece of memory a peer
 * can make us hold. The bounds, per association:
 *
 * - bytes not yet framed: at most one PDU, and a PDU is refused (A-ABORT) as soon as its header
 *   announces more than `maxPduLength` (the framer checks the 4-byte length before allocating);
 *   A-ASSOCIATE-RQ/AC at most 1 MiB, the fixed-size PDUs 1 KiB (`@dicomnet/pdu` Framer);
 * - bytes the server does not read are not buffered: TCP input is pulled (paused socket), so a
 *   slow handler holds the peer back through TCP flow control instead of growing a queue;
 * - data sets are streamed to their handler in fragments (views into the PDU), never concatenated,
 *   except identifiers collected whole: C-FIND/C-MOVE/C-GET identifiers are capped by
 *   `maxIdentifierBytes` (answered A900H beyond it), N-service data sets by
 *   `NServices.defaultMaxDatasetLength`, and both are parsed with at most `maxNestingDepth` levels
 *   of sequences (the data codec's bound);
 * - a C-STORE data set beyond `maxDatasetBytes` is drained (read and discarded), not stored, and
 *   answered A700H (out of resources);
 * - operations in flight are bounded by the asynchronous operations window (one at a time unless
 *   negotiated), and the number of associations by `maxAssociations` (RJ 2/3/2 beyond it) plus
 *   per-peer limits (`AccessControl`);
 * - idle peers: ARTIM bounds the wait for the A-ASSOCIATE-RQ and for the close after a release or
 *   an abort; `associationIdle` (default 5 minutes) aborts an established association with no
 *   traffic and no operation in progress; `readIdle` (off by default) bounds any silence at the
 *   transport level; `write` a peer that does not read; `release` the wait for operations still
 *   running when the peer asks to release (then A-ABORT).
 *
 * @since 0.1.0
 */
import { DatasetCodec } from "@dicomnet/data"
import { Status } from "@dicomnet/dimse"
import { Data, Effect, Stream } from "effect"
import type { StoreHandler } from "./Storage.js"

/** The limits. @category models */
export interface Limits {
  /** Our maximum PDU length received (PS3.8 §D.1), announced in the A-ASSOCIATE-AC. */
  readonly maxPduLength: number
  /** Associations served at once; beyond it RJ 2/3/2 (local limit exceeded). */
  readonly maxAssociations: number
  /** Largest C-STORE data set accepted, in bytes; beyond it A700H and the rest is drained. */
  readonly maxDatasetBytes: number
  /** Largest C-FIND/C-MOVE/C-GET identifier collected whole, in bytes (beyond it A900H). */
  readonly maxIdentifierBytes: number
  /** Deepest nesting of sequences parsed in an identifier: the data codec's bound (`DatasetCodec.defaultMaxDepth`), not configurable here. */
  readonly maxNestingDepth: number
}

/** Safe defaults: 256 KiB PDUs, 64 associations, 4 GiB data sets, 64 KiB identifiers, 64 nesting levels. @category constants */
export const defaults: Limits = {
  maxPduLength: 262144,
  maxAssociations: 64,
  maxDatasetBytes: 4 * 1024 * 1024 * 1024,
  maxIdentifierBytes: 64 * 1024,
  maxNestingDepth: DatasetCodec.defaultMaxDepth
}

/** The limits with `overrides` applied over the defaults; non-positive or non-finite values fall back to the default. @category constructors */
export const make = (overrides: { readonly [K in Exclude<keyof Limits, "maxNestingDepth">]?: number | undefined } = {}): Limits => {
  const pick = (key: Exclude<keyof Limits, "maxNestingDepth">): number => {
    const v = overrides[key]
    return v !== undefined && Number.isFinite(v) && v > 0 ? Math.floor(v) : defaults[key]
  }
  return {
    maxPduLength: pick("maxPduLength"),
    maxAssociations: pick("maxAssociations"),
    maxDatasetBytes: pick("maxDatasetBytes"),
    maxIdentifierBytes: pick("maxIdentifierBytes"),
    maxNestingDepth: defaults.maxNestingDepth
  }
}

/** A C-STORE data set went past `maxDatasetBytes`: answered A700H, the rest drained by the session, nothing stored. @category errors */
export class DatasetTooLarge extends Data.TaggedError("DatasetTooLarge")<{
  readonly sopInstanceUid: string
  readonly received: number
  readonly maxDatasetBytes: number
}> {}

/**
 * The store handler with a cap on the data set: past `maxDatasetBytes` its stream fails (so the
 * handler stores nothing; `Storage.toDirectory` removes its temporary file), the C-STORE is answered
 * A700H (out of resources) and the session drains the rest of the data set.
 * @category limits
 */
export const boundStore = (handler: StoreHandler, maxDatasetBytes: number): StoreHandler => (request) =>
  Effect.suspend(() => {
    let received = 0
    let tooLarge: DatasetTooLarge | undefined
    // Counted per batch of fragments as the session delivers them: one Effect per batch, the batches kept whole.
    const dataset = Stream.mapArrayEffect(request.dataset, (chunks) => {
      for (const chunk of chunks) received += chunk.byteLength
      if (received <= maxDatasetBytes) return Effect.succeed(chunks)
      tooLarge = new DatasetTooLarge({ sopInstanceUid: request.sopInstanceUid, received, maxDatasetBytes })
      return Effect.fail(tooLarge)
    })
    return handler({ ...request, dataset }).pipe(
      Effect.catchCause((cause) =>
        tooLarge === undefined
          ? Effect.failCause(cause)
          : Effect.as(
              Effect.logWarning(`C-STORE of ${request.sopInstanceUid}: data set larger than ${maxDatasetBytes} bytes, answering 0xA700 and discarding it`),
              Status.Code.OutOfResources as number
            )
      )
    )
  })
