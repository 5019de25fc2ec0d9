import type { Negotiation } from "@dicomnet/association"
import { Dataset, DatasetCodec, SopClass, Tags, TransferSyntax } from "@dicomnet/data"
import { Assembler, Command, Fragmenter, Status } from "@dicomnet/dimse"
import { NServices } from "@dicomnet/server"
import { ScriptedAcceptor } from "@dicomnet/testkit"
import { Transport } from "@dicomnet/transport"
import { assert, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Option, Result } from "effect"
import { TestClock } from "effect/testing"

const mpps = SopClass.ModalityPerformedProcedureStep
const explicit = TransferSyntax.ExplicitVRLittleEndian
const negotiated: Negotiation.Negotiated = {
  role: "acceptor",
  calledAeTitle: "DICOMNET",
  callingAeTitle: "SCU",
  acceptedContexts: new Map([[1, { presentationContextId: 1, abstractSyntax: mpps, transferSyntax: explicit }]]),
  rejectedContexts: [],
  peerMaxPduLength: 16384,
  maxPduLength: 16384,
  asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
  roleSelections: []
} as unknown as Negotiation.Negotiated
const association = { peer: "scu:1", callingAeTitle: "SCU", calledAeTitle: "DICOMNET" }

const nGet = Command.nGetRq({ requestedSopClassUid: mpps, requestedSopInstanceUid: "1.2.3", messageId: 7 })
const nSet = Command.nSetRq({ requestedSopClassUid: mpps, requestedSopInstanceUid: "1.2.3", messageId: 8 })
const nCreate = Command.nCreateRq({ affectedSopClassUid: mpps, messageId: 9, hasDataset: true })

const encode = (record: Dataset.DatasetRecord) => Result.getOrThrow(DatasetCodec.encode(Dataset.Dataset.unsafeFromRecord(record), explicit))

const answer = (handlers: NServices.NServiceHandlers, command: NServices.NRequestCommand, dataset?: Uint8Array) =>
  NServices.answer(handlers, { association, negotiated, presentationContextId: 1, command, dataset })

describe("PS3.7 §C.4–C.5 · typed handler failures answer the standard's statuses", () => {
  const cases: ReadonlyArray<readonly [string, NServices.NServiceError, number]> = [
    ["no such SOP instance", new NServices.NoSuchSopInstance({ sopInstanceUid: "1.2.3" }), 0x0112],
    ["no such SOP class", new NServices.NoSuchSopClass({ sopClassUid: "1.2" }), 0x0118],
    ["no such attribute", new NServices.NoSuchAttribute({ tags: [Tags.PatientAge] }), 0x0105],
    ["invalid attribute value", new NServices.InvalidAttributeValue({ tags: [Tags.PatientName] }), 0x0106],
    ["no such action type", new NServices.NoSuchActionType({ actionTypeId: 5 }), 0x0123],
    ["no such event type", new NServices.NoSuchEventType({ eventTypeId: 5 }), 0x0113],
    ["duplicate SOP instance", new NServices.DuplicateSopInstance({ sopInstanceUid: "1.2.3" }), 0x0111],
    ["processing failure", new NServices.ProcessingFailure({ comment: "disk full" }), 0x0110],
    ["any other status", new NServices.NServiceStatus({ status: 0x0124 }), 0x0124]
  ]
  for (const [name, error, status] of cases) {
    it.effect(`${name} → ${Status.toHex(status)}`, () =>
      Effect.gen(function* () {
        const result = yield* answer({ get: () => Effect.fail(error) }, nGet)
        expect(result.response._tag).toBe("NGetRsp")
        expect(result.response.status).toBe(status)
        expect(result.response.messageIdBeingRespondedTo).toBe(7)
        expect(result.dataset).toBeUndefined()
      })
    )
  }

  it.effect("attribute errors carry the tags in Attribute Identifier List (0000,1005) and the comment in Error Comment", () =>
    Effect.gen(function* () {
      const result = yield* answer(
        { set: () => Effect.fail(new NServices.InvalidAttributeValue({ tags: [Tags.PerformedProcedureStepStatus], comment: "bad\\status" })) },
        nSet,
        encode({ PerformedProcedureStepStatus: "X" })
      )
      expect(result.response.status).toBe(Status.Code.InvalidAttributeValue)
      expect(result.response.attributeIdentifierList).toEqual([Tags.PerformedProcedureStepStatus])
      // LO has no backslash: it is replaced.
      expect(result.response.errorComment).toBe("bad status")
    })
  )

  it.effect("a handler that dies or fails with an untyped error answers 0110H", () =>
    Effect.gen(function* () {
      const died = yield* answer({ get: () => Effect.die(new Error("bug")) }, nGet)
      expect(died.response.status).toBe(Status.Code.ProcessingFailure)
      const thrown = yield* answer(
        {
          get: () => {
            throw new Error("thrown while building the effect")
          }
        },
        nGet
      )
      expect(thrown.response.status).toBe(Status.Code.ProcessingFailure)
    })
  )

  it.effect("a request without a handler answers 0211H (unrecognized operation)", () =>
    Effect.gen(function* () {
      expect((yield* answer({}, nGet)).response.status).toBe(Status.Code.UnrecognizedOperation)
    })
  )

  it.effect("an undecodable request data set answers 0110H without calling the handler", () =>
    Effect.gen(function* () {
      let called = false
      const result = yield* answer({ set: () => Effect.sync(() => { called = true }) }, nSet, new Uint8Array([0x10, 0x00, 0x10, 0x00, 0x50, 0x4e, 0xff, 0xff]))
      expect(result.response.status).toBe(Status.Code.ProcessingFailure)
      expect(called).toBe(false)
    })
  )

  it.effect("interruption of the handler is not turned into a status", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(answer({ get: () => Effect.interrupt }, nGet))
      expect(Exit.hasInterrupts(exit)).toBe(true)
    })
  )
})

describe("PS3.7 §10.1 · replies", () => {
  it.effect("a reply's data set is encoded in the context's transfer syntax; the request's is decoded for the handler", () =>
    Effect.gen(function* () {
      const result = yield* answer(
        {
          set: ({ dataset }) =>
            Effect.succeed({ dataset: Dataset.Dataset.unsafeFromRecord({ PatientName: dataset?.string(Tags.PatientName) ?? "?" }) })
        },
        nSet,
        encode({ PatientName: "Doe^John" })
      )
      expect(result.response.status).toBe(Status.Code.Success)
      expect(result.response.hasDataset).toBe(true)
      assert.isDefined(result.dataset)
      const decoded = Result.getOrThrow(DatasetCodec.decode(result.dataset, explicit))
      expect(decoded.string(Tags.PatientName)).toBe("Doe^John")
    })
  )

  it.effect("N-CREATE: the instance UID the handler assigns goes back in Affected SOP Instance UID; a warning status passes through", () =>
    Effect.gen(function* () {
      const result = yield* answer({ create: () => Effect.succeed({ affectedSopInstanceUid: "1.2.3.99", status: 0x0001 }) }, nCreate, encode({}))
      expect(result.response).toMatchObject({ _tag: "NCreateRsp", affectedSopInstanceUid: "1.2.3.99", status: 0x0001, affectedSopClassUid: mpps })
    })
  )

  it.effect("a handler returning nothing answers 0000H with no data set", () =>
    Effect.gen(function* () {
      const result = yield* answer({ delete: () => Effect.void }, Command.nDeleteRq({ requestedSopClassUid: mpps, requestedSopInstanceUid: "1.2.3", messageId: 3 }))
      expect(result.response).toMatchObject({ _tag: "NDeleteRsp", status: 0, hasDataset: false, affectedSopInstanceUid: "1.2.3" })
      expect(result.afterResponse).toBeUndefined()
    })
  )

  it.effect("afterResponse is handed back to run after the response; its failure is logged, not raised", () =>
    Effect.gen(function* () {
      const ran = yield* Deferred.make<void>()
      const result = yield* answer({ get: () => Effect.succeed({ afterResponse: Effect.andThen(Deferred.succeed(ran, undefined), Effect.fail("late")) }) }, nGet)
      assert.isDefined(result.afterResponse)
      yield* result.afterResponse
      expect(yield* Deferred.isDone(ran)).toBe(true)
    })
  )
})

/** A scripted acceptor answering every N-EVENT-REPORT-RQ with `status`, recording what it got. */
const reportReceiver = (
  status: number,
  seen: Array<{ command: Command.DimseCommand; dataset: Dataset.Dataset | undefined; roles: Negotiation.Negotiated["roleSelections"] }>,
  silent = false
) =>
  ScriptedAcceptor.listen(
    { host: "requester", port: 105 },
    { contexts: [{ abstractSyntax: SopClass.StorageCommitmentPushModel, transferSyntaxes: [explicit] }] },
    (handle) =>
      Effect.gen(function* () {
        const assembler = Assembler.make()
        const chunks: Array<Uint8Array> = []
        for (;;) {
          const next = yield* handle.take
          if (Option.isNone(next)) return
          if (next.value._tag === "ReleaseRequested") {
            yield* handle.releaseResponse
            continue
          }
          for (const event of Result.getOrThrow(assembler.feedPDataTf(next.value.pdu))) {
            if (event._tag === "Data") chunks.push(event.data)
            if (event._tag !== "MessageComplete" || event.command._tag !== "NEventReportRq") continue
            const dataset = chunks.length === 0 ? undefined : Result.getOrThrow(DatasetCodec.decode(chunks[0] as Uint8Array, explicit))
            seen.push({ command: event.command, dataset, roles: handle.negotiated.roleSelections })
            if (silent) continue
            const pdus = Result.getOrThrow(
              Fragmenter.message({ presentationContextId: event.presentationContextId, maxPduLength: 0 }, Command.responseTo(event.command, status))
            )
            for (const pdu of pdus) yield* handle.sendPData(pdu.pdvs)
          }
        }
      })
  )

describe("Server-originated N-EVENT-REPORT on a new association (NServices.sendEventReport)", () => {
  const report: NServices.EventReport = {
    sopClassUid: SopClass.StorageCommitmentPushModel,
    sopInstanceUid: "1.2.840.10008.1.20.1.1",
    eventTypeId: 1,
    eventInformation: Dataset.Dataset.unsafeFromRecord({ TransactionUID: "1.2.3.4" })
  }
  const destination = { aeTitle: "REQUESTER", host: "requester", port: 105 }

  it.effect("opens an association proposing the SCP role, sends the report with its event information, returns the response status", () =>
    Effect.gen(function* () {
      const seen: Parameters<typeof reportReceiver>[1] = []
      yield* reportReceiver(Status.Code.Success, seen)
      const status = yield* NServices.sendEventReport(destination, report, { aeTitle: "ARCHIVE" })
      expect(status).toBe(Status.Code.Success)
      expect(seen).toHaveLength(1)
      expect(seen[0]?.command).toMatchObject({ _tag: "NEventReportRq", eventTypeId: 1, affectedSopInstanceUid: "1.2.840.10008.1.20.1.1" })
      expect(seen[0]?.dataset?.uid(Tags.TransactionUID)).toBe("1.2.3.4")
      expect(seen[0]?.roles).toEqual([{ sopClassUid: SopClass.StorageCommitmentPushModel, scuRole: false, scpRole: true }])
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("nobody listening: EventReportNotSent naming the AE", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(NServices.sendEventReport(destination, report))
      expect(error._tag).toBe("EventReportNotSent")
      expect(error.aeTitle).toBe("REQUESTER")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )

  it.effect("no N-EVENT-REPORT-RSP within the DIMSE timeout (TestClock): EventReportNotSent", () =>
    Effect.gen(function* () {
      const seen: Parameters<typeof reportReceiver>[1] = []
      yield* reportReceiver(Status.Code.Success, seen, true)
      const fiber = yield* Effect.forkChild(Effect.flip(NServices.sendEventReport(destination, report, { timeouts: { dimse: "5 seconds" } })))
      for (let i = 0; i < 100 && seen.length === 0; i++) yield* Effect.yieldNow
      expect(seen).toHaveLength(1)
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error.reason).toContain("in time")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})
