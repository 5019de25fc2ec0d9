/**
 * PS3.4 Annex B · the storage SCP: Storage.toDirectory (temporary file, rename into place, layouts,
 * collisions, nothing left on failure), the study/series scanner, and the acceptance a store handler brings.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Driver, Negotiation } from "@dicomnet/association"
import { Dataset, DatasetCodec, Element, Part10, SopClass, TransferSyntax } from "@dicomnet/data"
import { Command } from "@dicomnet/dimse"
import { DicomServer, Storage } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, expect, it } from "@effect/vitest"
import { Data, Effect, FileSystem, Result, Stream } from "effect"

class Aborted extends Data.TaggedError("Aborted")<{}> {}

const CT = "1.2.840.10008.5.1.4.1.1.2"
const dirs: Array<string> = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "dicomnet-storage-"))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))

/** A small CT-like data set with study and series UIDs after a sequence of undefined length. */
const dataset = (sop: string) =>
  Dataset.make([
    Element.string(0x00080016, "UI", CT),
    Element.string(0x00080018, "UI", sop),
    Element.string(0x00100010, "PN", "Doe^Jane"),
    Element.string(0x0020000d, "UI", "1.2.3.100"),
    Element.string(0x0020000e, "UI", "1.2.3.100.7"),
    Element.bytes(0x7fe00010, "OW", new Uint8Array(4096).fill(7))
  ])

const encoded = (sop: string, ts: string = TransferSyntax.ExplicitVRLittleEndian) => {
  const r = DatasetCodec.encode(dataset(sop), ts)
  assert(Result.isSuccess(r))
  return r.success
}

const request = (sop: string, data: Stream.Stream<Uint8Array, unknown>, ts: string = TransferSyntax.ExplicitVRLittleEndian): Storage.StoreRequest => ({
  association: { peer: "test:1", callingAeTitle: "SENDER", calledAeTitle: "OURSCP" },
  presentationContextId: 1,
  command: Command.cStoreRq({ messageId: 1, affectedSopClassUid: CT, affectedSopInstanceUid: sop, priority: 0 }),
  sopClassUid: CT,
  sopInstanceUid: sop,
  transferSyntaxUid: ts,
  callingAeTitle: "SENDER",
  dataset: data
})

const chunked = (bytes: Uint8Array, size: number) =>
  Stream.fromIterable(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)))

const handler = (options: Storage.DirectoryOptions) => Storage.toDirectory(options).pipe(Effect.provide(NodeServices.layer))

describe("Storage.toDirectory · Part 10 files from streamed data sets", () => {
  it.effect("writes the meta header (received transfer syntax, calling AE as source) and the data set bytes unchanged", () =>
    Effect.gen(function* () {
      const directory = tempDir()
      const store = yield* handler({ directory })
      const bytes = encoded("1.2.3.1")
      expect(yield* store(request("1.2.3.1", chunked(bytes, 100)))).toBe(0)
      const file = readFileSync(join(directory, "1.2.3.1.dcm"))
      const meta = Part10.readMeta(file)
      assert(Result.isSuccess(meta))
      expect([meta.success.transferSyntaxUid, meta.success.mediaStorageSopInstanceUid, meta.success.meta.string(0x00020016)]).toEqual([
        TransferSyntax.ExplicitVRLittleEndian,
        "1.2.3.1",
        "SENDER"
      ])
      expect(Buffer.compare(file.subarray(meta.success.datasetOffset), bytes)).toBe(0)
      expect(readdirSync(directory)).toEqual(["1.2.3.1.dcm"])
    })
  )

  it.effect("a data set of several write buffers (gathered small fragments, then fragments written directly) is stored byte for byte, twice in a row", () =>
    Effect.gen(function* () {
      const directory = tempDir()
      const store = yield* handler({ directory })
      const bytes = new Uint8Array(3 * 1024 * 1024 + 12345)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff
      // 16 KiB fragments fill buffers by gathering; 1.5 MiB fragments exceed a buffer and go out directly.
      for (const [sop, size] of [["1.2.3.20", 16384], ["1.2.3.21", 1.5 * 1024 * 1024]] as const) {
        expect(yield* store(request(sop, chunked(bytes, size)))).toBe(0)
        const file = readFileSync(join(directory, `${sop}.dcm`))
        const meta = Part10.readMeta(file)
        assert(Result.isSuccess(meta))
        expect(Buffer.compare(file.subarray(meta.success.datasetOffset), bytes)).toBe(0)
      }
    })
  )

  it.effect("layout study: <directory>/<Study Instance UID>/<Series Instance UID>/<SOP Instance UID>.dcm, in every uncompressed syntax", () =>
    Effect.gen(function* () {
      const directory = tempDir()
      const store = yield* handler({ directory, layout: "study", fsync: true })
      const syntaxes = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian]
      for (const [i, ts] of syntaxes.entries()) {
        expect(yield* store(request(`1.2.3.${i}`, chunked(encoded(`1.2.3.${i}`, ts), 7), ts))).toBe(0)
      }
      expect(filesUnder(directory).map((p) => p.slice(directory.length + 1)).sort()).toEqual(
        syntaxes.map((_, i) => `1.2.3.100/1.2.3.100.7/1.2.3.${i}.dcm`)
      )
    })
  )

  it.effect("fsync: the file is synced before the rename, and the directories holding the new entries after it", () =>
    Effect.gen(function* () {
      const directory = tempDir()
      const node = yield* Effect.provide(FileSystem.FileSystem, NodeServices.layer)
      const events: Array<string> = []
      // The Node file system, recording every sync and rename.
      const recording: FileSystem.FileSystem = {
        ...node,
        rename: (from, to) => Effect.andThen(node.rename(from, to), Effect.sync(() => events.push(`rename ${to.slice(directory.length)}`))),
        open: (path, options) =>
          Effect.map(
            node.open(path, options),
            (file) =>
              new Proxy(file, {
                get: (target, key) =>
                  key === "sync"
                    ? Effect.andThen(Reflect.get(target, key, target) as Effect.Effect<void>, Effect.sync(() => events.push(`sync ${path.slice(directory.length) || "/"}`)))
                    : Reflect.get(target, key, target)
              })
          )
      }
      const store = yield* Storage.toDirectory({ directory, layout: "study", fsync: true }).pipe(
        Effect.provideService(FileSystem.FileSystem, recording),
        Effect.provide(NodeServices.layer)
      )
      expect(yield* store(request("1.2.3.5", chunked(encoded("1.2.3.5"), 50)))).toBe(0)
      const series = "/1.2.3.100/1.2.3.100.7"
      expect(events.slice(1)).toEqual([`rename ${series}/1.2.3.5.dcm`, `sync ${series}`, "sync /1.2.3.100", "sync /"])
      expect(events[0]).toMatch(/^sync \/\..*\.part$/)
    })
  )

  it.effect("collisions: overwrite replaces, keep keeps the first, rename stores under <sop>.1.dcm", () =>
    Effect.gen(function* () {
      for (const collision of ["overwrite", "keep", "rename"] as const) {
        const directory = tempDir()
        const store = yield* handler({ directory, collision })
        const first = encoded("1.2.3.9")
        const second = new Uint8Array([...first, 0x08, 0x00, 0x20, 0x00, 0x44, 0x41, 0x00, 0x00]) // + an empty (0008,0020)
        expect(yield* store(request("1.2.3.9", Stream.make(first)))).toBe(0)
        expect(yield* store(request("1.2.3.9", Stream.make(second)))).toBe(0)
        const names = readdirSync(directory).sort()
        const size = (name: string) => readFileSync(join(directory, name)).length
        if (collision === "rename") expect(names).toEqual(["1.2.3.9.1.dcm", "1.2.3.9.dcm"])
        else expect(names).toEqual(["1.2.3.9.dcm"])
        const delta = second.length - first.length
        const metaLength = Part10.encodeMeta({
          mediaStorageSopClassUid: CT,
          mediaStorageSopInstanceUid: "1.2.3.9",
          transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
          sourceApplicationEntityTitle: "SENDER"
        }).length
        if (collision === "overwrite") expect(size("1.2.3.9.dcm")).toBe(metaLength + second.length)
        if (collision === "keep") expect(size("1.2.3.9.dcm")).toBe(metaLength + first.length)
        if (collision === "rename") expect(size("1.2.3.9.1.dcm") - size("1.2.3.9.dcm")).toBe(delta)
      }
    })
  )

  it.effect("an aborted transfer (the data set stream fails) leaves nothing: no file, no temporary file", () =>
    Effect.gen(function* () {
      const directory = tempDir()
      const store = yield* handler({ directory })
      const bytes = encoded("1.2.3.5")
      const result = yield* Effect.flip(store(request("1.2.3.5", Stream.concat(chunked(bytes.subarray(0, 1000), 100), Stream.fail(new Aborted())))))
      expect(result).toEqual(new Aborted())
      expect(readdirSync(directory)).toEqual([])
    })
  )

  it.effect("a disk error answers A700H (out of resources): the target directory is a regular file", () =>
    Effect.gen(function* () {
      const notADirectory = join(tempDir(), "file")
      writeFileSync(notADirectory, "x")
      const store = yield* handler({ directory: notADirectory })
      expect(yield* store(request("1.2.3.6", Stream.make(encoded("1.2.3.6"))))).toBe(0xa700)
    })
  )

  it.effect("a peer's SOP Instance UID cannot escape the directory", () =>
    Effect.gen(function* () {
      const directory = tempDir()
      const store = yield* handler({ directory })
      expect(yield* store(request("../../etc/passwd", Stream.make(encoded("1.2.3.7"))))).toBe(0)
      const names = readdirSync(directory)
      expect(names.length).toBe(1)
      expect(names[0]).toMatch(/^[0-9._]+\.dcm$/)
      expect(names[0]?.startsWith(".")).toBe(false)
    })
  )

  it.effect("Storage.ignore drains the data set and answers 0000H", () =>
    Effect.gen(function* () {
      let pulled = 0
      const data = Stream.map(chunked(encoded("1.2.3.8"), 100), (c) => {
        pulled += c.length
        return c
      })
      expect(yield* Storage.ignore(request("1.2.3.8", data))).toBe(0)
      expect(pulled).toBe(encoded("1.2.3.8").length)
    })
  )
})

describe("DicomServer · acceptance with a store handler", () => {
  const propose = (abstractSyntax: string, transferSyntaxes: ReadonlyArray<string>, store: boolean) =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* DicomServer.make({ host: "peer", port: 104, handlers: store ? { store: Storage.ignore } : {} })
        const transport = yield* Transport.Transport
        const connection = yield* transport.connect({ host: "peer", port: 104 })
        const rq = Negotiation.makeAssociateRq({ callingAeTitle: "A", calledAeTitle: "B", contexts: [{ abstractSyntax, transferSyntaxes }] })
        assert(Result.isSuccess(rq))
        const handle = yield* Driver.request({ associateRq: rq.success, input: connection.input, write: connection.write, close: connection.close })
        const accepted = [...handle.negotiated.acceptedContexts.values()].map((c) => c.transferSyntax)
        yield* handle.release
        return accepted
      })
    ).pipe(Effect.provide(Transport.layerInMemory()))

  it.effect("accepts a storage SOP class (DICOS included) with an uncompressed syntax only when a store handler is registered", () =>
    Effect.gen(function* () {
      const dicos = SopClass.dicos[0]
      assert(dicos !== undefined)
      expect(yield* propose(CT, [TransferSyntax.ImplicitVRLittleEndian], true)).toEqual([TransferSyntax.ImplicitVRLittleEndian])
      expect(yield* propose(dicos, [TransferSyntax.ExplicitVRLittleEndian], true)).toEqual([TransferSyntax.ExplicitVRLittleEndian])
      expect(yield* propose(CT, [TransferSyntax.ImplicitVRLittleEndian], false)).toEqual([])
    })
  )

  it.effect("accepts an encapsulated syntax as-is (JPEG Baseline proposed alone)", () =>
    Effect.gen(function* () {
      expect(yield* propose(CT, ["1.2.840.10008.1.2.4.50"], true)).toEqual(["1.2.840.10008.1.2.4.50"])
    })
  )
})
