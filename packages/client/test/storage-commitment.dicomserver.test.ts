/**
 * DIMSE-N and storage commitment between two dicomnet peers built from the public pieces only:
 * `DicomServer` with `handlers.nServices` on both sides, our SCU and the association pool.
 */
import { Association, type DimseFailure, NServices, Pool, StorageCommitment } from "@dicomnet/client"
import { Dataset, SopClass, Tags, TransferSyntax } from "@dicomnet/data"
import { Status } from "@dicomnet/dimse"
import { DicomServer, NServices as Scp, StorageCommitment as ScpCommitment } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Result } from "effect"

const ct = "1.2.840.10008.5.1.4.1.1.2"
const mpps = SopClass.ModalityPerformedProcedureStep
const syntaxes = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
const archive = { host: "archive", port: 104 }
const requester = { aeTitle: "REQUESTER", host: "requester", port: 105 }
const stored = new Set(["1.2.3.1", "1.2.3.2"])

/** The archive: a DicomServer performing Storage Commitment (and MPPS N-CREATE/N-SET for the N-service test). */
const startArchive = (options: Partial<ScpCommitment.ScpOptions> = {}) =>
  Effect.gen(function* () {
    const delivered = yield* Deferred.make<string>()
    const commitment = yield* ScpCommitment.make({
      has: (_sopClassUid, sopInstanceUid) => Effect.succeed(stored.has(sopInstanceUid)),
      aeTitle: "ARCHIVE",
      knownAes: [requester],
      onReport: (_outcome, delivery) =>
        Deferred.succeed(delivered, Result.isSuccess(delivery) ? delivery.success : delivery.failure.reason).pipe(Effect.asVoid),
      ...options
    })
    const instances = new Map<string, Dataset.Dataset>()
    yield* DicomServer.make({
      ...archive,
      aeTitle: "ARCHIVE",
      acceptance: {
        contexts: [SopClass.StorageCommitmentPushModel, mpps, SopClass.Verification].map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: syntaxes }))
      },
      handlers: {
        nServices: {
          ...commitment,
          create: ({ command, dataset }) =>
            Effect.sync(() => {
              const uid = command.affectedSopInstanceUid ?? "1.2.3.500"
              instances.set(uid, dataset ?? Dataset.empty)
              return { affectedSopInstanceUid: uid }
            }),
          set: ({ command, dataset }) =>
            Effect.gen(function* () {
              const found = instances.get(command.requestedSopInstanceUid)
              if (found === undefined) return yield* Effect.fail(new Scp.NoSuchSopInstance({ sopInstanceUid: command.requestedSopInstanceUid }))
              let updated = found
              for (const e of dataset?.elements() ?? []) updated = updated.with(e)
              instances.set(command.requestedSopInstanceUid, updated)
              return { dataset: updated }
            })
        }
      }
    })
    return { delivered, instances }
  })

/** The requester's own server: receives N-EVENT-REPORTs into `listener`. */
const startRequesterServer = (listener: StorageCommitment.Listener) =>
  DicomServer.make({
    host: requester.host,
    port: requester.port,
    aeTitle: requester.aeTitle,
    acceptance: { contexts: [{ abstractSyntax: SopClass.StorageCommitmentPushModel, transferSyntaxes: syntaxes }] },
    handlers: {
      nServices: {
        eventReport: ({ command, dataset, association }) =>
          Effect.map(
            listener.receive({
              sopClassUid: command.affectedSopClassUid,
              sopInstanceUid: command.affectedSopInstanceUid,
              eventTypeId: command.eventTypeId,
              eventInformation: dataset,
              callingAeTitle: association.callingAeTitle
            }),
            (status) => ({ status })
          )
      }
    }
  })

const references = [
  { sopClassUid: ct, sopInstanceUid: "1.2.3.1" },
  { sopClassUid: ct, sopInstanceUid: "1.2.3.3" }
]

describe("PS3.4 Annex J · Storage Commitment between two DicomServers", () => {
  it.effect("on the same association: N-ACTION, then the archive's N-EVENT-REPORT to the requester's performer", () =>
    Effect.gen(function* () {
      const { delivered } = yield* startArchive()
      const listener = yield* StorageCommitment.makeListener
      const association = yield* Association.request({
        ...archive,
        callingAeTitle: requester.aeTitle,
        calledAeTitle: "ARCHIVE",
        contexts: [{ abstractSyntax: StorageCommitment.sopClassUid }],
        handlers: { request: NServices.performEventReports(StorageCommitment.eventReportHandler(listener)) }
      })
      const result = yield* StorageCommitment.request(association, { listener, references })
      expect(result.eventTypeId).toBe(StorageCommitment.EventType.FailuresExist)
      expect(result.committed).toEqual([references[0]])
      expect(result.failed).toEqual([{ ...references[1], failureReason: StorageCommitment.FailureReason.NoSuchObjectInstance }])
      expect(yield* Deferred.await(delivered)).toBe("same-association")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("on a new association to the requester's own server (AE from the archive's known AEs)", () =>
    Effect.gen(function* () {
      const { delivered } = yield* startArchive({ alwaysNewAssociation: true })
      const listener = yield* StorageCommitment.makeListener
      yield* startRequesterServer(listener)
      const association = yield* Association.request({
        ...archive,
        callingAeTitle: requester.aeTitle,
        calledAeTitle: "ARCHIVE",
        contexts: [{ abstractSyntax: StorageCommitment.sopClassUid }]
      })
      const result = yield* StorageCommitment.request(association, {
        listener,
        references: [references[0] as StorageCommitment.Reference, { sopClassUid: ct, sopInstanceUid: "1.2.3.2" }]
      })
      expect(result.eventTypeId).toBe(StorageCommitment.EventType.Successful)
      expect(result.committed).toHaveLength(2)
      expect(result.reportedBy).toBe("ARCHIVE")
      expect(yield* Deferred.await(delivered)).toBe("new-association")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("the requesting association released right after the N-ACTION-RSP: the report still arrives, on a new association", () =>
    Effect.gen(function* () {
      const { delivered } = yield* startArchive()
      const listener = yield* StorageCommitment.makeListener
      yield* startRequesterServer(listener)
      const expected = yield* listener.expect("1.2.3.4242")
      const information = Result.getOrThrow(StorageCommitment.actionInformation("1.2.3.4242", [references[0] as StorageCommitment.Reference]))
      // The requester serves no N-EVENT-REPORT on its association (0211H) and releases it at once.
      yield* Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({
            ...archive,
            callingAeTitle: requester.aeTitle,
            calledAeTitle: "ARCHIVE",
            contexts: [{ abstractSyntax: StorageCommitment.sopClassUid }]
          })
          yield* NServices.action(association, {
            sopClassUid: StorageCommitment.sopClassUid,
            sopInstanceUid: StorageCommitment.sopInstanceUid,
            actionTypeId: 1,
            actionInformation: information
          })
        })
      )
      const result = yield* expected
      expect(result.committed).toEqual([references[0]])
      expect(yield* Deferred.await(delivered)).toBe("new-association")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})

describe("PS3.7 §10.1 · DIMSE-N SCU against DicomServer handlers, through the pool", () => {
  it.effect("N-CREATE then N-SET on one pooled association; a failure status does not discard it", () =>
    Effect.gen(function* () {
      const { instances } = yield* startArchive()
      const pool = yield* Pool.make({ idleTimeout: "1 minute" })
      const options = { ...archive, calledAeTitle: "ARCHIVE", contexts: [{ abstractSyntax: mpps }] }
      const created = yield* pool.withAssociation(options, (association) =>
        NServices.create(association, { sopClassUid: mpps, attributes: Dataset.Dataset.unsafeFromRecord({ PerformedProcedureStepStatus: "IN PROGRESS" }) })
      )
      expect(created.affectedSopInstanceUid).toBe("1.2.3.500")
      const updated = yield* pool.withAssociation(options, (association) =>
        NServices.set(association, {
          sopClassUid: mpps,
          sopInstanceUid: "1.2.3.500",
          modifications: Dataset.Dataset.unsafeFromRecord({ PerformedProcedureStepStatus: "COMPLETED" })
        })
      )
      expect(updated.dataset?.string(Tags.PerformedProcedureStepStatus)).toBe("COMPLETED")
      expect(instances.get("1.2.3.500")?.string(Tags.PerformedProcedureStepStatus)).toBe("COMPLETED")
      const missing = yield* Effect.flip(
        pool.withAssociation(options, (association) =>
          NServices.set(association, { sopClassUid: mpps, sopInstanceUid: "9.9", modifications: Dataset.empty })
        )
      )
      expect((missing as DimseFailure).status).toBe(Status.Code.NoSuchSopInstance)
      expect(yield* pool.size).toBe(1)
      // N-GET has no handler here: 0211H (unrecognized operation).
      const unhandled = yield* Effect.flip(
        pool.withAssociation(options, (association) => NServices.get(association, { sopClassUid: mpps, sopInstanceUid: "1.2.3.500" }))
      )
      expect((unhandled as DimseFailure).status).toBe(Status.Code.UnrecognizedOperation)
      expect(yield* pool.size).toBe(1)
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})
