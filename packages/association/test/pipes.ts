import { Framer, PduCodec } from "@dicomnet/pdu"
import type { AnyPdu } from "@dicomnet/pdu"
import { Cause, Effect, Queue, Result, Stream } from "effect"

/** One side of an in-memory connection, in the shape the driver takes. */
export interface Side {
  readonly input: Stream.Stream<Uint8Array>
  readonly write: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void>
  readonly close: Effect.Effect<void>
}

const side = (inbox: Queue.Queue<Uint8Array, Cause.Done>, outbox: Queue.Queue<Uint8Array, Cause.Done>): Side => ({
  input: Stream.fromQueue(inbox),
  write: (chunks) => Effect.asVoid(Queue.offerAll(outbox, chunks)),
  close: Effect.asVoid(Queue.end(outbox)) // the peer's input ends: its transport closed indication
})

/** Two connection ends wired back to back through in-memory byte queues. */
export const makePair = Effect.gen(function* () {
  const aToB = yield* Queue.unbounded<Uint8Array, Cause.Done>()
  const bToA = yield* Queue.unbounded<Uint8Array, Cause.Done>()
  return [side(bToA, aToB), side(aToB, bToA)] as const
})

/** A scripted peer speaking raw PDUs (or raw bytes) to a driver. */
export const makeRawPeer = Effect.gen(function* () {
  const toDriver = yield* Queue.unbounded<Uint8Array, Cause.Done>()
  const fromDriver = yield* Queue.unbounded<Uint8Array, Cause.Done>()
  const framer = Framer.make({ maxPduLength: 1 << 24 })
  const buffered: Array<AnyPdu> = []
  /** The next PDU the driver wrote; fails with Cause.Done once the driver closed the connection. */
  const read: Effect.Effect<AnyPdu, Cause.Done> = Effect.gen(function* () {
    while (buffered.length === 0) {
      const chunk = yield* Queue.take(fromDriver)
      const r = framer.push(chunk)
      if (Result.isFailure(r)) return yield* Effect.die(r.failure)
      buffered.push(...r.success)
    }
    return buffered.shift() as AnyPdu
  })
  return {
    connection: {
      // One chunk per pull, so `unread` tells how far the driver has read.
      input: Stream.fromPull(Effect.succeed(Effect.map(Queue.take(toDriver), (chunk) => [chunk] as const))),
      write: (chunks: ReadonlyArray<Uint8Array>) => Effect.asVoid(Queue.offerAll(fromDriver, chunks)),
      close: Effect.asVoid(Queue.end(fromDriver))
    } satisfies Side,
    send: (pdu: AnyPdu) => Effect.asVoid(Queue.offer(toDriver, PduCodec.encode(pdu))),
    sendBytes: (bytes: Uint8Array) => Effect.asVoid(Queue.offer(toDriver, bytes)),
    read,
    /** How many chunks sent to the driver it has not read yet. */
    unread: Queue.size(toDriver),
    /** True once the driver has closed its side (after all its PDUs were read). */
    driverClosed: Effect.map(Effect.exit(read), (exit) => exit._tag === "Failure" && Cause.hasFails(exit.cause)),
    close: Effect.asVoid(Queue.end(toDriver))
  }
})
