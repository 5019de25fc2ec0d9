/**
 * C-MOVE SCU (PS3.7 §9.1.4, PS3.4 §C.4.2): asks the SCP to send the matching instances to a
 * destination AE on associations it opens itself; progress comes back as pending responses with
 * sub-operation counts. Stopping the stream early sends a C-CANCEL-RQ.
 *
 * @since 0.1.0
 */
import type { PresentationContextNotAccepted } from "@dicomnet/association"
import { type DataError, DatasetCodec, SopClass } from "@dicomnet/data"
import { Command, Status } from "@dicomnet/dimse"
import { Effect, Stream } from "effect"
import type { Association, DimseReply, OperationError } from "./Association.js"
import { DimseFailure } from "./ClientError.js"
import * as Find from "./Find.js"

/** The retrieve information models (no worklist). @category models */
export type Model = "patient" | "study"

/** Progress of a retrieve: one value per response, the last one with `final: true`. @category models */
export interface Progress {
  /** Status (0000,0900) of this response: FF00H pending, then 0000H, B000H or FE00H. */
  readonly status: number
  /** Number of Remaining Sub-operations (absent in some final responses). */
  readonly remaining: number | undefined
  readonly completed: number
  readonly failed: number
  readonly warning: number
  readonly final: boolean
  /** Failed SOP Instance UID List (0008,0058) of a final response's identifier, when the SCP sent one. */
  readonly failedSopInstanceUids: ReadonlyArray<string>
}

/** What to retrieve and where. @category options */
export interface MoveOptions {
  readonly model: Model
  /** Query/Retrieve Level; default PATIENT for Patient Root, STUDY for Study Root. */
  readonly level?: Find.Level | undefined
  /** Unique keys of the level and above, e.g. { StudyInstanceUID: "1.2..." } or a list of SOP Instance UIDs. */
  readonly keys: Find.Keys
  /** Move Destination (0000,0600): the AE title the SCP sends to. */
  readonly destination: string
  readonly priority?: Command.Priority | undefined
}

/** Why a retrieve did not complete. @category models */
export type RetrieveError = DimseFailure | OperationError | PresentationContextNotAccepted | DataError.DataEncodeError

/** The C-MOVE SOP class of a model. @category getters */
export const sopClassOf = (model: Model): string => (model === "patient" ? SopClass.PatientRootMove : SopClass.StudyRootMove)

const failedList = (reply: DimseReply, transferSyntax: string): ReadonlyArray<string> => {
  if (reply.dataset === undefined) return []
  const ds = DatasetCodec.decode(reply.dataset, transferSyntax)
  return ds._tag === "Success" ? (ds.success.strings(0x00080058) ?? []) : []
}

/** The progress of one C-MOVE-RSP or C-GET-RSP. @category getters */
export const progressOf = (reply: DimseReply, transferSyntax: string): Progress => {
  const c = reply.command as Command.CMoveRsp | Command.CGetRsp
  const final = Status.isFinal(c.status)
  return {
    status: c.status,
    remaining: c.numberOfRemainingSuboperations,
    completed: c.numberOfCompletedSuboperations ?? 0,
    failed: c.numberOfFailedSuboperations ?? 0,
    warning: c.numberOfWarningSuboperations ?? 0,
    final,
    failedSopInstanceUids: final ? failedList(reply, transferSyntax) : []
  }
}

/** Responses -> progress; a final failure status becomes DimseFailure. @category internals */
export const progressStream = <E>(
  replies: Stream.Stream<DimseReply, E>,
  service: "C-MOVE" | "C-GET",
  transferSyntax: string
): Stream.Stream<Progress, E | DimseFailure> =>
  Stream.mapEffect(replies, (reply): Effect.Effect<Progress, DimseFailure> => {
    const status = reply.command.status
    if (Status.isFailure(status)) return Effect.fail(new DimseFailure({ status, comment: reply.command.errorComment, service }))
    return Effect.succeed(progressOf(reply, transferSyntax))
  })

/**
 * C-MOVE: the progress of the sub-operations as a Stream ending with the final response (0000H,
 * B000H with failures, FE00H after a cancel); a failure status (e.g. A801H move destination unknown)
 * fails with DimseFailure.
 * @category operations
 */
export const move = (association: Association, options: MoveOptions): Stream.Stream<Progress, RetrieveError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const sopClass = sopClassOf(options.model)
      const pc = yield* association.findContext(sopClass)
      const ds = yield* Effect.fromResult(Find.identifier(options.keys, options.level ?? Find.defaultLevel(options.model)))
      const bytes = yield* Effect.fromResult(DatasetCodec.encode(ds, pc.transferSyntax))
      const rq = Command.cMoveRq({
        affectedSopClassUid: sopClass,
        messageId: 0,
        priority: options.priority ?? Command.Priority.Medium,
        moveDestination: options.destination
      })
      return progressStream(association.request(rq, bytes, { presentationContextId: pc.presentationContextId }), "C-MOVE", pc.transferSyntax)
    })
  ).pipe(Stream.withSpan("dicomnet.operation", { captureStackTrace: false, attributes: { "dicomnet.service": "C-MOVE", "dicomnet.destination": options.destination } }))

/** Runs a C-MOVE to its end and returns the final progress. @category operations */
export const moveAll = (association: Association, options: MoveOptions): Effect.Effect<Progress, RetrieveError> =>
  Stream.runLast(move(association, options)).pipe(
    Effect.flatMap((last) =>
      last._tag === "Some" ? Effect.succeed(last.value) : Effect.die(new Error("C-MOVE: the response stream ended without a final response"))
    )
  )
