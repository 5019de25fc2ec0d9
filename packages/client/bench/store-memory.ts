/**
 * Memory bound of C-STORE streaming: one 1 GiB object, generated on the fly as a Stream (never held
 * whole anywhere), sent by Store.stream to a DicomServer in the same process over TCP on 127.0.0.1,
 * stored by Storage.ignore (default) or written to disk by Storage.toDirectory (`disk` argument).
 * The process RSS is sampled every 50 ms; the figure is the peak growth over the RSS measured once
 * both sides are up and a small object went through.
 * Run: npm run bench:store -w @dicomnet/client [-- disk] [live] [reuse]   (after `npx tsc -b packages/client packages/server packages/transport-node`)
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Association, Store } from "@dicomnet/client"
import { TransferSyntax } from "@dicomnet/data"
import { DicomServer, Storage } from "@dicomnet/server"
import { NodeTransport } from "@dicomnet/transport-node"
import { NodeServices } from "@effect/platform-node"
import { Effect, References, Stream } from "effect"

const CT = "1.2.840.10008.5.1.4.1.1.2"
const total = Number(process.env.STORE_BYTES ?? 1024 * 1024 * 1024)
const chunkSize = 256 * 1024
const toDisk = process.argv.includes("disk")
/** `live`: also force a collection at every sample and report the peak of what is still reachable. */
const sampleLive = process.argv.includes("live")
const reuse = process.argv.includes("reuse")

/** A data set of `size` bytes: one Pixel Data element (Explicit VR LE, OW), its value made chunk by chunk. */
const object = (size: number): Stream.Stream<Uint8Array> => {
  const header = new Uint8Array(12)
  const view = new DataView(header.buffer)
  view.setUint16(0, 0x7fe0, true)
  view.setUint16(2, 0x0010, true)
  header[4] = 0x4f // "O"
  header[5] = 0x57 // "W"
  view.setUint32(8, size - 12, true)
  const chunks = Math.ceil((size - 12) / chunkSize)
  return Stream.concat(
    Stream.make(header),
    // One element per stream chunk: a range's chunks hold thousands of numbers, and mapping one would allocate them all at once.
    Stream.range(0, chunks - 1).pipe(
      Stream.rechunk(1),
      Stream.map((i) => {
        const n = Math.min(chunkSize, size - 12 - i * chunkSize)
        // A fresh buffer per chunk, as a file reader would produce (`reuse`: one buffer, no garbage).
        const chunk = reuse ? shared.subarray(0, n) : new Uint8Array(n)
        chunk[0] = i & 0xff
        return chunk
      })
    )
  )
}

const shared = new Uint8Array(chunkSize)
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`

const program = Effect.gen(function* () {
  const directory = toDisk ? mkdtempSync(join(tmpdir(), "dicomnet-store-memory-")) : undefined
  const store = directory === undefined ? Storage.ignore : yield* Storage.toDirectory({ directory, layout: "flat" })
  const server = yield* DicomServer.make({ host: "127.0.0.1", port: 0, handlers: { store } })
  const association = yield* Association.request({
    host: "127.0.0.1",
    port: server.address.port,
    contexts: Store.contextsFor([{ sopClassUid: CT, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian }])
  })
  const send = (uid: string, size: number) =>
    Store.stream(association, { sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, data: object(size) })
  // Warm-up: both sides up, one 16 MiB object through.
  yield* send("1.2.3.1", 16 * 1024 * 1024)
  globalThis.gc?.()
  const baseline = process.memoryUsage().rss
  let peak = baseline
  let livePeak = 0
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
    // The live bound: what is still reachable (after a full collection), array buffers included.
    if (sampleLive && globalThis.gc !== undefined) {
      globalThis.gc()
      const m = process.memoryUsage()
      livePeak = Math.max(livePeak, m.heapUsed + m.arrayBuffers)
    }
  }, 50)
  const start = performance.now()
  const result = yield* send("1.2.3.2", total)
  const ms = performance.now() - start
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().rss)
  console.log(
    `1 GiB C-STORE (${toDisk ? "Storage.toDirectory, to disk" : "Storage.ignore"}), status ${result.status}: ` +
      `${(total / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s; RSS baseline ${mib(baseline)}, peak ${mib(peak)}, growth ${mib(peak - baseline)}` +
      (sampleLive ? `; live (heap + array buffers after GC) peak ${mib(livePeak)}` : "")
  )
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true })
})

await Effect.runPromise(
  program.pipe(
    Effect.scoped,
    Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
)
