/**
 * DIMSE-N end to end on the shared DIMSE session: our SCU (client Association) against
 * `NServices.perform` run as the session's performer of an accepted association.
 */
import type { Negotiation } from "@dicomnet/association"
import { Association, type DimseFailure, NServices as Scu, StorageCommitment as Commitment } from "@dicomnet/client"
import { Dataset, SopClass, Tags, TransferSyntax } from "@dicomnet/data"
import { Session, Status } from "@dicomnet/dimse"
import { NServices, StorageCommitment } from "@dicomnet/server"
import { ScriptedAcceptor } from "@dicomnet/testkit"
import { Transport } from "@dicomnet/transport"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Result } from "effect"

const host = "n-session-scp"
const port = 104
const mpps = SopClass.ModalityPerformedProcedureStep
const ct = "1.2.840.10008.5.1.4.1.1.2"

/** Accepts associations and serves them with a session whose performer is `NServices.perform(handlers)`. */
const serve = (handlers: NServices.NServiceHandlers) =>
  Effect.gen(function* () {
    const policy: Negotiation.AcceptPolicy = {
      contexts: [mpps, SopClass.StorageCommitmentPushModel].map((abstractSyntax) => ({
        abstractSyntax,
        transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
      }))
    }
    yield* ScriptedAcceptor.listen({ host, port }, policy, (handle, connection) =>
      Effect.gen(function* () {
        const negotiated = handle.negotiated
        const session = yield* Session.make(
          { incoming: handle.incoming, sendPData: handle.sendPData, peerMaxPduLength: negotiated.peerMaxPduLength },
          {
            onRequest: NServices.perform(handlers, {
              association: { peer: connection.remoteAddress, callingAeTitle: negotiated.callingAeTitle, calledAeTitle: negotiated.calledAeTitle },
              negotiated
            }),
            onReleaseRequested: Effect.ignore(handle.releaseResponse),
            onFatal: () => handle.abort,
            isAcceptedContext: (id) => negotiated.acceptedContexts.has(id)
          }
        )
        yield* session.ended
        yield* handle.awaitClose
      }))
  })

const record = (r: Dataset.DatasetRecord) => Dataset.Dataset.unsafeFromRecord(r)

describe("PS3.7 §10.1 · DIMSE-N over the DIMSE session (SCU ↔ NServices.perform)", () => {
  it.effect("N-CREATE, N-SET, N-GET, N-ACTION, N-DELETE and N-EVENT-REPORT round trip; typed failures arrive as statuses", () =>
    Effect.gen(function* () {
      const instances = new Map<string, Dataset.Dataset>()
      const events: Array<number> = []
      yield* serve({
        create: ({ command, dataset }) =>
          Effect.sync(() => {
            const uid = command.affectedSopInstanceUid ?? "1.2.3.100"
            instances.set(uid, dataset ?? Dataset.empty)
            return { affectedSopInstanceUid: uid }
          }),
        set: ({ command, dataset }) =>
          Effect.gen(function* () {
            const found = instances.get(command.requestedSopInstanceUid)
            if (found === undefined) return yield* Effect.fail(new NServices.NoSuchSopInstance({ sopInstanceUid: command.requestedSopInstanceUid }))
            let updated = found
            for (const e of dataset?.elements() ?? []) updated = updated.with(e)
            instances.set(command.requestedSopInstanceUid, updated)
          }),
        get: ({ command }) =>
          Effect.gen(function* () {
            const found = instances.get(command.requestedSopInstanceUid)
            if (found === undefined) return yield* Effect.fail(new NServices.NoSuchSopInstance({ sopInstanceUid: command.requestedSopInstanceUid }))
            return { dataset: found }
          }),
        action: ({ command }) =>
          command.actionTypeId === 1
            ? Effect.succeed({ dataset: record({ TextValue: "acted" }) })
            : Effect.fail(new NServices.NoSuchActionType({ actionTypeId: command.actionTypeId })),
        delete: ({ command }) => Effect.sync(() => void instances.delete(command.requestedSopInstanceUid)),
        eventReport: ({ command }) => Effect.sync(() => void events.push(command.eventTypeId))
      })
      const association = yield* Association.request({ host, port, contexts: [{ abstractSyntax: mpps }] })
      const created = yield* Scu.create(association, { sopClassUid: mpps, attributes: record({ PerformedProcedureStepStatus: "IN PROGRESS" }) })
      expect(created.affectedSopInstanceUid).toBe("1.2.3.100")
      const uid = "1.2.3.100"
      yield* Scu.set(association, { sopClassUid: mpps, sopInstanceUid: uid, modifications: record({ PerformedProcedureStepStatus: "COMPLETED" }) })
      const got = yield* Scu.get(association, { sopClassUid: mpps, sopInstanceUid: uid })
      expect(got.dataset?.string(Tags.PerformedProcedureStepStatus)).toBe("COMPLETED")
      const acted = yield* Scu.action(association, { sopClassUid: mpps, sopInstanceUid: uid, actionTypeId: 1 })
      expect(acted.dataset?.string(Tags.TextValue)).toBe("acted")
      const noAction = (yield* Effect.flip(Scu.action(association, { sopClassUid: mpps, sopInstanceUid: uid, actionTypeId: 4 }))) as DimseFailure
      expect(noAction.status).toBe(Status.Code.NoSuchActionType)
      expect((yield* Scu.eventReport(association, { sopClassUid: mpps, sopInstanceUid: uid, eventTypeId: 2 })).status).toBe(0)
      expect(events).toEqual([2])
      yield* Scu.delete(association, { sopClassUid: mpps, sopInstanceUid: uid })
      const gone = (yield* Effect.flip(Scu.get(association, { sopClassUid: mpps, sopInstanceUid: uid }))) as DimseFailure
      expect(gone.status).toBe(Status.Code.NoSuchSopInstance)
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("storage commitment on one association: N-ACTION-RSP, then the N-EVENT-REPORT through the session to the SCU's performer", () =>
    Effect.gen(function* () {
      const delivered = yield* Deferred.make<string>()
      const handlers = yield* StorageCommitment.make({
        has: (_c, i) => Effect.succeed(i === "1.2.3.1"),
        onReport: (_o, delivery) => Deferred.succeed(delivered, Result.isSuccess(delivery) ? delivery.success : delivery.failure.reason).pipe(Effect.asVoid)
      })
      yield* serve(handlers)
      const listener = yield* Commitment.makeListener
      const association = yield* Association.request({
        host,
        port,
        calledAeTitle: "ARCHIVE",
        contexts: [{ abstractSyntax: Commitment.sopClassUid, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] }],
        handlers: { request: Scu.performEventReports(Commitment.eventReportHandler(listener)) }
      })
      const result = yield* Commitment.request(association, {
        listener,
        references: [
          { sopClassUid: ct, sopInstanceUid: "1.2.3.1" },
          { sopClassUid: ct, sopInstanceUid: "1.2.3.2" }
        ]
      })
      expect(result.committed).toEqual([{ sopClassUid: ct, sopInstanceUid: "1.2.3.1" }])
      expect(result.failed).toEqual([{ sopClassUid: ct, sopInstanceUid: "1.2.3.2", failureReason: 0x0112 }])
      expect(yield* Deferred.await(delivered)).toBe("same-association")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})
