import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Connection from "../src/Connection.js"

/** Primitives whose `tryWrite` takes everything at once, or leaves `pending` to wait for. */
const primitives = (pending?: Effect.Effect<void>) => {
  const written: Array<number> = []
  const p: Connection.Primitives = {
    pull: Cause.done(),
    write: () => Effect.void,
    tryWrite: (chunks) => {
      written.push(chunks.length)
      return pending
    },
    close: Effect.void,
    destroy: Effect.void,
    remoteAddress: "peer",
    localAddress: "local"
  }
  return { primitives: p, written }
}

describe("Connection.make · the write timer", () => {
  it("a write the transport takes at once completes synchronously: no timer, no fiber", () => {
    const { primitives: p, written } = primitives()
    const connection = Connection.make(p, { readIdle: undefined, write: 60_000 })
    const exit = Effect.runSyncExit(connection.write([new Uint8Array(3), new Uint8Array(4)]))
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(written).toEqual([2])
  })

  it.effect("a write that waits for the transport (backpressure) is bounded by the write timer", () =>
    Effect.gen(function*() {
      const { primitives: p } = primitives(Effect.never)
      const connection = Connection.make(p, { readIdle: undefined, write: 5_000 })
      const fiber = yield* Effect.forkChild(Effect.flip(connection.write([new Uint8Array(1)])))
      yield* TestClock.adjust("5 seconds")
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "TransportTimeout", timer: "write", millis: 5000 })
    }))
})
