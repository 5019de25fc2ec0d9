/**
 * The Storage Commitment Push Model's vocabulary (PS3.4 Annex J), shared by the SCU in @dicomnet/client
 * and the SCP in @dicomnet/server: its SOP class and well-known instance, the N-ACTION and N-EVENT-REPORT
 * type IDs, the Failure Reason values, and the codecs of the N-ACTION's Action Information and the
 * N-EVENT-REPORT's Event Information (each role encodes one and decodes the other).
 *
 * @since 0.1.0
 */
import { type DataError, Dataset, SopClass, Tags, Uid } from "@dicomnet/data"
import { Data, Result } from "effect"

/** Storage Commitment Push Model SOP Class. @since 0.1.0 @category constants */
export const sopClassUid: string = SopClass.StorageCommitmentPushModel

/** The well-known Storage Commitment Push Model SOP Instance (PS3.4 J.3.2). @since 0.1.0 @category constants */
export const sopInstanceUid: string = Uid.Uids.StorageCommitmentPushModelInstance

/** N-ACTION Action Type ID "Request Storage Commitment" (PS3.4 Table J.3-1). @since 0.1.0 @category constants */
export const requestActionTypeId = 1

/** N-EVENT-REPORT Event Type IDs (PS3.4 Table J.3-3). @since 0.1.0 @category constants */
export const EventType = { Successful: 1, FailuresExist: 2 } as const

/** Failure Reason (0008,1197) values (PS3.4 J.3.3.1.1). @since 0.1.0 @category constants */
export const FailureReason = {
  ProcessingFailure: 0x0110,
  NoSuchObjectInstance: 0x0112,
  ResourceLimitation: 0x0213,
  ReferencedSopClassNotSupported: 0x0122,
  ClassInstanceConflict: 0x0119,
  DuplicateTransactionUid: 0x0131
} as const

/** A referenced SOP instance. @since 0.1.0 @category models */
export interface Reference {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
}

/** A SOP instance that was not committed, with its Failure Reason (0008,1197). @since 0.1.0 @category models */
export interface FailedReference extends Reference {
  readonly failureReason: number
}

/** The Action Information of an N-ACTION-RQ (PS3.4 Table J.3-2), read. @since 0.1.0 @category models */
export interface ActionInformation {
  readonly transactionUid: string
  readonly references: ReadonlyArray<Reference>
}

/** The Event Information of an N-EVENT-REPORT-RQ (PS3.4 Tables J.3-4, J.3-5) with its event type. @since 0.1.0 @category models */
export interface EventInformation {
  readonly transactionUid: string
  /** 1 (all committed) or 2 (failures exist). */
  readonly eventTypeId: number
  /** Referenced SOP Sequence (0008,1199): the committed instances. */
  readonly committed: ReadonlyArray<Reference>
  /** Failed SOP Sequence (0008,1198). */
  readonly failed: ReadonlyArray<FailedReference>
}

/** Action or Event Information that is not what PS3.4 Annex J asks for: the reason and the attribute. @since 0.1.0 @category errors */
export class InformationError extends Data.TaggedError("StorageCommitmentInformationError")<{
  readonly reason: string
  readonly tag: number
}> {
  override get message(): string {
    return this.reason
  }
}

const referenceRecord = (r: Reference) => ({ ReferencedSOPClassUID: r.sopClassUid, ReferencedSOPInstanceUID: r.sopInstanceUid })

/** Reads the Referenced SOP Class/Instance UIDs of a sequence's items. */
const referencesOf = (items: ReadonlyArray<Dataset.Dataset>, sequence: number, what: string): Result.Result<Array<Reference>, InformationError> => {
  const out: Array<Reference> = []
  for (const item of items) {
    const sopClass = item.uid(Tags.ReferencedSOPClassUID)
    const sopInstance = item.uid(Tags.ReferencedSOPInstanceUID)
    if (sopClass === undefined || sopInstance === undefined) {
      return Result.fail(new InformationError({ reason: `an item of ${what} lacks Referenced SOP Class/Instance UID`, tag: sequence }))
    }
    out.push({ sopClassUid: sopClass, sopInstanceUid: sopInstance })
  }
  return Result.succeed(out)
}

/** The Action Information of a commitment request: Transaction UID and Referenced SOP Sequence. @since 0.1.0 @category encoding */
export const encodeActionInformation = (information: ActionInformation): Result.Result<Dataset.Dataset, DataError.DataEncodeError> =>
  Dataset.fromRecord({ TransactionUID: information.transactionUid, ReferencedSOPSequence: information.references.map(referenceRecord) })

/**
 * Reads the Action Information of a commitment request: a Transaction UID and at least one Referenced SOP
 * Sequence item, each with its SOP Class and Instance UIDs.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeActionInformation = (information: Dataset.Dataset | undefined): Result.Result<ActionInformation, InformationError> => {
  const transactionUid = information?.uid(Tags.TransactionUID)
  if (information === undefined || transactionUid === undefined || transactionUid === "") {
    return Result.fail(new InformationError({ reason: "no Transaction UID", tag: Tags.TransactionUID }))
  }
  const items = information.sequence(Tags.ReferencedSOPSequence)
  if (items === undefined || items.length === 0) {
    return Result.fail(new InformationError({ reason: "no Referenced SOP Sequence items", tag: Tags.ReferencedSOPSequence }))
  }
  return Result.map(referencesOf(items, Tags.ReferencedSOPSequence, "Referenced SOP Sequence"), (references) => ({ transactionUid, references }))
}

/**
 * The Event Information of a commitment result and its event type: 1 when nothing failed, else 2 with the Failed SOP
 * Sequence (each item with its Failure Reason); the sequences that would be empty are left out.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeEventInformation = (
  outcome: Omit<EventInformation, "eventTypeId">
): Result.Result<{ readonly eventTypeId: number; readonly eventInformation: Dataset.Dataset }, DataError.DataEncodeError> => {
  const record: Dataset.DatasetRecord = {
    TransactionUID: outcome.transactionUid,
    ...(outcome.committed.length > 0 ? { ReferencedSOPSequence: outcome.committed.map(referenceRecord) } : {}),
    ...(outcome.failed.length > 0
      ? { FailedSOPSequence: outcome.failed.map((r) => ({ ...referenceRecord(r), FailureReason: r.failureReason })) }
      : {})
  }
  return Result.map(Dataset.fromRecord(record), (eventInformation) => ({
    eventTypeId: outcome.failed.length === 0 ? EventType.Successful : EventType.FailuresExist,
    eventInformation
  }))
}

/**
 * Reads the Event Information of a commitment result: event type 1 or 2, a Transaction UID, the committed and the
 * failed references (a failed item without Failure Reason counts as 0110H); event type 2 needs a failed item.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeEventInformation = (
  eventTypeId: number,
  information: Dataset.Dataset | undefined
): Result.Result<EventInformation, InformationError> => {
  if (eventTypeId !== EventType.Successful && eventTypeId !== EventType.FailuresExist) {
    return Result.fail(new InformationError({ reason: `event type ${eventTypeId} is not 1 or 2`, tag: Tags.EventTypeID }))
  }
  if (information === undefined) return Result.fail(new InformationError({ reason: "no event information", tag: Tags.TransactionUID }))
  const transactionUid = information.uid(Tags.TransactionUID)
  if (transactionUid === undefined) return Result.fail(new InformationError({ reason: "no Transaction UID (0008,1195)", tag: Tags.TransactionUID }))
  const committed = referencesOf(information.sequence(Tags.ReferencedSOPSequence) ?? [], Tags.ReferencedSOPSequence, "Referenced SOP Sequence")
  if (Result.isFailure(committed)) return Result.fail(committed.failure)
  const failedItems = information.sequence(Tags.FailedSOPSequence) ?? []
  const failedRefs = referencesOf(failedItems, Tags.FailedSOPSequence, "Failed SOP Sequence")
  if (Result.isFailure(failedRefs)) return Result.fail(failedRefs.failure)
  const failed: Array<FailedReference> = failedRefs.success.map((r, i) => ({
    ...r,
    failureReason: failedItems[i]?.number(Tags.FailureReason) ?? FailureReason.ProcessingFailure
  }))
  if (eventTypeId === EventType.FailuresExist && failed.length === 0) {
    return Result.fail(new InformationError({ reason: "event type 2 without a Failed SOP Sequence", tag: Tags.FailedSOPSequence }))
  }
  return Result.succeed({ transactionUid, eventTypeId, committed: committed.success, failed })
}
