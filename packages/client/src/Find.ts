/**
 * C-FIND SCU (PS3.7 §9.1.2, PS3.4 Annex C Query/Retrieve and Annex K Modality Worklist): the matches
 * of a query as a Stream of identifiers. Stopping the stream early sends a C-CANCEL-RQ and reads the
 * remaining responses up to the final one, so the association stays usable.
 *
 * @since 0.1.0
 */
import type { PresentationContextNotAccepted } from "@dicomnet/association"
import { type DataError, Dataset, DatasetCodec, Element, SopClass } from "@dicomnet/data"
import { Command, Status } from "@dicomnet/dimse"
import { type Array as Arr, Effect, type Pull, Result, Stream } from "effect"
import type { Association, DimseReply, OperationError } from "./Association.js"
import { DimseFailure } from "./ClientError.js"

/** The information model: Patient Root, Study Root (Query/Retrieve) or Modality Worklist. @category models */
export type Model = "patient" | "study" | "worklist"

/** Query/Retrieve Level (0008,0052). @category models */
export type Level = "PATIENT" | "STUDY" | "SERIES" | "IMAGE"

/** Keys of an identifier: a data set, or a record of keywords / hex tags (null = universal matching). @category models */
export type Keys = Dataset.Dataset | Dataset.DatasetRecord

/** What to ask for. @category options */
export interface FindOptions {
  readonly model: Model
  /** Query/Retrieve Level; default PATIENT for Patient Root, STUDY for Study Root; none for worklist. */
  readonly level?: Level | undefined
  readonly keys: Keys
  /** Priority (0000,0700), default MEDIUM. */
  readonly priority?: Command.Priority | undefined
}

/** Why a find did not complete: a failure status, the association, or an identifier that cannot be encoded/decoded. @category models */
export type FindError = DimseFailure | OperationError | PresentationContextNotAccepted | DataError.DataEncodeError | DataError.DataDecodeError

/** The C-FIND SOP class of a model. @category getters */
export const sopClassOf = (model: Model): string =>
  model === "patient" ? SopClass.PatientRootFind : model === "study" ? SopClass.StudyRootFind : SopClass.ModalityWorklistFind

/** The default level of a model. @category getters */
export const defaultLevel = (model: Model): Level | undefined => (model === "patient" ? "PATIENT" : model === "study" ? "STUDY" : undefined)

const QueryRetrieveLevel = 0x00080052

/** The identifier as a data set, Query/Retrieve Level set when the model has levels. @category constructors */
export const identifier = (keys: Keys, level: Level | undefined): Result.Result<Dataset.Dataset, DataError.DataEncodeError> => {
  const ds = keys instanceof Dataset.Dataset ? Result.succeed(keys) : Dataset.Dataset.fromRecord(keys)
  return level === undefined ? ds : Result.map(ds, (d) => d.with(Element.string(QueryRetrieveLevel, "CS", level)))
}

type Matches = Arr.NonEmptyReadonlyArray<Dataset.Dataset>

/**
 * The identifiers of the pending responses, decoded a chunk of responses at a time (everything received
 * meanwhile) rather than one Effect per response. A failure status or an identifier that cannot be decoded
 * fails the stream right after the matches before it, and stops reading the responses (the operation is
 * then abandoned: C-CANCEL).
 */
const matchesOf = <E>(
  replies: Stream.Stream<DimseReply, E>,
  transferSyntax: string
): Stream.Stream<Dataset.Dataset, E | DimseFailure | DataError.DataDecodeError> =>
  Stream.transformPull(replies, (pull) =>
    Effect.sync(() => {
      let failure: DimseFailure | DataError.DataDecodeError | undefined
      const next: Pull.Pull<Matches, E | DimseFailure | DataError.DataDecodeError> = Effect.suspend(() => {
        if (failure !== undefined) return Effect.fail(failure)
        return Effect.flatMap(pull, (chunk) => {
          const out: Array<Dataset.Dataset> = []
          for (const reply of chunk) {
            const status = reply.command.status
            if (Status.isPending(status)) {
              if (reply.dataset === undefined) continue
              const decoded = DatasetCodec.decode(reply.dataset, transferSyntax)
              if (Result.isSuccess(decoded)) {
                out.push(decoded.success)
                continue
              }
              failure = decoded.failure
            } else if (Status.isFailure(status)) {
              failure = new DimseFailure({ status, comment: reply.command.errorComment, service: "C-FIND" })
            }
            if (failure !== undefined) break
          }
          if (out.length > 0) return Effect.succeed(out as unknown as Matches)
          // Nothing to emit from this chunk: fail now, or read on.
          return next
        })
      })
      return next
    })
  )

/**
 * The matches of a C-FIND, as identifiers, in the order the SCP sends them. Ends after the final
 * response (success, or cancel after an early stop); fails with DimseFailure on a failure status.
 * Interrupting or stopping the stream early (e.g. `Stream.take`) sends C-CANCEL-RQ.
 * @category operations
 */
export const find = (association: Association, options: FindOptions): Stream.Stream<Dataset.Dataset, FindError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const sopClass = sopClassOf(options.model)
      const pc = yield* association.findContext(sopClass)
      const ds = yield* Effect.fromResult(identifier(options.keys, options.level ?? defaultLevel(options.model)))
      const bytes = yield* Effect.fromResult(DatasetCodec.encode(ds, pc.transferSyntax))
      const rq = Command.cFindRq({ affectedSopClassUid: sopClass, messageId: 0, priority: options.priority ?? Command.Priority.Medium })
      const replies = association.request(rq, bytes, { presentationContextId: pc.presentationContextId })
      return matchesOf(replies, pc.transferSyntax)
    })
  ).pipe(Stream.withSpan("dicomnet.operation", { captureStackTrace: false, attributes: { "dicomnet.service": "C-FIND", "dicomnet.model": options.model } }))

/** All matches of a C-FIND collected into an array (for small result sets). @category operations */
export const findAll = (association: Association, options: FindOptions): Effect.Effect<ReadonlyArray<Dataset.Dataset>, FindError> =>
  Stream.runCollect(find(association, options))
