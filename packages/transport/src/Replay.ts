/**
 * Replays a recording as a `Connection`, so that a problem captured in the field becomes a test:
 * the input plays back the peer's recorded bytes, each chunk released only once we have written
 * as many bytes as had been written before it in the recording (the peer answered *after* our
 * request); our writes are collected and, by default, compared with the recorded ones.
 *
 * @since 0.1.0
 */
import { type Array as Arr, Cause, Effect } from "effect"
import * as Connection from "./Connection.js"
import type { Recording } from "./Recording.js"
import * as Timeouts from "./Timeouts.js"
import { TransportError } from "./TransportError.js"

/**
 * Replay options: `compare` (default true) fails a write that differs from the recording with
 * `TransportError` reason "ReplayMismatch"; `timeouts.readIdle` bounds the wait for our writes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly compare?: boolean | undefined
  readonly timeouts?: Timeouts.Timeouts | undefined
}

/**
 * A replayed connection and what was done with it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Replay {
  readonly connection: Connection.Connection
  /** All bytes written to the connection so far, concatenated. */
  readonly written: Effect.Effect<Uint8Array>
  /** How our side ended the connection so far. */
  readonly state: Effect.Effect<"open" | "closed" | "destroyed">
}

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  let length = 0
  for (const c of chunks) length += c.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.length
  }
  return out
}

/**
 * Builds a connection that plays back `recording` (see the module doc).
 *
 * @since 0.1.0
 * @category constructors
 */
export const connection = (recording: Recording, options?: Options): Effect.Effect<Replay> =>
  Effect.sync(() => {
    const compare = options?.compare ?? true
    const steps: Array<{ readonly bytes: Uint8Array; readonly outBefore: number }> = []
    const expectedChunks: Array<Uint8Array> = []
    let outSoFar = 0
    let terminal: "end" | "error" | "none" = "none"
    let localAddress = "replay:local"
    let remoteAddress = "replay:remote"
    for (const entry of recording) {
      switch (entry.kind) {
        case "open":
          localAddress = entry.localAddress
          remoteAddress = entry.remoteAddress
          break
        case "in":
          steps.push({ bytes: entry.bytes, outBefore: outSoFar })
          break
        case "out":
          expectedChunks.push(entry.bytes)
          outSoFar += entry.bytes.length
          break
        case "end":
          terminal = "end"
          break
        case "error":
          terminal = "error"
          break
        default:
          break
      }
    }
    const expected = concat(expectedChunks)
    const writtenChunks: Array<Uint8Array> = []
    let written = 0
    let next = 0
    let state: "open" | "closed" | "destroyed" = "open"
    let wake: (() => void) | undefined

    const closedError = () => new TransportError({ reason: "Closed", message: "replay connection ended", address: remoteAddress })

    const waitForWrites = (needed: number) =>
      Effect.callback<void>((resume) => {
        if (written >= needed || state === "destroyed") return resume(Effect.void)
        wake = () => {
          if (written >= needed || state === "destroyed") {
            wake = undefined
            resume(Effect.void)
          }
        }
        return Effect.sync(() => {
          wake = undefined
        })
      })

    const pull: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, TransportError | Cause.Done> = Effect.suspend((): Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, TransportError | Cause.Done> => {
      const step = steps[next]
      if (step === undefined) {
        return terminal === "error"
          ? Effect.fail(new TransportError({ reason: "Reset", message: "recorded input failure", address: remoteAddress }))
          : Cause.done()
      }
      return Effect.flatMap(waitForWrites(step.outBefore), (): Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, TransportError> => {
        if (state === "destroyed") return Effect.fail(closedError())
        next++
        return Effect.succeed([step.bytes])
      })
    })

    const write = (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) =>
      Effect.suspend(() => {
        if (state !== "open") return Effect.fail(closedError())
        for (const chunk of chunks) {
          if (compare) {
            for (let i = 0; i < chunk.length; i++) {
              const at = written + i
              if (at >= expected.length || expected[at] !== chunk[i]) {
                return Effect.fail(new TransportError({
                  reason: "ReplayMismatch",
                  message: at >= expected.length
                    ? `wrote more than the ${expected.length} recorded bytes (offset ${at})`
                    : `written byte differs from the recording at offset ${at}`,
                  address: remoteAddress
                }))
              }
            }
          }
          writtenChunks.push(chunk)
          written += chunk.length
        }
        wake?.()
        return Effect.void
      })

    const end = (to: "closed" | "destroyed") =>
      Effect.sync(() => {
        if (state === "destroyed") return
        state = to
        wake?.()
      })

    const conn = Connection.make({
      pull,
      write,
      close: end("closed"),
      destroy: end("destroyed"),
      localAddress,
      remoteAddress
    }, Timeouts.resolve(options?.timeouts))

    return {
      connection: conn,
      written: Effect.sync(() => concat(writtenChunks)),
      state: Effect.sync(() => state)
    }
  })
