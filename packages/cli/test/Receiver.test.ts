/** storescp's writer: Part 10 files placed by their own identifiers, complete or absent, collisions, ignore. */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Dataset, Part10 } from "@dicomnet/data"
import { Synth } from "@dicomnet/synth"
import { Dcmtk } from "@dicomnet/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Result, Stream } from "effect"
import * as Receiver from "../src/Receiver.js"

const [instance] = Synth.study({ instancesPerSeries: 1, rows: 16, columns: 16 })
const [file] = Synth.generate({ instancesPerSeries: 1, rows: 16, columns: 16 })

const incoming = (fragments: Stream.Stream<Uint8Array, unknown>) => {
  if (file === undefined) throw new Error("no synth file")
  const meta = Part10.readMeta(file.bytes)
  if (Result.isFailure(meta)) throw meta.failure
  return {
    sopClassUid: file.sopClassUid,
    sopInstanceUid: file.sopInstanceUid,
    transferSyntaxUid: meta.success.transferSyntaxUid,
    callingAeTitle: "MODALITY",
    dataset: fragments
  }
}

const datasetBytes = (): Uint8Array => {
  if (file === undefined) throw new Error("no synth file")
  const meta = Part10.readMeta(file.bytes)
  if (Result.isFailure(meta)) throw meta.failure
  return file.bytes.subarray(meta.success.datasetOffset)
}

/** The data set in fragments of 1000 bytes, as P-DATA would deliver it. */
const fragments = (bytes: Uint8Array): Stream.Stream<Uint8Array> =>
  Stream.fromIterable(Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000)))

const walk = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))

describe("storescp · writing a received instance", () => {
  it.effect("--layout study: Study/Series/SOPInstanceUID.dcm, a Part 10 file with the same data set", () =>
    Effect.gen(function*() {
      const dir = Dcmtk.tempDir("dicomnet-receiver-")
      try {
        const received = yield* Receiver.receive({ out: dir.path, layout: "study", collision: "overwrite", fsync: true }, incoming(fragments(datasetBytes())))
        expect(received.status).toBe(0)
        const study = instance?.dataset.uid("StudyInstanceUID") ?? ""
        const series = instance?.dataset.uid("SeriesInstanceUID") ?? ""
        expect(received.path).toBe(join(dir.path, study, series, `${file?.sopInstanceUid}.dcm`))
        expect(walk(dir.path)).toEqual([received.path])
        const decoded = Part10.decodeFile(new Uint8Array(readFileSync(received.path ?? "")))
        if (Result.isFailure(decoded)) throw decoded.failure
        expect(decoded.success.meta.meta.string("SourceApplicationEntityTitle")).toBe("MODALITY")
        expect(Dataset.equals(decoded.success.dataset, instance?.dataset ?? Dataset.empty)).toBe(true)
      } finally {
        dir.cleanup()
      }
    }))

  it.effect("receptions one after another (buffers reused): each file lands under its own study and series, with its own bytes", () =>
    Effect.gen(function*() {
      const dir = Dcmtk.tempDir("dicomnet-receiver-")
      try {
        // A larger object first (its head fills the reused buffer further), then smaller ones of other studies.
        const files = [
          ...Synth.generate({ seed: 31, instancesPerSeries: 1, rows: 64, columns: 64 }),
          ...Synth.generate({ seed: 32, instancesPerSeries: 1, rows: 8, columns: 8 }),
          ...Synth.generate({ seed: 33, instancesPerSeries: 1, rows: 8, columns: 8 })
        ]
        for (const f of files) {
          const decoded = Part10.decodeFile(f.bytes)
          if (Result.isFailure(decoded)) throw decoded.failure
          const data = f.bytes.subarray(decoded.success.meta.datasetOffset)
          const received = yield* Receiver.receive({ out: dir.path, layout: "study", collision: "overwrite", fsync: false }, {
            sopClassUid: f.sopClassUid,
            sopInstanceUid: f.sopInstanceUid,
            transferSyntaxUid: decoded.success.meta.transferSyntaxUid,
            callingAeTitle: "MODALITY",
            dataset: fragments(data)
          })
          const study = decoded.success.dataset.uid("StudyInstanceUID") ?? ""
          const series = decoded.success.dataset.uid("SeriesInstanceUID") ?? ""
          expect(received.path).toBe(join(dir.path, study, series, `${f.sopInstanceUid}.dcm`))
          const stored = Part10.decodeFile(new Uint8Array(readFileSync(received.path ?? "")))
          if (Result.isFailure(stored)) throw stored.failure
          expect(Dataset.equals(stored.success.dataset, decoded.success.dataset)).toBe(true)
        }
        expect(walk(dir.path)).toHaveLength(3)
      } finally {
        dir.cleanup()
      }
    }))

  it.effect("a transfer that fails midway leaves nothing behind and answers 0xC000", () =>
    Effect.gen(function*() {
      const dir = Dcmtk.tempDir("dicomnet-receiver-")
      try {
        const broken = Stream.concat(fragments(datasetBytes().subarray(0, 3000)), Stream.fail(new Error("association aborted")))
        const received = yield* Receiver.receive({ out: dir.path, layout: "flat", collision: "overwrite", fsync: false }, incoming(broken))
        expect(received.status).toBe(0xc000)
        expect(received.path).toBeUndefined()
        expect(walk(dir.path)).toEqual([])
      } finally {
        dir.cleanup()
      }
    }))

  it.effect("--on-collision keep answers success and keeps the first file; rename adds _1", () =>
    Effect.gen(function*() {
      const dir = Dcmtk.tempDir("dicomnet-receiver-")
      try {
        const options = { out: dir.path, layout: "flat", fsync: false } as const
        const first = yield* Receiver.receive({ ...options, collision: "keep" }, incoming(fragments(datasetBytes())))
        const kept = yield* Receiver.receive({ ...options, collision: "keep" }, incoming(fragments(datasetBytes())))
        expect(kept).toMatchObject({ status: 0, path: undefined, reason: "kept the existing file" })
        const renamed = yield* Receiver.receive({ ...options, collision: "rename" }, incoming(fragments(datasetBytes())))
        expect(renamed.path).toBe(first.path?.replace(/\.dcm$/, "_1.dcm"))
        expect(walk(dir.path).sort()).toEqual([first.path, renamed.path].sort())
      } finally {
        dir.cleanup()
      }
    }))

  it.effect("a data set larger than the write buffer: gathered, flushed and written directly, the file is byte for byte the same", () =>
    Effect.gen(function*() {
      const dir = Dcmtk.tempDir("dicomnet-receiver-")
      try {
        const data = datasetBytes()
        expect(data.length).toBeGreaterThan(1000)
        // Buffers of 700 bytes: 1000-byte fragments fill one alone (direct writes) and 300-byte ones are gathered.
        for (const size of [1000, 300]) {
          const pieces = Stream.fromIterable(Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size)))
          const received = yield* Receiver.receive(
            { out: dir.path, layout: "flat", collision: "overwrite", fsync: false, writeBufferBytes: 700 },
            incoming(pieces)
          )
          expect([received.status, received.bytes]).toEqual([0, data.length])
          const stored = new Uint8Array(readFileSync(received.path ?? ""))
          const meta = Part10.readMeta(stored)
          if (Result.isFailure(meta)) throw meta.failure
          expect(Buffer.compare(stored.subarray(meta.success.datasetOffset), data)).toBe(0)
        }
        expect(walk(dir.path).length).toBe(1)
      } finally {
        dir.cleanup()
      }
    }))

  it.effect("a data set that fits the write buffer creates no file before it is complete; a larger one is written as it comes", () =>
    Effect.gen(function*() {
      const dir = Dcmtk.tempDir("dicomnet-receiver-")
      try {
        const data = datasetBytes()
        for (const writeBufferBytes of [1024 * 1024, 700]) {
          let seen: Array<string> = []
          // An empty fragment at the end looks at the directory while the data set is still arriving.
          const look = Stream.fromEffect(Effect.sync(() => {
            seen = readdirSync(dir.path)
            return new Uint8Array(0)
          }))
          const received = yield* Receiver.receive(
            { out: dir.path, layout: "flat", collision: "overwrite", fsync: false, writeBufferBytes },
            incoming(Stream.concat(fragments(data), look))
          )
          expect([received.status, received.bytes]).toEqual([0, data.length])
          if (writeBufferBytes > data.length) expect(seen).toEqual([])
          else expect(seen.filter((name) => name.endsWith(".part"))).toHaveLength(1)
          expect(walk(dir.path)).toEqual([received.path])
          const stored = new Uint8Array(readFileSync(received.path ?? ""))
          const meta = Part10.readMeta(stored)
          if (Result.isFailure(meta)) throw meta.failure
          expect(Buffer.compare(stored.subarray(meta.success.datasetOffset), data)).toBe(0)
        }
      } finally {
        dir.cleanup()
      }
    }))

  it.effect("--ignore: the data set is read and dropped, success", () =>
    Effect.gen(function*() {
      const received = yield* Receiver.receive({ out: undefined, layout: "flat", collision: "overwrite", fsync: false }, incoming(fragments(datasetBytes())))
      expect(received).toMatchObject({ status: 0, path: undefined, bytes: datasetBytes().length })
      expect(existsSync("undefined")).toBe(false)
    }))
})
