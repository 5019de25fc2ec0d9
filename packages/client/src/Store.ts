/**
 * C-STORE SCU (PS3.7 §9.1.1, PS3.4 Annex B Storage Service Class): store a Part 10 file, a stream of
 * data set bytes, or a `Dataset`.
 *
 * A file is opened once: its size, meta header (SOP class, instance, transfer syntax) and the start of its
 * data set come in one read (a typical image whole, sent as one buffer); a larger file's rest is streamed
 * from disk in 1 MiB steps as the PDUs go out. `preload` does the first part ahead of time, so that a
 * sender reads the next file while the current one is in flight. When an accepted presentation context has
 * the file's transfer syntax, the bytes go out unchanged; otherwise they are transcoded on the fly to an
 * accepted uncompressed syntax (data's `Transcode.stream`). Memory stays flat whatever the object size.
 *
 * @since 0.1.0
 */
import { PresentationContextNotAccepted, Tracing } from "@dicomnet/association"
import { type DataError, type Dataset, DatasetCodec, Part10, Transcode, TransferSyntax } from "@dicomnet/data"
import { Command, Fragmenter, Status } from "@dicomnet/dimse"
import { Scavenge } from "@dicomnet/transport"
import { Array as Arr, Cause, Effect, FileSystem, Option, type PlatformError, Result, Stream } from "effect"
import type { Association, ContextRequest, OperationError } from "./Association.js"
import { DimseFailure } from "./ClientError.js"

/** The outcome of a C-STORE that did not fail: success, or a warning (Bxxx, 0001H) surfaced here. @category models */
export interface StoreResult {
  /** Status (0000,0900). */
  readonly status: number
  /** "Success (0x0000)", "Warning: coercion of data elements (0xB000)", ... */
  readonly description: string
  /** True for a warning status. */
  readonly warning: boolean
  /** Error Comment (0000,0902), when the peer sent one. */
  readonly comment: string | undefined
  readonly sopInstanceUid: string
  /** The transfer syntax the data set was sent in. */
  readonly transferSyntaxUid: string
  /** True when the bytes were transcoded from the source's transfer syntax. */
  readonly transcoded: boolean
}

/** Options of a C-STORE. @category options */
export interface StoreOptions {
  /** Priority (0000,0700) (default medium). */
  readonly priority?: Command.Priority | undefined
  /** Move Originator AE title / Message ID (PS3.7 §9.1.1.1.8), for sub-operations of a C-MOVE. */
  readonly moveOriginatorApplicationEntityTitle?: string | undefined
  readonly moveOriginatorMessageId?: number | undefined
  /** Bytes read from disk at once by `file` (default 1 MiB; the file is read in whole PDV payloads, so chunks go out uncopied). */
  readonly chunkSize?: number | undefined
}

/** What a file is, from its meta header. @category models */
export interface FileInfo {
  readonly path: string
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly transferSyntaxUid: string
  /** Where the data set starts in the file. */
  readonly datasetOffset: number
}

/** What `file` and `describe` may fail with besides the operation. @category models */
export type FileError = PlatformError.PlatformError | DataError.DataDecodeError

/** Every failure of a C-STORE. @category models */
export type StoreError = DimseFailure | OperationError | PresentationContextNotAccepted | Transcode.TranscodeError

/** The two uncompressed syntaxes every storage SCP must accept, proposed as the fallback. @category constants */
export const fallbackTransferSyntaxes: ReadonlyArray<string> = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]

const uncompressed: ReadonlyArray<string> = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian
]

/**
 * Presentation contexts for a set of objects: per SOP class, one context per transfer syntax the objects
 * have (proposed alone, so that an accepting SCP takes exactly it and the bytes go out unchanged), plus
 * one with the uncompressed fallbacks (for transcoding).
 *
 * @category constructors
 */
export const contextsFor = (
  objects: Iterable<{ readonly sopClassUid: string; readonly transferSyntaxUid: string }>
): ReadonlyArray<ContextRequest> => {
  const out: Array<ContextRequest> = []
  const seen = new Set<string>()
  const add = (abstractSyntax: string, transferSyntaxes: ReadonlyArray<string>) => {
    const key = `${abstractSyntax}|${transferSyntaxes.join(",")}`
    if (seen.has(key)) return
    seen.add(key)
    out.push({ abstractSyntax, transferSyntaxes })
  }
  const classes: Array<string> = []
  for (const o of objects) {
    if (!classes.includes(o.sopClassUid)) classes.push(o.sopClassUid)
    add(o.sopClassUid, [o.transferSyntaxUid])
  }
  for (const c of classes) add(c, fallbackTransferSyntaxes)
  return out
}

/** Reads a file's meta header only (not the data set). @category constructors */
export const describe = (path: string): Effect.Effect<FileInfo, FileError, FileSystem.FileSystem> =>
  Effect.scoped(
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const file = yield* fs.open(path, { flag: "r" })
      return yield* readInfo(file, path)
    })
  )

/** Reads the meta header of the open `file` (from its current position, the start). */
const readInfo = (file: FileSystem.File, path: string): Effect.Effect<FileInfo, FileError> =>
  Effect.gen(function* () {
    let head = Option.getOrElse(yield* file.readAlloc(4096), () => new Uint8Array(0))
    const hint = Part10.metaLengthHint(head)
    if (hint !== undefined && hint > head.length) {
      const rest = Option.getOrElse(yield* file.readAlloc(hint - head.length), () => new Uint8Array(0))
      const all = new Uint8Array(head.length + rest.length)
      all.set(head)
      all.set(rest, head.length)
      head = all
    }
    const meta = yield* Effect.fromResult(Part10.readMeta(head))
    return {
      path,
      sopClassUid: meta.mediaStorageSopClassUid ?? "",
      sopInstanceUid: meta.mediaStorageSopInstanceUid ?? "",
      transferSyntaxUid: meta.transferSyntaxUid,
      datasetOffset: meta.datasetOffset
    }
  })

/** Bytes read from disk at once by default: a typical image in one read, a large object in 1 MiB steps. */
const DEFAULT_READ_SIZE = 1024 * 1024

/** A file's meta header read, and its data set's first bytes (all of them for a file up to the read size), ready to send. @category models */
export interface PreloadedFile {
  readonly info: FileInfo
  /** The file's size in bytes. */
  readonly size: number
  /** The data set's first bytes: the file from `info.datasetOffset` on, up to the read size. */
  readonly data: Uint8Array
  /** Bytes read from disk per step for the rest (`readSize` of `preload`). */
  readonly readSize: number
}

/** Options of `preload`. @category options */
export interface PreloadOptions {
  /** Bytes read at once (default 1 MiB): the whole file when it is smaller, else the first step of the stream. */
  readonly readSize?: number | undefined
  /** What the file is, when already known (from a scan): its meta header is then not read again. */
  readonly info?: Omit<FileInfo, "path"> | undefined
  /**
   * Read into this buffer instead of a new one when the bytes fit (the preloaded `data` is then a view of it). A
   * sender that reuses buffers must not overwrite one before its bytes have left: once a later C-STORE on the same
   * association was answered, every byte written before that request's command has reached the peer (see the CLI's
   * storescu, three buffers in turn with one file read ahead).
   */
  readonly buffer?: Uint8Array | undefined
}

/**
 * `length` bytes of `file` at `position`: into `buffer` when they fit, else in one exactly-sized new buffer (not
 * zero-filled); shorter only at the end of the file.
 */
const readAt = (
  file: FileSystem.File,
  position: number,
  length: number,
  buffer?: Uint8Array | undefined
): Effect.Effect<Uint8Array, PlatformError.PlatformError> =>
  buffer !== undefined && length <= buffer.length ? readInto(file, position, buffer.subarray(0, length), 0) : Effect.flatMap(file.readAlloc(length, { position: BigInt(position) }), (first) => {
    const got = Option.getOrElse(first, () => empty)
    if (got.length === length || got.length === 0) return Effect.succeed(got)
    // A short read before the end of the file (rare on a regular file): read on until full or at the end.
    return Effect.map(readAt(file, position + got.length, length - got.length), (rest) => {
      if (rest.length === 0) return got
      const all = new Uint8Array(got.length + rest.length)
      all.set(got)
      all.set(rest, got.length)
      return all
    })
  })

const empty = new Uint8Array(0)

/** Fills `target` from `file` at `position` on from `filled`; the filled part when the file ends first. */
const readInto = (
  file: FileSystem.File,
  position: number,
  target: Uint8Array,
  filled: number
): Effect.Effect<Uint8Array, PlatformError.PlatformError> =>
  filled >= target.length
    ? Effect.succeed(target)
    : Effect.flatMap(file.read(target.subarray(filled), { position: BigInt(position + filled) }), (n) =>
        n === 0 ? Effect.succeed(target.subarray(0, filled)) : readInto(file, position, target, filled + n))

/**
 * Opens a file once, reads its size, meta header and the start of its data set (a typical image whole) in one
 * read, and closes it: what `preloaded` sends. A sender reads the next file ahead with this while the current one
 * is in flight.
 *
 * @category constructors
 */
export const preload = (path: string, options: PreloadOptions = {}): Effect.Effect<PreloadedFile, FileError, FileSystem.FileSystem> =>
  Effect.scoped(
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const readSize = Math.max(4096, options.readSize ?? DEFAULT_READ_SIZE)
      const file = yield* fs.open(path, { flag: "r" })
      const size = Number((yield* file.stat).size)
      const known = options.info
      if (known !== undefined) {
        const start = Math.min(known.datasetOffset, size)
        const data = yield* readAt(file, start, Math.min(size - start, readSize), options.buffer)
        return { info: { ...known, path }, size, data, readSize }
      }
      let head = yield* readAt(file, 0, Math.min(size, readSize), options.buffer)
      const hint = Part10.metaLengthHint(head)
      if (hint !== undefined && hint > head.length && hint <= size) {
        // A meta header longer than one read (very rare): read up to its end.
        const rest = yield* readAt(file, head.length, hint - head.length)
        const all = new Uint8Array(head.length + rest.length)
        all.set(head)
        all.set(rest, head.length)
        head = all
      }
      const meta = yield* Effect.fromResult(Part10.readMeta(head))
      const info: FileInfo = {
        path,
        sopClassUid: meta.mediaStorageSopClassUid ?? "",
        sopInstanceUid: meta.mediaStorageSopInstanceUid ?? "",
        transferSyntaxUid: meta.transferSyntaxUid,
        datasetOffset: meta.datasetOffset
      }
      return { info, size, data: head.subarray(Math.min(meta.datasetOffset, head.length)), readSize }
    })
  )

/** Whether the preloaded bytes are the whole data set. */
const isWhole = (file: PreloadedFile): boolean => file.info.datasetOffset + file.data.length >= file.size

/**
 * The file steps' own Scavenge counter: a young collection after every 1 MiB of them (two of the CLI's 512 KiB
 * steps). Our storescu sending the 256 MiB object to DCMTK storescp peaked at 93-97 MiB RSS with the process-wide
 * 4 MiB and at 88-93 MiB with 1 MiB, at the same speed (4-5 runs each); socket reads keep the 4 MiB, where a
 * smaller step cost a CT receiver CPU.
 */
const fileSteps = Scavenge.make(1024 * 1024)

/**
 * The data set of a preloaded file as a Stream: the preloaded bytes, then (for a file larger than the read size) the
 * rest read from disk in steps of a whole number of `fragment`s, so that every chunk goes out in PDUs as views,
 * never copied. Memory stays bounded by a few steps whatever the file size. (Reading the next step while the current
 * one is sent was measured, 12 runs each in one process: 175-315 ms for a 256 MiB object with it, 164-226 ms
 * without; so the reads stay in turn.)
 */
const dataOf = (fs: FileSystem.FileSystem, file: PreloadedFile, fragment: number): Stream.Stream<Uint8Array, FileError> => {
  const start = file.info.datasetOffset
  if (isWhole(file)) return Stream.succeed(file.data)
  // Whole fragments of the preloaded bytes; the rest of them is read again with the next step.
  const step = Math.max(1, Math.floor(file.readSize / fragment)) * fragment
  const first = Math.floor(file.data.length / fragment) * fragment
  const head = first === 0 ? Stream.empty : Stream.succeed(file.data.subarray(0, first))
  const rest = Stream.unwrap(
    Effect.gen(function* () {
      const handle = yield* fs.open(file.info.path, { flag: "r" })
      let position = start + first
      return Stream.fromPull(
        Effect.succeed(
          Effect.suspend(() => {
            if (position >= file.size) return Cause.done()
            return Effect.flatMap(readAt(handle, position, Math.min(step, file.size - position)), (chunk) => {
              if (chunk.length === 0) return Cause.done()
              // A new buffer per step, garbage once sent.
              fileSteps.allocated(chunk.length)
              position += chunk.length
              return Effect.succeed(Arr.of(chunk))
            })
          })
        )
      )
    })
  )
  return Stream.concat(head, rest)
}

/** `contextsFor` the files at `paths` (each one's meta header read, not its data set). @category constructors */
export const contextsForFiles = (
  paths: Iterable<string>
): Effect.Effect<ReadonlyArray<ContextRequest>, FileError, FileSystem.FileSystem> =>
  Effect.map(Effect.forEach(paths, describe), contextsFor)

/** A context to send on: its id and the transfer syntax the data set goes out in. */
interface ChosenContext {
  readonly presentationContextId: number
  readonly transferSyntaxUid: string
}

/** The accepted context to send an object in `transferSyntaxUid` on: the same syntax, else an uncompressed one we can transcode to. */
const findSendContext = (association: Association, sopClassUid: string, transferSyntaxUid: string): ChosenContext | undefined => {
  const accepted = [...association.negotiated.acceptedContexts.values()].filter((c) => c.abstractSyntax === sopClassUid)
  const same = accepted.find((c) => c.transferSyntax === transferSyntaxUid)
  if (same !== undefined) return { presentationContextId: same.presentationContextId, transferSyntaxUid }
  for (const ts of uncompressed) {
    const c = accepted.find((a) => a.transferSyntax === ts)
    if (c !== undefined && Transcode.supports(transferSyntaxUid, ts)) {
      return { presentationContextId: c.presentationContextId, transferSyntaxUid: ts }
    }
  }
  return undefined
}

/** The contexts chosen so far, per negotiation (fixed for the association's life), SOP class and transfer syntax (nested maps: no key string per object). */
const chosenContexts = new WeakMap<object, Map<string, Map<string, ChosenContext>>>()

/** `findSendContext`, looked up once per association, SOP class and transfer syntax. */
const chooseContext = (
  association: Association,
  sopClassUid: string,
  transferSyntaxUid: string
): Result.Result<ChosenContext, PresentationContextNotAccepted> => {
  const negotiated = association.negotiated
  let bySopClass = chosenContexts.get(negotiated)
  if (bySopClass === undefined) {
    bySopClass = new Map()
    chosenContexts.set(negotiated, bySopClass)
  }
  let bySyntax = bySopClass.get(sopClassUid)
  if (bySyntax === undefined) {
    bySyntax = new Map()
    bySopClass.set(sopClassUid, bySyntax)
  }
  let context = bySyntax.get(transferSyntaxUid)
  if (context === undefined) {
    context = findSendContext(association, sopClassUid, transferSyntaxUid)
    if (context === undefined) return Result.fail(new PresentationContextNotAccepted({ sopClassUid, transferSyntax: transferSyntaxUid }))
    bySyntax.set(transferSyntaxUid, context)
  }
  return Result.succeed(context)
}

/** What `stream` sends. @category models */
export interface StreamSource<E> {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  /** The encoding of `data`. */
  readonly transferSyntaxUid: string
  /** The data set bytes (no meta header), in any chunking. */
  readonly data: Stream.Stream<Uint8Array, E>
}

/**
 * Stores a data set given as a Stream of bytes: sent unchanged on a context with its transfer syntax,
 * else transcoded to an accepted uncompressed one.
 *
 * @category operations
 */
export const stream = <E>(association: Association, source: StreamSource<E>, options: StoreOptions = {}): Effect.Effect<StoreResult, StoreError | E> =>
  send(association, source, source.data, options)

/** The C-STORE-RQ of `source` (Message ID allocated by the association). */
const storeCommand = (source: { readonly sopClassUid: string; readonly sopInstanceUid: string }, options: StoreOptions): Command.CStoreRq => {
  const base = {
    messageId: 0,
    affectedSopClassUid: source.sopClassUid,
    affectedSopInstanceUid: source.sopInstanceUid,
    priority: options.priority ?? Command.Priority.Medium
  }
  if (options.moveOriginatorApplicationEntityTitle === undefined && options.moveOriginatorMessageId === undefined) return Command.cStoreRq(base)
  return Command.cStoreRq({
    ...base,
    ...(options.moveOriginatorApplicationEntityTitle === undefined
      ? {}
      : { moveOriginatorApplicationEntityTitle: options.moveOriginatorApplicationEntityTitle }),
    ...(options.moveOriginatorMessageId === undefined ? {} : { moveOriginatorMessageId: options.moveOriginatorMessageId })
  })
}

/**
 * A C-STORE of `data` (in one piece, or streamed), transcoded when needed; one response, no Stream around it.
 * No Effect.gen, the context looked up once per association, the span and its status annotation only while tracing.
 */
const send = <E>(
  association: Association,
  source: Omit<StreamSource<E>, "data">,
  data: Uint8Array | Stream.Stream<Uint8Array, E>,
  options: StoreOptions
): Effect.Effect<StoreResult, StoreError | E> =>
  Effect.withFiber((fiber) => {
    const tracing = Tracing.isTracing(fiber)
    const chosen = chooseContext(association, source.sopClassUid, source.transferSyntaxUid)
    let operation: Effect.Effect<StoreResult, StoreError | E>
    if (Result.isFailure(chosen)) {
      operation = Effect.fail(chosen.failure)
    } else {
      const context = chosen.success
      const transcoded = context.transferSyntaxUid !== source.transferSyntaxUid
      const sent = transcoded
        ? (data instanceof Uint8Array ? Stream.succeed(data) : data).pipe(Transcode.stream(source.transferSyntaxUid, context.transferSyntaxUid))
        : data
      operation = Effect.flatMap(
        association.requestOne(storeCommand(source, options), sent, { presentationContextId: context.presentationContextId }),
        (reply): Effect.Effect<StoreResult, StoreError> => {
          const rsp = reply.command
          const status = rsp.status
          const outcome: Effect.Effect<StoreResult, StoreError> =
            Status.isFailure(status) || Status.isCancel(status)
              ? Effect.fail(new DimseFailure({ status, comment: rsp.errorComment, service: "C-STORE" }))
              : Effect.succeed({
                  status,
                  description: Status.describe(status, "C-STORE"),
                  warning: Status.isWarning(status),
                  comment: rsp.errorComment,
                  sopInstanceUid: source.sopInstanceUid,
                  transferSyntaxUid: context.transferSyntaxUid,
                  transcoded
                })
          return tracing ? Effect.andThen(Tracing.annotate("dicomnet.status", () => Status.toHex(status)), outcome) : outcome
        }
      )
    }
    if (!tracing) return operation
    return Tracing.withOperationSpan(
      "dicomnet.operation",
      { attributes: { "dicomnet.service": "C-STORE", "dicomnet.sop_instance_uid": source.sopInstanceUid } },
      association.span
    )(operation)
  })

/**
 * Stores a preloaded file (see `preload`): the data set from the preloaded bytes, then from disk, unchanged when the
 * transfer syntax was accepted, else transcoded between uncompressed syntaxes.
 *
 * @category operations
 */
export const preloaded = (
  association: Association,
  file: PreloadedFile,
  options: StoreOptions = {}
): Effect.Effect<StoreResult, StoreError | FileError, FileSystem.FileSystem> =>
  Effect.flatMap(Effect.service(FileSystem.FileSystem), (fs) =>
    send(
      association,
      file.info,
      // A file read whole goes out as the bytes themselves (no Stream); a larger one streams from disk.
      isWhole(file) ? file.data : dataOf(fs, file, Fragmenter.maxFragmentLength(association.negotiated.peerMaxPduLength)),
      options
    ))

/**
 * Stores a Part 10 file: opens it once, reads its meta header and the start of its data set in one read, then
 * streams the rest from disk in large steps (unchanged when the transfer syntax was accepted, else transcoded
 * between uncompressed syntaxes).
 *
 * @category operations
 */
export const file = (
  association: Association,
  path: string,
  options: StoreOptions = {}
): Effect.Effect<StoreResult, StoreError | FileError, FileSystem.FileSystem> =>
  Effect.flatMap(preload(path, options.chunkSize === undefined ? {} : { readSize: options.chunkSize }), (loaded) => preloaded(association, loaded, options))

/**
 * Stores a `Dataset` (SOP Class/Instance UID read from it), encoded in the first accepted context's syntax
 * (Explicit VR Little Endian preferred).
 *
 * @category operations
 */
export const dataset = (
  association: Association,
  ds: Dataset.Dataset,
  options: StoreOptions = {}
): Effect.Effect<StoreResult, StoreError | DataError.DataEncodeError> =>
  Effect.gen(function* () {
    const sopClassUid = ds.uid("SOPClassUID") ?? ""
    const sopInstanceUid = ds.uid("SOPInstanceUID") ?? ""
    const accepted = [...association.negotiated.acceptedContexts.values()].filter((c) => c.abstractSyntax === sopClassUid)
    const ts = uncompressed.find((t) => accepted.some((c) => c.transferSyntax === t))
    if (ts === undefined) return yield* Effect.fail(new PresentationContextNotAccepted({ sopClassUid, transferSyntax: undefined }))
    const bytes = yield* Effect.fromResult(DatasetCodec.encode(ds, ts))
    return yield* send<never>(association, { sopClassUid, sopInstanceUid, transferSyntaxUid: ts }, bytes, options)
  })
