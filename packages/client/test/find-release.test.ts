/**
 * PS3.8 §7.2 · releasing right after abandoning a C-FIND whose matches never end: the C-CANCEL is
 * processed, the find is answered FE00H, then the release completes (A-RELEASE-RP). Client and
 * server in memory.
 */
import { Association, Find } from "@dicomnet/client"
import { TransferSyntax } from "@dicomnet/data"
import { DicomServer, QueryRetrieve } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref, Stream } from "effect"

const syntaxes = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
const findContexts = QueryRetrieve.sopClasses.find.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: syntaxes }))
const studies = { model: "study", keys: { StudyInstanceUID: null } } as const

describe("PS3.8 §7.2 · release right after an abandoned C-FIND", () => {
  it.live("take 3 of an endless C-FIND, then release in the same scope: the release completes", () =>
    Effect.gen(function* () {
      const stopped = yield* Ref.make(false)
      // An endless match stream: only the C-CANCEL ends it.
      const endless: QueryRetrieve.FindHandler = (rq) =>
        Stream.forever(Stream.fromIterable([rq.identifier])).pipe(Stream.ensuring(Ref.set(stopped, true)))
      const server = yield* DicomServer.make({
        host: "qr",
        port: 104,
        aeTitle: "QRSCP",
        acceptance: { contexts: findContexts },
        handlers: { queryRetrieve: { find: endless } }
      })
      const events: Array<string> = []
      const subscription = yield* server.subscribe
      yield* Effect.forkScoped(Stream.runForEach(subscription, (e) => Effect.sync(() => events.push(e._tag))))
      const three = yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host: "qr", port: 104, calledAeTitle: "QRSCP", contexts: findContexts, timeouts: { dimse: "10 seconds" } })
          const matches = yield* Stream.runCollect(Stream.take(Find.find(association, studies), 3))
          yield* association.release
          return matches
        })
      ).pipe(Effect.timeout("20 seconds"))
      expect(three.length).toBe(3)
      expect(yield* Ref.get(stopped)).toBe(true)
      yield* Effect.yieldNow
      expect(events).toContain("AssociationReleased")
      expect(events).not.toContain("AssociationAborted")
    }).pipe(Effect.scoped, Effect.provide([Transport.layerInMemory(), NodeServices.layer]))
  , 30_000)
})
