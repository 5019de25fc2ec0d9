/**
 * C-STORE end to end (PS3.4 Annex B): our Store SCU against our storage SCP (Storage.toDirectory), in
 * memory and over TCP, and against DCMTK 3.6.7 (storescp as SCP, storescu as SCU; dcmdump compares the
 * objects). DCMTK must be installed: those tests fail (never skip) without it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Association, DimseFailure, Echo, Store } from "@dicomnet/client"
import { DatasetCodec, Part10, SopClass, TransferSyntax } from "@dicomnet/data"
import { DicomServer, Storage } from "@dicomnet/server"
import { Synth } from "@dicomnet/synth"
import { Dcmtk } from "@dicomnet/testkit"
import { Transport } from "@dicomnet/transport"
import { NodeTransport } from "@dicomnet/transport-node"
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, expect, it } from "@effect/vitest"
import { Data, Effect, Fiber, FileSystem, Layer, Result, Stream } from "effect"

class SourceFailed extends Data.TaggedError("SourceFailed")<{}> {}

const CT = "1.2.840.10008.5.1.4.1.1.2"
const temps: Array<{ cleanup: () => void }> = []
const tempDir = (prefix: string) => {
  const t = Dcmtk.tempDir(prefix)
  temps.push(t)
  return t.path
}
afterAll(() => {
  for (const t of temps) t.cleanup()
})

/** Synthetic Part 10 files written to a fresh directory. */
const synthFiles = (options: Synth.SynthOptions) => {
  const dir = tempDir("dicomnet-src-")
  return Array.from(Synth.generate({ layout: "flat", ...options })).map((f) => {
    const path = join(dir, f.path)
    writeFileSync(path, f.bytes)
    return { ...f, path, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian as string }
  })
}

/** The data set bytes of a Part 10 file (what follows the meta header). */
const datasetOf = (bytes: Uint8Array): Uint8Array => {
  const meta = Part10.readMeta(bytes)
  assert(Result.isSuccess(meta))
  return bytes.subarray(meta.success.datasetOffset)
}

/** Every regular file under `dir`, recursively. */
const filesUnder = (dir: string): Array<string> =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]
      )
    : []

type Env = Transport.Transport | FileSystem.FileSystem
const layers: ReadonlyArray<readonly [string, Layer.Layer<Transport.Transport>, string]> = [
  ["in memory", Transport.layerInMemory(), "peer"],
  ["over TCP", NodeTransport.layerTcp(), "127.0.0.1"]
]

/** A server storing into `directory` (or with the given handlers), and an association to it. */
const withStorage = <A, E>(
  host: string,
  serverOptions: Partial<DicomServer.ServerOptions>,
  contexts: ReadonlyArray<Association.ContextRequest>,
  body: (association: Association.Association, server: DicomServer.DicomServerShape) => Effect.Effect<A, E, Env>
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const server = yield* DicomServer.make({ host, port: host === "peer" ? 104 : 0, aeTitle: "OURSCP", ...serverOptions })
      const association = yield* Association.request({
        host,
        port: server.address.port,
        calledAeTitle: "OURSCP",
        contexts,
        timeouts: { artim: "10 seconds", dimse: "30 seconds" }
      })
      return yield* body(association, server)
    })
  )

const toDirectory = (directory: string, layout: Storage.Layout = "study") =>
  Storage.toDirectory({ directory, layout }).pipe(Effect.provide(NodeServices.layer))

describe("Store · C-STORE end to end with our SCP (Storage.toDirectory)", () => {
  for (const [name, layer, host] of layers) {
    it.live(`${name}: files whose transfer syntax is accepted go byte for byte into <study>/<series>/<sop>.dcm`, () =>
      Effect.gen(function* () {
        const files = synthFiles({ seed: 11, instancesPerSeries: 2, seriesPerStudy: 2, rows: 64, columns: 64 })
        const out = tempDir("dicomnet-store-")
        const store = yield* toDirectory(out)
        const contexts = yield* Store.contextsForFiles(files.map((f) => f.path))
        // One context per (SOP class, transfer syntax) present, proposed alone, plus the uncompressed fallback.
        expect(contexts).toEqual([
          { abstractSyntax: CT, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian] },
          { abstractSyntax: CT, transferSyntaxes: Store.fallbackTransferSyntaxes }
        ])
        const results = yield* withStorage(host, { handlers: { store } }, contexts, (association) =>
          Effect.forEach(files, (f) => Store.file(association, f.path))
        )
        expect(results.map((r) => [r.status, r.warning, r.transcoded])).toEqual(files.map(() => [0, false, false]))
        for (const f of files) {
          const instance = Array.from(Synth.study({ seed: 11, instancesPerSeries: 2, seriesPerStudy: 2, rows: 64, columns: 64 })).find(
            (i) => i.meta.mediaStorageSopInstanceUid === f.sopInstanceUid
          )
          const study = instance?.dataset.uid("StudyInstanceUID") ?? ""
          const series = instance?.dataset.uid("SeriesInstanceUID") ?? ""
          const stored = readFileSync(join(out, study, series, `${f.sopInstanceUid}.dcm`))
          expect(Buffer.compare(datasetOf(stored), datasetOf(f.bytes))).toBe(0)
          const meta = Part10.readMeta(stored)
          assert(Result.isSuccess(meta))
          expect([meta.success.mediaStorageSopInstanceUid, meta.success.transferSyntaxUid]).toEqual([f.sopInstanceUid, TransferSyntax.ExplicitVRLittleEndian])
        }
        // No temporary file stays behind.
        expect(filesUnder(out).filter((p) => p.endsWith(".part"))).toEqual([])
      }).pipe(Effect.provide([layer, NodeServices.layer]))
    )
  }

  it.live("over TCP: a 12 MB object streams through 16 KiB PDUs and is stored byte for byte (Store.stream)", () =>
    Effect.gen(function* () {
      const [file] = synthFiles({ seed: 12, instancesPerSeries: 1, rows: 2048, columns: 3072 })
      assert(file !== undefined)
      const source = datasetOf(file.bytes)
      expect(source.length).toBeGreaterThan(12_000_000)
      const out = tempDir("dicomnet-big-")
      const store = yield* toDirectory(out, "flat")
      const chunks = Stream.fromIterable(
        Array.from({ length: Math.ceil(source.length / 100_000) }, (_, i) => source.subarray(i * 100_000, (i + 1) * 100_000))
      )
      const result = yield* withStorage(
        "127.0.0.1",
        { handlers: { store }, maxPduLength: 16384 },
        Store.contextsFor([file]),
        (association) =>
          Store.stream(association, {
            sopClassUid: file.sopClassUid,
            sopInstanceUid: file.sopInstanceUid,
            transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
            data: chunks
          })
      )
      expect(result.status).toBe(0)
      const stored = readFileSync(join(out, `${file.sopInstanceUid}.dcm`))
      expect(Buffer.compare(datasetOf(stored), source)).toBe(0)
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("transcodes to an accepted uncompressed syntax when the file's own syntax was not accepted", () =>
    Effect.gen(function* () {
      const [file] = synthFiles({ seed: 13, instancesPerSeries: 1, rows: 32, columns: 32 })
      assert(file !== undefined)
      const out = tempDir("dicomnet-transcode-")
      const store = yield* toDirectory(out, "flat")
      const result = yield* withStorage(
        "127.0.0.1",
        { handlers: { store }, acceptance: { contexts: [{ abstractSyntax: CT, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] }] } },
        Store.contextsFor([file]),
        (association) => Store.file(association, file.path)
      )
      expect([result.status, result.transcoded, result.transferSyntaxUid]).toEqual([0, true, TransferSyntax.ImplicitVRLittleEndian])
      const stored = Part10.decodeFile(readFileSync(join(out, `${file.sopInstanceUid}.dcm`)))
      const original = Part10.decodeFile(file.bytes)
      assert(Result.isSuccess(stored) && Result.isSuccess(original))
      expect(stored.success.meta.transferSyntaxUid).toBe(TransferSyntax.ImplicitVRLittleEndian)
      expect(stored.success.dataset.uid("SOPInstanceUID")).toBe(file.sopInstanceUid)
      const reencoded = DatasetCodec.encode(stored.success.dataset, TransferSyntax.ExplicitVRLittleEndian)
      const expected = DatasetCodec.encode(original.success.dataset, TransferSyntax.ExplicitVRLittleEndian)
      assert(Result.isSuccess(reencoded) && Result.isSuccess(expected))
      expect(Buffer.compare(reencoded.success, expected.success)).toBe(0)
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("on one association, objects in different syntaxes each get their own context, every time (the choice is remembered per association)", () =>
    Effect.gen(function* () {
      const files = synthFiles({ seed: 15, instancesPerSeries: 4, rows: 8, columns: 8 })
      const decoded = files.map((f) => Part10.decodeFile(f.bytes))
      const implicit = decoded.map((d) => {
        assert(Result.isSuccess(d))
        const bytes = DatasetCodec.encode(d.success.dataset, TransferSyntax.ImplicitVRLittleEndian)
        assert(Result.isSuccess(bytes))
        return bytes.success
      })
      const results = yield* withStorage(
        "127.0.0.1",
        { handlers: { store: Storage.ignore }, acceptance: { contexts: [{ abstractSyntax: CT, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] }] } },
        Store.contextsFor([{ sopClassUid: CT, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian }]),
        (association) =>
          Effect.gen(function* () {
            const out: Array<readonly [boolean, string]> = []
            for (const [i, file] of files.entries()) {
              // Alternating: Explicit LE (transcoded: only Implicit LE was accepted), then Implicit LE (sent as it is).
              const explicitSource = i % 2 === 0
              const data = explicitSource ? datasetOf(file.bytes) : implicit[i]
              assert(data !== undefined)
              const result = yield* Store.stream(association, {
                sopClassUid: CT,
                sopInstanceUid: file.sopInstanceUid,
                transferSyntaxUid: explicitSource ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian,
                data: Stream.make(data)
              })
              out.push([result.transcoded, result.transferSyntaxUid])
            }
            const unknown = { sopClassUid: "1.2.3.4", sopInstanceUid: "1.2.3.4.5", transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, data: Stream.empty }
            const first = yield* Effect.flip(Store.stream(association, unknown))
            const again = yield* Effect.flip(Store.stream(association, unknown))
            return { out, failures: [first, again] }
          })
      )
      expect(results.out).toEqual([
        [true, TransferSyntax.ImplicitVRLittleEndian],
        [false, TransferSyntax.ImplicitVRLittleEndian],
        [true, TransferSyntax.ImplicitVRLittleEndian],
        [false, TransferSyntax.ImplicitVRLittleEndian]
      ])
      for (const failure of results.failures) {
        expect(failure).toMatchObject({ _tag: "PresentationContextNotAccepted", sopClassUid: "1.2.3.4", transferSyntax: TransferSyntax.ExplicitVRLittleEndian })
      }
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("fails with PresentationContextNotAccepted naming SOP class and transfer syntax when no context fits", () =>
    Effect.gen(function* () {
      const [file] = synthFiles({ seed: 14, instancesPerSeries: 1, rows: 16, columns: 16 })
      assert(file !== undefined)
      const error = yield* withStorage("127.0.0.1", {}, [{ abstractSyntax: SopClass.Verification }], (association) =>
        Effect.flip(Store.file(association, file.path))
      )
      expect(error).toMatchObject({ _tag: "PresentationContextNotAccepted", sopClassUid: CT, transferSyntax: TransferSyntax.ExplicitVRLittleEndian })
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("a warning status is surfaced; a failing handler is answered 0110H (DimseFailure) and the association goes on", () =>
    Effect.gen(function* () {
      const files = synthFiles({ seed: 15, instancesPerSeries: 2, rows: 16, columns: 16 })
      let calls = 0
      const store: Storage.StoreHandler = (request) =>
        Effect.gen(function* () {
          yield* Stream.runDrain(request.dataset)
          if (++calls === 1) return 0xb000
          return yield* Effect.fail("no space in the archive")
        })
      const [warned, failed, echo] = yield* withStorage("127.0.0.1", { handlers: { store } }, [...Store.contextsFor(files), { abstractSyntax: SopClass.Verification }], (association) =>
        Effect.all([Store.file(association, files[0]?.path ?? ""), Effect.flip(Store.file(association, files[1]?.path ?? "")), Echo.echo(association)])
      )
      expect([warned.status, warned.warning, warned.description]).toEqual([0xb000, true, expect.stringContaining("0xB000")])
      assert.instanceOf(failed, DimseFailure)
      expect([failed.status, failed.service]).toEqual([0x0110, "C-STORE"])
      expect(echo.status).toBe(0)
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("a file larger than one read goes out from the preloaded start, then from disk in whole fragments, byte for byte", () =>
    Effect.gen(function* () {
      const [file] = synthFiles({ seed: 18, instancesPerSeries: 1, rows: 256, columns: 256 })
      assert(file !== undefined)
      const out = tempDir("dicomnet-steps-")
      const store = yield* toDirectory(out, "flat")
      // 16 KiB PDUs and 40,000-byte reads: the preloaded part ends mid-fragment, the rest takes several steps.
      const loaded = yield* Store.preload(file.path, { readSize: 40_000 })
      expect([loaded.size, loaded.data.length, loaded.info.sopInstanceUid]).toEqual([file.bytes.length, 40_000 - loaded.info.datasetOffset, file.sopInstanceUid])
      const result = yield* withStorage("127.0.0.1", { handlers: { store }, maxPduLength: 16384 }, Store.contextsFor([file]), (association) =>
        Store.preloaded(association, loaded))
      expect([result.status, result.transcoded]).toEqual([0, false])
      const stored = readFileSync(join(out, `${file.sopInstanceUid}.dcm`))
      expect(Buffer.compare(datasetOf(stored), datasetOf(file.bytes))).toBe(0)
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("the steps of a large file's rest set off a minor collection per 1 MiB of them; a file preloaded whole none", () =>
    Effect.gen(function* () {
      // Exposed for this test only (vitest runs without --expose-gc). The in-memory transport reports no reads, so
      // only the file steps count, plus what their counter held from an earlier test (less than 1 MiB: one more at most).
      const calls: Array<unknown> = []
      const global = globalThis as { gc?: unknown }
      yield* Effect.acquireRelease(Effect.sync(() => (global.gc = (options: unknown) => void calls.push(options))), () => Effect.sync(() => delete global.gc))
      const [file] = synthFiles({ seed: 21, instancesPerSeries: 1, rows: 2048, columns: 2048 })
      assert(file !== undefined)
      const whole = yield* Store.preload(file.path, { readSize: file.bytes.length })
      const stepped = yield* Store.preload(file.path, { readSize: 1024 * 1024 })
      const [before, during] = yield* withStorage("peer", { handlers: { store: (request) => Effect.as(Stream.runDrain(request.dataset), 0) } }, Store.contextsFor([file]), (association) =>
        Effect.gen(function* () {
          yield* Store.preloaded(association, whole)
          const before = calls.length
          yield* Store.preloaded(association, stepped)
          return [before, calls.length - before] as const
        }))
      expect(before).toBe(0)
      // The rest: the file from the end of the preloaded part's whole fragments on.
      const maxPdu = DicomServer.defaults.maxPduLength
      const fragment = maxPdu - 6
      const rest = file.bytes.length - stepped.info.datasetOffset - Math.floor(stepped.data.length / fragment) * fragment
      expect(rest).toBeGreaterThan(8 * 1024 * 1024 - 1024 * 1024)
      const mib = 1024 * 1024
      expect([Math.floor(rest / mib), Math.floor(rest / mib) + 1]).toContain(during)
      expect(new Set(calls.map((c) => JSON.stringify(c)))).toEqual(new Set(['{"type":"minor"}']))
    }).pipe(Effect.provide([Transport.layerInMemory(), NodeServices.layer]))
  )

  it.live("the rest of a large file is read once, in whole-fragment steps, in order, one read at a time", () =>
    Effect.gen(function* () {
      const [file] = synthFiles({ seed: 20, instancesPerSeries: 1, rows: 256, columns: 256 })
      assert(file !== undefined)
      const out = tempDir("dicomnet-reads-")
      const store = yield* toDirectory(out, "flat")
      // The node file system, with each read of an opened file recorded: where, how much, and how many at once.
      const reads: Array<readonly [number, number]> = []
      let running = 0
      let mostAtOnce = 0
      const recorded = Layer.effect(
        FileSystem.FileSystem,
        Effect.map(FileSystem.FileSystem, (fs): FileSystem.FileSystem => ({
          ...fs,
          open: (path, options) =>
            Effect.map(fs.open(path, options), (opened) => {
              const file: FileSystem.File = Object.create(opened)
              return Object.assign(file, {
                readAlloc: (size: number, readOptions?: FileSystem.File.ReadOptions) => {
                  reads.push([Number(readOptions?.position ?? -1), size])
                  mostAtOnce = Math.max(mostAtOnce, ++running)
                  return Effect.ensuring(opened.readAlloc(size, readOptions), Effect.sync(() => running--))
                }
              })
            })
        }))
      ).pipe(Layer.provide(NodeServices.layer))
      const loaded = yield* Store.preload(file.path, { readSize: 40_000 })
      const result = yield* withStorage("127.0.0.1", { handlers: { store }, maxPduLength: 16384 }, Store.contextsFor([file]), (association) =>
        Store.preloaded(association, loaded).pipe(Effect.provide(recorded)))
      expect(result.status).toBe(0)
      // Steps of whole fragments (a 16 KiB PDU's length less its PDV item's 6-byte header) from the end of the
      // preloaded whole fragments to the end of the file.
      const fragment = 16384 - 6
      const start = loaded.info.datasetOffset + Math.floor(loaded.data.length / fragment) * fragment
      const step = Math.floor(40_000 / fragment) * fragment
      const expected: Array<readonly [number, number]> = []
      for (let at = start; at < file.bytes.length; at += step) expected.push([at, Math.min(step, file.bytes.length - at)])
      expect(reads).toEqual(expected)
      expect(mostAtOnce).toBe(1)
      expect(Buffer.compare(datasetOf(readFileSync(join(out, `${file.sopInstanceUid}.dcm`))), datasetOf(file.bytes))).toBe(0)
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.effect("preload of a file that is not there fails with the PlatformError (NotFound), nothing is sent", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Store.preload(join(tempDir("dicomnet-missing-"), "gone.dcm")))
      expect(error).toMatchObject({ _tag: "PlatformError" })
      expect(error.message).toContain("gone.dcm")
    }).pipe(Effect.provide(NodeServices.layer))
  )

  it.live("preload with the file's description known (from a scan) reads the data set only, into a given buffer, and it is stored byte for byte", () =>
    Effect.gen(function* () {
      const files = synthFiles({ seed: 19, instancesPerSeries: 2, rows: 64, columns: 64 })
      const out = tempDir("dicomnet-known-")
      const store = yield* toDirectory(out, "flat")
      const infos = yield* Effect.forEach(files, (f) => Store.describe(f.path))
      // One buffer for both files, reused once the first was answered; a buffer too small is not used.
      const buffer = new Uint8Array(1024 * 1024)
      const results = yield* withStorage("127.0.0.1", { handlers: { store } }, Store.contextsFor(files), (association) =>
        Effect.forEach(infos, (info) =>
          Effect.flatMap(Store.preload(info.path, { info, buffer }), (loaded) => {
            expect(loaded.data.length).toBe(loaded.size - info.datasetOffset)
            expect(loaded.data.buffer).toBe(buffer.buffer)
            return Store.preloaded(association, loaded)
          })))
      expect(results.map((r) => r.status)).toEqual([0, 0])
      const small = yield* Store.preload(files[0]?.path ?? "", { buffer: new Uint8Array(16) })
      expect(small.data.buffer).not.toBe(buffer.buffer)
      expect(Buffer.compare(small.data, datasetOf(files[0]?.bytes ?? new Uint8Array(0)))).toBe(0)
      for (const f of files) {
        expect(Buffer.compare(datasetOf(readFileSync(join(out, `${f.sopInstanceUid}.dcm`))), datasetOf(f.bytes))).toBe(0)
      }
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("a disk error (the output directory is a regular file) answers A700H and the server still answers C-ECHO", () =>
    Effect.gen(function* () {
      const [file] = synthFiles({ seed: 16, instancesPerSeries: 1, rows: 16, columns: 16 })
      assert(file !== undefined)
      const notADirectory = join(tempDir("dicomnet-disk-"), "plain-file")
      writeFileSync(notADirectory, "x")
      const store = yield* toDirectory(notADirectory, "flat")
      const [failed, echo] = yield* withStorage("127.0.0.1", { handlers: { store } }, [...Store.contextsFor([file]), { abstractSyntax: SopClass.Verification }], (association) =>
        Effect.all([Effect.flip(Store.file(association, file.path)), Echo.echo(association)])
      )
      expect(failed).toMatchObject({ _tag: "DimseFailure", status: 0xa700 })
      expect(echo.status).toBe(0)
      expect(statSync(notADirectory).isFile()).toBe(true)
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("a transfer aborted mid data set leaves no file (the client's source fails: MessageInterrupted -> A-ABORT)", () =>
    Effect.gen(function* () {
      const [file] = synthFiles({ seed: 17, instancesPerSeries: 1, rows: 512, columns: 512 })
      assert(file !== undefined)
      const out = tempDir("dicomnet-abort-")
      mkdirSync(out, { recursive: true })
      const store = yield* toDirectory(out, "flat")
      const source = datasetOf(file.bytes)
      const data = Stream.concat(Stream.make(source.subarray(0, 100_000), source.subarray(100_000, 200_000)), Stream.fail(new SourceFailed()))
      const events = yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* DicomServer.make({ host: "127.0.0.1", port: 0, aeTitle: "OURSCP", handlers: { store } })
          const seen = yield* Effect.forkChild(
            Stream.runCollect(Stream.takeUntil(yield* server.subscribe, (e) => e._tag === "AssociationAborted" || e._tag === "AssociationReleased"))
          )
          const error = yield* Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({
                host: "127.0.0.1",
                port: server.address.port,
                calledAeTitle: "OURSCP",
                contexts: Store.contextsFor([file])
              })
              return yield* Effect.flip(
                Store.stream(association, { sopClassUid: file.sopClassUid, sopInstanceUid: file.sopInstanceUid, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, data })
              )
            })
          )
          expect(error._tag).toBe("SourceFailed")
          return yield* Fiber.join(seen)
        })
      )
      expect(events.at(-1)?._tag).toBe("AssociationAborted")
      expect(filesUnder(out)).toEqual([])
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )
})

/** dcmdump of a file without its meta header lines (group 0002) and comments. */
const dump = async (path: string): Promise<string> => {
  const r = await Dcmtk.run("dcmdump", ["+L", "-q", path])
  expect(r.code).toBe(0)
  return r.stdout
    .split("\n")
    .filter((l) => !l.startsWith("#") && !l.includes("(0002,") && l.trim() !== "")
    .join("\n")
}

describe("Store · interop with DCMTK 3.6.7", () => {
  it.live("our Store.file -> storescp: every stored object (many PDUs each) dcmdumps like its source", () =>
    Effect.gen(function* () {
      const files = synthFiles({ seed: 21, instancesPerSeries: 3, rows: 320, columns: 320 })
      const out = tempDir("dicomnet-storescp-")
      const port = yield* Effect.promise(() => Dcmtk.freePort())
      const peer = Dcmtk.start("storescp", ["-aet", "STORESCP", "-od", out, String(port)])
      yield* Effect.promise(() => Dcmtk.waitForPort(port))
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host: "127.0.0.1", port, calledAeTitle: "STORESCP", contexts: Store.contextsFor(files) })
          for (const [i, f] of files.entries()) {
            // From disk in 64 KiB chunks, or from a stream whose first chunk is tiny (several data PDVs per PDU).
            const data = datasetOf(f.bytes)
            const chunks = Stream.fromIterable([data.subarray(0, 12), ...Array.from({ length: Math.ceil((data.length - 12) / 5000) }, (_, k) => data.subarray(12 + k * 5000, 12 + (k + 1) * 5000))])
            const result =
              i % 2 === 0
                ? yield* Store.file(association, f.path)
                : yield* Store.stream(association, { sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid, transferSyntaxUid: f.transferSyntaxUid, data: chunks })
            expect(result.status).toBe(0)
          }
        })
      ).pipe(Effect.ensuring(Effect.promise(() => peer.stop())))
      const received = filesUnder(out)
      expect(received.length).toBe(files.length)
      for (const f of files) {
        const stored = received.find((p) => p.includes(f.sopInstanceUid))
        assert(stored !== undefined)
        expect(yield* Effect.promise(() => dump(stored))).toBe(yield* Effect.promise(() => dump(f.path)))
      }
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )

  it.live("storescu -> our server storing by study: every stored file dcmdumps like its source", () =>
    Effect.gen(function* () {
      const files = synthFiles({ seed: 22, instancesPerSeries: 2, seriesPerStudy: 2, rows: 64, columns: 64 })
      const out = tempDir("dicomnet-ourscp-")
      const store = yield* toDirectory(out, "study")
      yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* DicomServer.make({ host: "127.0.0.1", port: 0, aeTitle: "OURSCP", handlers: { store } })
          const r = yield* Effect.promise(() =>
            Dcmtk.run("storescu", ["-aec", "OURSCP", "127.0.0.1", String(server.address.port), ...files.map((f) => f.path)])
          )
          expect(r.code, r.stderr).toBe(0)
        })
      )
      const stored = filesUnder(out)
      expect(stored.length).toBe(files.length)
      for (const f of files) {
        const path = stored.find((p) => p.endsWith(`${f.sopInstanceUid}.dcm`))
        assert(path !== undefined)
        // <out>/<study>/<series>/<sop>.dcm
        expect(path.slice(out.length + 1).split("/").length).toBe(3)
        expect(yield* Effect.promise(() => dump(path))).toBe(yield* Effect.promise(() => dump(f.path)))
      }
    }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))
  )
})
