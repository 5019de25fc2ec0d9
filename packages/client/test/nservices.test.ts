import { Association, type DimseFailure, Echo, NServices } from "@dicomnet/client"
import { Dataset, SopClass, Tags, TransferSyntax, Uid } from "@dicomnet/data"
import { Status } from "@dicomnet/dimse"
import { NServices as Scp } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as NPeer from "./support/NPeer.js"

const host = "n-scp"
const port = 104
const mpps = SopClass.ModalityPerformedProcedureStep
const printer = Uid.Uids.Printer
const record = (r: Dataset.DatasetRecord) => Dataset.Dataset.unsafeFromRecord(r)

/** A tiny managed-object store answering every N-service for MPPS (and 0118H for any other class). */
const makeHandlers = () => {
  const instances = new Map<string, Dataset.Dataset>()
  const events: Array<{ eventTypeId: number; sopInstanceUid: string; status: string | undefined }> = []
  let next = 0
  const checkClass = (uid: string) => (uid === mpps ? Effect.void : Effect.fail(new Scp.NoSuchSopClass({ sopClassUid: uid })))
  const lookup = (uid: string) => {
    const found = instances.get(uid)
    return found === undefined ? Effect.fail(new Scp.NoSuchSopInstance({ sopInstanceUid: uid })) : Effect.succeed(found)
  }
  const handlers: Scp.NServiceHandlers = {
    create: ({ command, dataset }) =>
      Effect.gen(function* () {
        yield* checkClass(command.affectedSopClassUid)
        const uid = command.affectedSopInstanceUid ?? `1.2.826.0.1.3680043.10.1.${++next}`
        if (instances.has(uid)) return yield* Effect.fail(new Scp.DuplicateSopInstance({ sopInstanceUid: uid }))
        instances.set(uid, dataset ?? Dataset.empty)
        return { affectedSopInstanceUid: uid }
      }),
    get: ({ command }) =>
      Effect.gen(function* () {
        yield* checkClass(command.requestedSopClassUid)
        const found = yield* lookup(command.requestedSopInstanceUid)
        const wanted = command.attributeIdentifierList ?? []
        if (wanted.length === 0) return { dataset: found }
        const missing = wanted.filter((tag) => !found.has(tag))
        const dataset = Dataset.make(found.elements().filter((e) => wanted.includes(e.tag)))
        // PS3.4 F.7.2.2: a requested attribute the instance lacks is a warning (0107H), not a failure.
        return missing.length > 0 ? { dataset, status: Status.Code.AttributeListError } : { dataset }
      }),
    set: ({ command, dataset }) =>
      Effect.gen(function* () {
        yield* checkClass(command.requestedSopClassUid)
        const found = yield* lookup(command.requestedSopInstanceUid)
        const status = dataset?.string(Tags.PerformedProcedureStepStatus)
        if (status !== undefined && !["IN PROGRESS", "COMPLETED", "DISCONTINUED"].includes(status)) {
          return yield* Effect.fail(new Scp.InvalidAttributeValue({ tags: [Tags.PerformedProcedureStepStatus], comment: `bad status ${status}` }))
        }
        if (dataset?.has(Tags.PatientAge) === true) return yield* Effect.fail(new Scp.NoSuchAttribute({ tags: [Tags.PatientAge] }))
        let updated = found
        for (const e of dataset?.elements() ?? []) updated = updated.with(e)
        instances.set(command.requestedSopInstanceUid, updated)
      }),
    action: ({ command, dataset }) =>
      Effect.gen(function* () {
        yield* checkClass(command.requestedSopClassUid)
        yield* lookup(command.requestedSopInstanceUid)
        if (command.actionTypeId === 99) return yield* Effect.die(new Error("a bug in the handler"))
        if (command.actionTypeId !== 1) return yield* Effect.fail(new Scp.NoSuchActionType({ actionTypeId: command.actionTypeId }))
        return { dataset: record({ TextValue: `done ${dataset?.string(Tags.TextValue) ?? ""}`.trim() }) }
      }),
    delete: ({ command }) =>
      Effect.gen(function* () {
        yield* checkClass(command.requestedSopClassUid)
        yield* lookup(command.requestedSopInstanceUid)
        instances.delete(command.requestedSopInstanceUid)
      }),
    eventReport: ({ command, dataset }) =>
      Effect.sync(() => {
        events.push({
          eventTypeId: command.eventTypeId,
          sopInstanceUid: command.affectedSopInstanceUid,
          status: dataset?.string(Tags.PerformedProcedureStepStatus)
        })
        return { dataset: record({ TextValue: "noted" }) }
      })
  }
  return { handlers, instances, events }
}

const withPeer = <A, E>(
  body: (association: Association.Association, store: ReturnType<typeof makeHandlers>) => Effect.Effect<A, E, Transport.Transport>,
  transferSyntaxes?: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    const store = makeHandlers()
    yield* NPeer.listen(host, port, [mpps, printer, SopClass.Verification], store.handlers, transferSyntaxes)
    const association = yield* Association.request({
      host,
      port,
      contexts: [{ abstractSyntax: mpps }, { abstractSyntax: printer }, { abstractSyntax: SopClass.Verification }]
    })
    return yield* body(association, store)
  }).pipe(Effect.provide(Transport.layerInMemory()))

const failure = <A>(effect: Effect.Effect<A, NServices.NServiceError>) =>
  Effect.flip(effect).pipe(
    Effect.map((error) => {
      assert.strictEqual(error._tag, "DimseFailure")
      return error as DimseFailure
    })
  )

describe("PS3.7 §10.1 · DIMSE-N SCU against our SCP handlers (in memory)", () => {
  it.effect("N-CREATE without an instance UID gets one assigned; N-GET returns what was created (all attributes)", () =>
    withPeer((association, store) =>
      Effect.gen(function* () {
        const created = yield* NServices.create(association, {
          sopClassUid: mpps,
          attributes: record({ PerformedProcedureStepStatus: "IN PROGRESS", PatientName: "Doe^Jane" })
        })
        expect(created.status).toBe(Status.Code.Success)
        const uid = created.affectedSopInstanceUid
        assert.isDefined(uid)
        expect(store.instances.has(uid)).toBe(true)
        const got = yield* NServices.get(association, { sopClassUid: mpps, sopInstanceUid: uid })
        expect(got.status).toBe(Status.Code.Success)
        expect(got.dataset?.string(Tags.PatientName)).toBe("Doe^Jane")
        expect(got.dataset?.string(Tags.PerformedProcedureStepStatus)).toBe("IN PROGRESS")
      })
    )
  )

  it.effect("N-CREATE with an instance UID keeps it; a second N-CREATE of it fails 0111H (duplicate SOP instance)", () =>
    withPeer((association) =>
      Effect.gen(function* () {
        const uid = "1.2.3.4.5"
        const created = yield* NServices.create(association, { sopClassUid: mpps, sopInstanceUid: uid })
        expect(created.affectedSopInstanceUid).toBe(uid)
        const error = yield* failure(NServices.create(association, { sopClassUid: mpps, sopInstanceUid: uid }))
        expect(error.status).toBe(Status.Code.DuplicateSopInstance)
        expect(error.service).toBe("N-CREATE")
      })
    )
  )

  it.effect("N-GET with an attribute identifier list returns only those attributes; a missing one is warning 0107H", () =>
    withPeer((association) =>
      Effect.gen(function* () {
        const uid = "1.2.3.4.6"
        yield* NServices.create(association, {
          sopClassUid: mpps,
          sopInstanceUid: uid,
          attributes: record({ PerformedProcedureStepStatus: "IN PROGRESS", PatientName: "Doe^Jane", PatientID: "42" })
        })
        const some = yield* NServices.get(association, { sopClassUid: mpps, sopInstanceUid: uid, attributes: [Tags.PatientID] })
        expect(some.status).toBe(Status.Code.Success)
        expect(some.dataset?.elements().map((e) => e.tag)).toEqual([Tags.PatientID])
        const warned = yield* NServices.get(association, {
          sopClassUid: mpps,
          sopInstanceUid: uid,
          attributes: [Tags.PatientID, Tags.PatientBirthDate]
        })
        expect(warned.status).toBe(Status.Code.AttributeListError)
        expect(warned.dataset?.string(Tags.PatientID)).toBe("42")
      })
    )
  )

  it.effect("N-SET modifies the instance; an invalid value fails 0106H and an unsupported attribute 0105H, with the tags in (0000,1005)", () =>
    withPeer((association, store) =>
      Effect.gen(function* () {
        const uid = "1.2.3.4.7"
        yield* NServices.create(association, { sopClassUid: mpps, sopInstanceUid: uid, attributes: record({ PerformedProcedureStepStatus: "IN PROGRESS" }) })
        const done = yield* NServices.set(association, {
          sopClassUid: mpps,
          sopInstanceUid: uid,
          modifications: record({ PerformedProcedureStepStatus: "COMPLETED" })
        })
        expect(done.status).toBe(Status.Code.Success)
        expect(store.instances.get(uid)?.string(Tags.PerformedProcedureStepStatus)).toBe("COMPLETED")
        const invalid = yield* failure(
          NServices.set(association, { sopClassUid: mpps, sopInstanceUid: uid, modifications: record({ PerformedProcedureStepStatus: "ON HOLD" }) })
        )
        expect(invalid.status).toBe(Status.Code.InvalidAttributeValue)
        expect(invalid.comment).toBe("bad status ON HOLD")
        const unsupported = yield* failure(
          NServices.set(association, { sopClassUid: mpps, sopInstanceUid: uid, modifications: record({ PatientAge: "042Y" }) })
        )
        expect(unsupported.status).toBe(Status.Code.NoSuchAttribute)
        expect(store.instances.get(uid)?.string(Tags.PerformedProcedureStepStatus)).toBe("COMPLETED")
      })
    )
  )

  it.effect("N-ACTION returns the action reply; an unknown action type fails 0123H", () =>
    withPeer((association) =>
      Effect.gen(function* () {
        const uid = "1.2.3.4.8"
        yield* NServices.create(association, { sopClassUid: mpps, sopInstanceUid: uid })
        const done = yield* NServices.action(association, {
          sopClassUid: mpps,
          sopInstanceUid: uid,
          actionTypeId: 1,
          actionInformation: record({ TextValue: "now" })
        })
        expect(done.status).toBe(Status.Code.Success)
        expect(done.dataset?.string(Tags.TextValue)).toBe("done now")
        const plain = yield* NServices.action(association, { sopClassUid: mpps, sopInstanceUid: uid, actionTypeId: 1 })
        expect(plain.dataset?.string(Tags.TextValue)).toBe("done")
        const error = yield* failure(NServices.action(association, { sopClassUid: mpps, sopInstanceUid: uid, actionTypeId: 7 }))
        expect(error.status).toBe(Status.Code.NoSuchActionType)
        expect(error.service).toBe("N-ACTION")
      })
    )
  )

  it.effect("N-DELETE removes the instance; then N-GET and N-DELETE of it fail 0112H (no such SOP instance)", () =>
    withPeer((association, store) =>
      Effect.gen(function* () {
        const uid = "1.2.3.4.9"
        yield* NServices.create(association, { sopClassUid: mpps, sopInstanceUid: uid })
        const deleted = yield* NServices.delete(association, { sopClassUid: mpps, sopInstanceUid: uid })
        expect(deleted.status).toBe(Status.Code.Success)
        expect(deleted.affectedSopInstanceUid).toBe(uid)
        expect(store.instances.has(uid)).toBe(false)
        expect((yield* failure(NServices.get(association, { sopClassUid: mpps, sopInstanceUid: uid }))).status).toBe(Status.Code.NoSuchSopInstance)
        expect((yield* failure(NServices.delete(association, { sopClassUid: mpps, sopInstanceUid: uid }))).status).toBe(Status.Code.NoSuchSopInstance)
      })
    )
  )

  it.effect("N-EVENT-REPORT delivers the event information to the handler and returns its reply", () =>
    withPeer((association, store) =>
      Effect.gen(function* () {
        const result = yield* NServices.eventReport(association, {
          sopClassUid: mpps,
          sopInstanceUid: "1.2.3.4.10",
          eventTypeId: 3,
          eventInformation: record({ PerformedProcedureStepStatus: "COMPLETED" })
        })
        expect(result.status).toBe(Status.Code.Success)
        expect(result.dataset?.string(Tags.TextValue)).toBe("noted")
        expect(store.events).toEqual([{ eventTypeId: 3, sopInstanceUid: "1.2.3.4.10", status: "COMPLETED" }])
      })
    )
  )

  it.effect("a SOP class the handlers do not manage fails 0118H (no such SOP class)", () =>
    withPeer((association) =>
      Effect.gen(function* () {
        const error = yield* failure(NServices.get(association, { sopClassUid: printer, sopInstanceUid: "1.2.840.10008.5.1.1.17" }))
        expect(error.status).toBe(Status.Code.NoSuchSopClass)
        expect(error.message).toContain("no such SOP class")
      })
    )
  )

  it.effect("a handler that dies is answered 0110H (processing failure) and the association goes on", () =>
    withPeer((association) =>
      Effect.gen(function* () {
        const uid = "1.2.3.4.11"
        yield* NServices.create(association, { sopClassUid: mpps, sopInstanceUid: uid })
        const error = yield* failure(NServices.action(association, { sopClassUid: mpps, sopInstanceUid: uid, actionTypeId: 99 }))
        expect(error.status).toBe(Status.Code.ProcessingFailure)
        expect((yield* Echo.echo(association)).status).toBe(Status.Code.Success)
        expect((yield* NServices.get(association, { sopClassUid: mpps, sopInstanceUid: uid })).status).toBe(Status.Code.Success)
      })
    )
  )

  it.effect("data sets travel in the context's transfer syntax (Implicit VR Little Endian accepted)", () =>
    withPeer(
      (association) =>
        Effect.gen(function* () {
          const context = yield* association.findContext(mpps)
          expect(context.transferSyntax).toBe(TransferSyntax.ImplicitVRLittleEndian)
          const uid = "1.2.3.4.12"
          yield* NServices.create(association, { sopClassUid: mpps, sopInstanceUid: uid, attributes: record({ PatientName: "Implicit^Ivy" }) })
          const got = yield* NServices.get(association, { sopClassUid: mpps, sopInstanceUid: uid })
          expect(got.dataset?.string(Tags.PatientName)).toBe("Implicit^Ivy")
        }),
      [TransferSyntax.ImplicitVRLittleEndian]
    )
  )

  it.effect("an N-service on a SOP class that was not negotiated fails PresentationContextNotAccepted", () =>
    withPeer((association) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(NServices.get(association, { sopClassUid: SopClass.StorageCommitmentPushModel, sopInstanceUid: "1.2.3" }))
        expect(error._tag).toBe("PresentationContextNotAccepted")
      })
    )
  )

  it.effect("a handler reports an event to the requester on the same association (server-originated N-EVENT-REPORT) before answering", () =>
    Effect.gen(function* () {
      const seen: Array<NServices.IncomingEventReport> = []
      yield* NPeer.listen(host, port, [mpps], {
        action: ({ command, reportEvent }) =>
          Effect.gen(function* () {
            if (reportEvent === undefined) return yield* Effect.fail(new Scp.ProcessingFailure({ comment: "cannot report" }))
            const status = yield* reportEvent({
              sopClassUid: mpps,
              sopInstanceUid: command.requestedSopInstanceUid,
              eventTypeId: 5,
              eventInformation: record({ PerformedProcedureStepStatus: "COMPLETED" })
            }).pipe(Effect.mapError(() => new Scp.ProcessingFailure({ comment: "report failed" })))
            return { dataset: record({ TextValue: `reported ${Status.toHex(status)}` }) }
          })
      })
      const association = yield* Association.request({
        host,
        port,
        contexts: [{ abstractSyntax: mpps }],
        handlers: {
          request: NServices.performEventReports((event) =>
            Effect.sync(() => {
              seen.push(event)
              return { status: Status.Code.Success }
            })
          )
        }
      })
      const done = yield* NServices.action(association, { sopClassUid: mpps, sopInstanceUid: "1.2.3.4.13", actionTypeId: 1 })
      expect(done.dataset?.string(Tags.TextValue)).toBe("reported 0x0000")
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ sopClassUid: mpps, sopInstanceUid: "1.2.3.4.13", eventTypeId: 5 })
      expect(seen[0]?.eventInformation?.string(Tags.PerformedProcedureStepStatus)).toBe("COMPLETED")
    }).pipe(Effect.provide(Transport.layerInMemory()))
  )
})
