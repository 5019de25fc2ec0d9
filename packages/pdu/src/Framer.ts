/**
 * The incremental, bounded PDU framer: arbitrary byte chunks in, whole PDUs out.
 *
 * - A PDU lying entirely inside one chunk is decoded from that chunk's view (zero copy); a PDU that
 *   spans chunks is copied once into a buffer of exactly its size, except a P-DATA-TF when
 *   `pdataViews` is set: then its PDVs are views into the chunks, a PDV that spans chunks arriving as
 *   several PDVs of the same context and kind (all but the last piece with the "last fragment" bit
 *   clear). The DIMSE message is the same; no buffer is allocated and nothing is copied.
 * - The 4-byte length is checked against the local limit before anything is allocated, so memory
 *   stays bounded whatever a peer sends: P-DATA-TF may not exceed the maximum length we advertised
 *   (PS3.8 §D.1: it bounds the PDU's variable field, the 6-byte header comes on top); other PDUs
 *   are bounded by a fixed size (they do not fall under the maximum length).
 * - After a failure the framer stays failed: every later `push` returns the same error.
 *
 * @since 0.1.0
 */
import { Effect, Result, Stream } from "effect"
import { read } from "./internal/PduReader.js"
import type * as Pdu from "./Pdu.js"
import { type FramerError, PduDecodeError, PduTooLarge, UnknownPduType } from "./PduError.js"

/** Framer limits. @category models */
export interface Options {
  /** The maximum length we advertised (PS3.8 §D.1): the largest P-DATA-TF length field accepted. Must be > 0. */
  readonly maxPduLength: number
  /** The largest length field accepted for A-ASSOCIATE-RQ/AC (default 1 MiB). */
  readonly maxAssociatePduLength?: number | undefined
  /**
   * A P-DATA-TF spanning chunks is delivered with its PDVs as views into the chunks (a PDV that spans
   * chunks split into pieces) instead of copied into one buffer (default false: the PDUs as sent).
   * For receivers that treat PDVs as fragments (the DIMSE layer); the chunks must not be reused.
   */
  readonly pdataViews?: boolean | undefined
}

/** The default bound of A-ASSOCIATE-RQ/AC (and other non-P-DATA) PDUs. @category constants */
export const defaultMaxAssociatePduLength = 1024 * 1024

/** A stateful framer. @category models */
export interface Framer {
  /** Feeds one chunk of bytes; returns every PDU completed by it, in order. */
  readonly push: (chunk: Uint8Array) => Result.Result<ReadonlyArray<Pdu.Pdu>, FramerError>
  /** Bytes received but not yet part of a complete PDU (0 at a PDU boundary). */
  readonly pendingBytes: () => number
}

/** The largest length field accepted for a PDU type, or undefined if the type is unknown. */
const limitFor = (pduType: number, maxPduLength: number, maxAssociate: number): number | undefined => {
  switch (pduType) {
    case 0x04:
      return maxPduLength
    case 0x01:
    case 0x02:
      return maxAssociate
    case 0x03:
    case 0x05:
    case 0x06:
    case 0x07:
      // Fixed 4-byte variable fields; a wrong length is left to the decoder's typed error, within a small bound.
      return 1024
    default:
      return undefined
  }
}

/** Creates a framer with the given limits. @category constructors */
export const make = (options: Options): Framer => {
  const maxPduLength = options.maxPduLength
  const maxAssociate = options.maxAssociatePduLength ?? defaultMaxAssociatePduLength
  const header = new Uint8Array(6)
  let headerFill = 0
  let body: Uint8Array | undefined // exact-size buffer of a PDU spanning chunks (header included)
  let bodyFill = 0
  let failed: FramerError | undefined
  const pdataViews = options.pdataViews ?? false

  // A P-DATA-TF spanning chunks in `pdataViews` mode: its PDVs so far, and where its parsing stands.
  let spanning: Array<Pdu.Pdv> | undefined
  let spanLength = 0 // the PDU's length field
  let spanAt = 0 // bytes of the PDU's variable field consumed so far
  const itemHeader = new Uint8Array(6)
  let itemHeaderFill = 0
  let itemRemaining = 0 // data bytes of the current PDV not yet seen (0 with itemHeaderFill 0: between PDVs)
  let itemContext = 0
  let itemControl = 0
  let itemStarted = false

  const decodeError = (offset: number, reason: string) => new PduDecodeError({ offset, reason, pduType: 0x04 })

  /**
   * Feeds `chunk[at..]` to the spanning P-DATA-TF; returns the new position, or an error. Completes the
   * PDU into `out` when its last byte is consumed.
   */
  const feedSpanning = (chunk: Uint8Array, at: number, out: Array<Pdu.Pdu>): number | FramerError => {
    const pdvs = spanning as Array<Pdu.Pdv>
    const n = chunk.length
    while (at < n && spanAt < spanLength) {
      if (!itemStarted) {
        // Gather the PDV item header (4-byte length, context id, message control header).
        const offset = 6 + spanAt - itemHeaderFill
        if (itemHeaderFill === 0 && spanLength - spanAt < 6) return decodeError(offset, "truncated presentation data value item header")
        const take = Math.min(6 - itemHeaderFill, n - at)
        itemHeader.set(chunk.subarray(at, at + take), itemHeaderFill)
        itemHeaderFill += take
        at += take
        spanAt += take
        if (itemHeaderFill < 6) break
        const length =
          (itemHeader[0] as number) * 0x1000000 + (((itemHeader[1] as number) << 16) | ((itemHeader[2] as number) << 8) | (itemHeader[3] as number))
        if (length < 2) return decodeError(offset, `presentation data value item length ${length} is less than 2`)
        if (6 + spanAt - 2 + length > 6 + spanLength) return decodeError(offset, `presentation data value item of length ${length} overruns the PDU`)
        itemContext = itemHeader[4] as number
        itemControl = itemHeader[5] as number
        itemRemaining = length - 2
        itemHeaderFill = 0
        itemStarted = true
        if (itemRemaining > 0) continue
      }
      // The PDV's data: a view of what this chunk holds of it.
      const take = Math.min(itemRemaining, n - at)
      itemRemaining -= take
      const complete = itemRemaining === 0
      pdvs.push({
        presentationContextId: itemContext,
        isCommand: (itemControl & 1) !== 0,
        isLast: complete && (itemControl & 2) !== 0,
        data: chunk.subarray(at, at + take)
      })
      at += take
      spanAt += take
      if (complete) itemStarted = false
    }
    if (spanAt === spanLength) {
      out.push({ _tag: "PDataTf", pdvs })
      spanning = undefined
    }
    return at
  }

  /** Checks a complete header; returns the PDU's total size or an error. */
  const check = (pduType: number, length: number): number | FramerError => {
    const limit = limitFor(pduType, maxPduLength, maxAssociate)
    if (limit === undefined) return new UnknownPduType({ pduType })
    if (length > limit) return new PduTooLarge({ pduType, length, maxLength: limit })
    return length + 6
  }

  const push = (chunk: Uint8Array): Result.Result<ReadonlyArray<Pdu.Pdu>, FramerError> => {
    if (failed !== undefined) return Result.fail(failed)
    const out: Array<Pdu.Pdu> = []
    const stop = (e: FramerError) => {
      failed = e
      headerFill = 0
      body = undefined
      spanning = undefined
      return Result.fail(e)
    }
    const n = chunk.length
    let at = 0
    while (at < n) {
      if (spanning !== undefined) {
        const next = feedSpanning(chunk, at, out)
        if (typeof next !== "number") return stop(next)
        at = next
        continue
      }
      if (body !== undefined) {
        // Continue a PDU spanning chunks.
        const take = Math.min(body.length - bodyFill, n - at)
        body.set(chunk.subarray(at, at + take), bodyFill)
        bodyFill += take
        at += take
        if (bodyFill < body.length) break
        const r = read(body)
        body = undefined
        bodyFill = 0
        if (Result.isFailure(r)) return stop(r.failure)
        out.push(r.success)
        continue
      }
      let pduType: number
      let length: number
      let headerFromChunk: boolean
      if (headerFill === 0 && n - at >= 6) {
        pduType = chunk[at] as number
        length = ((chunk[at + 2] as number) * 0x1000000) + (((chunk[at + 3] as number) << 16) | ((chunk[at + 4] as number) << 8) | (chunk[at + 5] as number))
        headerFromChunk = true
      } else {
        // Gather a header arriving in pieces (down to one byte at a time).
        const take = Math.min(6 - headerFill, n - at)
        header.set(chunk.subarray(at, at + take), headerFill)
        headerFill += take
        at += take
        if (headerFill < 6) {
          // An unknown PDU type is known from its first byte: fail now rather than wait for the length.
          if (limitFor(header[0] as number, maxPduLength, maxAssociate) === undefined) return stop(new UnknownPduType({ pduType: header[0] as number }))
          break
        }
        pduType = header[0] as number
        length = ((header[2] as number) * 0x1000000) + (((header[3] as number) << 16) | ((header[4] as number) << 8) | (header[5] as number))
        headerFromChunk = false
      }
      const size = check(pduType, length)
      if (typeof size !== "number") return stop(size)
      if (headerFromChunk && n - at >= size) {
        // The whole PDU sits in this chunk: decode from its view, no copy.
        const r = read(chunk.subarray(at, at + size))
        if (Result.isFailure(r)) return stop(r.failure)
        out.push(r.success)
        at += size
        continue
      }
      if (pdataViews && pduType === 0x04 && length > 0) {
        // A P-DATA-TF spanning chunks: its PDVs become views, nothing is copied.
        if (headerFromChunk) at += 6
        else headerFill = 0
        spanning = []
        spanLength = length
        spanAt = 0
        itemHeaderFill = 0
        itemStarted = false
        continue
      }
      body = new Uint8Array(size)
      if (headerFromChunk) {
        body.set(chunk.subarray(at, n))
        bodyFill = n - at
        at = n
      } else {
        body.set(header)
        bodyFill = 6
        headerFill = 0
        if (size === 6) {
          const r = read(body)
          body = undefined
          bodyFill = 0
          if (Result.isFailure(r)) return stop(r.failure)
          out.push(r.success)
        }
      }
    }
    return Result.succeed(out)
  }

  return {
    push,
    pendingBytes: () => (spanning !== undefined ? 6 + spanAt : body === undefined ? headerFill : bodyFill)
  }
}

/** Frames a byte stream into a stream of PDUs, failing with the first framing error. @category streams */
export const decodeStream = <E, R>(stream: Stream.Stream<Uint8Array, E, R>, options: Options): Stream.Stream<Pdu.Pdu, E | FramerError, R> =>
  Stream.suspend(() => {
    const framer = make(options)
    return stream.pipe(
      Stream.mapEffect((chunk) => Effect.fromResult(framer.push(chunk))),
      Stream.flattenIterable
    )
  })

/** `decodeStream` as a pipeable stage: `bytes.pipe(Framer.pipeline({ maxPduLength }))`. @category streams */
export const pipeline = (options: Options) => <E, R>(stream: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Pdu.Pdu, E | FramerError, R> =>
  decodeStream(stream, options)
