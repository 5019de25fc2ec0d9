import { Association, type DimseFailure, NServices, StorageCommitment } from "@dicomnet/client"
import { Dataset, SopClass, Tags } from "@dicomnet/data"
import { Status } from "@dicomnet/dimse"
import { StorageCommitment as Scp } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { assert, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Result, type Scope } from "effect"
import { TestClock } from "effect/testing"
import * as NPeer from "./support/NPeer.js"

const ct = "1.2.840.10008.5.1.4.1.1.2"
const archive = { host: "archive", port: 104 }
const requester = { aeTitle: "REQUESTER", host: "requester", port: 105 }
const stored = new Set(["1.2.3.1", "1.2.3.2"])
const has = (_sopClassUid: string, sopInstanceUid: string) => Effect.succeed(stored.has(sopInstanceUid))

type Delivery = { outcome: Scp.CommitmentOutcome; delivery: Result.Result<string, Scp.EventReportNotDelivered> }

/**
 * The archive (Storage Commitment SCP, AE "ARCHIVE") and, when `withRequesterServer`, the requester's
 * own server (AE "REQUESTER") receiving N-EVENT-REPORTs into `listener`.
 */
const setup = (scpOptions: Partial<Scp.ScpOptions>, withRequesterServer = true) =>
  Effect.gen(function* () {
    const listener = yield* StorageCommitment.makeListener
    const deliveries = yield* Deferred.make<Delivery>()
    const handlers = yield* Scp.make({
      has,
      aeTitle: "ARCHIVE",
      knownAes: [requester],
      onReport: (outcome, delivery) => Deferred.succeed(deliveries, { outcome, delivery }).pipe(Effect.asVoid),
      ...scpOptions
    })
    yield* NPeer.listen(archive.host, archive.port, [Scp.sopClassUid], handlers)
    if (withRequesterServer) {
      yield* NPeer.listen(requester.host, requester.port, [StorageCommitment.sopClassUid], {
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
      })
    }
    const association = yield* Association.request({
      ...archive,
      callingAeTitle: requester.aeTitle,
      calledAeTitle: "ARCHIVE",
      contexts: [{ abstractSyntax: StorageCommitment.sopClassUid }]
    })
    return { listener, association, deliveries }
  })

const run = <A, E>(effect: Effect.Effect<A, E, Transport.Transport | Scope.Scope>) => effect.pipe(Effect.provide(Transport.layerInMemory()))

describe("PS3.4 Annex J · Storage Commitment Push Model between two dicomnet peers", () => {
  it.effect("N-EVENT-REPORT on a new association to the requester's own server: event type 2 with the failed instance and reason 0112H", () =>
    run(
      Effect.gen(function* () {
        const { listener, association, deliveries } = yield* setup({ alwaysNewAssociation: true })
        const result = yield* StorageCommitment.request(association, {
          transactionUid: "1.2.826.0.1.3680043.10.99.1",
          listener,
          references: [
            { sopClassUid: ct, sopInstanceUid: "1.2.3.1" },
            { sopClassUid: ct, sopInstanceUid: "1.2.3.9" },
            { sopClassUid: ct, sopInstanceUid: "1.2.3.2" }
          ]
        })
        expect(result).toEqual({
          transactionUid: "1.2.826.0.1.3680043.10.99.1",
          eventTypeId: StorageCommitment.EventType.FailuresExist,
          committed: [
            { sopClassUid: ct, sopInstanceUid: "1.2.3.1" },
            { sopClassUid: ct, sopInstanceUid: "1.2.3.2" }
          ],
          failed: [{ sopClassUid: ct, sopInstanceUid: "1.2.3.9", failureReason: StorageCommitment.FailureReason.NoSuchObjectInstance }],
          reportedBy: "ARCHIVE"
        })
        const { delivery } = yield* Deferred.await(deliveries)
        expect(Result.isSuccess(delivery) && delivery.success).toBe("new-association")
      })
    )
  )

  it.effect("all instances present: event type 1, every reference in Referenced SOP Sequence, a generated Transaction UID", () =>
    run(
      Effect.gen(function* () {
        const { listener, association } = yield* setup({ alwaysNewAssociation: true })
        const result = yield* StorageCommitment.request(association, {
          listener,
          references: [{ sopClassUid: ct, sopInstanceUid: "1.2.3.1" }]
        })
        expect(result.eventTypeId).toBe(StorageCommitment.EventType.Successful)
        expect(result.committed).toEqual([{ sopClassUid: ct, sopInstanceUid: "1.2.3.1" }])
        expect(result.failed).toEqual([])
        expect(result.transactionUid).toMatch(/^2\.25\./)
      })
    )
  )

  it.effect("N-EVENT-REPORT on the same association while it is open (the association's N-EVENT-REPORT performer feeds the listener)", () =>
    run(
      Effect.gen(function* () {
        const { deliveries } = yield* setup({}, false)
        const listener = yield* StorageCommitment.makeListener
        const association = yield* Association.request({
          ...archive,
          callingAeTitle: requester.aeTitle,
          calledAeTitle: "ARCHIVE",
          contexts: [{ abstractSyntax: StorageCommitment.sopClassUid }],
          handlers: { request: NServices.performEventReports(StorageCommitment.eventReportHandler(listener)) }
        })
        const result = yield* StorageCommitment.request(association, {
          transactionUid: "1.2.3.77",
          listener,
          references: [
            { sopClassUid: ct, sopInstanceUid: "1.2.3.1" },
            { sopClassUid: ct, sopInstanceUid: "1.2.3.8" }
          ]
        })
        expect(result.transactionUid).toBe("1.2.3.77")
        expect(result.eventTypeId).toBe(StorageCommitment.EventType.FailuresExist)
        expect(result.committed).toEqual([{ sopClassUid: ct, sopInstanceUid: "1.2.3.1" }])
        expect(result.failed).toEqual([{ sopClassUid: ct, sopInstanceUid: "1.2.3.8", failureReason: 0x0112 }])
        const { delivery } = yield* Deferred.await(deliveries)
        expect(Result.isSuccess(delivery) && delivery.success).toBe("same-association")
      })
    )
  )

  it.effect("an association without an N-EVENT-REPORT performer answers 0211H: the SCP falls back to a new association to the requester's server", () =>
    run(
      Effect.gen(function* () {
        const { listener, association, deliveries } = yield* setup({})
        const result = yield* StorageCommitment.request(association, {
          listener,
          references: [{ sopClassUid: ct, sopInstanceUid: "1.2.3.2" }]
        })
        expect(result.eventTypeId).toBe(StorageCommitment.EventType.Successful)
        expect(result.reportedBy).toBe("ARCHIVE")
        const { delivery } = yield* Deferred.await(deliveries)
        expect(Result.isSuccess(delivery) && delivery.success).toBe("new-association")
      })
    )
  )

  it.effect("a requesting association that has ended: the SCP opens a new association to the known AE", () =>
    run(
      Effect.gen(function* () {
        const { listener } = yield* setup({})
        const handlers = yield* Scp.make({ has, aeTitle: "ARCHIVE", knownAes: [requester] })
        const expected = yield* listener.expect("1.2.3.78")
        const information = Result.getOrThrow(StorageCommitment.actionInformation("1.2.3.78", [{ sopClassUid: ct, sopInstanceUid: "1.2.3.2" }]))
        const performAction = handlers.action
        assert.isDefined(performAction)
        const reply = yield* performAction({
          association: { peer: "requester:4242", callingAeTitle: requester.aeTitle, calledAeTitle: "ARCHIVE" },
          negotiated: undefined as never,
          presentationContextId: 1,
          transferSyntax: "1.2.840.10008.1.2.1",
          command: {
            _tag: "NActionRq",
            requestedSopClassUid: Scp.sopClassUid,
            requestedSopInstanceUid: Scp.sopInstanceUid,
            actionTypeId: 1,
            messageId: 1,
            hasDataset: true
          },
          dataset: information,
          reportEvent: () => Effect.fail("association ended")
        })
        assert.isDefined(reply?.afterResponse)
        yield* reply.afterResponse
        const result = yield* expected
        expect(result.eventTypeId).toBe(1)
        expect(result.reportedBy).toBe("ARCHIVE")
      })
    )
  )

  it.effect("an unknown requester AE whose association has ended: the report is not delivered, and onReport says why", () =>
    run(
      Effect.gen(function* () {
        const { association, deliveries } = yield* setup({ knownAes: [], alwaysNewAssociation: true }, false)
        const listener = yield* StorageCommitment.makeListener
        const fiber = yield* Effect.forkChild(
          StorageCommitment.request(association, { listener, references: [{ sopClassUid: ct, sopInstanceUid: "1.2.3.1" }], timeout: "10 seconds" })
        )
        const { delivery } = yield* Deferred.await(deliveries)
        assert.isTrue(Result.isFailure(delivery))
        if (Result.isFailure(delivery)) expect(delivery.failure.reason).toContain("not a known AE")
        yield* TestClock.adjust("10 seconds")
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error._tag).toBe("CommitmentTimeout")
      })
    )
  )
})

describe("PS3.4 J.3.3.1.1 · Failure Reason 0131H duplicate transaction UID", () => {
  it.effect("a request reusing the Transaction UID of one still being checked has every reference failed 0131H", () =>
    run(
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const outcomes: Array<Scp.CommitmentOutcome> = []
        const { association } = yield* setup(
          {
            has: (_c, i) => Effect.as(Deferred.await(gate), stored.has(i)),
            knownAes: [],
            onReport: (outcome) => Effect.sync(() => void outcomes.push(outcome))
          },
          false
        )
        const information = Result.getOrThrow(StorageCommitment.actionInformation("1.2.3.99", [{ sopClassUid: ct, sopInstanceUid: "1.2.3.1" }]))
        const action = NServices.action(association, {
          sopClassUid: StorageCommitment.sopClassUid,
          sopInstanceUid: StorageCommitment.sopInstanceUid,
          actionTypeId: 1,
          actionInformation: information
        })
        expect((yield* action).status).toBe(Status.Code.Success)
        expect((yield* action).status).toBe(Status.Code.Success)
        for (let i = 0; i < 200 && outcomes.length === 0; i++) yield* Effect.yieldNow
        expect(outcomes).toEqual([
          { transactionUid: "1.2.3.99", committed: [], failed: [{ sopClassUid: ct, sopInstanceUid: "1.2.3.1", failureReason: 0x0131 }] }
        ])
        yield* Deferred.succeed(gate, undefined)
        for (let i = 0; i < 200 && outcomes.length === 1; i++) yield* Effect.yieldNow
        expect(outcomes[1]).toEqual({ transactionUid: "1.2.3.99", committed: [{ sopClassUid: ct, sopInstanceUid: "1.2.3.1" }], failed: [] })
      })
    )
  )
})

describe("PS3.4 J.3.2 · N-ACTION Request Storage Commitment refused with a failure status", () => {
  const action = (association: Association.Association, fields: Partial<NServices.ActionOptions>) =>
    Effect.flip(
      NServices.action(association, {
        sopClassUid: StorageCommitment.sopClassUid,
        sopInstanceUid: StorageCommitment.sopInstanceUid,
        actionTypeId: 1,
        ...fields
      })
    ).pipe(Effect.map((e) => e as DimseFailure))

  it.effect("no Transaction UID: 0106H invalid attribute value; an action type other than 1: 0123H; another instance: 0112H", () =>
    run(
      Effect.gen(function* () {
        const { association } = yield* setup({}, false)
        const noTransaction = yield* action(association, {
          actionInformation: Dataset.Dataset.unsafeFromRecord({ ReferencedSOPSequence: [{ ReferencedSOPClassUID: ct, ReferencedSOPInstanceUID: "1.2.3.1" }] })
        })
        expect(noTransaction.status).toBe(Status.Code.InvalidAttributeValue)
        const noReferences = yield* action(association, { actionInformation: Dataset.Dataset.unsafeFromRecord({ TransactionUID: "1.2.3" }) })
        expect(noReferences.status).toBe(Status.Code.InvalidAttributeValue)
        expect((yield* action(association, { actionTypeId: 2 })).status).toBe(Status.Code.NoSuchActionType)
        expect((yield* action(association, { sopInstanceUid: "1.2.3.4" })).status).toBe(Status.Code.NoSuchSopInstance)
      })
    )
  )
})

describe("StorageCommitment.Listener · correlation by Transaction UID", () => {
  const report = (transactionUid: string, eventTypeId = 1) => ({
    sopClassUid: SopClass.StorageCommitmentPushModel,
    sopInstanceUid: StorageCommitment.sopInstanceUid,
    eventTypeId,
    eventInformation: Dataset.Dataset.unsafeFromRecord({
      TransactionUID: transactionUid,
      ReferencedSOPSequence: [{ ReferencedSOPClassUID: ct, ReferencedSOPInstanceUID: "1.2.3.1" }]
    })
  })

  it.effect("completes the waiting transaction and keeps reports nobody waits for as unmatched", () =>
    Effect.gen(function* () {
      const listener = yield* StorageCommitment.makeListener
      const a = yield* listener.expect("1.1")
      expect(yield* listener.receive(report("9.9"))).toBe(Status.Code.Success)
      expect(yield* listener.receive(report("1.1"))).toBe(Status.Code.Success)
      expect((yield* a).transactionUid).toBe("1.1")
      expect((yield* listener.unmatched).map((r) => r.transactionUid)).toEqual(["9.9"])
    })
  )

  it.effect("answers 0113H for an unknown event type, 0110H for event information without Transaction UID, 0118H for another SOP class", () =>
    Effect.gen(function* () {
      const listener = yield* StorageCommitment.makeListener
      expect(yield* listener.receive(report("1.1", 3))).toBe(Status.Code.NoSuchEventType)
      expect(yield* listener.receive({ ...report("1.1"), eventInformation: Dataset.empty })).toBe(Status.Code.ProcessingFailure)
      expect(yield* listener.receive({ ...report("1.1"), sopClassUid: ct })).toBe(Status.Code.NoSuchSopClass)
    })
  )

  it.effect("a request whose N-ACTION fails leaves no registration behind: a later report for it is unmatched", () =>
    run(
      Effect.gen(function* () {
        yield* NPeer.listen(archive.host, archive.port, [SopClass.Verification], {})
        const association = yield* Association.request({ ...archive, contexts: [{ abstractSyntax: SopClass.Verification }] })
        const listener = yield* StorageCommitment.makeListener
        const error = yield* Effect.flip(
          StorageCommitment.request(association, { transactionUid: "5.5", listener, references: [{ sopClassUid: ct, sopInstanceUid: "1.2.3.1" }] })
        )
        expect(error._tag).toBe("PresentationContextNotAccepted")
        expect(yield* listener.receive(report("5.5"))).toBe(Status.Code.Success)
        expect((yield* listener.unmatched).map((r) => r.transactionUid)).toEqual(["5.5"])
      })
    )
  )

  it("reads Failed SOP Sequence with Failure Reason (0008,1197)", () => {
    const parsed = StorageCommitment.parseEventInformation(
      2,
      Dataset.Dataset.unsafeFromRecord({
        TransactionUID: "1.2",
        FailedSOPSequence: [{ ReferencedSOPClassUID: ct, ReferencedSOPInstanceUID: "1.2.3.5", FailureReason: 0x0122 }]
      })
    )
    assert.isTrue(Result.isSuccess(parsed))
    if (Result.isSuccess(parsed)) {
      expect(parsed.success.failed).toEqual([{ sopClassUid: ct, sopInstanceUid: "1.2.3.5", failureReason: 0x0122 }])
      expect(parsed.success.committed).toEqual([])
    }
    expect(Result.isFailure(StorageCommitment.parseEventInformation(2, Dataset.Dataset.unsafeFromRecord({ TransactionUID: "1.2" })))).toBe(true)
    expect(Tags.FailureReason).toBe(0x00081197)
  })
})
