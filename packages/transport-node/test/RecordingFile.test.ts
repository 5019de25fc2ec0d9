import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Recorder, Replay, Transport } from "@dicomnet/transport"
import { Effect, Stream } from "effect"
import { afterAll } from "vitest"
import { bytes, readAll, text } from "../../transport/test/suite/TransportSuite.js"
import { layerTcp } from "../src/NodeTransport.js"
import { readFile, toFile } from "../src/RecordingFile.js"

const dir = mkdtempSync(join(tmpdir(), "dicomnet-recording-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("Recordings on disk", () => {
  it.live("a TCP session recorded to a file replays from that file", () =>
    Effect.gen(function*() {
      const path = join(dir, "session.jsonl")
      yield* Effect.scoped(Effect.gen(function*() {
        const transport = yield* Transport.Transport
        const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, (c) =>
          Stream.runForEach(c.input, (chunk) => c.write([bytes(`[${text(chunk)}]`)])).pipe(Effect.ignore))
        const sink = yield* toFile(path)
        const connection = yield* Recorder.record(yield* transport.connect({ host: "127.0.0.1", port: listener.address.port }), sink)
        yield* connection.write([bytes("echo")])
        yield* connection.close
        expect(text(yield* readAll(connection))).toBe("[echo]")
      })).pipe(Effect.provide(layerTcp()))

      const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l).kind)
      expect(lines[0]).toBe("open")
      expect(lines).toContain("out")
      expect(lines).toContain("close")
      expect(lines.at(-1)).toBe("end")

      const replay = yield* Replay.connection(yield* readFile(path))
      yield* replay.connection.write([bytes("echo")])
      expect(text(yield* readAll(replay.connection))).toBe("[echo]")
    }))

  it.effect("reading a missing file fails with RecordingFileError naming the path", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(readFile(join(dir, "missing.jsonl")))
      expect(error._tag).toBe("RecordingFileError")
      expect(error._tag === "RecordingFileError" ? error.path : "").toContain("missing.jsonl")
    }))
})
