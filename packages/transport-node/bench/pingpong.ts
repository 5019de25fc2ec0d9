// Transport-level ping-pong over TCP loopback, both ends in one process: the client writes 100 bytes, the
// server writes them back; CPU µs per round trip (both sides, process.cpuUsage, best of 3). No DICOM above.
// Run after `npx tsc -b packages/transport-node`: node_modules/.bin/node packages/transport-node/bench/pingpong.ts [N]
import { NodeTransport } from "@dicomnet/transport-node"
import { Transport } from "@dicomnet/transport"
import { Effect, Stream } from "effect"

const n = Number(process.argv[2] ?? "40000")

const program = Effect.gen(function* () {
  const transport = yield* Transport.Transport
  const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, (connection) =>
    Stream.runForEach(connection.input, (chunk) => connection.write([chunk])).pipe(Effect.ignore))
  const connection = yield* transport.connect({ host: "127.0.0.1", port: listener.address.port })
  const message = new Uint8Array(100).fill(1)
  const pull = yield* Stream.toPull(connection.input)
  const roundTrips = (count: number) =>
    Effect.gen(function* () {
      for (let i = 0; i < count; i++) {
        yield* connection.write([message])
        let got = 0
        while (got < message.length) for (const chunk of yield* pull) got += chunk.length
      }
    })
  yield* roundTrips(n) // warm-up
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage()
    yield* roundTrips(n)
    const cpu = process.cpuUsage(c0)
    best = Math.min(best, (cpu.user + cpu.system) / n)
  }
  console.log(`tcp transport round trip x ${n}: ${best.toFixed(1)} µs CPU`)
}).pipe(Effect.scoped, Effect.provide(NodeTransport.layerTcp()))

Effect.runPromise(program).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
