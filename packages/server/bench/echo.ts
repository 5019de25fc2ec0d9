/**
 * C-ECHO throughput: sequential echoes on one association, and associations per second
 * (associate + echo + release), over the in-memory transport and over TCP on 127.0.0.1.
 * Run: npm run bench -w @dicomnet/server (after `npx tsc -b packages/server packages/client packages/transport-node`).
 */
import { Association, Echo } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { DicomServer } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { NodeTransport } from "@dicomnet/transport-node"
import { Effect, type Layer, References } from "effect"

const contexts = [{ abstractSyntax: SopClass.Verification }]

const measure = (name: string, transport: Layer.Layer<Transport.Transport>, echoes: number, associations: number) =>
  Effect.gen(function* () {
    const server = yield* DicomServer.make({ host: "127.0.0.1", port: 0 })
    const options = { host: "127.0.0.1", port: server.address.port, contexts }
    // Warm-up.
    yield* Effect.scoped(Effect.flatMap(Association.request(options), (a) => Effect.repeat(Echo.echo(a), { times: 200 })))
    let start = performance.now()
    yield* Effect.scoped(Effect.flatMap(Association.request(options), (a) => Effect.repeat(Echo.echo(a), { times: echoes - 1 })))
    const echoMs = performance.now() - start
    start = performance.now()
    for (let i = 0; i < associations; i++) yield* Effect.scoped(Effect.flatMap(Association.request(options), Echo.echo))
    const assocMs = performance.now() - start
    console.log(
      `${name.padEnd(10)} ${Math.round((echoes / echoMs) * 1000)} echoes/s on one association (${(echoMs / echoes * 1000).toFixed(0)} µs each), ` +
        `${Math.round((associations / assocMs) * 1000)} associations/s (associate + echo + release)`
    )
  }).pipe(Effect.scoped, Effect.provide(transport))

await Effect.runPromise(
  Effect.gen(function* () {
    yield* measure("in-memory", Transport.layerInMemory(), 20_000, 2_000)
    yield* measure("tcp", NodeTransport.layerTcp(), 10_000, 1_000)
  }).pipe(Effect.provideService(References.MinimumLogLevel, "Warn"))
)
