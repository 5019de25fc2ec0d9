/**
 * Storage Commitment Push Model, SCP side (PS3.4 Annex J): the N-ACTION handler that accepts a
 * request (action type 1 on the well-known SOP instance), checks each referenced SOP instance with a
 * `has(sopClassUid, sopInstanceUid)` callback (e.g. the storage directory), and reports the outcome
 * with an N-EVENT-REPORT (event type 1: all committed; 2: failures exist) after the N-ACTION-RSP: on
 * the same association while it is open, else on a new association to the requester's AE, found in a
 * table of known AEs, proposing the SCP role (PS3.4 J.3.3, PS3.7 §D.3.3.4).
 *
 * @since 0.1.0
 */
import type { DataError, Dataset } from "@dicomnet/data"
import { type Command, Status, StorageCommitment } from "@dicomnet/dimse"
import type { Transport } from "@dicomnet/transport"
import { Data, Effect, Result } from "effect"
import type { KnownAe } from "./AccessControl.js"
import {
  type EventReport,
  InvalidAttributeValue,
  NoSuchActionType,
  NoSuchSopClass,
  NoSuchSopInstance,
  type NHandler,
  type NReply,
  sendEventReport,
  type SendEventReportOptions,
  type NServiceHandlers
} from "./NServices.js"

// The service's vocabulary is defined once, in @dicomnet/dimse (shared with the other role).
/** Storage Commitment Push Model SOP Class. @category constants */
export const sopClassUid: string = StorageCommitment.sopClassUid

/** The well-known Storage Commitment Push Model SOP Instance (PS3.4 J.3.2). @category constants */
export const sopInstanceUid: string = StorageCommitment.sopInstanceUid

/** N-EVENT-REPORT Event Type IDs (PS3.4 Table J.3-3). @category constants */
export const EventType = StorageCommitment.EventType

/** Failure Reason (0008,1197) values (PS3.4 J.3.3.1.1). @category constants */
export const FailureReason = StorageCommitment.FailureReason

/** A SOP instance to commit / referenced by a request or report. @category models */
export type Reference = StorageCommitment.Reference

/** The request's Action Information, read. @category models */
export type CommitmentRequest = StorageCommitment.ActionInformation

/** The outcome of checking a request. @category models */
export interface CommitmentOutcome {
  readonly transactionUid: string
  readonly committed: ReadonlyArray<Reference>
  readonly failed: ReadonlyArray<StorageCommitment.FailedReference>
}

/** The N-EVENT-REPORT could not be delivered (no open association, unknown AE, connection or DIMSE failure). @category errors */
export class EventReportNotDelivered extends Data.TaggedError("EventReportNotDelivered")<{
  readonly transactionUid: string
  readonly aeTitle: string
  readonly reason: string
}> {
  override get message(): string {
    return `storage commitment result for transaction ${this.transactionUid} not delivered to ${this.aeTitle}: ${this.reason}`
  }
}

/** SCP options. @category options */
export interface ScpOptions {
  /** Whether a SOP instance is safely stored (e.g. present in the storage directory); a failure counts as 0110H. */
  readonly has: (sopClassUid: string, sopInstanceUid: string) => Effect.Effect<boolean, unknown>
  /** Where to open an association to a requester whose association has ended (by its calling AE title). */
  readonly knownAes?: ReadonlyArray<KnownAe> | undefined
  /** Our AE title on such an association (default "DICOMNET"). */
  readonly aeTitle?: string | undefined
  /** Always report on a new association, even while the requesting one is open (PS3.4 J.3.3 allows both). */
  readonly alwaysNewAssociation?: boolean | undefined
  /** Timers of a new association: ARTIM/associate, release and the wait for the N-EVENT-REPORT-RSP (default 30 s each). */
  readonly timeouts?: SendEventReportOptions["timeouts"]
  /** Called with every report's outcome (delivered or not): for logs, tests, retries. */
  readonly onReport?: ((outcome: CommitmentOutcome, delivery: Result.Result<"same-association" | "new-association", EventReportNotDelivered>) => Effect.Effect<void>) | undefined
}

/** Reads the Action Information of an N-ACTION-RQ (PS3.4 Table J.3-2). @category decoding */
export const parseActionInformation = (information: Dataset.Dataset | undefined): Result.Result<CommitmentRequest, InvalidAttributeValue> =>
  Result.mapError(StorageCommitment.decodeActionInformation(information), (e) => new InvalidAttributeValue({ tags: [e.tag], comment: e.reason }))

/** Checks every reference with `has`: present ones are committed, absent ones fail 0112H, a failing check 0110H. @category commitment */
export const check = (
  request: CommitmentRequest,
  has: ScpOptions["has"]
): Effect.Effect<CommitmentOutcome> =>
  Effect.gen(function* () {
    const committed: Array<Reference> = []
    const failed: Array<Reference & { readonly failureReason: number }> = []
    for (const reference of request.references) {
      const present = yield* Effect.result(Effect.suspend(() => has(reference.sopClassUid, reference.sopInstanceUid)))
      if (Result.isSuccess(present) && present.success) committed.push(reference)
      else {
        failed.push({
          ...reference,
          failureReason: Result.isSuccess(present) ? FailureReason.NoSuchObjectInstance : FailureReason.ProcessingFailure
        })
      }
    }
    return { transactionUid: request.transactionUid, committed, failed }
  })

/** The N-EVENT-REPORT for an outcome: event type and Event Information (PS3.4 Tables J.3-4, J.3-5). @category encoding */
export const eventReportOf = (outcome: CommitmentOutcome): Result.Result<EventReport, DataError.DataEncodeError> =>
  Result.map(StorageCommitment.encodeEventInformation(outcome), ({ eventInformation, eventTypeId }) => ({
    sopClassUid,
    sopInstanceUid,
    eventTypeId,
    eventInformation
  }))

/**
 * The Storage Commitment SCP as N-service handlers (N-ACTION): answers the N-ACTION at once, then
 * checks the references and sends the N-EVENT-REPORT (see the module doc).
 * @category constructors
 */
export const make = (options: ScpOptions): Effect.Effect<NServiceHandlers, never, Transport.Transport> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<Transport.Transport>()
    // Transactions being checked or reported: a request reusing one of them fails 0131H (PS3.4 J.3.3.1.1).
    const inFlight = new Set<string>()
    const action: NHandler<Command.NActionRq> = (request) =>
      Effect.gen(function* () {
        const command = request.command
        if (command.requestedSopClassUid !== sopClassUid) return yield* Effect.fail(new NoSuchSopClass({ sopClassUid: command.requestedSopClassUid }))
        if (command.requestedSopInstanceUid !== sopInstanceUid) {
          return yield* Effect.fail(new NoSuchSopInstance({ sopInstanceUid: command.requestedSopInstanceUid }))
        }
        if (command.actionTypeId !== 1) return yield* Effect.fail(new NoSuchActionType({ actionTypeId: command.actionTypeId }))
        const parsed = parseActionInformation(request.dataset)
        if (Result.isFailure(parsed)) return yield* Effect.fail(parsed.failure)
        const requester = request.association.callingAeTitle
        const transactionUid = parsed.success.transactionUid
        const duplicate = inFlight.has(transactionUid)
        if (!duplicate) inFlight.add(transactionUid)
        const deliver = Effect.gen(function* () {
          const outcome: CommitmentOutcome = duplicate
            ? {
                transactionUid,
                committed: [],
                failed: parsed.success.references.map((r) => ({ ...r, failureReason: FailureReason.DuplicateTransactionUid }))
              }
            : yield* check(parsed.success, options.has)
          const report = eventReportOf(outcome)
          if (Result.isFailure(report)) {
            return yield* Effect.logError(`storage commitment: cannot encode the event report: ${report.failure.message}`)
          }
          let delivery: Result.Result<"same-association" | "new-association", EventReportNotDelivered>
          const same = options.alwaysNewAssociation === true || request.reportEvent === undefined
            ? undefined
            : yield* Effect.result(request.reportEvent(report.success))
          // A failure status (e.g. 0211H: the requester serves no N-EVENT-REPORT on that association) counts as not delivered.
          if (same !== undefined && Result.isSuccess(same) && (Status.isSuccess(same.success) || Status.isWarning(same.success))) {
            delivery = Result.succeed("same-association")
          } else {
            const known = options.knownAes?.find((ae) => ae.aeTitle === requester)
            if (known === undefined) {
              delivery = Result.fail(
                new EventReportNotDelivered({
                  transactionUid: outcome.transactionUid,
                  aeTitle: requester,
                  reason: "the requesting association has ended and the AE is not a known AE"
                })
              )
            } else {
              const sent = yield* Effect.result(
                sendEventReport(known, report.success, { aeTitle: options.aeTitle, timeouts: options.timeouts }).pipe(
                  Effect.mapError((e) => new EventReportNotDelivered({ transactionUid: outcome.transactionUid, aeTitle: e.aeTitle, reason: e.reason }))
                ).pipe(
                  Effect.provideContext(context)
                )
              )
              delivery = Result.isSuccess(sent) ? Result.succeed("new-association") : Result.fail(sent.failure)
            }
          }
          if (Result.isFailure(delivery)) yield* Effect.logWarning(delivery.failure.message)
          if (options.onReport !== undefined) yield* options.onReport(outcome, delivery)
        })
        const reply: NReply = {
          afterResponse: duplicate ? deliver : deliver.pipe(Effect.ensuring(Effect.sync(() => inFlight.delete(transactionUid))))
        }
        return reply
      })
    return { action }
  })
