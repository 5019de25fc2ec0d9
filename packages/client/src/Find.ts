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
import { Effect, Result, Stream } from "effect"
import type { Association, OperationError } from "./Association.js"
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
      return replies.pipe(
        Stream.mapEffect((reply): Effect.Effect<Dataset.Dataset | undefined, DimseFailure | DataError.DataDecodeError> => {
          const status = reply.command.status
          if (Status.isPending(status)) {
            if (reply.dataset === undefined) return Effect.succeed(undefined)
            return Effect.fromResult(DatasetCodec.decode(reply.dataset, pc.transferSyntax))
          }
          if (Status.isFailure(status)) {
            return Effect.fail(new DimseFailure({ status, comment: reply.command.errorComment, service: "C-FIND" }))
          }
          return Effect.succeed(undefined)
        }),
        Stream.filter((d): d is Dataset.Dataset => d !== undefined)
      )
    })
  ).pipe(Stream.withSpan("dicomnet.operation", { captureStackTrace: false, attributes: { "dicomnet.service": "C-FIND", "dicomnet.model": options.model } }))

/** All matches of a C-FIND collected into an array (for small result sets). @category operations */
export const findAll = (association: Association, options: FindOptions): Effect.Effect<ReadonlyArray<Dataset.Dataset>, FindError> =>
  Stream.runCollect(find(association, options))
