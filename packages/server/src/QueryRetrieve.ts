/**
 * Query/Retrieve SCP (PS3.4 Annex C, Annex K worklist): handler types for C-FIND, C-MOVE and C-GET,
 * the performers that turn them into DIMSE responses on a `Session` request, and a ready-made
 * archive over a directory of Part 10 files (`fromDirectory`), so the server can act like dcmqrscp.
 *
 * - C-FIND: the handler returns the matches as a Stream; each is sent as a pending (FF00H) response;
 *   a C-CANCEL-RQ stops the stream and answers FE00H; the end answers 0000H; a failing handler C000H.
 * - C-MOVE: the destination AE is resolved in a table of known AEs (unknown: A801H); a new association
 *   is opened to it and each instance sent by C-STORE, a pending response after every sub-operation,
 *   then 0000H, or B000H with the Failed SOP Instance UID List when some failed, FE00H after a cancel.
 * - C-GET: the same sub-operations on the requestor's own association (it proposed the storage SOP
 *   classes with the SCP role, PS3.7 §D.3.3.4).
 *
 * @since 0.1.0
 */
import { Driver, Negotiation } from "@dicomnet/association"
import { Dataset, DatasetCodec, Element, SopClass, Transcode, TransferSyntax } from "@dicomnet/data"
import { Command, MessageStream, Session, Status } from "@dicomnet/dimse"
import { Transport } from "@dicomnet/transport"
import { Data, Duration, Effect, Fiber, FileSystem, type Path, type PlatformError, Pull, Result, type Scope, Stream } from "effect"
import * as Archive from "./archive/Archive.js"
import * as Wire from "./internal/Wire.js"
import type { AssociationInfo } from "./LifecycleEvent.js"

/** The information model of a request, from its SOP class. @category models */
export type Model = "patient" | "study" | "worklist"

/** Query/Retrieve Level (0008,0052). @category models */
export type Level = Archive.Level

/** What a Q/R handler is given: the request, its decoded identifier, model and level. @category models */
export interface QueryRequest<C extends Command.CFindRq | Command.CMoveRq | Command.CGetRq> {
  readonly association: AssociationInfo
  readonly presentationContextId: number
  readonly command: C
  readonly model: Model
  /** Query/Retrieve Level (0008,0052); undefined for worklist queries. */
  readonly level: Level | undefined
  readonly identifier: Dataset.Dataset
}

/**
 * C-FIND: the matches for an identifier; the stream is interrupted on C-CANCEL. A failure is answered C000H
 * with the Error Comment "query failed" (the error itself is only logged), unless the error has a string
 * `peerComment`, written for the peer, which is sent instead. @category handlers
 */
export type FindHandler = (request: QueryRequest<Command.CFindRq>) => Stream.Stream<Dataset.Dataset, unknown>

/** An instance to send in a C-STORE sub-operation: its UIDs and its data set bytes in `transferSyntaxUid`. @category models */
export interface Retrievable {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly transferSyntaxUid: string
  /** The data set (no meta header), read when the sub-operation runs. */
  readonly dataset: Stream.Stream<Uint8Array, unknown>
}

/** C-MOVE / C-GET: the instances an identifier retrieves (the server performs the sub-operations). @category handlers */
export type RetrieveHandler = (request: QueryRequest<Command.CMoveRq | Command.CGetRq>) => Effect.Effect<ReadonlyArray<Retrievable>, unknown>

/** C-MOVE handler: the instances to send to the move destination (the same shape as every retrieve). @category handlers */
export type MoveHandler = RetrieveHandler

/** C-GET handler: the instances to send back on the requestor's association. @category handlers */
export type GetHandler = RetrieveHandler

/** A known application entity: where the server connects for a C-MOVE to it. @category options */
export interface KnownAe {
  readonly host: string
  readonly port: number
}

/** Opens the association for the sub-operations of a C-MOVE and returns a C-STORE function on it. @category models */
export type Connector = (
  destination: { readonly aeTitle: string; readonly host: string; readonly port: number; readonly callingAeTitle: string },
  sopClasses: ReadonlyArray<{ readonly sopClassUid: string; readonly transferSyntaxUid: string }>
) => Effect.Effect<StoreSink, unknown, Scope.Scope>

/** C-STORE on an association opened for sub-operations: resolves to the C-STORE-RSP status. @category models */
export interface StoreSink {
  readonly store: (instance: Retrievable, originator: { readonly aeTitle: string; readonly messageId: number }) => Effect.Effect<number, unknown>
}

/** Options of the Q/R handlers. @category options */
export interface Options {
  readonly find?: FindHandler | undefined
  readonly retrieve?: RetrieveHandler | undefined
  /** C-MOVE destinations by AE title; a move to an AE not in the table answers A801H. */
  readonly destinations?: Readonly<Record<string, KnownAe>> | undefined
  /** Our AE title as the calling AE of sub-operation associations (default "DICOMNET"). */
  readonly aeTitle?: string | undefined
  /** How C-MOVE sub-operation associations are opened (`withTransport` fills in `connectWith` over the Transport service). */
  readonly connector?: Connector | undefined
  /** Largest identifier accepted (default 64 KiB). */
  readonly maxIdentifierLength?: number | undefined
}

/** The performer of each Q/R service, for the server's dispatch: run with the incoming request. @category models */
export interface Performers<E> {
  readonly find: (request: Session.IncomingRequest<E>, context: PerformContext) => Effect.Effect<void, unknown>
  readonly move: (request: Session.IncomingRequest<E>, context: PerformContext) => Effect.Effect<void, unknown>
  readonly get: (request: Session.IncomingRequest<E>, context: PerformContext) => Effect.Effect<void, unknown>
}

/** What the performers need to know about the association. @category models */
export interface PerformContext {
  readonly association: AssociationInfo
  readonly negotiated: Negotiation.Negotiated
}

/** The identifier could not be read (answered A900H / C000H). @category errors */
export class IdentifierError extends Data.TaggedError("IdentifierError")<{ readonly reason: string }> {}

/** The model of a Q/R SOP class. @category getters */
export const modelOf = (sopClassUid: string): Model | undefined => {
  switch (sopClassUid) {
    case SopClass.PatientRootFind:
    case SopClass.PatientRootMove:
    case SopClass.PatientRootGet:
      return "patient"
    case SopClass.StudyRootFind:
    case SopClass.StudyRootMove:
    case SopClass.StudyRootGet:
      return "study"
    case SopClass.ModalityWorklistFind:
      return "worklist"
    default:
      return undefined
  }
}

/** The Q/R SOP classes the handlers serve (for the acceptance policy). @category constants */
export const sopClasses = {
  find: [SopClass.PatientRootFind, SopClass.StudyRootFind, SopClass.ModalityWorklistFind] as ReadonlyArray<string>,
  move: [SopClass.PatientRootMove, SopClass.StudyRootMove] as ReadonlyArray<string>,
  get: [SopClass.PatientRootGet, SopClass.StudyRootGet] as ReadonlyArray<string>
}

const levels = new Set(["PATIENT", "STUDY", "SERIES", "IMAGE"])

const transferSyntaxOf = (context: PerformContext, presentationContextId: number): string =>
  context.negotiated.acceptedContexts.get(presentationContextId)?.transferSyntax ?? TransferSyntax.ImplicitVRLittleEndian

/** Reads and decodes the identifier of a Q/R request. */
const readIdentifier = <E, C extends Command.CFindRq | Command.CMoveRq | Command.CGetRq>(
  request: Session.IncomingRequest<E>,
  command: C,
  context: PerformContext,
  maxLength: number
): Effect.Effect<QueryRequest<C>, IdentifierError> =>
  Effect.gen(function* () {
    if (request.dataset === undefined) return yield* Effect.fail(new IdentifierError({ reason: "no identifier" }))
    const bytes = yield* MessageStream.collect(request.dataset, maxLength).pipe(
      Effect.mapError((e) => new IdentifierError({ reason: `identifier not received: ${String(e)}` }))
    )
    const decoded = DatasetCodec.decode(bytes, transferSyntaxOf(context, request.presentationContextId))
    if (Result.isFailure(decoded)) return yield* Effect.fail(new IdentifierError({ reason: decoded.failure.message }))
    const identifier = decoded.success
    const model = modelOf(command.affectedSopClassUid) ?? "study"
    const levelText = identifier.string(0x00080052)
    if (model !== "worklist" && (levelText === undefined || !levels.has(levelText))) {
      return yield* Effect.fail(new IdentifierError({ reason: `invalid Query/Retrieve Level ${JSON.stringify(levelText ?? "")}` }))
    }
    return {
      association: context.association,
      presentationContextId: request.presentationContextId,
      command,
      model,
      level: model === "worklist" ? undefined : (levelText as Level),
      identifier
    }
  })

const comment = (text: string): string => text.replace(/[^\x20-\x5b\x5d-\x7e]/g, " ").slice(0, 64)

/** The Error Comment answered when a C-FIND handler fails: generic; the handler's own error is only logged. @category constants */
export const findFailedComment = "query failed"

/** The Error Comment for a failed C-FIND: the error's `peerComment` when it has one (text written for the peer), else `findFailedComment`. */
const failedFindComment = (error: unknown): string =>
  typeof error === "object" && error !== null && "peerComment" in error && typeof error.peerComment === "string"
    ? comment(error.peerComment)
    : findFailedComment

/** Performs a C-FIND with `handler` (PS3.4 §C.4.1.3). @category performers */
export const performFind = <E>(
  handler: FindHandler,
  request: Session.IncomingRequest<E>,
  context: PerformContext,
  options: { readonly maxIdentifierLength?: number | undefined } = {}
): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const command = request.command
    if (command._tag !== "CFindRq") return yield* Effect.die(new Error(`performFind given a ${command._tag}`))
    const query = yield* Effect.result(readIdentifier(request, command, context, options.maxIdentifierLength ?? 65536))
    if (Result.isFailure(query)) {
      return yield* request.respond(
        Command.responseTo(command, Status.Code.DataSetDoesNotMatchSopClass, { errorComment: comment(query.failure.reason) })
      )
    }
    const ts = transferSyntaxOf(context, request.presentationContextId)
    // Only the wait for the next match races the cancel: a response is never cut half-sent (that would end
    // the session), and the handler's stream is interrupted (its finalizers run) as soon as a cancel arrives.
    const outcome = yield* Effect.scoped(
      Effect.gen(function* () {
        const pull = yield* Stream.toPull(handler(query.success))
        let cancelled = false
        yield* Effect.forkScoped(Effect.andThen(request.cancelled, () => Effect.sync(() => (cancelled = true))))
        const next = Effect.raceFirst(
          pull.pipe(Pull.catchDone(() => Effect.succeed("done" as const))),
          Effect.as(request.cancelled, "cancelled" as const)
        )
        for (;;) {
          if (cancelled) return "cancelled" as const
          const chunk = yield* next
          if (chunk === "done" || chunk === "cancelled") return chunk
          for (const match of chunk) {
            if (cancelled) return "cancelled" as const
            const bytes = DatasetCodec.encode(match, ts)
            if (Result.isFailure(bytes)) return yield* Effect.fail(bytes.failure)
            yield* request.respond(Command.responseTo(command, Status.Code.Pending), bytes.success)
          }
        }
      })
    ).pipe(Effect.result)
    if (Result.isFailure(outcome)) {
      const error = outcome.failure
      // The handler's own message stays in the log: it may carry internals (paths, SQL, hosts) the peer must not see.
      yield* Effect.logWarning("C-FIND handler failed: answering 0xC000", error)
      return yield* request.respond(Command.responseTo(command, Status.Code.CannotUnderstand, { errorComment: failedFindComment(error) }))
    }
    yield* request.respond(Command.responseTo(command, outcome.success === "cancelled" ? Status.Code.Cancel : Status.Code.Success))
  })

interface Counts {
  remaining: number
  completed: number
  failed: number
  warning: number
  readonly failedUids: Array<string>
}

const retrieveResponse = (
  command: Command.CMoveRq | Command.CGetRq,
  status: number,
  counts: Counts,
  final: boolean
): Command.CMoveRsp | Command.CGetRsp => {
  const fields = {
    numberOfCompletedSuboperations: counts.completed,
    numberOfFailedSuboperations: counts.failed,
    numberOfWarningSuboperations: counts.warning,
    // PS3.4 §C.4.2.1.3: remaining is absent from a final response unless cancelled.
    ...(final && status !== Status.Code.Cancel ? {} : { numberOfRemainingSuboperations: counts.remaining })
  }
  return command._tag === "CMoveRq" ? Command.responseTo(command, status, fields) : Command.responseTo(command, status, fields)
}

/** Runs the sub-operations, one pending response after each; the final response follows. */
const runSuboperations = <E>(
  request: Session.IncomingRequest<E>,
  command: Command.CMoveRq | Command.CGetRq,
  instances: ReadonlyArray<Retrievable>,
  store: (instance: Retrievable) => Effect.Effect<number, unknown>,
  context: PerformContext
): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const counts: Counts = { remaining: instances.length, completed: 0, failed: 0, warning: 0, failedUids: [] }
    let cancelled = false
    const cancelFiber = yield* Effect.forkChild(Effect.andThen(request.cancelled, () => Effect.sync(() => (cancelled = true))))
    for (const instance of instances) {
      if (cancelled) break
      const status = yield* Effect.result(store(instance))
      counts.remaining--
      if (Result.isFailure(status)) {
        yield* Effect.logWarning(`sub-operation C-STORE of ${instance.sopInstanceUid} failed`, status.failure)
        counts.failed++
        counts.failedUids.push(instance.sopInstanceUid)
      } else if (Status.isSuccess(status.success)) counts.completed++
      else if (Status.isWarning(status.success)) counts.warning++
      else {
        counts.failed++
        counts.failedUids.push(instance.sopInstanceUid)
      }
      if (counts.remaining > 0 && !cancelled) yield* request.respond(retrieveResponse(command, Status.Code.Pending, counts, false))
    }
    yield* Fiber.interrupt(cancelFiber)
    const status = cancelled
      ? Status.Code.Cancel
      : counts.failed > 0 || counts.warning > 0
        ? Status.Code.SuboperationsCompleteWithFailures
        : Status.Code.Success
    const response = retrieveResponse(command, status, counts, true)
    if (counts.failedUids.length > 0) {
      // PS3.4 §C.4.2.1.3.1: Failed SOP Instance UID List (0008,0058) in the final response's identifier.
      const ds = Dataset.Dataset.make([Element.string(0x00080058, "UI", counts.failedUids)])
      const bytes = DatasetCodec.encode(ds, transferSyntaxOf(context, request.presentationContextId))
      if (Result.isSuccess(bytes)) return yield* request.respond(response, bytes.success)
    }
    yield* request.respond(response)
  })

/** Pick the accepted context for an instance: its own transfer syntax, else any uncompressed one we can transcode to. */
const pickContext = (
  negotiated: Negotiation.Negotiated,
  sopClassUid: string,
  transferSyntaxUid: string
): Negotiation.AcceptedContext | undefined => {
  let fallback: Negotiation.AcceptedContext | undefined
  for (const pc of negotiated.acceptedContexts.values()) {
    if (pc.abstractSyntax !== sopClassUid) continue
    if (pc.transferSyntax === transferSyntaxUid) return pc
    if (fallback === undefined && Transcode.supports(transferSyntaxUid, pc.transferSyntax)) fallback = pc
  }
  return fallback
}

const datasetFor = (instance: Retrievable, to: string): Stream.Stream<Uint8Array, unknown> =>
  instance.transferSyntaxUid === to ? instance.dataset : instance.dataset.pipe(Transcode.stream(instance.transferSyntaxUid, to))

/** Sends one C-STORE-RQ on a session and returns the C-STORE-RSP status. @category performers */
export const storeOn = <E>(
  session: Session.Session<E>,
  negotiated: Negotiation.Negotiated,
  instance: Retrievable,
  originator?: { readonly aeTitle: string; readonly messageId: number }
): Effect.Effect<number, unknown> =>
  Effect.gen(function* () {
    const pc = pickContext(negotiated, instance.sopClassUid, instance.transferSyntaxUid)
    if (pc === undefined) return Status.Code.SopClassNotSupported
    const rq = Command.cStoreRq({
      affectedSopClassUid: instance.sopClassUid,
      affectedSopInstanceUid: instance.sopInstanceUid,
      messageId: 0,
      priority: Command.Priority.Medium,
      ...(originator === undefined ? {} : { moveOriginatorApplicationEntityTitle: originator.aeTitle, moveOriginatorMessageId: originator.messageId })
    })
    const last = yield* Stream.runLast(session.request(pc.presentationContextId, rq, datasetFor(instance, pc.transferSyntax)))
    return last._tag === "Some" ? last.value.command.status : Status.Code.ProcessingFailure
  })

/**
 * Opens sub-operation associations through the `Transport` (default connector): one presentation
 * context per SOP class, with the instances' transfer syntax then Explicit and Implicit VR Little Endian.
 * @category constructors
 */
export const connectWith =
  (options: { readonly timeouts?: { readonly artim?: Duration.Input; readonly dimse?: Duration.Input } | undefined } = {}) =>
  (transport: Transport.Transport["Service"]): Connector =>
  (destination, classes) =>
    Effect.gen(function* () {
      const bySop = new Map<string, Set<string>>()
      for (const c of classes) {
        const set = bySop.get(c.sopClassUid) ?? new Set([TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian])
        set.add(c.transferSyntaxUid)
        bySop.set(c.sopClassUid, set)
      }
      const rq = Negotiation.makeAssociateRq({
        callingAeTitle: destination.callingAeTitle,
        calledAeTitle: destination.aeTitle,
        contexts: [...bySop].map(([abstractSyntax, ts]) => ({ abstractSyntax, transferSyntaxes: [...ts] }))
      })
      if (Result.isFailure(rq)) return yield* Effect.fail(rq.failure)
      const connection = yield* transport.connect({ host: destination.host, port: destination.port, timeouts: {} })
      const wire = yield* Wire.make(connection)
      const handle = yield* Driver.request({
        associateRq: rq.success,
        input: wire.input,
        write: wire.write,
        close: connection.close,
        timeouts: { artim: options.timeouts?.artim, associateResponse: options.timeouts?.artim }
      })
      const session = yield* Session.make(
        { incoming: handle.incoming, sendPData: handle.sendPData, sendPDataMany: handle.sendPDataMany, peerMaxPduLength: handle.negotiated.peerMaxPduLength },
        {
          onReleaseRequested: Effect.ignore(handle.releaseResponse),
          onFatal: () => handle.abort,
          isAcceptedContext: (id) => handle.negotiated.acceptedContexts.has(id),
          dimseTimeout: options.timeouts?.dimse ?? Duration.seconds(60)
        }
      )
      // Released when the move is over (the scope closes), aborted if it failed or was interrupted.
      yield* Effect.addFinalizer((exit) => (exit._tag === "Success" ? Effect.ignore(handle.release) : handle.abort))
      return {
        store: (instance, originator) => storeOn(session, handle.negotiated, instance, originator)
      } satisfies StoreSink
    })

/**
 * The instances a C-MOVE or C-GET retrieves: its identifier read and given to the handler. Undefined once the
 * request has been answered instead (A900H for an unreadable identifier, A701H when the handler failed).
 */
const matchRetrieve = <E>(
  handler: RetrieveHandler,
  request: Session.IncomingRequest<E>,
  command: Command.CMoveRq | Command.CGetRq,
  context: PerformContext,
  options: Options
): Effect.Effect<ReadonlyArray<Retrievable> | undefined, unknown> =>
  Effect.gen(function* () {
    const query = yield* Effect.result(readIdentifier(request, command, context, options.maxIdentifierLength ?? 65536))
    if (Result.isFailure(query)) {
      const response =
        command._tag === "CMoveRq"
          ? Command.responseTo(command, Status.Code.DataSetDoesNotMatchSopClass, { errorComment: comment(query.failure.reason) })
          : Command.responseTo(command, Status.Code.DataSetDoesNotMatchSopClass, { errorComment: comment(query.failure.reason) })
      yield* request.respond(response)
      return undefined
    }
    const instances = yield* Effect.result(handler(query.success))
    if (Result.isFailure(instances)) {
      yield* Effect.logWarning(`${command._tag === "CMoveRq" ? "C-MOVE" : "C-GET"} handler failed: answering 0xA701`, instances.failure)
      const none = { remaining: 0, completed: 0, failed: 0, warning: 0, failedUids: [] }
      yield* request.respond(retrieveResponse(command, Status.Code.OutOfResourcesNumberOfMatches, none, true))
      return undefined
    }
    return instances.success
  })

/** Performs a C-MOVE (PS3.4 §C.4.2.3). @category performers */
export const performMove = <E>(
  handler: RetrieveHandler,
  request: Session.IncomingRequest<E>,
  context: PerformContext,
  options: Options
): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const command = request.command
    if (command._tag !== "CMoveRq") return yield* Effect.die(new Error(`performMove given a ${command._tag}`))
    const counts = { remaining: 0, completed: 0, failed: 0, warning: 0, failedUids: [] }
    const destination = options.destinations?.[command.moveDestination]
    if (destination === undefined) {
      return yield* request.respond(retrieveResponse(command, Status.Code.MoveDestinationUnknown, counts, true))
    }
    const list = yield* matchRetrieve(handler, request, command, context, options)
    if (list === undefined) return
    if (list.length === 0) return yield* request.respond(retrieveResponse(command, Status.Code.Success, counts, true))
    const connector = options.connector
    if (connector === undefined) {
      yield* Effect.logWarning("C-MOVE: no connector configured (see QueryRetrieve.withTransport): answering 0xA702")
      return yield* request.respond(retrieveResponse(command, Status.Code.OutOfResourcesSuboperations, { ...counts, remaining: list.length }, true))
    }
    yield* Effect.scoped(
      Effect.gen(function* () {
        const sink = yield* Effect.result(
          connector(
            { aeTitle: command.moveDestination, host: destination.host, port: destination.port, callingAeTitle: options.aeTitle ?? "DICOMNET" },
            list.map((i) => ({ sopClassUid: i.sopClassUid, transferSyntaxUid: i.transferSyntaxUid }))
          )
        )
        if (Result.isFailure(sink)) {
          yield* Effect.logWarning(`C-MOVE: cannot open an association to ${command.moveDestination}: answering 0xA702`, sink.failure)
          return yield* request.respond(
            retrieveResponse(command, Status.Code.OutOfResourcesSuboperations, { ...counts, remaining: list.length }, true)
          )
        }
        const originator = { aeTitle: context.association.callingAeTitle, messageId: command.messageId }
        yield* runSuboperations(request, command, list, (i) => sink.success.store(i, originator), context)
      })
    )
  })

/** Performs a C-GET (PS3.4 §C.4.3.3): C-STORE sub-operations on the same association. @category performers */
export const performGet = <E>(
  handler: RetrieveHandler,
  request: Session.IncomingRequest<E>,
  context: PerformContext,
  options: Options
): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const command = request.command
    if (command._tag !== "CGetRq") return yield* Effect.die(new Error(`performGet given a ${command._tag}`))
    const matched = yield* matchRetrieve(handler, request, command, context, options)
    if (matched === undefined) return
    yield* runSuboperations(request, command, matched, (i) => storeOn(request.session, context.negotiated, i), context)
  })

/** The performers for a set of Q/R options (services without a handler answer 0211H through the dispatch). @category constructors */
export const performers = <E>(options: Options): Partial<Performers<E>> => {
  const out: { -readonly [K in keyof Performers<E>]?: Performers<E>[K] } = {}
  const find = options.find
  const retrieve = options.retrieve
  if (find !== undefined) out.find = (rq, ctx) => performFind(find, rq, ctx, options)
  if (retrieve !== undefined) {
    out.move = (rq, ctx) => performMove(retrieve, rq, ctx, options)
    out.get = (rq, ctx) => performGet(retrieve, rq, ctx, options)
  }
  return out
}

/**
 * Serves one C-FIND, C-MOVE or C-GET request with `options` (any other request: 0211H), for the
 * server's dispatch: `QueryRetrieve.perform(handlers.queryRetrieve, context)(rq)`.
 * @category performers
 */
export const perform =
  (options: Options, context: PerformContext) =>
  <E>(request: Session.IncomingRequest<E>): Effect.Effect<void, unknown> => {
    const p = performers<E>(options)
    const command = request.command
    const performer = command._tag === "CFindRq" ? p.find : command._tag === "CMoveRq" ? p.move : command._tag === "CGetRq" ? p.get : undefined
    return performer === undefined
      ? request.respond(Command.responseTo(command, Status.Code.UnrecognizedOperation))
      : performer(request, context)
  }

/** The options with C-MOVE sub-operation associations opened through the current `Transport` (unless a connector is given). @category constructors */
export const withTransport = (options: Options): Effect.Effect<Options, never, Transport.Transport> =>
  Effect.map(Transport.Transport, (transport) => (options.connector === undefined ? { ...options, connector: connectWith()(transport) } : options))

// --- the archive ---------------------------------------------------------------------------------------------

/** A Q/R source over an archive index: find by PS3.4 §C.2.2.2 matching, retrieve by streaming files. @category archive */
export interface ArchiveSource {
  readonly archive: Archive.Archive
  readonly find: FindHandler
  readonly retrieve: RetrieveHandler
}

/** Find and retrieve handlers over an index (files read with the FileSystem given). @category archive */
export const fromArchive = (archive: Archive.Archive, fs: FileSystem.FileSystem): ArchiveSource => ({
  archive,
  find: (request) =>
    request.model === "worklist" || request.level === undefined
      ? Stream.empty
      : Stream.fromIterable(archive.find(request.level, request.identifier, request.model === "patient" ? "patient" : "study")),
  retrieve: (request) =>
    Effect.sync(() =>
      archive.select(request.level ?? "IMAGE", request.identifier).map(
        (i): Retrievable => ({
          sopClassUid: i.sopClassUid,
          sopInstanceUid: i.sopInstanceUid,
          transferSyntaxUid: i.transferSyntaxUid,
          dataset: fs.stream(i.path, { offset: i.datasetOffset, chunkSize: 64 * 1024 })
        })
      )
    )
})

/**
 * A dcmqrscp-like source: indexes the Part 10 files under `dir` (meta and short attributes) and serves
 * C-FIND (Patient Root, Study Root) and C-MOVE / C-GET from it.
 * @category archive
 */
export const fromDirectory = (dir: string): Effect.Effect<ArchiveSource, PlatformError.PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const archive = yield* Archive.fromDirectory(dir)
    return fromArchive(archive, yield* FileSystem.FileSystem)
  })

/**
 * Find and retrieve handlers over a directory that other processes (or a storage SCP) keep writing into: each
 * request first brings the index up to date (`Archive.directoryIndex`: a listing and a stat per file, only new
 * or changed files read), then answers like `fromArchive`.
 * @category archive
 */
export const fromDirectoryIndex = (
  dir: string
): Effect.Effect<{ readonly index: Archive.DirectoryIndex; readonly find: FindHandler; readonly retrieve: RetrieveHandler }, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const index = yield* Archive.directoryIndex(dir)
    const fs = yield* FileSystem.FileSystem
    return {
      index,
      find: (request) => Stream.unwrap(Effect.map(index.refresh, (archive) => fromArchive(archive, fs).find(request))),
      retrieve: (request) => Effect.flatMap(index.refresh, (archive) => fromArchive(archive, fs).retrieve(request))
    }
  })

/** Re-exported for callers that build their own index. @category archive */
export { Archive }
