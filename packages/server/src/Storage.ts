/**
 * C-STORE SCP (PS3.7 §9.1.1, PS3.4 Annex B Storage Service Class): the handler type, the default
 * handler writing Part 10 files into a directory, and a discarding handler for benchmarks.
 *
 * The data set reaches the handler as a Stream of fragments as they arrive (backpressured), never
 * concatenated: memory stays flat whatever the object size. `toDirectory` writes to a temporary file
 * in the target directory and renames it into place only when the object is complete (and synced,
 * with `fsync`); an aborted transfer or a failed write removes the temporary file and leaves nothing.
 * Disk errors answer A700H (out of resources); the server goes on.
 *
 * @since 0.1.0
 */
import { Bytes, HeaderScan, Part10, SopClass, TransferSyntax } from "@dicomnet/data"
import { Command, type Session, Status } from "@dicomnet/dimse"
import { Data, Effect, FileSystem, Path, Stream } from "effect"
import type { AssociationInfo } from "./LifecycleEvent.js"

/** A C-STORE-RQ as the store handler sees it. @category models */
export interface StoreRequest {
  readonly association: AssociationInfo
  readonly presentationContextId: number
  readonly command: Command.CStoreRq
  /** Affected SOP Class UID (0000,0002). */
  readonly sopClassUid: string
  /** Affected SOP Instance UID (0000,1000). */
  readonly sopInstanceUid: string
  /** The transfer syntax of the presentation context: the encoding of `dataset`. */
  readonly transferSyntaxUid: string
  /** The peer's AE title. */
  readonly callingAeTitle: string
  /** The data set (no meta header) as fragments, backpressured; fails when the transfer is aborted. */
  readonly dataset: Stream.Stream<Uint8Array, unknown>
}

/** A C-STORE handler: returns the Status to answer (0000H, a Bxxx warning, a failure); a failure or defect answers 0110H. @category models */
export type StoreHandler = (request: StoreRequest) => Effect.Effect<number, unknown>

/** How `toDirectory` names files: all in the directory, or in `<study UID>/<series UID>/` folders. @category models */
export type Layout = "flat" | "study"

/** What `toDirectory` does when the file already exists: replace it, keep the old one, or store under a new name. @category models */
export type Collision = "overwrite" | "keep" | "rename"

/** Options of `toDirectory`. @category options */
export interface DirectoryOptions {
  readonly directory: string
  /** Default "flat": `<directory>/<SOP Instance UID>.dcm`; "study": `<directory>/<Study UID>/<Series UID>/<SOP Instance UID>.dcm`. */
  readonly layout?: Layout | undefined
  /** Sync the file to disk before the rename, and the directories holding the new entries after it, before answering success (default false). */
  readonly fsync?: boolean | undefined
  /** Default "overwrite". */
  readonly collision?: Collision | undefined
  /** Bytes of the data set's start kept to find the study and series UIDs (layout "study"; default 1 MiB). */
  readonly maxScanBytes?: number | undefined
}

/** Where a stored object went (for `onStored`). @category models */
export interface Stored {
  readonly path: string
  readonly sopInstanceUid: string
  readonly bytes: number
}

/** A disk operation of the storage handler failed. @category errors */
export class StorageDiskError extends Data.TaggedError("StorageDiskError")<{
  readonly path: string
  readonly operation: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `cannot ${this.operation} ${this.path}`
  }
}

/** The four uncompressed transfer syntaxes, in our order of preference. @category constants */
export const uncompressedTransferSyntaxes: ReadonlyArray<string> = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian
]

/** Encapsulated (compressed) transfer syntaxes accepted as-is by default when a store handler is registered. @category constants */
export const defaultEncapsulatedTransferSyntaxes: ReadonlyArray<string> = [
  "1.2.840.10008.1.2.4.50", // JPEG Baseline
  "1.2.840.10008.1.2.4.51", // JPEG Extended
  "1.2.840.10008.1.2.4.57", // JPEG Lossless
  "1.2.840.10008.1.2.4.70", // JPEG Lossless SV1
  "1.2.840.10008.1.2.4.80", // JPEG-LS Lossless
  "1.2.840.10008.1.2.4.81", // JPEG-LS Near-Lossless
  "1.2.840.10008.1.2.4.90", // JPEG 2000 Lossless
  "1.2.840.10008.1.2.4.91", // JPEG 2000
  "1.2.840.10008.1.2.5" // RLE Lossless
]

/**
 * The acceptance contexts of a storage SCP: every storage SOP class (DICOS included) with the
 * uncompressed syntaxes, then the given encapsulated ones (the negotiation takes what the peer proposed first
 * among them, in our order).
 *
 * @category constructors
 */
export const contexts = (
  encapsulated: ReadonlyArray<string> = defaultEncapsulatedTransferSyntaxes
): ReadonlyArray<{ readonly abstractSyntax: string; readonly transferSyntaxes: ReadonlyArray<string> }> =>
  SopClass.storage.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: [...uncompressedTransferSyntaxes, ...encapsulated] }))

/** Receives and discards every object (answers 0000H): for benchmarks. @category constructors */
export const ignore: StoreHandler = (request) => Effect.as(Stream.runDrain(request.dataset), Status.Code.Success)

/** Only digits and dots in a UID used as a file name (no path traversal from what the peer sends). */
const safe = (uid: string): string => {
  const cleaned = uid.replace(/[^0-9.]/g, "_").replace(/^\.+/, "_")
  return cleaned === "" ? "_" : cleaned
}

/**
 * The default storage handler: each object becomes a Part 10 file (meta header with the received transfer
 * syntax, then the data set bytes as received). Temporary file in the target root, renamed into place when
 * complete; nothing is left behind on failure; disk errors answer A700H.
 *
 * @category constructors
 */
export const toDirectory = (
  options: DirectoryOptions & { readonly onStored?: ((stored: Stored) => Effect.Effect<void>) | undefined }
): Effect.Effect<StoreHandler, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const layout = options.layout ?? "flat"
    const collision = options.collision ?? "overwrite"
    const maxScan = options.maxScanBytes ?? 1024 * 1024
    let counter = 0
    /** Write buffers of finished receptions, for the next ones. */
    const spare: Array<Uint8Array> = []

    const disk = <A, R>(operation: string, at: string, effect: Effect.Effect<A, unknown, R>): Effect.Effect<A, StorageDiskError, R> =>
      Effect.mapError(effect, (cause) => new StorageDiskError({ path: at, operation, cause }))

    const place = (target: string): Effect.Effect<string | undefined, StorageDiskError> =>
      Effect.gen(function* () {
        if (collision === "overwrite") return target
        if (!(yield* disk("check", target, fs.exists(target)))) return target
        if (collision === "keep") return undefined
        for (let i = 1; ; i++) {
          const candidate = target.replace(/\.dcm$/, `.${i}.dcm`)
          if (!(yield* disk("check", candidate, fs.exists(candidate)))) return candidate
        }
      })

    const handler: StoreHandler = (request) =>
      Effect.gen(function* () {
        const sop = safe(request.sopInstanceUid)
        const temporary = path.join(options.directory, `.${sop}.${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 10)}.part`)
        const syntax = syntaxOf(request.transferSyntaxUid)
        let head: Array<Uint8Array> | undefined = layout === "study" && syntax !== undefined ? [] : undefined
        let headLength = 0
        let found: HeaderScan.Walk | undefined
        let written = 0
        const outcome = yield* Effect.scoped(
          Effect.gen(function* () {
            const file = yield* disk("create", temporary, fs.open(temporary, { flag: "wx" }))
            // Fragments are gathered into a reused buffer and written once per buffer (a typical image in one
            // write); a fragment that fills a buffer alone is written directly.
            const buffer = spare.pop() ?? new Uint8Array(WRITE_BUFFER_BYTES)
            let filled = 0
            const flush = Effect.suspend(() => {
              if (filled === 0) return Effect.void
              const n = filled
              filled = 0
              return disk("write", temporary, file.writeAll(buffer.subarray(0, n)))
            })
            const add = (chunk: Uint8Array): Effect.Effect<void, StorageDiskError> => {
              if (filled === 0 && chunk.byteLength >= buffer.length) return disk("write", temporary, file.writeAll(chunk))
              const n = Math.min(buffer.length - filled, chunk.byteLength)
              buffer.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n), filled)
              filled += n
              if (filled < buffer.length) return Effect.void
              return n === chunk.byteLength ? flush : Effect.flatMap(flush, () => add(chunk.subarray(n)))
            }
            yield* add(
              Part10.encodeMeta({
                mediaStorageSopClassUid: request.sopClassUid,
                mediaStorageSopInstanceUid: request.sopInstanceUid,
                transferSyntaxUid: request.transferSyntaxUid,
                sourceApplicationEntityTitle: request.callingAeTitle
              })
            )
            yield* Stream.runForEach(request.dataset, (chunk) =>
              Effect.suspend(() => {
                written += chunk.byteLength
                if (head !== undefined && syntax !== undefined) {
                  // Copies: the fragments are views into received PDUs that are released after this step.
                  head.push(chunk.slice())
                  headLength += chunk.byteLength
                  const scanned = HeaderScan.walk(Bytes.concat(head, headLength), 0, syntax, false)
                  if (scanned._tag !== "NeedMore" || headLength >= maxScan) {
                    found = scanned
                    head = undefined
                  }
                }
                return add(chunk)
              })
            )
            yield* flush
            // Reused only after a complete reception: a failed write may still hold it.
            if (spare.length < 8) spare.push(buffer)
            // A data set that ends before any element past (0020,000E): what it holds is all there is.
            if (head !== undefined && syntax !== undefined) found = HeaderScan.walk(Bytes.concat(head, headLength), 0, syntax, true)
            if (options.fsync === true) yield* disk("sync", temporary, file.sync)
          })
        ).pipe(
          Effect.flatMap(() =>
            Effect.gen(function* () {
              const folder =
                layout === "study"
                  ? path.join(
                      options.directory,
                      safe((found?._tag === "Found" ? found.studyInstanceUid : undefined) ?? "unknown-study"),
                      safe((found?._tag === "Found" ? found.seriesInstanceUid : undefined) ?? "unknown-series")
                    )
                  : options.directory
              if (folder !== options.directory) yield* disk("create directory", folder, fs.makeDirectory(folder, { recursive: true }))
              const target = yield* place(path.join(folder, `${sop}.dcm`))
              if (target === undefined) {
                yield* disk("remove", temporary, fs.remove(temporary))
                return undefined
              }
              yield* disk("rename", target, fs.rename(temporary, target))
              if (options.fsync === true) {
                // The rename is durable only once the directories holding the new entries are synced too.
                const dirs = folder === options.directory ? [folder] : [folder, path.dirname(folder), options.directory]
                for (const dir of dirs) yield* disk("sync directory", dir, Effect.scoped(Effect.flatMap(fs.open(dir, { flag: "r" }), (d) => d.sync)))
              }
              return target
            })
          ),
          // Whatever went wrong (disk, aborted transfer, interruption): no partial file stays.
          Effect.onError(() => Effect.ignore(fs.remove(temporary)))
        )
        if (outcome !== undefined && options.onStored !== undefined) {
          yield* options.onStored({ path: outcome, sopInstanceUid: request.sopInstanceUid, bytes: written })
        }
        return Status.Code.Success as number
      }).pipe(
        Effect.catch((error: unknown) =>
          error instanceof StorageDiskError
            ? Effect.as(
                Effect.logWarning(`C-STORE of ${request.sopInstanceUid} failed: ${error.message}: answering 0xA700`, error.cause),
                Status.Code.OutOfResources as number
              )
            : Effect.fail(error)
        )
      )
    return handler
  })

/** Bytes gathered before a write to disk. */
const WRITE_BUFFER_BYTES = 1024 * 1024

const syntaxOf = (transferSyntaxUid: string): { readonly explicitVR: boolean; readonly littleEndian: boolean } | undefined => {
  switch (transferSyntaxUid) {
    case TransferSyntax.ImplicitVRLittleEndian:
      return { explicitVR: false, littleEndian: true }
    case TransferSyntax.ExplicitVRBigEndian:
      return { explicitVR: true, littleEndian: false }
    case TransferSyntax.DeflatedExplicitVRLittleEndian:
      return undefined // the start of a deflated data set is not readable without inflating
    default:
      return { explicitVR: true, littleEndian: true } // explicit LE, and every encapsulated syntax
  }
}

/** What the C-STORE performer needs besides the request. @category models */
export interface PerformContext {
  readonly association: AssociationInfo
  readonly negotiated: { readonly acceptedContexts: ReadonlyMap<number, { readonly transferSyntax: string }> }
}

/**
 * Serves a C-STORE-RQ from the DIMSE session with `handler` and answers its status (used by the server's dispatch).
 *
 * @category performers
 */
export const perform =
  (handler: StoreHandler, context: PerformContext) =>
  <E>(request: Session.IncomingRequest<E>): Effect.Effect<void, unknown> =>
    Effect.suspend(() => {
      const command = request.command
      if (command._tag !== "CStoreRq") return request.respond(Command.responseTo(command, Status.Code.UnrecognizedOperation))
      return Effect.flatMap(
        handler({
          association: context.association,
          presentationContextId: request.presentationContextId,
          command,
          sopClassUid: command.affectedSopClassUid,
          sopInstanceUid: command.affectedSopInstanceUid,
          transferSyntaxUid: context.negotiated.acceptedContexts.get(request.presentationContextId)?.transferSyntax ?? TransferSyntax.ImplicitVRLittleEndian,
          callingAeTitle: context.association.callingAeTitle,
          dataset: request.dataset ?? Stream.empty
        }),
        (status) => request.respond(Command.responseTo(command, status))
      )
    })
