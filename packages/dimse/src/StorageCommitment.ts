/**
 * The Storage Commitment Push Model's vocabulary (PS3.4 Annex J), shared by the SCU in @dicomnet/client
 * and the SCP in @dicomnet/server: its SOP class and well-known instance, the N-ACTION and N-EVENT-REPORT
 * type IDs, and the Failure Reason values.
 *
 * @since 0.1.0
 */
import { SopClass, Uid } from "@dicomnet/data"

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
