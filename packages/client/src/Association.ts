/**
 * The association as a scoped resource (PS3.8 §7.1–7.3): `request` connects, negotiates and
 * returns an established `Association`; closing the scope releases it (A-RELEASE) when the scope
 * ends with success, and aborts it (A-ABORT) when it ends with a failure or an interruption.
 *
 * @since 0.1.0
 */
import {
  type AssociationAborted,
  type AssociationError,
  type AssociationRejected,
  type AssociationTimeout,
  Driver,
  Negotiation,
  PresentationContextNotAccepted,
  type TooManyPresentationContexts
} from "@dicomnet/association"
import { TransferSyntax } from "@dicomnet/data"
import { Command, type Session, Status } from "@dicomnet/dimse"
import type { AsyncOperationsWindow, RoleSelection, UserIdentityRq } from "@dicomnet/pdu"
import { Transport, type TransportError, type TransportTimeout } from "@dicomnet/transport"
import { Duration, Effect, Exit, Result, type Scope, Stream, type Tracer } from "effect"
import * as Router from "./internal/Router.js"
import * as Wire from "./internal/Wire.js"
import { countAssociation } from "./Metrics.js"

/** A presentation context to propose; transfer syntaxes default to Explicit then Implicit VR Little Endian. @category options */
export interface ContextRequest {
  readonly abstractSyntax: string
  readonly transferSyntaxes?: ReadonlyArray<string> | undefined
  /** PS3.7 §D.3.3.4 role selection: proposed when `scuRole` or `scpRole` is given. */
  readonly scuRole?: boolean | undefined
  readonly scpRole?: boolean | undefined
}

/** Every timer of an association (Duration inputs, e.g. "30 seconds"). @category options */
export interface Timeouts {
  /** Opening the transport connection (default 30 s). */
  readonly connect?: Duration.Input | undefined
  /** ARTIM, and the wait for the A-ASSOCIATE-AC/RJ (default 30 s). */
  readonly artim?: Duration.Input | undefined
  /** The wait for the A-RELEASE-RP (default 30 s). */
  readonly release?: Duration.Input | undefined
  /** The wait for each DIMSE response (default: none, "Infinity"). */
  readonly dimse?: Duration.Input | undefined
  /** No bytes from the peer for this long fails the connection (default off). */
  readonly readIdle?: Duration.Input | undefined
  /** A write that cannot proceed for this long fails the connection (default 60 s). */
  readonly write?: Duration.Input | undefined
}

/** What to ask for. @category options */
export interface RequestOptions {
  readonly host: string
  readonly port: number
  /** Our AE title (default "DICOMNET"). */
  readonly callingAeTitle?: string | undefined
  /** The peer's AE title (default "ANY-SCP"). */
  readonly calledAeTitle?: string | undefined
  readonly contexts: ReadonlyArray<ContextRequest>
  /** Our maximum PDU length received (default 256 KiB; 0 = unlimited). */
  readonly maxPduLength?: number | undefined
  /** PS3.7 §D.3.3.3 window to propose (default: none, i.e. synchronous operations). */
  readonly asyncOperationsWindow?: AsyncOperationsWindow | undefined
  /** PS3.7 §D.3.3.7 user identity to send. */
  readonly userIdentity?: UserIdentityRq | undefined
  readonly timeouts?: Timeouts | undefined
  /** TLS server name (SNI / certificate host name) when the Transport is TLS. */
  readonly servername?: string | undefined
  /** What to do with requests the peer sends us (C-STORE sub-operations of a C-GET, N-EVENT-REPORT); default: 0211H. */
  readonly handlers?: ClientHandlers | undefined
}

/** A C-STORE-RQ the peer sends us (a C-GET sub-operation): its data set streams in as fragments. @category models */
export interface StoreRequest {
  readonly presentationContextId: number
  readonly command: Command.CStoreRq
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  /** The transfer syntax of the presentation context the data set arrives on. */
  readonly transferSyntaxUid: string
  /** The data set (no meta header) as fragments, backpressured; what the handler leaves is drained. */
  readonly dataset: Stream.Stream<Uint8Array, unknown>
  /** The peer's AE title. */
  readonly callingAeTitle: string
}

/** A request from the peer, as the DIMSE session hands it over (respond through `respond`). @category models */
export type IncomingRequest = Router.IncomingRequest

/** Handlers of requests the peer sends on our association. @category options */
export interface ClientHandlers {
  /** C-STORE-RQ (C-GET sub-operations): returns the Status to answer; a failure answers 0110H. */
  readonly store?: ((request: StoreRequest) => Effect.Effect<number, unknown>) | undefined
  /** Any other request (e.g. N-EVENT-REPORT-RQ of storage commitment), answered by the handler itself. */
  readonly request?: ((request: IncomingRequest) => Effect.Effect<void, unknown>) | undefined
}

/** Defaults of `RequestOptions`. @category constants */
export const defaults = {
  callingAeTitle: "DICOMNET",
  calledAeTitle: "ANY-SCP",
  transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] as ReadonlyArray<string>
} as const

/** Who we are talking to. @category models */
export interface Peer {
  readonly host: string
  readonly port: number
  /** "host:port" of the transport connection. */
  readonly remoteAddress: string
  readonly aeTitle: string
  readonly implementationClassUid: string
  readonly implementationVersionName: string | undefined
  /** The largest PDU the peer receives (0 = unlimited). */
  readonly maxPduLength: number
}

/** A DIMSE response: its command, presentation context and data set (if any). @category models */
export type DimseReply = Router.DimseReply

/** A request `Association.request` can send (every DIMSE request but C-CANCEL). @category models */
export type RequestCommand = Router.RequestCommand

/** A request `Association.requestOne` can send: every one answered by a single response (not C-FIND, C-GET, C-MOVE). @category models */
export type SingleResponseCommand = Router.SingleResponseCommand

/** Why an operation could not complete: the association failed, the DIMSE timer expired, or the command cannot be encoded. @category models */
export type OperationError = Router.OperationError

/** An established association. @category models */
export interface Association {
  /** What was agreed: accepted contexts by id, peer max PDU length, async operations window, ... */
  readonly negotiated: Negotiation.Negotiated
  readonly peer: Peer
  /** The "dicomnet.association" span, open while the association lives. */
  readonly span: Tracer.Span
  /**
   * Sends a DIMSE request and streams its responses (pending ..., final). The Message ID in
   * `command` is replaced by one the association allocates. The presentation context is the first
   * accepted one for the command's SOP class unless `presentationContextId` is given.
   */
  readonly request: <E2 = never>(
    command: RequestCommand,
    dataset?: Uint8Array | Stream.Stream<Uint8Array, E2> | undefined,
    options?: { readonly presentationContextId?: number | undefined }
  ) => Stream.Stream<DimseReply, OperationError | PresentationContextNotAccepted | E2>
  /**
   * `request` for an operation answered by one response (C-ECHO, C-STORE, N-*): its final response, without
   * a Stream (cheaper per message). Same presentation context choice, message ids, window, DIMSE timeout;
   * interrupted after it was sent, its message id stays reserved and the late response is dropped.
   */
  readonly requestOne: <E2 = never>(
    command: SingleResponseCommand,
    dataset?: Uint8Array | Stream.Stream<Uint8Array, E2> | undefined,
    options?: { readonly presentationContextId?: number | undefined }
  ) => Effect.Effect<DimseReply, OperationError | PresentationContextNotAccepted | E2>
  /** The DIMSE session under `request` (for `start`/`cancel`: C-CANCEL of a C-FIND, C-GET, C-MOVE). */
  readonly session: Session.Session<AssociationError.AssociationError>
  /** The first accepted context for a SOP class (and transfer syntax), or PresentationContextNotAccepted. */
  readonly findContext: (
    sopClassUid: string,
    transferSyntax?: string | undefined
  ) => Effect.Effect<Negotiation.AcceptedContext, PresentationContextNotAccepted>
  /**
   * A-RELEASE now (the scope's finalizer then does nothing), once our requests have their final responses
   * (abandoned C-FIND/C-GET/C-MOVE: their C-CANCEL sent, FE00H received; at most the release timeout);
   * fails with AssociationTimeout when no A-RELEASE-RP comes in time.
   */
  readonly release: Effect.Effect<void, AssociationError.AssociationError>
  /** A-ABORT now. */
  readonly abort: Effect.Effect<void>
  /** Waits until the association has ended and tells how. */
  readonly awaitClose: Effect.Effect<Driver.CloseReason>
}

/** The errors of `request`. @category models */
export type RequestError =
  | AssociationRejected
  | AssociationAborted
  | AssociationTimeout
  | TransportError
  | TransportTimeout
  | TooManyPresentationContexts

const sopClassOf = (command: RequestCommand): string =>
  "affectedSopClassUid" in command ? command.affectedSopClassUid : command.requestedSopClassUid

const toOutcome = (reason: Driver.CloseReason): string => {
  switch (reason._tag) {
    case "Released":
      return "released"
    case "Rejected":
      return "rejected"
    case "Aborted":
      return "aborted"
    case "TimedOut":
      return "timeout"
  }
}

/** The session's request handler for `handlers` (undefined: the session answers 0211H itself). */
const onRequestOf = (
  handlers: ClientHandlers | undefined,
  negotiated: Negotiation.Negotiated,
  callingAeTitle: string
): ((request: IncomingRequest) => Effect.Effect<void, unknown>) | undefined => {
  if (handlers === undefined || (handlers.store === undefined && handlers.request === undefined)) return undefined
  return (rq) => {
    const command = rq.command
    const store = handlers.store
    if (command._tag === "CStoreRq" && store !== undefined) {
      return Effect.gen(function* () {
        const status = yield* store({
          presentationContextId: rq.presentationContextId,
          command,
          sopClassUid: command.affectedSopClassUid,
          sopInstanceUid: command.affectedSopInstanceUid,
          transferSyntaxUid: negotiated.acceptedContexts.get(rq.presentationContextId)?.transferSyntax ?? TransferSyntax.ImplicitVRLittleEndian,
          dataset: rq.dataset ?? Stream.empty,
          callingAeTitle
        })
        yield* rq.respond(Command.responseTo(command, status))
      })
    }
    if (handlers.request !== undefined) return handlers.request(rq)
    return rq.respond(Command.responseTo(command, Status.Code.UnrecognizedOperation))
  }
}

/**
 * Opens an association: connects through the `Transport`, sends the A-ASSOCIATE-RQ and waits for
 * the answer. Scoped: released on success, aborted on failure or interruption.
 * @category constructors
 */
export const request = (options: RequestOptions): Effect.Effect<Association, RequestError, Scope.Scope | Transport.Transport> =>
  Effect.gen(function* () {
    const callingAeTitle = options.callingAeTitle ?? defaults.callingAeTitle
    const calledAeTitle = options.calledAeTitle ?? defaults.calledAeTitle
    const timeouts = options.timeouts ?? {}
    const roleSelections: Array<RoleSelection> = []
    for (const c of options.contexts) {
      if (c.scuRole !== undefined || c.scpRole !== undefined) {
        if (!roleSelections.some((r) => r.sopClassUid === c.abstractSyntax)) {
          roleSelections.push({ sopClassUid: c.abstractSyntax, scuRole: c.scuRole ?? true, scpRole: c.scpRole ?? false })
        }
      }
    }
    const rq = Negotiation.makeAssociateRq({
      callingAeTitle,
      calledAeTitle,
      contexts: options.contexts.map((c) => ({
        abstractSyntax: c.abstractSyntax,
        transferSyntaxes: c.transferSyntaxes ?? defaults.transferSyntaxes
      })),
      maxPduLength: options.maxPduLength,
      asyncOperationsWindow: options.asyncOperationsWindow,
      roleSelections,
      userIdentity: options.userIdentity
    })
    if (Result.isFailure(rq)) return yield* Effect.fail(rq.failure)
    const associateRq = rq.success
    const attributes = {
      "dicomnet.peer": `${options.host}:${options.port}`,
      "dicomnet.calling_ae_title": callingAeTitle,
      "dicomnet.called_ae_title": calledAeTitle,
      "dicomnet.contexts": options.contexts.map((c) => c.abstractSyntax).join(",")
    }
    const span = yield* Effect.makeSpanScoped("dicomnet.association", { attributes: { ...attributes, "dicomnet.role": "requestor" } })
    const annotate = Effect.annotateLogs({ peer: attributes["dicomnet.peer"], callingAeTitle, calledAeTitle, role: "requestor" })

    const transport = yield* Transport.Transport
    const withinSpan = Effect.withParentSpan(span, { captureStackTrace: false })
    const connection = yield* transport
      .connect({
        host: options.host,
        port: options.port,
        servername: options.servername,
        timeouts: { connect: timeouts.connect, readIdle: timeouts.readIdle, write: timeouts.write }
      })
      .pipe(
        Effect.tapError(() => countAssociation("requestor", "failed")),
        withinSpan
      )
    const wire = yield* Wire.make(connection)
    const handle = yield* Driver.request({
      associateRq,
      input: wire.input,
      write: wire.write,
      close: connection.close,
      timeouts: { artim: timeouts.artim, associateResponse: timeouts.artim, releaseResponse: timeouts.release }
    }).pipe(
      Effect.tapError((error) =>
        Effect.andThen(
          countAssociation("requestor", error._tag === "AssociationRejected" ? "rejected" : error._tag === "AssociationTimeout" ? "timeout" : "aborted"),
          Effect.logDebug(`association not established: ${"description" in error ? error.description : error._tag}`).pipe(annotate)
        )
      ),
      withinSpan
    )
    const negotiated = handle.negotiated
    yield* Effect.logDebug(
      `association accepted: ${negotiated.acceptedContexts.size} of ${associateRq.presentationContexts.length} presentation contexts, peer max PDU ${negotiated.peerMaxPduLength}`
    ).pipe(annotate)

    const router = yield* Router.make(
      handle,
      negotiated,
      Duration.fromInputUnsafe(timeouts.dimse ?? Duration.infinity),
      onRequestOf(options.handlers, negotiated, calledAeTitle)
    )
    // PS3.8 §7.2: no A-RELEASE-RQ while requests of ours await responses. An abandoned C-FIND/C-GET/C-MOVE
    // first gets its C-CANCEL out and its final response in (after the A-RELEASE-RQ we may no longer send
    // P-DATA); bounded by the release timeout, after which the release goes out anyway.
    const releaseWait = Duration.fromInputUnsafe(timeouts.release ?? Driver.defaultTimeout)
    const settleThenRelease = Effect.andThen(
      Effect.timeoutOption(router.session.settled, releaseWait).pipe(
        Effect.tap((settled) =>
          settled._tag === "None" ? Effect.logWarning("releasing with requests still awaiting responses (release timeout reached)").pipe(annotate) : Effect.void
        )
      ),
      handle.release
    )
    // Set once the user released or aborted explicitly: the finalizer then only counts the outcome.
    let closing = false
    let failedOutcome: string | undefined
    const failureOutcome = (error: AssociationError.AssociationError) => (error._tag === "AssociationTimeout" ? "timeout" : "aborted")

    // Registered after the driver's own finalizer, so it runs first: release or abort, as the scope ended.
    yield* Effect.addFinalizer((exit) =>
      Effect.gen(function* () {
        const finished = (yield* handle.state) === "Sta1"
        if (!finished && !closing) {
          closing = true
          if (Exit.isFailure(exit)) {
            // No wait for the peer to close: the driver's own finalizer closes the transport next.
            yield* handle.abort
            failedOutcome = "aborted"
            yield* Effect.logDebug("association aborted: its scope ended with a failure or an interruption").pipe(annotate)
          } else {
            const released = yield* Effect.result(settleThenRelease)
            if (Result.isFailure(released)) {
              const error = released.failure
              failedOutcome = failureOutcome(error)
              yield* Effect.logWarning(`release failed: ${"description" in error ? error.description : error._tag}`).pipe(annotate)
            }
          }
        }
        if ((yield* handle.state) !== "Sta1") return yield* countAssociation("requestor", failedOutcome ?? "aborted")
        const reason = yield* handle.awaitClose
        yield* countAssociation("requestor", toOutcome(reason))
        yield* Effect.logDebug(`association ended: ${reason._tag}`).pipe(annotate)
      })
    )

    const findContext = (sopClassUid: string, transferSyntax?: string) =>
      Effect.fromResult(Negotiation.findContext(negotiated, sopClassUid, transferSyntax))
    /** The presentation context a request goes on: the one asked for if accepted, else the first for its SOP class. */
    const contextOf = (command: RequestCommand, asked: number | undefined): Result.Result<number, PresentationContextNotAccepted> => {
      if (asked !== undefined) {
        return negotiated.acceptedContexts.has(asked)
          ? Result.succeed(asked)
          : Result.fail(new PresentationContextNotAccepted({ sopClassUid: sopClassOf(command), transferSyntax: undefined }))
      }
      return Result.map(Negotiation.findContext(negotiated, sopClassOf(command)), (pc) => pc.presentationContextId)
    }

    const association: Association = {
      negotiated,
      span,
      peer: {
        host: options.host,
        port: options.port,
        remoteAddress: connection.remoteAddress,
        aeTitle: calledAeTitle,
        implementationClassUid: negotiated.peerImplementationClassUid,
        implementationVersionName: negotiated.peerImplementationVersionName,
        maxPduLength: negotiated.peerMaxPduLength
      },
      session: router.session,
      // Decided when called (the negotiation is fixed): no Stream.unwrap around the request's own stream.
      request: (command, dataset, requestOptions) => {
        const id = contextOf(command, requestOptions?.presentationContextId)
        return Result.isFailure(id) ? Stream.fail(id.failure) : router.send(id.success, command, dataset)
      },
      requestOne: (command, dataset, requestOptions) => {
        const id = contextOf(command, requestOptions?.presentationContextId)
        return Result.isFailure(id) ? Effect.fail(id.failure) : router.sendOne(id.success, command, dataset)
      },
      findContext,
      release: Effect.suspend(() => {
        closing = true
        return settleThenRelease.pipe(Effect.tapError((error) => Effect.sync(() => (failedOutcome = failureOutcome(error)))))
      }),
      abort: Effect.suspend(() => {
        closing = true
        failedOutcome = "aborted"
        return handle.abort
      }),
      awaitClose: handle.awaitClose
    }
    return association
  })
