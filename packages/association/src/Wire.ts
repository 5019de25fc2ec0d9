/**
 * A connection's bytes as the driver sees them, instrumented: byte counters on every read and write, and
 * PDU dumps (PduDump) at Debug level for `-d`. The log level is checked once per association, so
 * above Debug nothing is decoded or rendered.
 */
import { Bytes } from "@dicomnet/data"
import { Framer, PduCodec, PduDump } from "@dicomnet/pdu"
import { Effect, LogLevel, Metric, Result, Stream } from "effect"
import { bytesReceivedTotal, bytesSentTotal } from "./Metrics.js"

/** The byte side of a connection: what the driver reads and how it writes (a transport `Connection` fits). */
export interface Io<E> {
  readonly input: Stream.Stream<Uint8Array, E>
  readonly write: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, E>
}

/** The connection's input and write, instrumented; `debug` tells whether PDUs are dumped. */
export interface Wire<E> extends Io<E> {
  readonly debug: boolean
}

const byteLength = (chunks: ReadonlyArray<Uint8Array>): number => {
  let n = 0
  for (const c of chunks) n += c.length
  return n
}

const dump = (direction: "sent" | "received", bytes: Uint8Array): Effect.Effect<void> => {
  const decoded = PduCodec.decode(bytes)
  const text = Result.isSuccess(decoded) ? PduDump.render(decoded.success) : `undecodable PDU (${bytes.length} bytes): ${decoded.failure.message}`
  return Effect.logDebug(`${direction === "sent" ? "sent" : "received"} PDU\n${text}`).pipe(Effect.annotateLogs({ direction }))
}

/** Instruments a connection for one association (client and server alike). */
export const make = <E>(connection: Io<E>): Effect.Effect<Wire<E>> =>
  Effect.gen(function* () {
    const debug = yield* LogLevel.isEnabled("Debug")
    const received = (chunk: Uint8Array) => Metric.update(bytesReceivedTotal, chunk.length)
    if (!debug) {
      // The byte counters are updated synchronously, once per read batch and once per write: no effect per chunk.
      const context = yield* Effect.context<never>()
      return {
        debug,
        input: Stream.mapArray(connection.input, (chunks) => {
          bytesReceivedTotal.updateUnsafe(byteLength(chunks), context)
          return chunks
        }),
        write: (chunks) =>
          Effect.map(connection.write(chunks), () => {
            bytesSentTotal.updateUnsafe(byteLength(chunks), context)
          })
      }
    }
    // Debug: a second framer over the input renders every received PDU (limits are the driver's business).
    const framer = Framer.make({ maxPduLength: 0xffffffff })
    let framingFailed = false
    return {
      debug,
      input: connection.input.pipe(
        Stream.tap((chunk) =>
          Effect.andThen(received(chunk), () => {
            if (framingFailed) return Effect.void
            const r = framer.push(chunk)
            if (Result.isFailure(r)) {
              framingFailed = true
              return Effect.logDebug(`received bytes that do not frame as PDUs: ${r.failure.message}`).pipe(
                Effect.annotateLogs({ direction: "received" })
              )
            }
            return Effect.forEach(r.success, (pdu) => Effect.logDebug(`received PDU\n${PduDump.render(pdu)}`).pipe(Effect.annotateLogs({ direction: "received" })), {
              discard: true
            })
          })
        )
      ),
      write: (chunks) =>
        Effect.gen(function* () {
          const bytes = Bytes.concat(chunks)
          yield* dump("sent", bytes)
          yield* connection.write(chunks)
          yield* Metric.update(bytesSentTotal, bytes.length)
        })
    }
  })
