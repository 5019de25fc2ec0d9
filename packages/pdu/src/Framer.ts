/**
 * The incremental, bounded PDU framer: arbitrary byte chunks in, whole PDUs out.
 *
 * - A PDU lying entirely inside one chunk is decoded from that chunk's view (zero copy); a PDU that
 *   spans chunks is copied once into a buffer of exactly its size.
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
import { type FramerError, PduTooLarge, UnknownPduType } from "./PduError.js"

/** Framer limits. @category models */
export interface Options {
  /** The maximum length we advertised (PS3.8 §D.1): the largest P-DATA-TF length field accepted. Must be > 0. */
  readonly maxPduLength: number
  /** The largest length field accepted for A-ASSOCIATE-RQ/AC (default 1 MiB). */
  readonly maxAssociatePduLength?: number | undefined
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
      return Result.fail(e)
    }
    const n = chunk.length
    let at = 0
    while (at < n) {
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

  return { push, pendingBytes: () => (body === undefined ? headerFill : bodyFill) }
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
