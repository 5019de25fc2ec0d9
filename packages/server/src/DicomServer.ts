/**
 * The DICOM server: listens through the `Transport`, negotiates each association under an
 * acceptance policy (AE titles, SOP classes, transfer syntaxes, user identity, a maximum number of
 * associations), serves DIMSE requests with per-service handlers (C-ECHO built in), publishes
 * lifecycle events, and shuts down gracefully.
 *
 * @since 0.1.0
 */
import { AssociationError, Driver, Negotiation } from "@dicomnet/association"
import { SopClass, TransferSyntax } from "@dicomnet/data"
import type { AAssociateAc, AAssociateRj, AAssociateRq, UserIdentityRq } from "@dicomnet/pdu"
import { type Connection, Transport, type TransportError } from "@dicomnet/transport"
import { Context, Deferred, Duration, Effect, Exit, Layer, PubSub, Scope, Stream } from "effect"
import * as AccessControl from "./AccessControl.js"
import type { Handlers } from "./Handlers.js"
import * as Dispatch from "./internal/Dispatch.js"
import * as Limits from "./Limits.js"
import * as Storage from "./Storage.js"
import * as Wire from "./internal/Wire.js"
import type { AssociationInfo, LifecycleEvent } from "./LifecycleEvent.js"
import { countAssociation } from "./Metrics.js"

/** Server timers (Duration inputs). @category options */
export interface Timeouts {
  /** ARTIM: the wait for the A-ASSOCIATE-RQ after a connection, and for the peer to close after a rejection or release (default 30 s). */
  readonly artim?: Duration.Input | undefined
  /** The wait for an A-RELEASE-RP, and after an A-RELEASE-RQ the wait for the operations in progress, past which the association is aborted (default 30 s). */
  readonly release?: Duration.Input | undefined
  /** No bytes from a peer for this long ends its connection, at the transport level, even during an operation (default off). */
  readonly readIdle?: Duration.Input | undefined
  /**
   * An established association on which the peer sends nothing and no operation is being performed for
   * this long is aborted (A-ABORT), freeing its slot (default `defaults.associationIdle`, 5 minutes;
   * 0 or "Infinity" turns it off).
   */
  readonly associationIdle?: Duration.Input | undefined
  /** A write that cannot proceed for this long ends the connection (default 60 s). */
  readonly write?: Duration.Input | undefined
}

/**
 * The acceptance policy (see `Negotiation.AcceptPolicy`); AE titles, max PDU and user identity come from `ServerOptions`.
 * Without `contexts`: Verification, and the storage SOP classes when a store handler is registered.
 * @category options
 */
export type Acceptance = Omit<Negotiation.AcceptPolicy, "calledAeTitles" | "callingAeTitles" | "maxPduLength" | "userIdentity" | "contexts"> & {
  readonly contexts?: ReadonlyArray<Negotiation.SupportedContext> | undefined
}

/** Server options. @category options */
export interface ServerOptions {
  /** Default "0.0.0.0". */
  readonly host?: string | undefined
  /** 0 picks a free port (see `address`). */
  readonly port: number
  /** Our AE title (default "DICOMNET"). */
  readonly aeTitle?: string | undefined
  /** Reject an A-ASSOCIATE-RQ whose called AE title is not `aeTitle` (RJ 1/1/7). Default false. */
  readonly requireCalledAeTitle?: boolean | undefined
  /** Accept only these calling AE titles (RJ 1/1/3 otherwise). Default: any. */
  readonly allowedCallingAeTitles?: ReadonlyArray<string> | undefined
  /** Supported abstract syntaxes with our transfer syntaxes, best first. Default: Verification. */
  readonly acceptance?: Acceptance | undefined
  /** The verdict on a user identity (PS3.7 §D.3.3.7); a Reject answers RJ 1/1/1. Default: identities are ignored. */
  readonly userIdentity?: ((identity: UserIdentityRq, rq: AAssociateRq) => Effect.Effect<Negotiation.UserIdentityVerdict>) | undefined
  /** Associations served at once; beyond it, RJ 2/3/2 (local limit exceeded). Default 64. */
  readonly maxAssociations?: number | undefined
  /** Our maximum PDU length received. Default 256 KiB. */
  readonly maxPduLength?: number | undefined
  readonly timeouts?: Timeouts | undefined
  readonly handlers?: Handlers | undefined
  /** Encapsulated transfer syntaxes a store handler accepts as-is (default `Storage.defaultEncapsulatedTransferSyntaxes`). */
  readonly storageTransferSyntaxes?: ReadonlyArray<string> | undefined
  /** Who may associate and which operations each peer may invoke (see `AccessControl`). Default: everyone, everything. */
  readonly accessControl?: AccessControl.Policy | undefined
  /** Largest C-STORE data set in bytes; beyond it A700H, the data set drained and not stored (see `Limits`). Default 4 GiB. */
  readonly maxDatasetBytes?: number | undefined
  /** Largest C-FIND/C-MOVE/C-GET identifier in bytes (unless `queryRetrieve.maxIdentifierLength` says otherwise); beyond it A900H. Default 64 KiB. */
  readonly maxIdentifierBytes?: number | undefined
}

/** Defaults of `ServerOptions`. @category constants */
export const defaults = {
  host: "0.0.0.0",
  aeTitle: "DICOMNET",
  maxAssociations: 64,
  maxPduLength: 262144,
  /** Idle established associations are aborted after this long (see `Timeouts.associationIdle`). */
  associationIdle: "5 minutes" as Duration.Input,
  transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] as ReadonlyArray<string>
} as const

/** A running server. @category models */
export interface DicomServerShape {
  /** Where it listens (the actual port when `port` was 0). */
  readonly address: { readonly host: string; readonly port: number }
  /** Lifecycle events published from the moment the stream is run. */
  readonly events: Stream.Stream<LifecycleEvent>
  /** Subscribes now (no event published after this call is missed) and returns the events as a Stream. */
  readonly subscribe: Effect.Effect<Stream.Stream<LifecycleEvent>, never, Scope.Scope>
  /** Associations currently established. */
  readonly activeAssociations: Effect.Effect<number>
  /**
   * Graceful shutdown: new association requests are rejected (RJ 2/3/1, temporary congestion),
   * running associations may finish within `deadline`, then the rest are aborted and the listener closes.
   */
  readonly shutdown: (deadline: Duration.Input) => Effect.Effect<void>
}

/** The DicomServer service. @category services */
export class DicomServer extends Context.Service<DicomServer, DicomServerShape>()("@dicomnet/server/DicomServer") {}

interface Live {
  readonly handle: Driver.AssociationHandle
  readonly done: Deferred.Deferred<void>
}

/** The acceptance contexts: the configured ones, else Verification. */
const contextsOf = (options: ServerOptions): ReadonlyArray<Negotiation.SupportedContext> =>
  options.acceptance?.contexts ?? [
    { abstractSyntax: SopClass.Verification, transferSyntaxes: defaults.transferSyntaxes },
    // A store handler: every storage SOP class, uncompressed syntaxes first, then encapsulated ones as-is.
    ...(options.handlers?.store === undefined ? [] : Storage.contexts(options.storageTransferSyntaxes))
  ]

/**
 * Starts a server in the current scope: listening on return, stopped (associations aborted) when the scope closes.
 * @category constructors
 */
export const make = (options: ServerOptions): Effect.Effect<DicomServerShape, TransportError, Scope.Scope | Transport.Transport> =>
  Effect.gen(function* () {
    const transport = yield* Transport.Transport
    const aeTitle = options.aeTitle ?? defaults.aeTitle
    const maxAssociations = options.maxAssociations ?? defaults.maxAssociations
    const maxPduLength = options.maxPduLength ?? defaults.maxPduLength
    const timeouts = options.timeouts ?? {}
    const associationIdle = Duration.toMillis(Duration.fromInputUnsafe(timeouts.associationIdle ?? defaults.associationIdle))
    const configured = options.handlers ?? {}
    const store = configured.store
    const qr = configured.queryRetrieve
    const limits = Limits.make({ maxDatasetBytes: options.maxDatasetBytes, maxIdentifierBytes: options.maxIdentifierBytes })
    const handlers: Handlers = {
      ...configured,
      store: store === undefined ? undefined : Limits.boundStore(store, limits.maxDatasetBytes),
      queryRetrieve: qr === undefined ? undefined : { ...qr, maxIdentifierLength: qr.maxIdentifierLength ?? limits.maxIdentifierBytes }
    }
    const policy: Negotiation.AcceptPolicy = {
      ...options.acceptance,
      contexts: contextsOf(options),
      calledAeTitles: options.requireCalledAeTitle === true ? [aeTitle] : undefined,
      callingAeTitles: options.allowedCallingAeTitles,
      maxPduLength
    }
    const access = options.accessControl
    const peerLimits = access === undefined ? undefined : AccessControl.limiter(access)
    const events = yield* PubSub.unbounded<LifecycleEvent>()
    yield* Effect.addFinalizer(() => PubSub.shutdown(events))
    const publish = (event: LifecycleEvent) => PubSub.publish(events, event)
    const live = new Set<Live>()
    let active = 0
    let shuttingDown = false

    const serveConnection = (connection: Connection.Connection): Effect.Effect<void> =>
      Effect.suspend(() => {
        let counted = false
        let releasePeer: (() => void) | undefined
        let admitted: AccessControl.Peer | undefined
        let entry: Live | undefined
        let info: AssociationInfo = { peer: connection.remoteAddress, callingAeTitle: "", calledAeTitle: "" }
        const annotate = Effect.annotateLogs({ peer: connection.remoteAddress, role: "acceptor" })

        const decide = (rq: AAssociateRq): Effect.Effect<AAssociateAc | AAssociateRj> =>
          Effect.gen(function* () {
            info = { peer: connection.remoteAddress, callingAeTitle: rq.callingAeTitle, calledAeTitle: rq.calledAeTitle }
            yield* publish({ _tag: "AssociationRequested", ...info })
            const requested = rq.userInformation.userIdentity
            const verdict =
              requested !== undefined && options.userIdentity !== undefined ? yield* options.userIdentity(requested, rq) : undefined
            const answer = Negotiation.accept(verdict === undefined ? policy : { ...policy, userIdentity: () => verdict }, rq)
            if (answer._tag === "AAssociateRj") return answer
            const peer = access === undefined ? undefined : AccessControl.peerOf(connection, rq, verdict?._tag === "Accept" ? requested : undefined)
            const refused = access === undefined || peer === undefined ? undefined : AccessControl.admit(access, peer)
            if (refused !== undefined) return refused
            // The limits come last, with no suspension between the check and the count.
            if (shuttingDown) return Negotiation.Rejection.temporaryCongestion
            if (active >= maxAssociations) return Negotiation.Rejection.localLimitExceeded
            const admission = peerLimits === undefined || peer === undefined ? undefined : peerLimits.acquire(peer)
            if (admission?._tag === "Rejected") return admission.rj
            releasePeer = admission?.release
            admitted = peer
            active++
            counted = true
            return answer
          })

        return Effect.gen(function* () {
          const wire = yield* Wire.make(connection)
          const outcome = yield* Effect.result(
            Driver.accept({
              input: wire.input,
              write: wire.write,
              close: connection.close,
              maxPduLength,
              decide,
              timeouts: { artim: timeouts.artim, releaseResponse: timeouts.release }
            })
          )
          if (outcome._tag === "Failure") {
            const error = outcome.failure
            yield* countAssociation("acceptor", error._tag === "AssociationTimeout" ? "timeout" : "aborted")
            return yield* Effect.logDebug(`no association: ${describeError(error)}`).pipe(annotate)
          }
          if (outcome.success._tag === "Rejected") {
            // Driver.accept returns once the A-ASSOCIATE-RJ was written and the connection closed.
            const rj = outcome.success.rj
            const description = AssociationError.describeRejection(rj.result, rj.source, rj.reason)
            yield* countAssociation("acceptor", "rejected")
            yield* publish({ _tag: "AssociationRejected", ...info, result: rj.result, source: rj.source, reason: rj.reason, description })
            return yield* Effect.logInfo(`association rejected: ${description}`).pipe(annotate)
          }
          const handle = outcome.success.handle
          const negotiated = handle.negotiated
          entry = { handle, done: yield* Deferred.make<void>() }
          live.add(entry)
          const contexts = [...negotiated.acceptedContexts.values()].map((c) => c.abstractSyntax)
          yield* publish({ _tag: "AssociationAccepted", ...info, contexts })
          yield* Effect.logInfo(`association accepted: ${contexts.length} presentation contexts`).pipe(annotate)
          const allowed = access === undefined || admitted === undefined ? handlers : AccessControl.guard(access, admitted, handlers)
          yield* Dispatch.serve(handle, negotiated, info, allowed, {
            idleMillis: associationIdle > 0 && Number.isFinite(associationIdle) ? associationIdle : undefined,
            releaseTimeout: timeouts.release
          }).pipe(
            Effect.withSpan("dicomnet.association", {
              attributes: {
                "dicomnet.role": "acceptor",
                "dicomnet.peer": info.peer,
                "dicomnet.calling_ae_title": info.callingAeTitle,
                "dicomnet.called_ae_title": info.calledAeTitle,
                "dicomnet.contexts": contexts.join(",")
              }
            }, { captureStackTrace: false })
          )
          const reason = yield* handle.awaitClose
          if (reason._tag === "Released") {
            yield* countAssociation("acceptor", "released")
            yield* publish({ _tag: "AssociationReleased", ...info })
          } else {
            yield* countAssociation("acceptor", reason._tag === "TimedOut" ? "timeout" : "aborted")
            yield* publish({ _tag: "AssociationAborted", ...info, reason: describeError(reason.error) })
          }
          yield* Effect.logInfo(`association ended: ${reason._tag}`).pipe(annotate)
        }).pipe(
          Effect.scoped,
          Effect.ensuring(
            Effect.suspend(() => {
              if (counted) active--
              counted = false
              releasePeer?.()
              releasePeer = undefined
              if (entry === undefined) return Effect.void
              live.delete(entry)
              return Deferred.succeed(entry.done, undefined)
            })
          )
        )
      })

    const listenerScope = yield* Scope.fork(yield* Effect.scope)
    const listener = yield* transport
      .listen(
        { host: options.host ?? defaults.host, port: options.port, timeouts: { readIdle: timeouts.readIdle, write: timeouts.write } },
        serveConnection
      )
      .pipe(Scope.provide(listenerScope))

    let stopped: Deferred.Deferred<void> | undefined
    const shutdown = (deadline: Duration.Input): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (stopped !== undefined) return yield* Deferred.await(stopped)
        const done = yield* Deferred.make<void>()
        stopped = done
        shuttingDown = true
        yield* Effect.logInfo(`shutting down: ${live.size} associations may finish within ${Duration.format(Duration.fromInputUnsafe(deadline))}`)
        const awaitAll = Effect.suspend(() => Effect.forEach([...live], (e) => Deferred.await(e.done), { discard: true, concurrency: "unbounded" }))
        const finished = yield* Effect.timeoutOption(awaitAll, deadline)
        if (finished._tag === "None") {
          yield* Effect.logInfo(`shutdown deadline reached: aborting ${live.size} associations`)
          yield* Effect.forEach([...live], (e) => e.handle.abort, { discard: true })
          // Bounded by ARTIM: an aborted association ends when the peer closes or ARTIM expires.
          yield* awaitAll
        }
        yield* Scope.close(listenerScope, Exit.void)
        yield* Deferred.succeed(done, undefined)
      })

    return {
      address: listener.address,
      events: Stream.fromPubSub(events),
      subscribe: Effect.map(PubSub.subscribe(events), Stream.fromSubscription),
      activeAssociations: Effect.sync(() => active),
      shutdown
    }
  })

const describeError = (error: { readonly _tag: string; readonly description?: string; readonly timer?: string; readonly millis?: number }): string =>
  error.description ?? (error.timer === undefined ? error._tag : `${error.timer} timeout after ${error.millis} ms`)

/**
 * The server as a layer: listening while the layer lives.
 * @category layers
 */
export const layer = (options: ServerOptions): Layer.Layer<DicomServer, TransportError, Transport.Transport> =>
  Layer.effect(DicomServer, make(options))
