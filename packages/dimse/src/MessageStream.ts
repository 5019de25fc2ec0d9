/**
 * Effect Stream adapters over the `Assembler`: PDVs in, DIMSE message events or whole messages out.
 *
 * Backpressure: both adapters are pull-based and buffer nothing beyond the events of one upstream chunk.
 * A PDV is read only when the consumer pulls an event, a message, or a chunk of a message's data set.
 *
 * @since 0.1.0
 */
import { Bytes } from "@dicomnet/data"
import type { PDataTf, Pdv } from "@dicomnet/pdu"
import { Cause, Effect, Pull, Result, Stream } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Assembler from "./Assembler.js"
import type * as Command from "./Command.js"
import { type AssemblerError, DatasetTooLarge } from "./DimseError.js"

/** The PDVs of a stream of P-DATA-TF PDUs, in order. @since 0.1.0 @category constructors */
export const pdvs = <E, R>(pdus: Stream.Stream<PDataTf, E, R>): Stream.Stream<Pdv, E, R> =>
  Stream.flattenIterable(Stream.map(pdus, (pdu) => pdu.pdvs))

/**
 * The flat event stream of the assembler (`Command`, `Data`..., `MessageComplete` per message). Fails
 * with the first protocol or decode error, and with `IncompleteMessage` when the PDVs end inside a message.
 *
 * @since 0.1.0
 * @category streams
 */
export const events = <E, R>(
  input: Stream.Stream<Pdv, E, R>,
  options?: Assembler.Options
): Stream.Stream<Assembler.AssemblerEvent, E | AssemblerError, R> =>
  Stream.transformPull(input, (pull) =>
    Effect.sync(() => {
      const assembler = Assembler.make(options)
      const atEnd: Pull.Pull<never, AssemblerError> = Effect.suspend((): Pull.Pull<never, AssemblerError> => {
        const r = assembler.end()
        return Result.isFailure(r) ? Effect.fail(r.failure) : Cause.done()
      })
      // Events completed before a failure in the same chunk are emitted first; the failure follows on the next pull.
      let pending: AssemblerError | undefined
      const next: Pull.Pull<NonEmptyReadonlyArray<Assembler.AssemblerEvent>, E | AssemblerError> = Effect.suspend(() => {
        if (pending !== undefined) return Effect.fail(pending)
        return pull.pipe(
          Pull.catchDone(() => atEnd),
          Effect.flatMap((chunk) => {
            const out: Array<Assembler.AssemblerEvent> = []
            for (const pdv of chunk) {
              const r = assembler.feed(pdv)
              if (Result.isFailure(r)) {
                if (out.length === 0) return Effect.fail(r.failure)
                pending = r.failure
                break
              }
              for (const event of r.success) out.push(event)
            }
            return out.length === 0 ? next : Effect.succeed(out as unknown as NonEmptyReadonlyArray<Assembler.AssemblerEvent>)
          })
        )
      })
      return next
    })
  )

/**
 * One DIMSE message: its command and, when the command announces one, its data set as a stream of
 * fragments (views into the received PDUs, never concatenated).
 *
 * @since 0.1.0
 * @category models
 */
export interface DimseMessage<E = never> {
  readonly presentationContextId: number
  readonly command: Command.DimseCommand
  readonly dataset: Stream.Stream<Uint8Array, E | AssemblerError> | undefined
}

/**
 * The messages of a PDV stream, each with its data set as a nested stream.
 *
 * Backpressure and ordering: the data set stream reads PDVs from the same source, so consume it before
 * pulling the next message. Pulling the next message first discards what is left of the data set; pulling
 * a data set after its message was passed is a defect. Do not buffer or prefetch this stream's messages
 * (no `Stream.buffer`, no concurrent `mapEffect`): a message is live only until the next one is pulled.
 * An error met while reading a data set fails both the data set stream and the message stream.
 *
 * @since 0.1.0
 * @category streams
 */
export const messages = <E, R>(
  input: Stream.Stream<Pdv, E, R>,
  options?: Assembler.Options
): Stream.Stream<DimseMessage<E>, E | AssemblerError, R> =>
  Stream.transformPull(events(input, options), (pull) =>
    Effect.sync(() => {
      let buffer: ReadonlyArray<Assembler.AssemblerEvent> = []
      let index = 0
      let failure: E | AssemblerError | undefined
      let failed = false
      let generation = 0
      const nextEvent: Pull.Pull<Assembler.AssemblerEvent, E | AssemblerError> = Effect.suspend(() => {
        if (failed) return Effect.fail(failure as E | AssemblerError)
        const buffered = buffer[index]
        if (buffered !== undefined) {
          index++
          return Effect.succeed(buffered)
        }
        return pull.pipe(
          Effect.map((chunk) => {
            buffer = chunk
            index = 1
            return chunk[0]
          }),
          Effect.tapError((e) =>
            Effect.sync(() => {
              if (!Cause.isDone(e)) {
                failed = true
                failure = e as E | AssemblerError
              }
            })
          )
        )
      })
      const datasetOf = (own: number): Stream.Stream<Uint8Array, E | AssemblerError> => {
        let finished = false
        const chunk: Pull.Pull<NonEmptyReadonlyArray<Uint8Array>, E | AssemblerError> = Effect.suspend(() => {
          if (finished) return Cause.done()
          if (own !== generation) {
            return Effect.die(new Error("a DIMSE data set was read after the next message had been pulled"))
          }
          return Effect.flatMap(nextEvent, (event) => {
            if (event._tag !== "Data") {
              // The assembler emits MessageComplete only after the last Data event, so this is end of data.
              finished = true
              return Cause.done()
            }
            if (event.isLast) finished = true
            return Effect.succeed([event.data] as const)
          })
        })
        return Stream.fromPull(Effect.succeed(chunk))
      }
      // Skips whatever remains of the previous message (unread data, MessageComplete) up to the next command.
      const nextMessage: Pull.Pull<NonEmptyReadonlyArray<DimseMessage<E>>, E | AssemblerError> = Effect.flatMap(
        nextEvent,
        (event) => {
          if (event._tag !== "Command") return nextMessage
          generation++
          const message: DimseMessage<E> = {
            presentationContextId: event.presentationContextId,
            command: event.command,
            dataset: event.command.hasDataset ? datasetOf(generation) : undefined
          }
          return Effect.succeed([message] as const)
        }
      )
      return Effect.suspend(() => {
        generation++ // the previous message's data set is no longer readable
        return nextMessage
      })
    })
  )

/**
 * Concatenates data set fragments into one buffer (for small data sets a handler wants whole, such as
 * C-FIND identifiers); fails with `DatasetTooLarge` as soon as more than `maxLength` bytes arrive, so
 * memory stays bounded. A single fragment is returned as is, without a copy.
 *
 * @since 0.1.0
 * @category streams
 */
export const collect = <E, R>(
  dataset: Stream.Stream<Uint8Array, E, R>,
  maxLength: number
): Effect.Effect<Uint8Array, E | DatasetTooLarge, R> =>
  Effect.suspend(() => {
    const parts: Array<Uint8Array> = []
    let length = 0
    return dataset.pipe(
      Stream.runForEachArray((chunk) => {
        for (const part of chunk) {
          length += part.byteLength
          if (length > maxLength) return Effect.fail(new DatasetTooLarge({ length, maxLength }))
          if (part.byteLength > 0) parts.push(part)
        }
        return Effect.void
      }),
      Effect.map(() => Bytes.concat(parts, length))
    )
  })
