/**
 * The server's DIMSE loop over one accepted association, on @dicomnet/dimse's `Session`: each
 * request runs its handler in its own fiber (bounded by the negotiated window) and is answered on
 * the same presentation context; data sets stream to the handler with backpressure. Requests without
 * a handler, and requests whose Command Field is unknown, are answered 0211H (unrecognized
 * operation); a handler that fails or dies is answered with a failure status and the association
 * continues. A DIMSE protocol error aborts the association. An A-RELEASE-RQ is answered once the
 * outstanding operations have finished.
 *
 * Before any handler runs, the request's UIDs (Affected/Requested SOP Class/Instance UID) are checked
 * against PS3.5 §9.1 as far as our encoder needs (1 to 64 characters, digits and dots, no empty
 * component): a request with an invalid one is refused with a response that does not echo it, and its
 * data set is drained, never stored (C-STORE C000H "cannot understand", PS3.4 §B.2.3; C-FIND/C-GET/
 * C-MOVE C000H "unable to process"; C-ECHO 0212H mistyped argument; N-services 0117H invalid object
 * instance / 0118H no such SOP class).
 */
import { type AssociationError, Driver, Metrics, type Negotiation, Tracing } from "@dicomnet/association"
import { Command, Session, Status } from "@dicomnet/dimse"
import { Cause, Clock, type Duration, Effect, type Fiber, LogLevel, References, Stream } from "effect"
import type { Handlers } from "../Handlers.js"
import type { AssociationInfo } from "../LifecycleEvent.js"
import * as NServices from "../NServices.js"
import * as QueryRetrieve from "../QueryRetrieve.js"
import * as Storage from "../Storage.js"

/** A request as the session hands it to the server. */
export type IncomingRequest = Session.IncomingRequest<AssociationError.AssociationError>

/** What every service performer gets besides the request. */
export interface ServeContext {
  readonly association: AssociationInfo
  readonly negotiated: Negotiation.Negotiated
  readonly handlers: Handlers
}

/** Counts the final status of an operation; annotates its span while tracing and logs it at Debug (built only then). */
const observeFinal = (service: Status.Service, messageId: number, status: number): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    Metrics.operationCounter(service, Status.category(status)).updateUnsafe(1, fiber.context)
    let effect: Effect.Effect<void> = Effect.void
    if (Tracing.isTracing(fiber)) effect = Effect.annotateCurrentSpan("dicomnet.status", Status.toHex(status))
    if (!LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), "Debug")) {
      effect = Effect.andThen(effect, Effect.logDebug(`${service} message ${messageId}: ${Status.describe(status, service)}`))
    }
    return effect
  })

/** Counts and annotates the final status of an operation as its response goes out; remembers whether it went. */
const observed = (rq: IncomingRequest, service: Status.Service): { readonly rq: IncomingRequest; readonly answered: () => boolean } => {
  let answered = false
  return {
    answered: () => answered,
    rq: {
      ...rq,
      respond: (response, dataset) =>
        Effect.suspend(() => {
          if (!Status.isFinal(response.status) || answered) return rq.respond(response, dataset)
          answered = true
          return Effect.andThen(observeFinal(service, rq.command.messageId, response.status), rq.respond(response, dataset))
        })
    }
  }
}

/** A UID the server can use and echo (PS3.5 §9.1): 1 to 64 characters, digits and dots, no empty component. */
export const isUsableUid = (uid: string): boolean => {
  const n = uid.length
  if (n === 0 || n > 64) return false
  let componentLength = 0
  for (let i = 0; i < n; i++) {
    const c = uid.charCodeAt(i)
    if (c === 0x2e) {
      if (componentLength === 0) return false
      componentLength = 0
    } else if (c >= 0x30 && c <= 0x39) {
      componentLength++
    } else {
      return false
    }
  }
  return componentLength > 0
}

const uidFields = ["affectedSopClassUid", "affectedSopInstanceUid", "requestedSopClassUid", "requestedSopInstanceUid"] as const

/** The first UID field of a request that is not a usable UID, if any. */
export const invalidUidField = (command: Command.AnsweredRequest): (typeof uidFields)[number] | undefined => {
  const fields = command as unknown as Readonly<Record<string, unknown>>
  for (const field of uidFields) {
    const value = fields[field]
    if (value !== undefined && (typeof value !== "string" || !isUsableUid(value))) return field
  }
  return undefined
}

/** The status refusing a request with an invalid UID in `field` (see the module comment). */
const invalidUidStatus = (command: Command.AnsweredRequest, field: (typeof uidFields)[number]): number => {
  switch (command._tag) {
    case "CEchoRq":
      return Status.Code.MistypedArgument
    case "CStoreRq":
    case "CFindRq":
    case "CGetRq":
    case "CMoveRq":
      return Status.Code.CannotUnderstand
    default:
      return field.endsWith("ClassUid") ? Status.Code.NoSuchSopClass : Status.Code.InvalidObjectInstance
  }
}

/** Refuses a request with an invalid UID: no handler runs, the response echoes none of its UIDs, the session drains the data set. */
const refuseInvalidUid = (rq: IncomingRequest, field: (typeof uidFields)[number]): Effect.Effect<void, unknown> => {
  const status = invalidUidStatus(rq.command, field)
  const response = { ...Command.responseTo(rq.command, status) } as Record<string, unknown>
  for (const f of uidFields) delete response[f]
  return Effect.andThen(
    Effect.logWarning(`${rq.command._tag} message ${rq.command.messageId}: ${field} is not a valid UID: answering ${Status.toHex(status)}, nothing performed`),
    rq.respond(response as unknown as Command.DimseResponse)
  )
}

/** Serves one request: picks the service's performer from the handlers. */
const perform = (rq: IncomingRequest, context: ServeContext): Effect.Effect<void, unknown> => {
  const { handlers } = context
  const command = rq.command
  switch (command._tag) {
    case "CEchoRq": {
      const handler = handlers.echo
      if (handler === undefined) return rq.respond(Command.responseTo(command, Status.Code.Success))
      return Effect.flatMap(
        Effect.suspend(() =>
          handler({ association: context.association, negotiated: context.negotiated, presentationContextId: rq.presentationContextId, command })
        ),
        (status) => rq.respond(Command.responseTo(command, status))
      )
    }
    case "CStoreRq":
      if (handlers.store === undefined) break
      return Storage.perform(handlers.store, context)(rq)
    case "CFindRq":
    case "CMoveRq":
    case "CGetRq":
      if (handlers.queryRetrieve === undefined) break
      return QueryRetrieve.perform(handlers.queryRetrieve, { association: context.association, negotiated: context.negotiated })(rq)
    case "NEventReportRq":
    case "NGetRq":
    case "NSetRq":
    case "NActionRq":
    case "NCreateRq":
    case "NDeleteRq":
      if (handlers.nServices === undefined) break
      return NServices.perform(handlers.nServices, { association: context.association, negotiated: context.negotiated })(rq)
    default:
      break
  }
  return rq.respond(Command.responseTo(command, Status.Code.UnrecognizedOperation))
}

/**
 * Watches an established association for idleness: when nothing has arrived from the peer for `idleMillis`
 * and no operation is being performed, aborts it (A-ABORT). A running operation (a long C-MOVE, a slow
 * store) never counts as idle; the timer restarts when it ends.
 */
const idleWatch = (idleMillis: number, handle: Driver.AssociationHandle, busy: () => boolean) => {
  let last = 0
  const touchAt = (now: number): void => {
    last = now
  }
  const touchUnsafe = (fiber: Fiber.Fiber<unknown, unknown>): void => {
    last = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
  }
  const touch = Effect.withFiber((fiber) => {
    touchUnsafe(fiber)
    return Effect.void
  })
  const watch = Effect.gen(function* () {
    yield* touch
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const due = last + idleMillis
      if (now < due) {
        yield* Effect.sleep(due - now)
        continue
      }
      if (busy()) {
        last = now
        continue
      }
yield* Effect.logInfo(`no DIMSE traffic for ${idleMillis} ms on an idle association: aborting it`)
      // Uninterruptible: the abort ends the session, whose scope interrupts this very fiber.
      return yield* Effect.uninterruptible(handle.abort)
    }
  })
  return { touch, touchAt, touchUnsafe, watch }
}

/** Timers of `serve`. */
export interface ServeTimers {
  /** An idle association (no traffic, no operation) is aborted after this many milliseconds (undefined: off). */
  readonly idleMillis?: number | undefined
  /** After an A-RELEASE-RQ, the wait for the operations in progress; past it the association is aborted (default 30 s). */
  readonly releaseTimeout?: Duration.Input | undefined
}

/** Runs the DIMSE session until the association ends (released, aborted or timed out). */
export const serve = (
  handle: Driver.AssociationHandle,
  negotiated: Negotiation.Negotiated,
  info: AssociationInfo,
  handlers: Handlers,
  timers: ServeTimers = {}
): Effect.Effect<void> =>
  Effect.scoped(
    Effect.gen(function* () {
      const context: ServeContext = { association: info, negotiated, handlers }
      const window = negotiated.asyncOperationsWindow
      let inFlight = 0
      const idleMillis = timers.idleMillis
      const idle = idleMillis === undefined || !(idleMillis > 0) || !Number.isFinite(idleMillis) ? undefined : idleWatch(idleMillis, handle, () => inFlight > 0)
      const incoming = idle === undefined ? handle.incoming : Stream.tap(handle.incoming, () => idle.touch)
      const takeBatch = idle === undefined ? handle.takeBatch : Effect.tap(handle.takeBatch, () => idle.touch)
      // Direct delivery from the driver's reader (no reader fiber of the session's own); the idle clock is read
      // from the association's fiber once, so the touch per received batch stays synchronous.
      const attachDirect = handle.attach
      const clock = yield* Clock.Clock
      const attach =
        attachDirect === undefined || idle === undefined
          ? attachDirect
          : (deliver: Driver.Deliver) =>
              attachDirect((items) => {
                idle.touchAt(clock.currentTimeMillisUnsafe())
                return deliver(items)
              })
      // Operations in flight never count as idle time; the idle timer restarts when one ends.
      const operationEnded = Effect.withFiber((fiber) => {
        inFlight--
        idle?.touchUnsafe(fiber)
        return Effect.void
      })
      const session = yield* Session.make<AssociationError.AssociationError>(
        { incoming, takeBatch, attach, sendPData: handle.sendPData, sendPDataMany: handle.sendPDataMany, peerMaxPduLength: negotiated.peerMaxPduLength },
        {
          onRequest: (incoming) => {
            const service = Session.serviceOf(incoming.command._tag)
            const { rq, answered } = observed(incoming, service)
            const invalid = invalidUidField(rq.command)
            const operation = (invalid === undefined ? perform(rq, context) : refuseInvalidUid(rq, invalid)).pipe(
              // A failing or dying handler: a failure status, the association goes on (interruption stays).
              Effect.catchCause((cause) =>
                Cause.hasInterruptsOnly(cause) || answered()
                  ? Effect.failCause(cause)
                  : Effect.andThen(
                      Effect.logWarning(`${service} handler failed: answering ${Status.toHex(Status.Code.ProcessingFailure)}`, cause),
                      rq.respond(Command.responseTo(rq.command, Status.Code.ProcessingFailure))
                    )
              ),
              // Made only when a Tracer is installed (see Tracing).
              Tracing.withOperationSpan("dicomnet.operation", {
                attributes: { "dicomnet.service": service, "dicomnet.message_id": incoming.command.messageId }
              })
            )
            return Effect.suspend(() => {
              inFlight++
              return Effect.ensuring(operation, operationEnded)
            })
          },
          onReleaseRequested: Effect.ignore(handle.releaseResponse),
          onFatal: (error) =>
            Effect.andThen(Effect.logWarning(`DIMSE protocol error from the peer: aborting the association (${error.detail})`), handle.abort),
          isAcceptedContext: (id) => negotiated.acceptedContexts.has(id),
          // A release is answered once the operations are done, or the association is aborted: never a hang.
          releaseTimeout: timers.releaseTimeout ?? Driver.defaultTimeout,
          // As acceptor we perform what the requestor invokes, and invoke what it performs.
          maxOperations: window.maxOperationsInvoked,
          maxOutstanding: window.maxOperationsPerformed
        }
      )
      if (idle !== undefined) yield* Effect.forkScoped(idle.watch)
      yield* session.ended
    })
  )
