/**
 * The Storage Commitment Push Model's Action and Event Information (PS3.4 Annex J), the one codec both roles use:
 * the SCU encodes the request and decodes the report, the SCP decodes the request and encodes the report.
 */
import { Dataset, Tags } from "@dicomnet/data"
import { StorageCommitment } from "@dicomnet/dimse"
import { assert, describe, expect, it } from "@effect/vitest"
import { Result } from "effect"

const CT = "1.2.840.10008.5.1.4.1.1.2"
const refs = [
  { sopClassUid: CT, sopInstanceUid: "1.2.3.1" },
  { sopClassUid: CT, sopInstanceUid: "1.2.3.2" }
]

const record = (r: Dataset.DatasetRecord): Dataset.Dataset => {
  const made = Dataset.Dataset.fromRecord(r)
  assert(Result.isSuccess(made))
  return made.success
}

const failureOf = <A>(result: Result.Result<A, StorageCommitment.InformationError>) => {
  assert(Result.isFailure(result))
  return { reason: result.failure.reason, tag: result.failure.tag }
}

describe("Storage Commitment · Action Information (PS3.4 Table J.3-2)", () => {
  it("what the SCU encodes, the SCP decodes: Transaction UID and every reference, in order", () => {
    const encoded = StorageCommitment.encodeActionInformation({ transactionUid: "2.25.7", references: refs })
    assert(Result.isSuccess(encoded))
    expect(encoded.success.uid(Tags.TransactionUID)).toBe("2.25.7")
    expect(StorageCommitment.decodeActionInformation(encoded.success)).toEqual(Result.succeed({ transactionUid: "2.25.7", references: refs }))
  })

  it("a request without Transaction UID, without references or with an incomplete item is refused, naming the attribute", () => {
    expect(failureOf(StorageCommitment.decodeActionInformation(undefined))).toEqual({ reason: "no Transaction UID", tag: Tags.TransactionUID })
    expect(failureOf(StorageCommitment.decodeActionInformation(record({ TransactionUID: "2.25.7" })))).toEqual({
      reason: "no Referenced SOP Sequence items",
      tag: Tags.ReferencedSOPSequence
    })
    expect(failureOf(StorageCommitment.decodeActionInformation(record({ TransactionUID: "2.25.7", ReferencedSOPSequence: [{ ReferencedSOPClassUID: CT }] })))).toEqual({
      reason: "an item of Referenced SOP Sequence lacks Referenced SOP Class/Instance UID",
      tag: Tags.ReferencedSOPSequence
    })
  })
})

describe("Storage Commitment · Event Information (PS3.4 Tables J.3-4, J.3-5)", () => {
  it("all committed: event type 1, no Failed SOP Sequence; decoded back the same", () => {
    const encoded = StorageCommitment.encodeEventInformation({ transactionUid: "2.25.8", committed: refs, failed: [] })
    assert(Result.isSuccess(encoded))
    expect(encoded.success.eventTypeId).toBe(StorageCommitment.EventType.Successful)
    expect(encoded.success.eventInformation.sequence(Tags.FailedSOPSequence)).toBeUndefined()
    expect(StorageCommitment.decodeEventInformation(encoded.success.eventTypeId, encoded.success.eventInformation)).toEqual(
      Result.succeed({ transactionUid: "2.25.8", eventTypeId: 1, committed: refs, failed: [] })
    )
  })

  it("failures: event type 2 with each Failure Reason; no Referenced SOP Sequence when nothing was committed", () => {
    const failed = refs.map((r, i) => ({ ...r, failureReason: i === 0 ? StorageCommitment.FailureReason.NoSuchObjectInstance : StorageCommitment.FailureReason.ProcessingFailure }))
    const encoded = StorageCommitment.encodeEventInformation({ transactionUid: "2.25.9", committed: [], failed })
    assert(Result.isSuccess(encoded))
    expect(encoded.success.eventTypeId).toBe(StorageCommitment.EventType.FailuresExist)
    expect(encoded.success.eventInformation.sequence(Tags.ReferencedSOPSequence)).toBeUndefined()
    expect(StorageCommitment.decodeEventInformation(2, encoded.success.eventInformation)).toEqual(
      Result.succeed({ transactionUid: "2.25.9", eventTypeId: 2, committed: [], failed })
    )
  })

  it("a failed item without Failure Reason counts as 0110H (processing failure)", () => {
    const information = record({ TransactionUID: "2.25.10", FailedSOPSequence: [{ ReferencedSOPClassUID: CT, ReferencedSOPInstanceUID: "1.2.3.9" }] })
    const decoded = StorageCommitment.decodeEventInformation(2, information)
    assert(Result.isSuccess(decoded))
    expect(decoded.success.failed).toEqual([{ sopClassUid: CT, sopInstanceUid: "1.2.3.9", failureReason: 0x0110 }])
  })

  it("refused: another event type, no information, no Transaction UID, event type 2 with nothing failed", () => {
    const plain = record({ TransactionUID: "2.25.11", ReferencedSOPSequence: [{ ReferencedSOPClassUID: CT, ReferencedSOPInstanceUID: "1.2.3.1" }] })
    expect(failureOf(StorageCommitment.decodeEventInformation(3, plain)).reason).toBe("event type 3 is not 1 or 2")
    expect(failureOf(StorageCommitment.decodeEventInformation(1, undefined)).reason).toBe("no event information")
    expect(failureOf(StorageCommitment.decodeEventInformation(1, record({ ReferencedSOPSequence: [] })))).toEqual({
      reason: "no Transaction UID (0008,1195)",
      tag: Tags.TransactionUID
    })
    expect(failureOf(StorageCommitment.decodeEventInformation(2, plain))).toEqual({
      reason: "event type 2 without a Failed SOP Sequence",
      tag: Tags.FailedSOPSequence
    })
  })
})
