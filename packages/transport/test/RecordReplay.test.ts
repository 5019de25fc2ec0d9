import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Recorder from "../src/Recorder.js"
import * as Recording from "../src/Recording.js"
import * as Replay from "../src/Replay.js"
import { layerInMemory, Transport } from "../src/Transport.js"
import type { Connection } from "../src/Connection.js"
import { bytes, concat, readAll, text } from "./suite/TransportSuite.js"

// A tiny request/response peer: answers each chunk with its upper-cased text.
const shout = (connection: Connection) =>
  Stream.runForEach(connection.input, (chunk) => connection.write([bytes(text(chunk).toUpperCase())])).pipe(Effect.ignore)

// The client conversation that is recorded and then replayed without the server.
const converse = (connection: Connection) =>
  Effect.gen(function*() {
    const replies: Array<string> = []
    const pull = connection.input.pipe(Stream.take(1), Stream.runCollect)
    for (const word of ["hello", "dicom"]) {
      yield* connection.write([bytes(word)])
      replies.push(text(concat(yield* pull)))
    }
    yield* connection.close
    return replies
  })

describe("Record and replay", () => {
  it.effect("Recording.encode/decode round-trips every entry kind through JSON lines", () =>
    Effect.gen(function*() {
      const recording: Recording.Recording = [
        { kind: "open", time: 1, localAddress: "10.0.0.1:5000", remoteAddress: "10.0.0.2:104" },
        { kind: "out", time: 2, bytes: new Uint8Array([1, 0, 0, 0, 0, 2, 0xff, 0]) },
        { kind: "in", time: 3, bytes: new Uint8Array([2, 0]) },
        { kind: "error", time: 4, message: "TransportError: reset" },
        { kind: "end", time: 5 },
        { kind: "close", time: 6 },
        { kind: "destroy", time: 7 }
      ]
      const encoded = Recording.encode(recording)
      expect(encoded.split("\n").length).toBe(8) // seven lines, each ending in a newline
      expect(encoded).toContain("\"bytes\":\"AQAAAAAC/wA=\"")
      expect(yield* Recording.decode(encoded)).toEqual(recording)
    }))

  it.effect("Recording.decode names the line of a bad entry", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Recording.decode("{\"kind\":\"end\",\"time\":1}\n{\"kind\":\"in\",\"time\":2}\n"))
      expect(error.line).toBe(2)
    }))

  it.effect("a recorded conversation replays without the peer and yields the same answers", () =>
    Effect.gen(function*() {
      const entries: Array<Recording.Entry> = []
      const live = yield* Effect.gen(function*() {
        const transport = yield* Transport
        const listener = yield* transport.listen({ host: "pacs", port: 104 }, shout)
        const connection = yield* transport.connect({ host: "pacs", port: listener.address.port })
        return yield* converse(yield* Recorder.record(connection, Recorder.toArray(entries)))
      }).pipe(Effect.scoped, Effect.provide(layerInMemory()))
      expect(live).toEqual(["HELLO", "DICOM"])
      expect(entries.map((e) => e.kind)).toEqual(["open", "out", "in", "out", "in", "close"])

      const recording = yield* Recording.decode(Recording.encode(entries))
      const replay = yield* Replay.connection(recording)
      expect(yield* converse(replay.connection)).toEqual(["HELLO", "DICOM"])
      expect(text(yield* replay.written)).toBe("hellodicom")
      expect(yield* replay.state).toBe("closed")
    }))

  it.effect("replay holds each recorded answer back until the request before it was written", () =>
    Effect.gen(function*() {
      const replay = yield* Replay.connection([
        { kind: "out", time: 0, bytes: bytes("ping") },
        { kind: "in", time: 1, bytes: bytes("pong") },
        { kind: "end", time: 2 }
      ])
      const reader = yield* Effect.forkChild(readAll(replay.connection))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      yield* TestClock.adjust("1 hour")
      expect(reader.pollUnsafe()).toBeUndefined() // nothing is answered before the request
      yield* replay.connection.write([bytes("ping")])
      expect(text(yield* Fiber.join(reader))).toBe("pong")
    }))

  it.effect("replay rejects a write that differs from the recording with reason ReplayMismatch", () =>
    Effect.gen(function*() {
      const replay = yield* Replay.connection([{ kind: "out", time: 0, bytes: bytes("A-ASSOCIATE") }])
      const error = yield* Effect.flip(replay.connection.write([bytes("A-ASSOCIATX")]))
      assert(error._tag === "TransportError")
      expect(error.reason).toBe("ReplayMismatch")
      expect(error.message).toContain("offset 10")
    }))
})
