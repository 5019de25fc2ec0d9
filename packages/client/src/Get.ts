/**
 * C-GET SCU (PS3.7 §9.1.3, PS3.4 §C.4.3): the SCP sends the matching instances back on the same
 * association as C-STORE sub-operations, which the association's store handler receives (the storage
 * SOP classes are proposed with the SCP role, PS3.7 §D.3.3.4). Progress comes back as pending
 * responses; stopping the stream early sends a C-CANCEL-RQ.
 *
 * @since 0.1.0
 */
import { DatasetCodec, Implementation, Part10, SopClass, Uid } from "@dicomnet/data"
import { Command, Status } from "@dicomnet/dimse"
import type { Transport } from "@dicomnet/transport"
import { Effect, FileSystem, Path, Stream } from "effect"
import * as Association from "./Association.js"
import * as Find from "./Find.js"
import * as Move from "./Move.js"

/** What to retrieve. @category options */
export interface GetOptions {
  readonly model: Move.Model
  /** Query/Retrieve Level; default PATIENT for Patient Root, STUDY for Study Root. */
  readonly level?: Find.Level | undefined
  /** Unique keys of the level and above. */
  readonly keys: Find.Keys
  readonly priority?: Command.Priority | undefined
}

/** The store handler receiving the C-STORE sub-operations: returns the status to answer. @category models */
export type StoreHandler = (request: Association.StoreRequest) => Effect.Effect<number, unknown>

/** The C-GET SOP class of a model. @category getters */
export const sopClassOf = (model: Move.Model): string => (model === "patient" ? SopClass.PatientRootGet : SopClass.StudyRootGet)

/** Storage SOP classes proposed for C-GET by default: common clinical images and DICOS. @category constants */
export const defaultStorageSopClasses: ReadonlyArray<string> = [
  Uid.Uids.CTImageStorage,
  Uid.Uids.EnhancedCTImageStorage,
  Uid.Uids.MRImageStorage,
  Uid.Uids.EnhancedMRImageStorage,
  Uid.Uids.ComputedRadiographyImageStorage,
  Uid.Uids.DigitalXRayImageStorageForPresentation,
  Uid.Uids.DigitalXRayImageStorageForProcessing,
  Uid.Uids.UltrasoundImageStorage,
  Uid.Uids.SecondaryCaptureImageStorage,
  Uid.Uids.NuclearMedicineImageStorage,
  Uid.Uids.PositronEmissionTomographyImageStorage,
  ...SopClass.dicos
].filter((uid): uid is string => typeof uid === "string")

/**
 * The presentation contexts of a C-GET association: the C-GET SOP class, and each storage SOP class
 * with SCU role off and SCP role on (we store what the peer sends).
 * @category constructors
 */
export const contexts = (
  options: {
    readonly model?: Move.Model | undefined
    readonly storageSopClasses?: ReadonlyArray<string> | undefined
    readonly transferSyntaxes?: ReadonlyArray<string> | undefined
  } = {}
): ReadonlyArray<Association.ContextRequest> => [
  { abstractSyntax: sopClassOf(options.model ?? "study") },
  ...(options.storageSopClasses ?? defaultStorageSopClasses).map((abstractSyntax) => ({
    abstractSyntax,
    transferSyntaxes: options.transferSyntaxes,
    scuRole: false,
    scpRole: true
  }))
]

/**
 * C-GET: the progress of the sub-operations as a Stream ending with the final response (0000H,
 * B000H with failures, FE00H after a cancel); a failure status fails with DimseFailure. The instances
 * go to the association's `handlers.store` (see `contexts` and `retrieve`).
 * @category operations
 */
export const get = (association: Association.Association, options: GetOptions): Stream.Stream<Move.Progress, Move.RetrieveError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const sopClass = sopClassOf(options.model)
      const pc = yield* association.findContext(sopClass)
      const ds = yield* Effect.fromResult(Find.identifier(options.keys, options.level ?? Find.defaultLevel(options.model)))
      const bytes = yield* Effect.fromResult(DatasetCodec.encode(ds, pc.transferSyntax))
      const rq = Command.cGetRq({ affectedSopClassUid: sopClass, messageId: 0, priority: options.priority ?? Command.Priority.Medium })
      return Move.progressStream(association.request(rq, bytes, { presentationContextId: pc.presentationContextId }), "C-GET", pc.transferSyntax)
    })
  ).pipe(Stream.withSpan("dicomnet.operation", { captureStackTrace: false, attributes: { "dicomnet.service": "C-GET" } }))

/**
 * Opens an association proposing `contexts(...)` with `store` as its store handler, runs one C-GET
 * and returns the final progress (the association is released afterwards).
 * @category operations
 */
export const retrieve = (
  request: Omit<Association.RequestOptions, "contexts" | "handlers"> & {
    readonly storageSopClasses?: ReadonlyArray<string> | undefined
    readonly transferSyntaxes?: ReadonlyArray<string> | undefined
  },
  options: GetOptions,
  store: StoreHandler
): Effect.Effect<Move.Progress, Move.RetrieveError | Association.RequestError, Transport.Transport> =>
  Effect.scoped(
    Effect.gen(function* () {
      const association = yield* Association.request({
        ...request,
        contexts: contexts({ model: options.model, storageSopClasses: request.storageSopClasses, transferSyntaxes: request.transferSyntaxes }),
        handlers: { store }
      })
      const last = yield* Stream.runLast(get(association, options))
      if (last._tag === "None") return yield* Effect.die(new Error("C-GET: the response stream ended without a final response"))
      return last.value
    })
  )

/**
 * A store handler writing each instance as a Part 10 file `<SOP Instance UID>.dcm` under `dir`: the
 * meta header then the data set as received, to a temporary name renamed into place once complete
 * (an interrupted transfer leaves nothing). Answers 0000H, or A700H (out of resources) on a file error.
 * @category handlers
 */
export const toDirectory = (dir: string): Effect.Effect<StoreHandler, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    return (request) =>
      Effect.gen(function* () {
        const name = request.sopInstanceUid.replace(/[^0-9A-Za-z.]/g, "_")
        const final = path.join(dir, `${name}.dcm`)
        const temporary = path.join(dir, `.${name}.${Date.now().toString(36)}.part`)
        const meta = {
          mediaStorageSopClassUid: request.sopClassUid,
          mediaStorageSopInstanceUid: request.sopInstanceUid,
          transferSyntaxUid: request.transferSyntaxUid,
          implementationClassUid: Implementation.classUid,
          implementationVersionName: Implementation.versionName,
          sourceApplicationEntityTitle: request.callingAeTitle
        }
        const written = yield* Stream.run(Part10.stream(meta, request.dataset), fs.sink(temporary)).pipe(
          Effect.andThen(fs.rename(temporary, final)),
          Effect.onError(() => Effect.ignore(fs.remove(temporary, { force: true }))),
          Effect.result
        )
        if (written._tag === "Failure") {
          yield* Effect.logWarning(`C-GET: could not store ${request.sopInstanceUid}: answering 0xA700`, written.failure)
          return Status.Code.OutOfResources
        }
        return Status.Code.Success
      })
  })
