/**
 * The association driver: runs the pure `Machine` over a byte stream and turns its outputs into
 * effects. It is the package's only Effect code and does not know about sockets: it takes the
 * connection's input bytes, a vectored `write`, and a `close`.
 *
 * Three sources of events feed one transition function, serialized by a single lock so that the
 * state is threaded through `Machine.transition` exactly as in a fold:
 * - the reader fiber: input chunks -> Framer -> one event per PDU (Evt3/4/6/10/12/13/16), a
 *   framing or decoding error -> Evt19, end or failure of the input -> Evt17;
 * - the user's primitives (`sendPData` = Evt9, `release` = Evt11, `releaseResponse` = Evt14,
 *   `abort` = Evt15), run on the caller's fiber: a P-DATA-TF is one event and one vectored write,
 *   with no queue or fiber per PDU, and the caller feels the transport's backpressure;
 * - timer fibers (ARTIM, the wait for the A-ASSOCIATE-AC/RJ, the wait for the A-RELEASE-RP).
 *
 * @since 0.1.0
 */
import { Framer, PduCodec } from "@dicomnet/pdu"
import type { AAssociateAc, AAssociateRj, AAssociateRq, Pdv } from "@dicomnet/pdu"
import type { Pdu } from "@dicomnet/pdu"
import { Cause, Channel, Deferred, Duration, Effect, Exit, Fiber, Option, Queue, Result, type Scope, Semaphore, Stream } from "effect"
import {
  type AssociationError,
  AssociationAborted,
  AssociationRejected,
  AssociationTimeout,
  describeAbort,
  InvalidPrimitive
} from "./AssociationError.js"
import * as Machine from "./Machine.js"
import * as PDataParts from "./internal/PDataParts.js"
import * as Negotiation from "./Negotiation.js"

/** Driver timers. @category options */
export interface Timeouts {
  /** PS3.8 §9.1.5 ARTIM: waiting for the A-ASSOCIATE-RQ (Sta2) and for the transport to close (Sta13). Default 30 s. */
  readonly artim?: Duration.Input | undefined
  /** Waiting for the A-ASSOCIATE-AC/RJ after sending the A-ASSOCIATE-RQ (Sta5). Default: the ARTIM value. */
  readonly associateResponse?: Duration.Input | undefined
  /** Waiting for the A-RELEASE-RP after our A-RELEASE-RQ (Sta7, Sta10, Sta11). Default 30 s. */
  readonly releaseResponse?: Duration.Input | undefined
}

/** The connection and settings both roles share. @category options */
export interface ConnectionOptions<E, E2> {
  /** The connection's input bytes; its end (or failure) is the transport closed indication (Evt17). */
  readonly input: Stream.Stream<Uint8Array, E>
  /** Writes the parts of one PDU (writev-style); a failure counts as the transport closing. */
  readonly write: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, E2>
  /** Closes the transport connection (called at most once by the driver). */
  readonly close: Effect.Effect<void>
  readonly timeouts?: Timeouts | undefined
  /** Capacity of the incoming queue (P-DATA-TF PDUs not yet taken by the user); default 16. When full, reading pauses. */
  readonly incomingCapacity?: number | undefined
}

/** The association-requestor's options. @category options */
export interface RequestOptions<E, E2> extends ConnectionOptions<E, E2> {
  /** The A-ASSOCIATE-RQ to send (see `Negotiation.makeAssociateRq`); its max length bounds the PDUs we accept. */
  readonly associateRq: AAssociateRq
}

/** The association-acceptor's options. @category options */
export interface AcceptOptions<E, E2> extends ConnectionOptions<E, E2> {
  /** The local user's answer to the A-ASSOCIATE indication (e.g. `rq => Effect.succeed(Negotiation.accept(policy, rq))`). */
  readonly decide: (rq: AAssociateRq) => Effect.Effect<AAssociateAc | AAssociateRj>
  /** Our maximum PDU length received, for the framer; the AC from `decide` should advertise the same. Default 256 KiB; 0 = unlimited. */
  readonly maxPduLength?: number | undefined
  /** PS3.8 AE-6: the service provider's own check of an A-ASSOCIATE-RQ (undefined = acceptable). */
  readonly providerCheck?: ((rq: AAssociateRq) => AAssociateRj | undefined) | undefined
}

/** What the peer sends on an established association, in order. @category models */
export type Incoming =
  /**
   * A P-DATA indication: one received P-DATA-TF. Its PDV data are views into the received bytes; a PDV
   * that spanned input chunks arrives as several PDVs of the same context and kind (only the final piece
   * keeps the last-fragment bit), so nothing is copied. The DIMSE message they carry is the same.
   */
  | { readonly _tag: "PData"; readonly pdu: Pdu.PDataTf }
  /** An A-RELEASE indication: the peer asked to release. Finish outstanding work (P-DATA may still be sent), then call `releaseResponse`. */
  | { readonly _tag: "ReleaseRequested" }

/**
 * The receiver of direct delivery (`AssociationHandle.attach`): called by the driver's reader, in order, with
 * the items of each received chunk, outside the lock. It returns `undefined` when it has taken them, or an
 * Effect when it must wait (e.g. a full queue of its own): the reader reads nothing more until that Effect
 * completes (backpressure). It must not fail; the reader may be interrupted while it waits.
 * @category models
 */
export type Deliver = (items: ReadonlyArray<Incoming>) => Effect.Effect<void> | undefined

/** How an association ended. @category models */
export type CloseReason =
  | { readonly _tag: "Released" }
  | { readonly _tag: "Rejected"; readonly error: AssociationRejected }
  | { readonly _tag: "Aborted"; readonly error: AssociationAborted }
  | { readonly _tag: "TimedOut"; readonly error: AssociationTimeout }

/** An established association, for the client and server built on it. @category models */
export interface AssociationHandle {
  readonly negotiated: Negotiation.Negotiated
  /** Everything the peer sends, in order; ends after a release, fails with the abort or timeout. Consume either this or `take`. */
  readonly incoming: Stream.Stream<Incoming, AssociationError>
  /** The next incoming item; None once the association has ended normally. */
  readonly take: Effect.Effect<Option.Option<Incoming>, AssociationError>
  /** Everything queued so far, waiting while nothing is (a non-empty batch), or an empty array once the
   *  association has ended normally; fails like `take`. Consume either this, `take` or `incoming`. */
  readonly takeBatch: Effect.Effect<ReadonlyArray<Incoming>, AssociationError>
  /**
   * Direct delivery instead of `incoming`/`take`/`takeBatch`: hands everything already queued, then every item
   * received, to `deliver` on the reader's own fiber (no queue, no wake-up of another fiber per chunk).
   * Completes when the association ends normally, fails like `take`; interrupting it detaches `deliver` (later
   * items queue again). Consume either this or one of the others.
   */
  readonly attach?: ((deliver: Deliver) => Effect.Effect<void, AssociationError>) | undefined
  /** P-DATA request (Evt9): sends one P-DATA-TF carrying `pdvs` (sized by the caller to the peer's max PDU length). */
  readonly sendPData: (pdvs: ReadonlyArray<Pdv>) => Effect.Effect<void, AssociationError>
  /** P-DATA requests (Evt9) for several P-DATA-TF PDUs in order, written to the transport in one batch. */
  readonly sendPDataMany?: ((pdus: ReadonlyArray<ReadonlyArray<Pdv>>) => Effect.Effect<void, AssociationError>) | undefined
  /** A-RELEASE request (Evt11): sends A-RELEASE-RQ and waits for the A-RELEASE-RP (release timeout), resolving a release collision. */
  readonly release: Effect.Effect<void, AssociationError>
  /** A-RELEASE response (Evt14): answers an incoming `ReleaseRequested` with A-RELEASE-RP. */
  readonly releaseResponse: Effect.Effect<void, AssociationError>
  /** A-ABORT request (Evt15): sends A-ABORT; the association ends when the peer closes or ARTIM expires. */
  readonly abort: Effect.Effect<void>
  /** Waits until the transport is closed and tells why the association ended. */
  readonly awaitClose: Effect.Effect<CloseReason>
  /** The machine's current state (for logs and tests). */
  readonly state: Effect.Effect<Machine.State>
}

/** The acceptor's outcome: an established association, or the rejection we sent (the connection is closed by then). @category models */
export type AcceptOutcome =
  | { readonly _tag: "Accepted"; readonly handle: AssociationHandle }
  | { readonly _tag: "Rejected"; readonly rj: AAssociateRj }

/** Default ARTIM and release timeouts: 30 s. @category constants */
export const defaultTimeout: Duration.Duration = Duration.seconds(30)

type TimerName = "artim" | "associate" | "release"

interface Timer {
  gen: number
  fiber: Fiber.Fiber<void> | undefined
  readonly duration: Duration.Duration
}

const toEvent = (pdu: Pdu.Pdu): Machine.Event => {
  switch (pdu._tag) {
    case "AAssociateRq":
      return { _tag: "Evt6", pdu }
    case "AAssociateAc":
      return { _tag: "Evt3", pdu }
    case "AAssociateRj":
      return { _tag: "Evt4", pdu }
    case "PDataTf":
      return { _tag: "Evt10", pdu }
    case "AReleaseRq":
      return { _tag: "Evt12", pdu }
    case "AReleaseRp":
      return { _tag: "Evt13", pdu }
    case "AAbort":
      return { _tag: "Evt16", pdu }
  }
}

/** The framer's bound for "0 = unlimited". */
const unlimited = 0xffffffff

interface Started {
  readonly established: Deferred.Deferred<Negotiation.Negotiated, AssociationRejected | AssociationAborted | AssociationTimeout>
  readonly closed: Deferred.Deferred<CloseReason>
  readonly handle: (negotiated: Negotiation.Negotiated) => AssociationHandle
}

const start = <E, E2>(
  options: ConnectionOptions<E, E2>,
  context: Machine.Context,
  maxPduLength: number,
  first: Machine.Event,
  decide: ((rq: AAssociateRq) => Effect.Effect<AAssociateAc | AAssociateRj>) | undefined
): Effect.Effect<Started, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const lock = yield* Semaphore.make(1)
    // True while a generic section (the machine loop below) holds the lock. The P-DATA fast paths
    // check it synchronously: JS is single-threaded, so a synchronous section is atomic.
    let held = false
    const unhold = Effect.sync(() => {
      held = false
    })
    /** Runs `effect` with the lock held (the generic path). */
    const locked = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      lock.withPermit(
        Effect.suspend(() => {
          held = true
          return effect
        }).pipe(Effect.ensuring(unhold))
      )
    const incoming = yield* Queue.bounded<Incoming, AssociationError | Cause.Done>(options.incomingCapacity ?? 16)
    const established = yield* Deferred.make<Negotiation.Negotiated, AssociationRejected | AssociationAborted | AssociationTimeout>()
    const closed = yield* Deferred.make<CloseReason>()
    let readerFiber: Fiber.Fiber<void> | undefined

    const artim = Duration.fromInputUnsafe(options.timeouts?.artim ?? defaultTimeout)
    const timers: Record<TimerName, Timer> = {
      artim: { gen: 0, fiber: undefined, duration: artim },
      associate: { gen: 0, fiber: undefined, duration: Duration.fromInputUnsafe(options.timeouts?.associateResponse ?? artim) },
      release: { gen: 0, fiber: undefined, duration: Duration.fromInputUnsafe(options.timeouts?.releaseResponse ?? defaultTimeout) }
    }

    let state: Machine.State = Machine.initial
    let failure: AssociationAborted | AssociationTimeout | undefined
    let rejected: AAssociateRj | undefined
    let finished = false
    let transportClosed = false
    let scopeClosing = false
    // Incoming items produced by a reader step are delivered by the reader AFTER it releases the
    // lock, so that a full incoming queue (a slow consumer) pauses reading without blocking the
    // user's own primitives (sendPData, release) behind the lock.
    const toDeliver: Array<Incoming> = []
    let inReaderStep = false
    let incomingClosed = false
    let pendingClosure: { readonly error: AssociationError | undefined } | undefined
    // Direct delivery (`attach`): the receiver, and the end it is told through.
    let direct: Deliver | undefined
    let directEnd: Deferred.Deferred<void, AssociationError> | undefined
    // The reader is inside `Queue.offerAll` (items on their way into the queue).
    let offering = false
    let releaseDone: Deferred.Deferred<void, AssociationError> | undefined
    let associateRq: AAssociateRq | undefined = context.role === "requestor" ? context.associateRq : undefined

    const closeTransport = Effect.suspend(() => {
      if (transportClosed) return Effect.void
      transportClosed = true
      return options.close
    })

    /** Ends (or fails) the incoming queue; inside a reader step, only once the reader has delivered what it holds. */
    const closeIncoming = (error: AssociationError | undefined): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (incomingClosed) return Effect.void
        if (inReaderStep) {
          pendingClosure ??= { error }
          return Effect.void
        }
        return endIncoming(error)
      })

    /** Ends the incoming queue and a direct receiver; once. */
    const endIncoming = (error: AssociationError | undefined): Effect.Effect<void> => {
      incomingClosed = true
      if (directEnd !== undefined) Deferred.doneUnsafe(directEnd, error === undefined ? Exit.void : Exit.fail(error))
      return Effect.asVoid(error === undefined ? Queue.end(incoming) : Queue.fail(incoming, error))
    }

    /** Fails everything a user may be waiting on with the association's failure. */
    const terminate = (error: AssociationAborted | AssociationTimeout) =>
      Effect.gen(function* () {
        yield* Deferred.fail(established, error)
        if (releaseDone !== undefined) yield* Deferred.fail(releaseDone, error)
        yield* closeIncoming(error)
      })

    // Stopping does not wait for the timer fiber to end: a timer that fires anyway finds its generation
    // outdated (`expire` checks it under the lock) and does nothing.
    const stopTimer = (name: TimerName) =>
      Effect.sync(() => {
        const timer = timers[name]
        const fiber = timer.fiber
        timer.fiber = undefined
        timer.gen++
        fiber?.interruptUnsafe()
      })

    const startTimer = (name: TimerName): Effect.Effect<void> =>
      Effect.gen(function* () {
        yield* stopTimer(name)
        if (scopeClosing) return
        const timer = timers[name]
        const gen = timer.gen
        timer.fiber = yield* Effect.forkIn(
          Effect.sleep(timer.duration).pipe(Effect.andThen(locked(expire(name, gen)))),
          scope
        )
      })

    /** The association-related timers follow the state: the AC/RJ wait in Sta5, the RP wait while releasing. */
    const syncTimers = Effect.suspend(() => {
      const effects: Array<Effect.Effect<void>> = []
      const awaitingAc = state === "Sta5"
      if (awaitingAc && timers.associate.fiber === undefined) effects.push(startTimer("associate"))
      if (!awaitingAc && timers.associate.fiber !== undefined) effects.push(stopTimer("associate"))
      const awaitingRp = releaseDone !== undefined && (state === "Sta7" || state === "Sta10" || state === "Sta11")
      if (awaitingRp && timers.release.fiber === undefined) effects.push(startTimer("release"))
      if (!awaitingRp && timers.release.fiber !== undefined) effects.push(stopTimer("release"))
      return effects.length === 0 ? Effect.void : Effect.all(effects, { discard: true })
    })

    const finish = Effect.gen(function* () {
      if (finished) return
      finished = true
      yield* stopTimer("artim")
      yield* stopTimer("associate")
      yield* stopTimer("release")
      yield* closeTransport
      if (rejected !== undefined) {
        yield* Deferred.fail(established, AssociationRejected.fromRj(rejected))
      } else if (failure === undefined && !(yield* Deferred.isDone(established))) {
        failure = new AssociationAborted({
          source: "transport",
          reason: 0,
          description: "the transport connection closed before the association was established"
        })
      }
      if (failure !== undefined) {
        yield* terminate(failure)
      } else {
        if (releaseDone !== undefined) yield* Deferred.succeed(releaseDone, undefined)
        yield* closeIncoming(undefined)
      }
      const reason: CloseReason =
        rejected !== undefined
          ? { _tag: "Rejected", error: AssociationRejected.fromRj(rejected) }
          : failure === undefined
            ? { _tag: "Released" }
            : failure._tag === "AssociationTimeout"
              ? { _tag: "TimedOut", error: failure }
              : { _tag: "Aborted", error: failure }
      yield* Deferred.succeed(closed, reason)
      // A reader step stops the reader itself once it has delivered; anyone else interrupts it.
      // (A direct receiver may end the association from the reader's own fiber: it stops by itself.)
      if (!inReaderStep && Fiber.getCurrent() !== readerFiber) readerFiber?.interruptUnsafe()
    })

    // While `sendPDataMany` runs the machine, the P-DATA-TF PDUs it sends are collected here and written at once.
    let batch: Array<Uint8Array> | undefined
    const writePdu = (pdu: Extract<Machine.Output, { _tag: "SendPdu" }>["pdu"]): Effect.Effect<Machine.Event | undefined> => {
      if (transportClosed) return Effect.succeed(undefined)
      if (batch !== undefined && pdu._tag === "PDataTf") {
        PDataParts.push(pdu.pdvs, batch)
        return Effect.succeed(undefined)
      }
      const parts: Array<Uint8Array> = []
      if (pdu._tag === "PDataTf") PDataParts.push(pdu.pdvs, parts)
      else parts.push(PduCodec.encode(pdu))
      return options.write(parts).pipe(
        Effect.as(undefined),
        // A failed write means the connection is gone: PS3.8 Evt17.
        Effect.catch(() => Effect.succeed<Machine.Event | undefined>({ _tag: "Evt17" }))
      )
    }

    const indicate = (primitive: Machine.Primitive): Effect.Effect<Machine.Event | undefined> =>
      Effect.gen(function* () {
        switch (primitive._tag) {
          case "AAssociateConfirmationAccept": {
            if (associateRq !== undefined) {
              yield* Deferred.succeed(established, Negotiation.negotiated(associateRq, primitive.ac, "requestor"))
            }
            return undefined
          }
          case "AAssociateConfirmationReject": {
            rejected = primitive.rj
            return undefined
          }
          case "AAssociateIndication": {
            associateRq = primitive.rq
            if (decide === undefined) return { _tag: "Evt8", rj: Negotiation.Rejection.noReasonGiven }
            const answer = yield* decide(primitive.rq)
            if (answer._tag === "AAssociateRj") {
              rejected = answer
              return { _tag: "Evt8", rj: answer }
            }
            return { _tag: "Evt7", ac: answer }
          }
          case "PDataIndication": {
            toDeliver.push({ _tag: "PData", pdu: primitive.pdu })
            return undefined
          }
          case "AReleaseIndication": {
            if (!primitive.collision) {
              toDeliver.push({ _tag: "ReleaseRequested" })
              return undefined
            }
            // Release collision: our own A-RELEASE request is pending, so we answer at once.
            // Requestor side (Sta9): A-RELEASE response now. Acceptor side (Sta10): after the A-RELEASE-RP.
            return state === "Sta9" ? { _tag: "Evt14" } : undefined
          }
          case "AReleaseConfirmation": {
            if (releaseDone !== undefined) yield* Deferred.succeed(releaseDone, undefined)
            return state === "Sta12" ? { _tag: "Evt14" } : undefined
          }
          case "AAbortIndication": {
            failure ??= new AssociationAborted({
              source: "peer-user",
              reason: primitive.reason,
              description: describeAbort(primitive.source, primitive.reason)
            })
            yield* terminate(failure)
            return undefined
          }
          case "APAbortIndication": {
            failure ??= new AssociationAborted({
              source: primitive.source === "peer" ? "peer-provider" : primitive.source === "local" ? "local-provider" : "transport",
              reason: primitive.reason,
              description:
                primitive.source === "transport"
                  ? "the transport connection closed unexpectedly"
                  : primitive.source === "local"
                    ? `we aborted: ${describeAbort(2, primitive.reason)}`
                    : describeAbort(2, primitive.reason)
            })
            yield* terminate(failure)
            return undefined
          }
        }
      })

    const runOutput = (output: Machine.Output): Effect.Effect<Machine.Event | undefined> => {
      switch (output._tag) {
        case "OpenTransport":
          // The connection is handed to the driver already open: confirm it at once (Evt2).
          return Effect.succeed({ _tag: "Evt2" })
        case "SendPdu":
          return writePdu(output.pdu)
        case "Indicate":
          return indicate(output.primitive)
        case "StartArtim":
          return Effect.as(startTimer("artim"), undefined)
        case "StopArtim":
          return Effect.as(stopTimer("artim"), undefined)
        case "CloseTransport":
          return Effect.as(closeTransport, undefined)
      }
    }

    /** Runs one event (and the events its outputs lead to) through the machine; call with the lock held. */
    const process = (event: Machine.Event): Effect.Effect<Machine.ActionName | undefined> =>
      Effect.gen(function* () {
        const pending: Array<Machine.Event> = [event]
        let firstAction: Machine.ActionName | undefined
        let first = true
        while (pending.length > 0 && !finished) {
          const next = pending.shift() as Machine.Event
          const t = Machine.transition(state, next, context)
          if (first) {
            firstAction = t.action
            first = false
          }
          if (t.action === undefined) continue
          state = t.state
          if (t.action === "AE-6" && t.state === "Sta13") {
            // The service provider itself rejected the A-ASSOCIATE-RQ (PS3.8 AE-6).
            for (const o of t.outputs) if (o._tag === "SendPdu" && o.pdu._tag === "AAssociateRj") rejected = o.pdu
          }
          if (t.action === "AE-7" && next._tag === "Evt7" && associateRq !== undefined) {
            yield* Deferred.succeed(established, Negotiation.negotiated(associateRq, next.ac, "acceptor"))
          }
          for (const output of t.outputs) {
            const follow = yield* runOutput(output)
            if (follow !== undefined) pending.push(follow)
          }
          yield* syncTimers
          if (state === "Sta1") yield* finish
        }
        return firstAction
      })

    // --- the P-DATA fast path -------------------------------------------------------------------------
    // In Sta6 (and Sta7/Sta8 while releasing), a P-DATA event (Evt9 → DT-1/AR-7, Evt10 → DT-2/AR-6)
    // keeps the state, starts no timer and has one output: send or indicate the P-DATA-TF. Those are
    // run here without the generic loop; the machine still decides (anything else takes that loop).

    /** The P-DATA-TF the machine sends (Evt9) or indicates (Evt10) for `event` when that is the transition's only effect. */
    const pdataOnly = (event: Machine.Event): Pdu.PDataTf | undefined => {
      const t = Machine.transition(state, event, context)
      if (t.action === undefined || t.state !== state || t.outputs.length !== 1) return undefined
      const o = t.outputs[0]
      if (o === undefined) return undefined
      if (o._tag === "SendPdu") return o.pdu._tag === "PDataTf" ? o.pdu : undefined
      return o._tag === "Indicate" && o.primitive._tag === "PDataIndication" ? o.primitive.pdu : undefined
    }

    /** The encoded parts of P-DATA requests that are plain DT-1/AR-7 sends now; undefined when any is not. */
    const encodeSends = (pdus: ReadonlyArray<ReadonlyArray<Pdv>>): Array<Uint8Array> | undefined => {
      if (failure !== undefined || finished || transportClosed) return undefined
      const parts: Array<Uint8Array> = []
      for (const pdvs of pdus) {
        const pdu = pdataOnly({ _tag: "Evt9", pdata: { _tag: "PDataTf", pdvs } })
        if (pdu === undefined) return undefined
        PDataParts.push(pdu.pdvs, parts)
      }
      return parts
    }

    /** Writes fast-path P-DATA-TF parts (lock held); a failed write is the transport closing (Evt17), as in `writePdu`. */
    const writeSends = (parts: Array<Uint8Array>): Effect.Effect<void, AssociationError> =>
      options.write(parts).pipe(
        Effect.catch(() =>
          Effect.suspend(() => {
            held = true
            return process({ _tag: "Evt17" })
          }).pipe(
            Effect.ensuring(unhold),
            Effect.andThen(Effect.suspend(() => (failure === undefined ? Effect.void : Effect.fail(failure))))
          )
        )
      )

    const expire = (name: TimerName, gen: number): Effect.Effect<void> =>
      Effect.gen(function* () {
        const timer = timers[name]
        if (timer.gen !== gen || finished) return
        timer.fiber = undefined // this fiber is the one running: never interrupt it
        timer.gen++
        const millis = Duration.toMillis(timer.duration)
        if (name === "artim") {
          if (state === "Sta2") failure ??= new AssociationTimeout({ timer: "artim", millis })
          yield* process({ _tag: "Evt18" })
          return
        }
        // No answer in time from the peer: abort the association (PS3.8 Evt15, AA-1).
        failure ??= new AssociationTimeout({ timer: name, millis })
        yield* terminate(failure)
        yield* process({ _tag: "Evt15" })
      })

    // --- the reader: input bytes -> Framer -> events -------------------------------------------------
    // P-DATA-TF PDUs spanning input chunks arrive as views into the chunks (no copy): the user of the
    // association treats PDVs as fragments of DIMSE messages, so a PDV split at a chunk border is the same message.
    const framer = Framer.make({ maxPduLength: maxPduLength === 0 ? unlimited : maxPduLength, pdataViews: true })
    let framingFailed = false
    /** Runs reader events with the lock held, then delivers their incoming items without it. */
    const readerStep = (events: Effect.Effect<void>): Effect.Effect<boolean> =>
      locked(
        Effect.suspend(() => {
          inReaderStep = true
          return events
        }).pipe(Effect.ensuring(Effect.sync(() => (inReaderStep = false))))
      ).pipe(Effect.andThen(deliver))
    /** Offers what the last reader step produced (pausing here when the queue is full); false once finished. */
    const deliver: Effect.Effect<boolean> = Effect.gen(function* () {
      if (toDeliver.length > 0) {
        const items = toDeliver.splice(0)
        if (direct !== undefined) {
          const waiting = direct(items)
          if (waiting !== undefined) yield* waiting
        } else {
          // One offer for all of them: it admits what fits and waits for room for the rest, in order.
          offering = true
          yield* Effect.ensuring(Queue.offerAll(incoming, items), Effect.sync(() => (offering = false)))
        }
      }
      if (pendingClosure !== undefined && !incomingClosed) yield* endIncoming(pendingClosure.error)
      return !finished
    })
    const continueReading = Effect.succeed(true)
    const onChunk = (chunk: Uint8Array): Effect.Effect<boolean> => {
      if (framingFailed) return Effect.succeed(!finished)
      const r = framer.push(chunk)
      if (Result.isFailure(r)) {
        framingFailed = true
        const error = r.failure
        return readerStep(
          Effect.suspend(() => {
            if (state !== "Sta13" && state !== "Sta1") {
              failure ??= new AssociationAborted({
                source: "local-provider",
                reason: Machine.invalidPduReason(error),
                description: `invalid PDU from the peer: ${error.message}`
              })
            }
            return Effect.asVoid(process({ _tag: "Evt19", error }))
          })
        )
      }
      const pdus = r.success
      if (pdus.length === 0) return continueReading
      // Fast path: P-DATA-TF PDUs while no generic section holds the lock (synchronous, so atomic).
      let fast = 0
      if (!held && failure === undefined && !finished && !incomingClosed) {
        const items: Array<Incoming> = []
        for (; fast < pdus.length; fast++) {
          const pdu = pdus[fast] as Pdu.Pdu
          const indicated = pdu._tag === "PDataTf" ? pdataOnly({ _tag: "Evt10", pdu }) : undefined
          if (indicated === undefined) break
          items.push({ _tag: "PData", pdu: indicated })
        }
        if (fast === pdus.length) {
          if (direct !== undefined) {
            const waiting = direct(items)
            return waiting === undefined ? continueReading : Effect.map(waiting, () => !finished)
          }
          // What does not fit waits in `deliver`: a slow consumer pauses reading, as on the generic path.
          const rest = Queue.offerAllUnsafe(incoming, items)
          if (rest.length === 0) return continueReading
          for (const item of rest) toDeliver.push(item)
          return deliver
        }
        // The generic step below delivers these first, then what it produces.
        for (const item of items) toDeliver.push(item)
      }
      const generic = fast === 0 ? pdus : pdus.slice(fast)
      return readerStep(
        Effect.gen(function* () {
          for (const pdu of generic) yield* process(toEvent(pdu))
        })
      )
    }
    /** The chunks of one pull: synchronously while every one takes the fast path, an Effect only from one that waits. */
    const onChunks = (chunks: ReadonlyArray<Uint8Array>, from: number): Effect.Effect<boolean> => {
      for (let i = from; i < chunks.length; i++) {
        const step = onChunk(chunks[i] as Uint8Array)
        if (step === continueReading) continue
        if (i === chunks.length - 1) return step
        return Effect.flatMap(step, (goOn) => (goOn ? onChunks(chunks, i + 1) : Effect.succeed(false)))
      }
      return continueReading
    }
    const reader = Channel.runForEachWhile(Stream.toChannel(options.input), (chunks) => onChunks(chunks, 0)).pipe(
      Effect.ignore,
      // The end (or failure) of the input is the transport closed indication.
      Effect.andThen(Effect.suspend(() => (finished ? Effect.void : Effect.asVoid(readerStep(Effect.asVoid(process({ _tag: "Evt17" }))))))),
    )

    // Closing the scope of a live association aborts it (A-ABORT, then close).
    yield* Effect.addFinalizer(() =>
      locked(
        Effect.gen(function* () {
          scopeClosing = true
          if (finished) return
          // Sta1 but not finished: the scope interrupted the reader in its last step (e.g. AR-3 closing the
          // transport after the A-RELEASE-RP). The association is over, not aborted: just finish.
          if (state === "Sta1") return yield* finish
          failure ??= new AssociationAborted({ source: "local-user", reason: 0, description: "the association's scope closed" })
          yield* terminate(failure)
          yield* process({ _tag: "Evt15" })
          yield* finish
        })
      )
    )
    readerFiber = yield* Effect.forkIn(reader, scope)
    yield* locked(process(first))

    /** Runs a user primitive; fails when the association is over or the table has no action for it here. */
    const primitiveBody = (name: string, event: Machine.Event): Effect.Effect<void, AssociationError> =>
      Effect.gen(function* () {
        if (failure !== undefined) return yield* Effect.fail(failure)
        const action = yield* process(event)
        if (failure !== undefined) return yield* Effect.fail(failure)
        if (action === undefined) return yield* Effect.fail(new InvalidPrimitive({ primitive: name, state }))
      })
    const primitive = (name: string, event: Machine.Event): Effect.Effect<void, AssociationError> => locked(primitiveBody(name, event))

    /** Runs `generic` as a generic section; call with the lock held. */
    const asGeneric = <A, E>(generic: Effect.Effect<A, E>): Effect.Effect<A, E> => {
      held = true
      return Effect.ensuring(generic, unhold)
    }

    /** P-DATA request (Evt9): under the lock, the fast path when the machine says DT-1/AR-7, else the generic loop. */
    const sendPData = (pdvs: ReadonlyArray<Pdv>): Effect.Effect<void, AssociationError> =>
      lock.withPermit(
        Effect.suspend(() => {
          const parts = encodeSends([pdvs])
          if (parts !== undefined) return writeSends(parts)
          return asGeneric(primitiveBody("P-DATA request", { _tag: "Evt9", pdata: { _tag: "PDataTf", pdvs } }))
        })
      )

    /** Several P-DATA requests under one lock: the machine runs once per PDU, the PDUs go out in one write. */
    const sendPDataManyGeneric = (pdus: ReadonlyArray<ReadonlyArray<Pdv>>): Effect.Effect<void, AssociationError> =>
        Effect.gen(function* () {
          if (failure !== undefined) return yield* Effect.fail(failure)
          const parts: Array<Uint8Array> = []
          // Collecting is synchronous work only (Evt9 → DT-1 sends, no timers): not interruptible, so
          // `batch` never outlives this step.
          const invalid = yield* Effect.uninterruptible(
            Effect.suspend(() => {
              batch = parts
              return Effect.gen(function* () {
                for (const pdvs of pdus) {
                  const action = yield* process({ _tag: "Evt9", pdata: { _tag: "PDataTf", pdvs } })
                  if (action === undefined) return true
                  if (failure !== undefined) return false
                }
                return false
              }).pipe(Effect.ensuring(Effect.sync(() => (batch = undefined))))
            })
          )
          if (parts.length > 0 && !transportClosed) {
            const failed = yield* options.write(parts).pipe(
              Effect.as(false),
              Effect.catch(() => Effect.succeed(true))
            )
            // A failed write means the connection is gone: PS3.8 Evt17.
            if (failed) yield* process({ _tag: "Evt17" })
          }
          if (failure !== undefined) return yield* Effect.fail(failure)
          if (invalid) return yield* Effect.fail(new InvalidPrimitive({ primitive: "P-DATA request", state }))
        })

    /** Several P-DATA requests, one write: the fast path when every one is a plain DT-1/AR-7, else the generic loop. */
    const sendPDataMany = (pdus: ReadonlyArray<ReadonlyArray<Pdv>>): Effect.Effect<void, AssociationError> =>
      lock.withPermit(
        Effect.suspend(() => {
          const parts = encodeSends(pdus)
          if (parts !== undefined) return parts.length === 0 ? Effect.void : writeSends(parts)
          return asGeneric(sendPDataManyGeneric(pdus))
        })
      )

    const release: Effect.Effect<void, AssociationError> = Effect.gen(function* () {
      const done = yield* Deferred.make<void, AssociationError>()
      yield* locked(
        Effect.gen(function* () {
          if (failure !== undefined) return yield* Effect.fail(failure)
          if (Machine.actionFor("Evt11", state) === undefined) {
            return yield* Effect.fail(new InvalidPrimitive({ primitive: "A-RELEASE request", state }))
          }
          releaseDone = done
          yield* process({ _tag: "Evt11" })
        })
      )
      yield* Deferred.await(done)
    })

    const abort: Effect.Effect<void> = locked(
      Effect.gen(function* () {
        if (finished || state === "Sta13") return
        failure ??= new AssociationAborted({ source: "local-user", reason: 0, description: "aborted by the local service-user" })
        yield* terminate(failure)
        yield* process({ _tag: "Evt15" })
      })
    )

    const noIncoming: ReadonlyArray<Incoming> = []
    const takeBatch: Effect.Effect<ReadonlyArray<Incoming>, AssociationError> = Queue.takeAll(incoming).pipe(
      Effect.catchIf(Cause.isDone, () => Effect.succeed(noIncoming))
    )

    /** Direct delivery: the backlog through the queue (in order), then the reader hands items to `deliver` itself. */
    const attach = (receiver: Deliver): Effect.Effect<void, AssociationError> => {
      const drain: Effect.Effect<void, AssociationError> = Effect.suspend(() => {
        if (direct !== undefined || directEnd !== undefined) return Effect.die(new Error("the association's incoming items are already attached"))
        // Synchronous, so atomic with respect to the reader: nothing queued and nothing on its way into the queue.
        if (!incomingClosed && !offering && toDeliver.length === 0 && Queue.sizeUnsafe(incoming) === 0) {
          const end = Deferred.makeUnsafe<void, AssociationError>()
          directEnd = end
          direct = receiver
          // Interrupted (the receiver's scope closed): detached, later items queue again (and pause reading when full).
          return Deferred.await(end).pipe(
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                if (direct !== receiver) return
                direct = undefined
                directEnd = undefined
              })
            )
          )
        }
        return Effect.flatMap(takeBatch, (items) => {
          if (items.length === 0) return Effect.void
          const waiting = receiver(items)
          return waiting === undefined ? drain : Effect.andThen(waiting, drain)
        })
      })
      return drain
    }

    const handle = (negotiated: Negotiation.Negotiated): AssociationHandle => ({
      negotiated,
      incoming: Stream.fromQueue(incoming),
      take: Queue.take(incoming).pipe(
        Effect.map(Option.some),
        Effect.catchIf(Cause.isDone, () => Effect.succeed(Option.none<Incoming>()))
      ),
      takeBatch,
      attach,
      sendPData,
      sendPDataMany,
      release,
      releaseResponse: primitive("A-RELEASE response", { _tag: "Evt14" }),
      abort,
      awaitClose: Deferred.await(closed),
      state: Effect.sync(() => state)
    })

    return { established, closed, handle }
  })

/**
 * Runs the association-requestor side over an open connection: sends the A-ASSOCIATE-RQ and
 * waits for the answer. Closing the scope aborts a live association.
 * @category constructors
 */
export const request = <E, E2>(
  options: RequestOptions<E, E2>
): Effect.Effect<AssociationHandle, AssociationRejected | AssociationAborted | AssociationTimeout, Scope.Scope> =>
  Effect.gen(function* () {
    const started = yield* start(
      options,
      { role: "requestor", associateRq: options.associateRq },
      options.associateRq.userInformation.maxLength,
      { _tag: "Evt1", rq: options.associateRq },
      undefined
    )
    const negotiated = yield* Deferred.await(started.established)
    return started.handle(negotiated)
  })

/**
 * Runs the association-acceptor side over an accepted connection: waits for the A-ASSOCIATE-RQ
 * (ARTIM), asks `decide`, and answers. A rejection returns once the connection is closed.
 * @category constructors
 */
export const accept = <E, E2>(
  options: AcceptOptions<E, E2>
): Effect.Effect<AcceptOutcome, AssociationAborted | AssociationTimeout, Scope.Scope> =>
  Effect.gen(function* () {
    const started = yield* start(
      options,
      { role: "acceptor", providerCheck: options.providerCheck },
      options.maxPduLength ?? Negotiation.defaultMaxPduLength,
      { _tag: "Evt5" },
      options.decide
    )
    const result = yield* Effect.result(Deferred.await(started.established))
    if (Result.isSuccess(result)) return { _tag: "Accepted", handle: started.handle(result.success) } as const
    const error = result.failure
    if (error._tag === "AssociationRejected") {
      yield* Deferred.await(started.closed)
      return {
        _tag: "Rejected",
        rj: { _tag: "AAssociateRj", result: error.result as 1 | 2, source: error.source as 1 | 2 | 3, reason: error.reason }
      } as const
    }
    return yield* Effect.fail(error)
  })
