/**
 * A DicomServer alone in its process, so its memory can be measured apart from the clients:
 * `node server.ts <store directory> <maxAssociations>` prints `{"port":N}` once listening.
 */
import { DicomServer, Storage } from "@dicomnet/server"
import { NodeTransport } from "@dicomnet/transport-node"
import { NodeServices } from "@effect/platform-node"
import { Effect, Layer, References } from "effect"

const [directory = ".", maxAssociations = "256"] = process.argv.slice(2)

const program = Effect.gen(function* () {
  const store = yield* Storage.toDirectory({ directory })
  const server = yield* DicomServer.make({ host: "127.0.0.1", port: 0, maxAssociations: Number(maxAssociations), handlers: { store } })
  console.log(JSON.stringify({ port: server.address.port }))
  yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(Layer.mergeAll(NodeTransport.layerTcp(), NodeServices.layer, Layer.succeed(References.MinimumLogLevel, "Warn")))
)

Effect.runPromise(program)
