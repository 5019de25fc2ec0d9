/**
 * The client's DIMSE layer over one association, on @dicomnet/dimse's `Session`: requests take a
 * permit of the negotiated asynchronous operations window, get a message id, and stream their
 * responses (routed by Message ID Being Responded To); incoming requests from the peer (C-STORE
 * sub-operations of a C-GET, N-EVENT-REPORT) go to the association's handlers.
 */
import { AssociationAborted, type AssociationError, type Driver, Metrics, type Negotiation } from "@dicomnet/association"
import {
  type Command,
  type DatasetTooLarge,
  type DimseEncodeError,
  DimseTimeout,
  Session,
  SessionClosed,
  Status
} from "@dicomnet/dimse"
import { Duration, Effect, LogLevel, References, type Scope, Stream } from "effect"
import { countOperation } from "../Metrics.js"

/** A response as received: the command, its presentation context and its data set (concatenated), if any. */
export interface DimseReply {
  readonly presentationContextId: number
  readonly command: Command.DimseResponse
  readonly dataset: Uint8Array | undefined
}

/** A request the association can send and route answers to (C-CANCEL-RQ has no message id of its own). */
export type RequestCommand = Exclude<Command.DimseRequest, Command.CCancelRq>

/** Why an operation could not complete. */
export type OperationError = AssociationError.AssociationError | DimseTimeout | DimseEncodeError | DatasetTooLarge

/** A request answered by one response (every one but C-FIND, C-GET and C-MOVE). */
export type SingleResponseCommand = Session.SingleResponseCommand

/** A request from the peer, as the session hands it over. */
export type IncomingRequest = Session.IncomingRequest<AssociationError.AssociationError>

/** The service name of a command, e.g. "C-ECHO" for CEchoRq. */
export const serviceOf = Session.serviceOf

/** The router of one association. */
export interface Router {
  readonly send: <E2 = never>(
    presentationContextId: number,
    command: RequestCommand,
    dataset: Uint8Array | Stream.Stream<Uint8Array, E2> | undefined
  ) => Stream.Stream<DimseReply, OperationError | E2>
  /** `send` for a request answered by one response: its final response, without a Stream. */
  readonly sendOne: <E2 = never>(
    presentationContextId: number,
    command: SingleResponseCommand,
    dataset: Uint8Array | Stream.Stream<Uint8Array, E2> | undefined
  ) => Effect.Effect<DimseReply, OperationError | E2>
  readonly session: Session.Session<AssociationError.AssociationError>
}

/** The session's own "the association is over" turned into the association's vocabulary. */
const toAssociationError = (error: SessionClosed): AssociationError.AssociationError =>
  error.reason === "Ended"
    ? new AssociationAborted({ source: "transport", reason: 0, description: "the association has ended" })
    : new AssociationAborted({ source: "local-provider", reason: 0, description: `we aborted: ${error.detail}` })

/** Counts a final response and logs it at Debug (the message is built only when Debug is enabled). */
const observeFinal = (service: Status.Service, reply: DimseReply): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    Metrics.operationCounter(service, Status.category(reply.command.status)).updateUnsafe(1, fiber.context)
    return LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), "Debug")
      ? Effect.void
      : Effect.logDebug(`${service} message ${reply.command.messageIdBeingRespondedTo}: ${Status.describe(reply.command.status, service)}`)
  })

/** Starts the session in `scope` and returns the router. */
export const make = (
  handle: Driver.AssociationHandle,
  negotiated: Negotiation.Negotiated,
  dimseTimeout: Duration.Duration,
  onRequest?: ((request: IncomingRequest) => Effect.Effect<void, unknown>) | undefined
): Effect.Effect<Router, never, Scope.Scope> =>
  Effect.gen(function* () {
    const window = negotiated.asyncOperationsWindow
    const session = yield* Session.make<AssociationError.AssociationError>(
      { incoming: handle.incoming, takeBatch: handle.takeBatch, attach: handle.attach, sendPData: handle.sendPData, sendPDataMany: handle.sendPDataMany, peerMaxPduLength: negotiated.peerMaxPduLength },
      {
        onRequest,
        // The peer asks to release: answer once the operations it asked of us are done.
        onReleaseRequested: Effect.ignore(handle.releaseResponse),
        onFatal: (error) => Effect.andThen(Effect.logWarning(`DIMSE session failed: aborting (${error.message})`), handle.abort),
        isAcceptedContext: (id) => negotiated.acceptedContexts.has(id),
        maxOutstanding: window.maxOperationsInvoked,
        maxOperations: window.maxOperationsPerformed,
        dimseTimeout: Duration.isFinite(dimseTimeout) ? dimseTimeout : undefined,
        // A C-FIND/C-GET/C-MOVE stream stopped early (Stream.take, interruption) sends C-CANCEL-RQ.
        cancelAbandoned: true
      }
    )

    /** A request's failure as the association tells it: a DIMSE timeout is counted, the session's end becomes the association's. */
    const failure = <E2>(
      service: Status.Service,
      error: Session.RequestError<AssociationError.AssociationError> | E2
    ): Effect.Effect<never, OperationError | E2> =>
      error instanceof DimseTimeout
        ? Effect.andThen(countOperation(service, "Timeout"), Effect.fail(error))
        : Effect.fail(error instanceof SessionClosed ? toAssociationError(error) : error)

    const send = <E2 = never>(
      presentationContextId: number,
      command: RequestCommand,
      dataset: Uint8Array | Stream.Stream<Uint8Array, E2> | undefined
    ): Stream.Stream<DimseReply, OperationError | E2> => {
      const service = serviceOf(command._tag)
      return session.request(presentationContextId, command, dataset).pipe(
        // Per chunk of responses (everything received meanwhile), not per response.
        Stream.mapArrayEffect((replies) => {
          const final = replies.find((reply) => Status.isFinal(reply.command.status))
          return final === undefined ? Effect.succeed(replies) : Effect.as(observeFinal(service, final), replies)
        }),
        Stream.catch((error) => Stream.fromEffect(failure<E2>(service, error)))
      ) as Stream.Stream<DimseReply, OperationError | E2>
    }

    const sendOne = <E2 = never>(
      presentationContextId: number,
      command: SingleResponseCommand,
      dataset: Uint8Array | Stream.Stream<Uint8Array, E2> | undefined
    ): Effect.Effect<DimseReply, OperationError | E2> => {
      const service = serviceOf(command._tag)
      return session.requestOne(presentationContextId, command, dataset).pipe(
        Effect.matchEffect({
          onSuccess: (reply) => Effect.as(observeFinal(service, reply), reply),
          onFailure: (error) => failure<E2>(service, error)
        })
      ) as Effect.Effect<DimseReply, OperationError | E2>
    }

    return { send, sendOne, session }
  })
