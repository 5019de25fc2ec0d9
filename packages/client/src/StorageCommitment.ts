/**
 * Storage Commitment Push Model, SCU side (PS3.4 Annex J): ask the peer to commit to the safekeeping
 * of SOP instances with an N-ACTION (action type 1) on the well-known SOP instance, then receive the
 * outcome as an N-EVENT-REPORT (event type 1: all committed; 2: failures exist), either on the same
 * association or on another one that the SCP opens to us. A `Listener` correlates event reports
 * with requests by Transaction UID (0008,1195), whichever association they come on.
 *
 * @since 0.1.0
 */
import { type DataError, type Dataset, Uid } from "@dicomnet/data"
import { Status, StorageCommitment } from "@dicomnet/dimse"
import { Data, Deferred, Duration, Effect, Result } from "effect"
import type { Association } from "./Association.js"
import * as NServices from "./NServices.js"

// The service's vocabulary is defined once, in @dicomnet/dimse (shared with the other role).
/** Storage Commitment Push Model SOP Class. @category constants */
export const sopClassUid: string = StorageCommitment.sopClassUid

/** The well-known Storage Commitment Push Model SOP Instance (PS3.4 J.3.2). @category constants */
export const sopInstanceUid: string = StorageCommitment.sopInstanceUid

/** N-ACTION Action Type ID "Request Storage Commitment" (PS3.4 Table J.3-1). @category constants */
export const requestActionTypeId = StorageCommitment.requestActionTypeId

/** N-EVENT-REPORT Event Type IDs (PS3.4 Table J.3-3). @category constants */
export const EventType = StorageCommitment.EventType

/** Failure Reason (0008,1197) values (PS3.4 J.3.3.1.1). @category constants */
export const FailureReason = StorageCommitment.FailureReason

/** A SOP instance to commit / referenced by a request or report. @category models */
export type Reference = StorageCommitment.Reference

/** A SOP instance the SCP did not commit, with its Failure Reason (0008,1197). @category models */
export type FailedReference = StorageCommitment.FailedReference

/** The outcome of a storage commitment request, as reported by the N-EVENT-REPORT. @category models */
export interface CommitmentResult {
  readonly transactionUid: string
  /** 1 (all committed) or 2 (failures exist). */
  readonly eventTypeId: number
  /** Referenced SOP Sequence (0008,1199): the committed instances. */
  readonly committed: ReadonlyArray<Reference>
  /** Failed SOP Sequence (0008,1198). */
  readonly failed: ReadonlyArray<FailedReference>
  /** The AE title of the association the report came on, when known. */
  readonly reportedBy?: string | undefined
}

/** An N-EVENT-REPORT that is not a well-formed storage commitment result. @category errors */
export class InvalidEventReport extends Data.TaggedError("InvalidEventReport")<{ readonly reason: string }> {}

/** No N-EVENT-REPORT for the transaction within the wait given to `request`. @category errors */
export class CommitmentTimeout extends Data.TaggedError("CommitmentTimeout")<{
  readonly transactionUid: string
  readonly millis: number
}> {
  override get message(): string {
    return `no storage commitment result for transaction ${this.transactionUid} within ${this.millis} ms`
  }
}

/** The Action Information of the N-ACTION-RQ (PS3.4 Table J.3-2). @category encoding */
export const actionInformation = (transactionUid: string, references: ReadonlyArray<Reference>): Result.Result<Dataset.Dataset, DataError.DataEncodeError> =>
  StorageCommitment.encodeActionInformation({ transactionUid, references })

/** Reads the Event Information of an N-EVENT-REPORT-RQ (PS3.4 Tables J.3-4, J.3-5). @category decoding */
export const parseEventInformation = (
  eventTypeId: number,
  information: Dataset.Dataset | undefined
): Result.Result<CommitmentResult, InvalidEventReport> =>
  Result.mapError(StorageCommitment.decodeEventInformation(eventTypeId, information), (e) => new InvalidEventReport({ reason: e.reason }))

/** An incoming N-EVENT-REPORT, as `Listener.receive` takes it (from our SCP handler or the association's performer side). @category models */
export interface IncomingEventReport {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly eventTypeId: number
  readonly eventInformation: Dataset.Dataset | undefined
  /** The calling AE title of the association it came on, when known. */
  readonly callingAeTitle?: string | undefined
}

/** Correlates storage commitment results with requests by Transaction UID. @category models */
export interface Listener {
  /** Registers a transaction (before its N-ACTION is sent, so that an early report is not missed). */
  readonly expect: (transactionUid: string) => Effect.Effect<Effect.Effect<CommitmentResult>>
  /** Drops a registered transaction (its request failed, or nobody waits any more). */
  readonly forget: (transactionUid: string) => Effect.Effect<void>
  /**
   * Takes an incoming N-EVENT-REPORT: completes the matching transaction and returns the status to
   * answer (0000H; 0113H no such event type; 0118H/0112H wrong SOP class/instance; 0110H malformed).
   */
  readonly receive: (report: IncomingEventReport) => Effect.Effect<number>
  /** Reports that arrived for no registered transaction (late or unsolicited), most recent last (the last `maxUnmatched`). */
  readonly unmatched: Effect.Effect<ReadonlyArray<CommitmentResult>>
}

/** Reports kept by a listener for no registered transaction. @category constants */
export const maxUnmatched = 100

/** Makes a listener; plug `receive` into the N-EVENT-REPORT handler of the association or of our server. @category constructors */
export const makeListener: Effect.Effect<Listener> = Effect.sync(() => {
  const waiting = new Map<string, Deferred.Deferred<CommitmentResult>>()
  const unmatched: Array<CommitmentResult> = []
  return {
    expect: (transactionUid) =>
      Effect.gen(function* () {
        const deferred = yield* Deferred.make<CommitmentResult>()
        waiting.set(transactionUid, deferred)
        return Deferred.await(deferred).pipe(Effect.ensuring(Effect.sync(() => waiting.delete(transactionUid))))
      }),
    forget: (transactionUid) => Effect.sync(() => void waiting.delete(transactionUid)),
    receive: (report) =>
      Effect.gen(function* () {
        if (report.sopClassUid !== sopClassUid) return Status.Code.NoSuchSopClass
        if (report.sopInstanceUid !== sopInstanceUid) return Status.Code.NoSuchSopInstance
        if (report.eventTypeId !== EventType.Successful && report.eventTypeId !== EventType.FailuresExist) return Status.Code.NoSuchEventType
        const parsed = parseEventInformation(report.eventTypeId, report.eventInformation)
        if (Result.isFailure(parsed)) {
          yield* Effect.logWarning(`storage commitment N-EVENT-REPORT refused: ${parsed.failure.reason}`)
          return Status.Code.ProcessingFailure
        }
        const result = report.callingAeTitle === undefined ? parsed.success : { ...parsed.success, reportedBy: report.callingAeTitle }
        const deferred = waiting.get(result.transactionUid)
        if (deferred === undefined) {
          unmatched.push(result)
          if (unmatched.length > maxUnmatched) unmatched.shift()
          yield* Effect.logInfo(`storage commitment result for transaction ${result.transactionUid}, which nobody waits for`)
        } else {
          yield* Deferred.succeed(deferred, result)
        }
        return Status.Code.Success
      }),
    unmatched: Effect.sync(() => unmatched.slice())
  }
})

/** What `request` needs. @category options */
export interface RequestOptions {
  /** Defaults to a new UID. */
  readonly transactionUid?: string | undefined
  readonly references: ReadonlyArray<Reference>
  /** Where the N-EVENT-REPORT is received: the association's own N-EVENT-REPORT performer or our server. */
  readonly listener: Listener
  /** How long to wait for the N-EVENT-REPORT after the N-ACTION-RSP (default: no limit). */
  readonly timeout?: Duration.Input | undefined
}

/** Why a storage commitment request failed. @category models */
export type RequestError = NServices.NServiceError | DataError.DataEncodeError | CommitmentTimeout

/**
 * Requests storage commitment for `references` (N-ACTION, action type 1, on the well-known instance)
 * and waits for the N-EVENT-REPORT carrying the result, received by `listener`.
 * @category operations
 */
export const request = (association: Association, options: RequestOptions): Effect.Effect<CommitmentResult, RequestError> =>
  Effect.gen(function* () {
    const transactionUid = options.transactionUid ?? Uid.generate()
    const information = actionInformation(transactionUid, options.references)
    if (Result.isFailure(information)) return yield* Effect.fail(information.failure)
    const awaitResult = yield* options.listener.expect(transactionUid)
    yield* NServices.action(association, {
      sopClassUid,
      sopInstanceUid,
      actionTypeId: requestActionTypeId,
      actionInformation: information.success
    }).pipe(Effect.onError(() => options.listener.forget(transactionUid)))
    if (options.timeout === undefined) return yield* awaitResult
    const duration = Duration.fromInputUnsafe(options.timeout)
    return yield* awaitResult.pipe(
      Effect.timeoutOrElse({
        duration,
        orElse: () => Effect.fail(new CommitmentTimeout({ transactionUid, millis: Duration.toMillis(duration) }))
      })
    )
  }).pipe(Effect.withSpan("dicomnet.storage_commitment", { attributes: { "dicomnet.references": options.references.length } }, { captureStackTrace: false }))

/** An N-EVENT-REPORT handler (for `NServices.performEventReports`) feeding `listener`: results on our own association. @category performer */
export const eventReportHandler =
  (listener: Listener): NServices.EventReportHandler =>
  (event) =>
    Effect.map(
      listener.receive({
        sopClassUid: event.sopClassUid,
        sopInstanceUid: event.sopInstanceUid,
        eventTypeId: event.eventTypeId,
        eventInformation: event.eventInformation,
        callingAeTitle: event.aeTitle
      }),
      (status) => ({ status })
    )
