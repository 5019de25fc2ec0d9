/**
 * Find.find against a scripted C-FIND SCP (raw responses over the association driver, in memory): the
 * matches of responses received together, and how a failure among them ends the stream.
 */
import type { Negotiation } from "@dicomnet/association"
import { Association, DimseFailure, Find } from "@dicomnet/client"
import { Dataset, DatasetCodec, SopClass, TransferSyntax } from "@dicomnet/data"
import { Assembler, Command, Fragmenter, Status } from "@dicomnet/dimse"
import { ScriptedAcceptor } from "@dicomnet/testkit"
import { Transport } from "@dicomnet/transport"
import { assert, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Result, Stream } from "effect"

const host = "scp"
const port = 104
const StudyFind = SopClass.StudyRootFind
const ts = TransferSyntax.ExplicitVRLittleEndian
const contexts = [{ abstractSyntax: StudyFind, transferSyntaxes: [ts] }]
const policy: Negotiation.AcceptPolicy = { contexts: [{ abstractSyntax: StudyFind, transferSyntaxes: [ts] }] }

const study = (uid: string) => {
  const ds = Dataset.Dataset.fromRecord({ QueryRetrieveLevel: "STUDY", StudyInstanceUID: uid })
  if (Result.isFailure(ds)) throw new Error("identifier")
  const bytes = DatasetCodec.encode(ds.success, ts)
  if (Result.isFailure(bytes)) throw new Error("identifier")
  return bytes.success
}

/** A data set element whose length runs past the end of the bytes: cannot be decoded. */
const undecodable = new Uint8Array([0x20, 0x00, 0x0d, 0x00, 0x55, 0x49, 0x40, 0x00, 0x31, 0x2e])

type Received = { readonly command: Command.DimseCommand; readonly presentationContextId: number }

/** A scripted SCP: `script` gets each request as it arrives and a function to send a response. */
const scriptedScp = (
  script: (
    rq: Received,
    send: (command: Command.DimseCommand, dataset?: Uint8Array) => Effect.Effect<void>
  ) => Effect.Effect<void, unknown>
) =>
  ScriptedAcceptor.listen({ host, port }, policy, (handle) =>
    Effect.gen(function* () {
      const assembler = Assembler.make()
      yield* handle.incoming.pipe(
        Stream.runForEach((item) =>
          Effect.gen(function* () {
            if (item._tag === "ReleaseRequested") return yield* Effect.ignore(handle.releaseResponse)
            const events = assembler.feedPDataTf(item.pdu)
            if (Result.isFailure(events)) return
            for (const event of events.success) {
              if (event._tag !== "MessageComplete") continue
              const send = (command: Command.DimseCommand, dataset?: Uint8Array) =>
                Effect.gen(function* () {
                  const pdus = Fragmenter.message({ presentationContextId: event.presentationContextId, maxPduLength: 16384 }, command, dataset)
                  if (Result.isFailure(pdus)) return yield* Effect.die(pdus.failure)
                  for (const pdu of pdus.success) yield* Effect.orDie(handle.sendPData(pdu.pdvs))
                })
              // Each request in its own fiber: the reader goes on (a C-CANCEL-RQ must get through).
              yield* Effect.forkScoped(script({ command: event.command, presentationContextId: event.presentationContextId }, send))
            }
          })
        )
      )
    }))

const pending = (rq: Command.CFindRq) => ({ ...Command.responseTo(rq, Status.Code.Pending), hasDataset: true })

describe("Find.find · responses received together (PS3.4 C.4.1)", () => {
  it.effect("emits the matches in order, then fails with DimseFailure at a failure status that follows them", () =>
    Effect.gen(function* () {
      yield* scriptedScp((rq, send) =>
        Effect.gen(function* () {
          const command = rq.command
          if (command._tag !== "CFindRq") return
          // All responses at once, before the client reads any of them.
          for (const uid of ["1.2.1", "1.2.2", "1.2.3"]) yield* send(pending(command), study(uid))
          yield* send(Command.responseTo(command, Status.Code.CannotUnderstand))
        })
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts })
          const seen: Array<string> = []
          const error = yield* Effect.flip(
            Stream.runForEach(Find.find(association, { model: "study", keys: { StudyInstanceUID: null } }), (d) =>
              Effect.sync(() => seen.push(String(d.string(0x0020000d) ?? "")))
            )
          )
          expect(seen).toEqual(["1.2.1", "1.2.2", "1.2.3"])
          assert(error instanceof DimseFailure)
          expect(error.status).toBe(Status.Code.CannotUnderstand)
          // The operation is complete: the association serves the next one.
          expect(yield* association.session.outstanding).toBe(0)
        })
      )
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("an identifier that cannot be decoded fails the stream after the matches before it, and the operation is cancelled", () =>
    Effect.gen(function* () {
      const cancelled = yield* Deferred.make<number>()
      yield* scriptedScp((rq, send) =>
        Effect.gen(function* () {
          const command = rq.command
          if (command._tag === "CCancelRq") {
            yield* Deferred.succeed(cancelled, command.messageIdBeingRespondedTo)
            return
          }
          if (command._tag !== "CFindRq") return
          yield* send(pending(command), study("1.2.1"))
          yield* send(pending(command), undecodable)
          yield* send(pending(command), study("1.2.3"))
          // The rest waits for the C-CANCEL-RQ, then the final Cancel response.
          yield* Deferred.await(cancelled)
          yield* send(Command.responseTo(command, Status.Code.Cancel))
        })
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts })
          const seen: Array<string> = []
          const error = yield* Effect.flip(
            Stream.runForEach(Find.find(association, { model: "study", keys: { StudyInstanceUID: null } }), (d) =>
              Effect.sync(() => seen.push(String(d.string(0x0020000d) ?? "")))
            )
          )
          expect(seen).toEqual(["1.2.1"])
          expect(error._tag).toBe("DataDecodeError")
          expect(yield* Deferred.await(cancelled)).toBe(1)
          // Its final response arrives: nothing of ours awaits a response any more.
          yield* association.session.settled
        })
      )
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})
