// Loopback throughput of the TCP transport: 1 GiB client -> server in 64 KiB chunks, both ends in
// one process. Run after `npx tsc -b packages/transport-node`: `npm run bench -w @dicomnet/transport-node`.
import { NodeTransport } from "@dicomnet/transport-node"
import { Transport } from "@dicomnet/transport"
import { Deferred, Effect, Stream } from "effect"

const total = 1024 * 1024 * 1024
const chunkSize = 64 * 1024

const run = (batch: number) =>
  Effect.gen(function*() {
    const transport = yield* Transport.Transport
    const received = yield* Deferred.make<number>()
    const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, (connection) =>
      Stream.runFold(connection.input, () => 0, (n, chunk) => n + chunk.length).pipe(
        Effect.flatMap((n) => Deferred.succeed(received, n)),
        Effect.ignore
      ))
    const connection = yield* transport.connect({ host: "127.0.0.1", port: listener.address.port })
    const chunks = Array.from({ length: batch }, () => new Uint8Array(chunkSize).fill(7))
    const start = performance.now()
    for (let sent = 0; sent < total; sent += batch * chunkSize) yield* connection.write(chunks)
    yield* connection.close
    const bytes = yield* Deferred.await(received)
    const seconds = (performance.now() - start) / 1000
    console.log(`batch ${String(batch).padStart(2)} x 64 KiB: ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s = ${(bytes / 1e6 / seconds).toFixed(0)} MB/s`)
  }).pipe(Effect.scoped)

const program = Effect.gen(function*() {
  for (const batch of [1, 16, 1, 16, 1, 16]) yield* run(batch)
}).pipe(Effect.provide(NodeTransport.layerTcp()))

Effect.runPromise(program)
