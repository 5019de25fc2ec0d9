import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as InMemory from "../src/InMemory.js"
import { Transport, layerInMemory } from "../src/Transport.js"
import { bytes, readAll, transportSuite } from "./suite/TransportSuite.js"

transportSuite({ name: "in-memory pipes", layer: () => layerInMemory(), host: "127.0.0.1", live: false })

describe("In-memory transport · timers (TestClock)", () => {
  it.effect("connect to a listener that never accepts fails with TransportTimeout connect", () =>
    Effect.gen(function*() {
      const transport = yield* InMemory.make()
      const listener = yield* transport.listenStalled({ host: "pacs", port: 104 })
      const fiber = yield* Effect.forkChild(Effect.flip(Effect.scoped(
        transport.connect({ host: "pacs", port: listener.address.port, timeouts: { connect: "5 seconds" } })
      )))
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      assert(error._tag === "TransportTimeout")
      expect(error.timer).toBe("connect")
      expect(error.millis).toBe(5000)
    }))

  it.effect("a write whose backpressure never clears fails with TransportTimeout write", () =>
    Effect.gen(function*() {
      const transport = yield* InMemory.make({ capacity: 2 })
      const listener = yield* transport.listen({ host: "pacs", port: 104 }, () => Effect.never)
      const connection = yield* transport.connect({ host: "pacs", port: listener.address.port, timeouts: { write: "10 seconds" } })
      let written = 0
      const fiber = yield* Effect.forkChild(Effect.flip(Effect.forever(
        Effect.tap(connection.write([new Uint8Array(16)]), () => Effect.sync(() => written++))
      )))
      // let the writer run until it blocks: the pipe holds two chunks, the third write waits
      for (let i = 0; i < 100 && written < 2; i++) yield* Effect.yieldNow
      yield* Effect.yieldNow
      expect(written).toBe(2)
      yield* TestClock.adjust("9 seconds")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert(error._tag === "TransportTimeout")
      expect(error.timer).toBe("write")
    }))

  it.effect("the read idle timer fails the input with TransportTimeout readIdle when the peer is silent", () =>
    Effect.gen(function*() {
      const transport = yield* InMemory.make()
      const listener = yield* transport.listen({ host: "pacs", port: 104 }, () => Effect.never)
      const connection = yield* transport.connect({ host: "pacs", port: listener.address.port, timeouts: { readIdle: "30 seconds" } })
      const fiber = yield* Effect.forkChild(Effect.flip(Stream.runDrain(connection.input)))
      yield* TestClock.adjust("30 seconds")
      const error = yield* Fiber.join(fiber)
      assert(error._tag === "TransportTimeout")
      expect(error.timer).toBe("readIdle")
    }))

  it.effect("the read idle timer is off by default", () =>
    Effect.gen(function*() {
      const transport = yield* InMemory.make()
      const listener = yield* transport.listen({ host: "pacs", port: 104 }, () => Effect.never)
      const connection = yield* transport.connect({ host: "pacs", port: listener.address.port })
      const fiber = yield* Effect.forkChild(Stream.runDrain(connection.input))
      yield* TestClock.adjust("1 day")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* Fiber.interrupt(fiber)
    }))
})

describe("In-memory transport · registry", () => {
  it.effect("each layer instance has its own listeners", () =>
    Effect.gen(function*() {
      const current = Effect.gen(function*() {
        return yield* Transport
      })
      const a = yield* Effect.provide(current, layerInMemory())
      const b = yield* Effect.provide(current, layerInMemory())
      const listener = yield* a.listen({ host: "pacs", port: 104 }, () => Effect.void)
      const error = yield* Effect.flip(Effect.scoped(b.connect({ host: "pacs", port: listener.address.port })))
      assert(error._tag === "TransportError")
      expect(error.reason).toBe("ConnectRefused")
    }))

  it.effect("a write after close fails with reason Closed", () =>
    Effect.gen(function*() {
      const transport = yield* InMemory.make()
      const listener = yield* transport.listen({ host: "pacs", port: 104 }, (c) => Effect.ignore(readAll(c)))
      const connection = yield* transport.connect({ host: "pacs", port: listener.address.port })
      yield* connection.close
      const error = yield* Effect.flip(connection.write([bytes("late")]))
      assert(error._tag === "TransportError")
      expect(error.reason).toBe("Closed")
    }))
})
