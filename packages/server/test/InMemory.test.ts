import { Association, Echo } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { Transport } from "@dicomnet/transport"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { DicomServer } from "@dicomnet/server"

const verification = [{ abstractSyntax: SopClass.Verification }]

describe("DicomServer over the in-memory transport", () => {
  it.effect("associates, echoes and releases", () =>
    Effect.gen(function* () {
      const server = yield* DicomServer.make({ host: "server", port: 104 })
      const events = yield* server.subscribe
      const seen = yield* Effect.forkChild(events.pipe(Stream.take(3), Stream.runCollect))
      const result = yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host: "server", port: 104, contexts: verification })
          expect(yield* server.activeAssociations).toBe(1)
          return yield* Echo.echo(association)
        })
      )
      assert.strictEqual(result.status, 0)
      const tags = (yield* Fiber.join(seen)).map((e) => e._tag)
      expect(tags).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationReleased"])
      expect(yield* server.activeAssociations).toBe(0)
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})
