/**
 * A DIMSE session over one association (PS3.7 §7–§10, PS3.8 Annex E): both the requestor side (send
 * requests, route responses by Message ID Being Responded To, C-CANCEL) and the performer side (dispatch
 * incoming requests to a handler, each in its own fiber, and send its responses). Client and server are
 * both: a C-GET SCU performs the C-STORE sub-operations, a storage commitment SCU performs N-EVENT-REPORT.
 *
 * The session runs over a structural `Channel` (the association driver's handle satisfies it), so this
 * package never imports `@dicomnet/association`.
 *
 * - Message ids are allocated here (1..65535, skipping ids still outstanding).
 * - Data sets stream both ways: an outgoing one is fragmented to the peer's maximum PDU length as it is
 *   pulled; an incoming one reaches the handler as fragments (views into the received PDUs) through a
 *   small bounded queue, and the reader waits while the handler is slow: that is the backpressure.
 * - One message at a time on the wire: a send lock is held for all the PDUs of a message.
 * - A handler that fails, dies or ends without a final response is answered with a failure status;
 *   the session goes on. An incoming data set the handler did not consume is drained.
 * - A request is never left unanswered: a final response whose command set cannot be encoded (e.g. it
 *   echoes an invalid UID of the request) is sent again bare (Message ID Being Responded To and a failure
 *   status, none of the optional fields), and if even that fails the session ends (`onFatal`: abort).
 *
 * @since 0.1.0
 */
import { Bytes } from "@dicomnet/data"
import type { PDataTf, Pdv } from "@dicomnet/pdu"
import { type Array as Arr, Cause, Deferred, Duration, Effect, Exit, FiberSet, type Pull, Queue, Result, type Scope, Semaphore, Stream } from "effect"
import * as Assembler from "./Assembler.js"
import * as Command from "./Command.js"
import {
  type AssemblerError,
  DatasetTooLarge,
  DimseEncodeError,
  DimseProtocolError,
  DimseTimeout,
  SessionClosed
} from "./DimseError.js"
import * as Fragmenter from "./Fragmenter.js"
import * as CommandEncoder from "./internal/commandEncoder.js"
import * as Unrecognized from "./internal/Unrecognized.js"
import * as Status from "./Status.js"

/** What the peer sends on an established association, in order (the association driver's `Incoming`). @since 0.1.0 @category models */
export type ChannelIncoming = { readonly _tag: "PData"; readonly pdu: PDataTf } | { readonly _tag: "ReleaseRequested" }

/**
 * The association as the session needs it: satisfied structurally by `Driver.AssociationHandle` plus the
 * negotiated peer maximum PDU length.
 *
 * @since 0.1.0
 * @category models
 */
export interface Channel<E> {
  /** Everything the peer sends; ends after a release, fails with the channel's error (abort, timeout). */
  readonly incoming: Stream.Stream<ChannelIncoming, E>
  /**
   * Optional, read instead of `incoming` when present: everything received so far (waiting while nothing is),
   * or an empty array once the channel has ended normally; fails like `incoming`.
   */
  readonly takeBatch?: Effect.Effect<ReadonlyArray<ChannelIncoming>, E> | undefined
  /**
   * Optional, used instead of `takeBatch`/`incoming` when present (the driver's `AssociationHandle.attach`):
   * calls `deliver` with the items received, in order, on the channel's own reader (`deliver` returns an Effect
   * only when it must wait: the channel reads nothing more meanwhile); completes when the channel has ended
   * normally, fails like `incoming`.
   */
  readonly attach?:
    | ((deliver: (items: ReadonlyArray<ChannelIncoming>) => Effect.Effect<void> | undefined) => Effect.Effect<void, E>)
    | undefined
  /** Sends one P-DATA-TF carrying `pdvs`. */
  readonly sendPData: (pdvs: ReadonlyArray<Pdv>) => Effect.Effect<void, E>
  /** Optional: sends several P-DATA-TF PDUs (one `pdvs` list each) in order as one transport write. */
  readonly sendPDataMany?: ((pdus: ReadonlyArray<ReadonlyArray<Pdv>>) => Effect.Effect<void, E>) | undefined
  /** The peer's Maximum Length Received (PS3.8 §D.1); 0 = unlimited. */
  readonly peerMaxPduLength: number
}

/** A request that gets responses (every DIMSE request but C-CANCEL-RQ). @since 0.1.0 @category models */
export type RequestCommand = Command.AnsweredRequest

/** A request answered by exactly one (final) response: every one but C-FIND, C-GET and C-MOVE. @since 0.2.0 @category models */
export type SingleResponseCommand = Exclude<RequestCommand, Command.CFindRq | Command.CGetRq | Command.CMoveRq>

/** An outgoing data set: one buffer, or chunks pulled as the PDUs go out. @since 0.1.0 @category models */
export type OutgoingDataset<E2 = never> = Uint8Array | Stream.Stream<Uint8Array, E2>

/** A response as received: its command, presentation context and data set (collected, bounded), if any. @since 0.1.0 @category models */
export interface Reply {
  readonly presentationContextId: number
  readonly command: Command.DimseResponse
  readonly dataset: Uint8Array | undefined
}

/** Why a requestor-side operation failed: the channel's error, or one of the session's. @since 0.1.0 @category models */
export type RequestError<E> = E | SessionClosed | DimseTimeout | DimseEncodeError | DatasetTooLarge

/** An operation in flight on the requestor side: its message id, its responses, and C-CANCEL. @since 0.1.0 @category models */
export interface Operation<E> {
  readonly messageId: number
  readonly presentationContextId: number
  /** The responses (pending ..., final); ends after the final one. Consume it once. */
  readonly replies: Stream.Stream<Reply, RequestError<E>>
  /** Sends a C-CANCEL-RQ for this operation (PS3.7 §9.3.2.3); the peer answers with a final (Cancel) response. */
  readonly cancel: Effect.Effect<void, E | SessionClosed | DimseEncodeError>
}

/** The requestor and performer sides of one association. @since 0.1.0 @category models */
export interface Session<E> {
  /**
   * Sends a request and returns its operation once the whole message is sent. The Message ID in `command`
   * is replaced by an allocated one. Takes a permit of the requestor window (`maxOutstanding`) until the
   * scope closes or the final response arrives.
   */
  readonly start: <E2 = never>(
    presentationContextId: number,
    command: RequestCommand,
    dataset?: OutgoingDataset<E2> | undefined
  ) => Effect.Effect<Operation<E>, RequestError<E> | E2, Scope.Scope>
  /** `start`, then the responses as a Stream (pending ..., final). */
  readonly request: <E2 = never>(
    presentationContextId: number,
    command: RequestCommand,
    dataset?: OutgoingDataset<E2> | undefined
  ) => Stream.Stream<Reply, RequestError<E> | E2>
  /**
   * A request answered by one response (C-ECHO, C-STORE, N-*): sends it and waits for its final response,
   * like `request` then its last element, without a Stream or a Scope. Same message ids, window permit
   * (held until the final response), DIMSE timeout (restarted by any pending response, which is skipped),
   * and abandonment: interrupted or failed after it was sent, its id stays reserved and its late response
   * is dropped; interrupted before its turn, nothing was sent and the id is free again.
   */
  readonly requestOne: <E2 = never>(
    presentationContextId: number,
    command: SingleResponseCommand,
    dataset?: OutgoingDataset<E2> | undefined
  ) => Effect.Effect<Reply, RequestError<E> | E2>
  /** Sends a C-CANCEL-RQ for `messageIdBeingCancelled` on the presentation context of that request. */
  readonly cancel: (
    presentationContextId: number,
    messageIdBeingCancelled: number
  ) => Effect.Effect<void, E | SessionClosed | DimseEncodeError>
  /** Completes when the session is over, telling how. */
  readonly ended: Effect.Effect<SessionEnd<E>>
  /** Requests outstanding on the requestor side (for tests and metrics). */
  readonly outstanding: Effect.Effect<number>
  /**
   * Completes once no request of ours awaits a response, abandoned ones included (their C-CANCEL sent and
   * their final response received), or the session is over: wait for it before releasing (PS3.8 §7.2).
   */
  readonly settled: Effect.Effect<void>
}

/** How a session ended. @since 0.1.0 @category models */
export type SessionEnd<E> =
  | { readonly _tag: "Ended" }
  | { readonly _tag: "ChannelFailed"; readonly error: E }
  | { readonly _tag: "Fatal"; readonly error: SessionClosed }

/** A request from the peer, handed to `onRequest` in its own fiber. @since 0.1.0 @category models */
export interface IncomingRequest<E> {
  readonly presentationContextId: number
  readonly command: RequestCommand
  /**
   * The data set as fragments (views into the received PDUs), with backpressure: the reader waits while
   * they are not taken. Undefined when the command announces none. Consume it at most once; what is left
   * when the handler ends is drained by the session.
   */
  readonly dataset: Stream.Stream<Uint8Array, E | SessionClosed> | undefined
  /** Completes when a C-CANCEL-RQ for this message arrives (PS3.7 §9.3.2.3). */
  readonly cancelled: Effect.Effect<void>
  /**
   * Sends a response (pending or final). `messageIdBeingRespondedTo` is set to the request's and `hasDataset`
   * follows `dataset`. After the final response, further calls do nothing.
   */
  readonly respond: <E2 = never>(
    response: Command.DimseResponse,
    dataset?: OutgoingDataset<E2> | undefined
  ) => Effect.Effect<void, E | SessionClosed | DimseEncodeError | E2>
  /** The session, for requests of our own on the same association (C-GET sub-operations, N-EVENT-REPORT). */
  readonly session: Session<E>
}

/** Session options. @since 0.1.0 @category options */
export interface Options<E> {
  /** Serves an incoming request (default: answers 0211H unrecognized operation). Its failures become a failure status. */
  readonly onRequest?: ((request: IncomingRequest<E>) => Effect.Effect<void, unknown>) | undefined
  /** Runs once the performer operations are done after the peer asked to release (e.g. send the A-RELEASE-RP). */
  readonly onReleaseRequested?: Effect.Effect<void> | undefined
  /** Runs when the session cannot go on (a protocol error from the peer, one of our messages cut short): abort the association. */
  readonly onFatal?: ((error: SessionClosed) => Effect.Effect<void>) | undefined
  /** Whether a presentation context was accepted; a command on another one is a protocol error (default: all are). */
  readonly isAcceptedContext?: ((presentationContextId: number) => boolean) | undefined
  /** Incoming requests performed at once (the async operations window, performer side; 0 = unlimited, default 1). */
  readonly maxOperations?: number | undefined
  /** Our requests outstanding at once (the async operations window, requestor side; 0 = unlimited, default 1). */
  readonly maxOutstanding?: number | undefined
  /** The wait for each response of our requests (default: none). */
  readonly dimseTimeout?: Duration.Input | undefined
  /** Largest response data set collected into a `Reply` (default 16 MiB). */
  readonly maxReplyDatasetLength?: number | undefined
  /** Fragments of an incoming data set buffered before the reader waits (default 4). */
  readonly datasetQueueCapacity?: number | undefined
  /** Status answered when a handler fails, dies or ends without a final response (default 0110H processing failure). */
  readonly failureStatus?: ((command: RequestCommand, cause: Cause.Cause<unknown> | undefined) => number) | undefined
  /** The first Message ID to allocate (default 1; 1..65535). */
  readonly firstMessageId?: number | undefined
  /** Send a C-CANCEL-RQ when a C-FIND/C-GET/C-MOVE is abandoned before its final response (default false: the caller cancels). */
  readonly cancelAbandoned?: boolean | undefined
  /** Largest command set accepted (the assembler's bound). */
  readonly maxCommandLength?: number | undefined
  /**
   * The wait for our performer operations to finish after the peer asked to release (default: none). Past
   * it the session ends (`SessionClosed` "ReleaseTimeout", `onFatal`: abort) instead of never answering.
   */
  readonly releaseTimeout?: Duration.Input | undefined
}

/** Default bound of a response data set collected into a `Reply`: 16 MiB. @since 0.1.0 @category constants */
export const defaultMaxReplyDatasetLength = 16 * 1024 * 1024

const services: Record<string, Status.Service> = {
  CEcho: "C-ECHO",
  CStore: "C-STORE",
  CFind: "C-FIND",
  CGet: "C-GET",
  CMove: "C-MOVE",
  NEventReport: "N-EVENT-REPORT",
  NGet: "N-GET",
  NSet: "N-SET",
  NAction: "N-ACTION",
  NCreate: "N-CREATE",
  NDelete: "N-DELETE"
}

const serviceByTag = new Map<string, Status.Service>()
for (const [name, service] of Object.entries(services)) {
  serviceByTag.set(`${name}Rq`, service)
  serviceByTag.set(`${name}Rsp`, service)
}

/** The DIMSE service of a command, e.g. "C-STORE" for CStoreRq or CStoreRsp. @since 0.1.0 @category getters */
export const serviceOf = (tag: Command.CommandTag): Status.Service => serviceByTag.get(tag) ?? "C-ECHO"

/** (0000,0100) Command Field: a decode failure on it at a message boundary is an unknown operation. */
const CommandFieldTag = 0x00000100

interface PendingRequest<E> {
  /** Every response, for `start`/`request`; undefined for `requestOne`. */
  readonly queue: Queue.Queue<Reply, RequestError<E>> | undefined
  /** The next response, for `requestOne` (replaced after a pending one). */
  next: Deferred.Deferred<Reply, RequestError<E>> | undefined
  readonly service: Status.Service
  abandoned: boolean
  /** Runs at the final response of an abandoned operation (frees its window slot). */
  onFinal: Effect.Effect<void> | undefined
}

/** Requests a C-CANCEL-RQ applies to (PS3.7 §9.3.2.3, §9.3.3.3, §9.3.4.3). */
const cancellable: ReadonlySet<string> = new Set(["CFindRq", "CGetRq", "CMoveRq"])

interface Performing<E> {
  readonly command: RequestCommand
  readonly queue: Queue.Queue<Uint8Array, E | SessionClosed | Cause.Done> | undefined
  /** Made when the handler first awaits `cancelled`. */
  cancelled: Deferred.Deferred<void> | undefined
  /** A C-CANCEL-RQ for it arrived. */
  cancelRequested: boolean
  discarding: boolean
}

/** What the reader is in the middle of. */
type Current<E> =
  | { readonly _tag: "Reply"; readonly pending: PendingRequest<E> | undefined; readonly chunks: Array<Uint8Array>; length: number; tooLarge: boolean }
  | { readonly _tag: "Request"; readonly op: Performing<E> }
  | { readonly _tag: "Skip" }

/** Hands a response to whoever awaits the request (the reader calls it; no fiber hop of its own). */
const deliver = <E>(p: PendingRequest<E>, reply: Reply, final: boolean): void => {
  if (p.queue !== undefined) {
    Queue.offerUnsafe(p.queue, reply)
    return
  }
  const next = p.next
  if (next === undefined) return
  if (!final) p.next = Deferred.makeUnsafe<Reply, RequestError<E>>()
  Deferred.doneUnsafe(next, Exit.succeed(reply))
}

/** Fails whoever awaits the request. */
const failPending = <E>(p: PendingRequest<E>, error: RequestError<E>): void => {
  if (p.queue !== undefined) Queue.failCauseUnsafe(p.queue, Cause.fail(error))
  else if (p.next !== undefined) Deferred.doneUnsafe(p.next, Exit.fail(error))
}

/**
 * Encodes a command set for sending, carved from the shared slab (the bytes only go to the channel); fails
 * like `Fragmenter.message` when `hasDataset` disagrees with the data set given.
 */
const encodeCommand = (command: Command.DimseCommand, withDataset: boolean): Result.Result<Uint8Array, DimseEncodeError> => {
  if (command.hasDataset !== withDataset) {
    return Result.fail(
      new DimseEncodeError({
        tag: 0x00000800,
        reason: command.hasDataset
          ? `${command._tag} announces a data set but none is given`
          : `${command._tag} announces no data set (0101H) but one is given`
      })
    )
  }
  return CommandEncoder.encodeWith(command, CommandEncoder.carve)
}

/**
 * Re-cuts data set chunks into fragments of exactly `size` bytes (the last one shorter), so that every
 * P-DATA-TF carries one full data PDV: large chunks are sliced as views, small ones copied together.
 * (DCMTK 3.6.7 misreads a PDU holding three or more PDVs.)
 */
class Coalescer {
  private pending: Uint8Array | undefined
  private filled = 0
  // A short rest with nothing pending is copied at its own size: a full `size` buffer is allocated
  // only once more bytes follow, so a data set's short tail never costs a whole fragment buffer.
  private tail: Uint8Array | undefined
  constructor(private readonly size: number) {}

  /** The whole fragments `chunk` completes (views or filled copies), in order. */
  push(chunk: Uint8Array, out: Array<Uint8Array>): void {
    const size = this.size
    let at = 0
    if (this.tail !== undefined && chunk.length > 0) {
      this.pending = new Uint8Array(size)
      this.pending.set(this.tail)
      this.filled = this.tail.length
      this.tail = undefined
    }
    while (at < chunk.length) {
      const pending = this.pending
      if (pending === undefined && chunk.length - at >= size) {
        out.push(chunk.subarray(at, at + size))
        at += size
        continue
      }
      if (pending === undefined) {
        this.tail = chunk.slice(at)
        break
      }
      const n = Math.min(size - this.filled, chunk.length - at)
      pending.set(chunk.subarray(at, at + n), this.filled)
      this.filled += n
      at += n
      if (this.filled === size) {
        out.push(pending)
        this.pending = undefined
        this.filled = 0
      }
    }
  }

  /** What is left at the end of the data set (at most one short fragment). */
  end(out: Array<Uint8Array>): void {
    if (this.tail !== undefined) out.push(this.tail)
    else if (this.pending !== undefined) out.push(this.pending.subarray(0, this.filled))
  }
}

/**
 * Starts a session over `channel`: routes every message, on the channel's own reader when it offers
 * `attach` (a fiber in the current scope waits for the end), else in a reader fiber in the current scope that
 * consumes `channel.takeBatch` (whole batches) or `channel.incoming`. Closing the scope interrupts the reader and
 * every performer operation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <E>(channel: Channel<E>, options: Options<E> = {}): Effect.Effect<Session<E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const maxPduLength = channel.peerMaxPduLength
    const maxOperations = options.maxOperations ?? 1
    const maxOutstanding = options.maxOutstanding ?? 1
    // The performer window: taken only by the reader, released by the operations (no Semaphore needed).
    let performFree = maxOperations
    let performWaiter: Deferred.Deferred<void> | undefined
    const takePerformSlot = (): Effect.Effect<void> | undefined => {
      if (maxOperations === 0) return undefined
      if (performFree > 0) {
        performFree--
        return undefined
      }
      const waiter = Deferred.makeUnsafe<void>()
      performWaiter = waiter
      return Effect.flatMap(Deferred.await(waiter), () => takePerformSlot() ?? Effect.void)
    }
    const releasePerformSlot = (): void => {
      if (maxOperations === 0) return
      performFree++
      const waiter = performWaiter
      if (waiter === undefined) return
      performWaiter = undefined
      Deferred.doneUnsafe(waiter, Exit.void)
    }
    const requestWindow = maxOutstanding === 0 ? undefined : yield* Semaphore.make(maxOutstanding)
    const sendLock = yield* Semaphore.make(1)
    const operations = yield* FiberSet.make<void, never>()
    const runOperation = yield* FiberSet.runtime(operations)<never>()
    const endedSignal = yield* Deferred.make<SessionEnd<E>>()
    const dimseTimeout = options.dimseTimeout === undefined ? undefined : Duration.fromInputUnsafe(options.dimseTimeout)
    const timeoutMillis = dimseTimeout === undefined ? Number.POSITIVE_INFINITY : Duration.toMillis(dimseTimeout)
    const maxReplyLength = options.maxReplyDatasetLength ?? defaultMaxReplyDatasetLength
    const datasetCapacity = Math.max(1, options.datasetQueueCapacity ?? 4)
    const isAccepted = options.isAcceptedContext ?? (() => true)
    const autoCancel = options.cancelAbandoned ?? false

    const pending = new Map<number, PendingRequest<E>>()
    /** Waiters of `settled`, woken when `pending` becomes empty or the session ends. */
    let settledWaiters: Array<Deferred.Deferred<void>> = []
    const wakeIfSettledUnsafe = (): void => {
      if ((pending.size > 0 && ended === undefined) || settledWaiters.length === 0) return
      const waiters = settledWaiters
      settledWaiters = []
      for (const d of waiters) Deferred.doneUnsafe(d, Exit.void)
    }
    const wakeIfSettled = (): Effect.Effect<void> => Effect.sync(wakeIfSettledUnsafe)
    const performing = new Map<number, Performing<E>>()
    let ended: SessionEnd<E> | undefined
    let lastId = Math.min(0xffff, Math.max(1, options.firstMessageId ?? 1)) - 1

    const errorOf = (end: SessionEnd<E>): E | SessionClosed =>
      end._tag === "Ended"
        ? new SessionClosed({ reason: "Ended", detail: "the association has ended" })
        : end.error

    /** Ends the session once: fails every outstanding request and incoming data set, interrupts performer operations. */
    const finish = (end: SessionEnd<E>): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (ended !== undefined) return Effect.void
        ended = end
        const requests = [...pending.values()]
        pending.clear()
        const datasets = [...performing.values()]
        // Built only when someone is told (a normal end with nothing outstanding builds no error and no stack).
        let error: E | SessionClosed | undefined
        const errorNow = (): E | SessionClosed => (error ??= errorOf(end))
        // Telling everyone is synchronous and never skipped: with direct delivery this may run on the channel's
        // reader, which the channel may interrupt (a local abort), so it runs even when `onFatal` is interrupted.
        const notify = Effect.uninterruptible(
          Effect.gen(function* () {
            for (const p of requests) failPending(p, errorNow())
            yield* wakeIfSettled()
            for (const op of datasets) if (op.queue !== undefined) yield* Queue.fail(op.queue, errorNow())
            yield* Deferred.succeed(endedSignal, end)
            // Not from within a performer fiber (it would interrupt itself): in the background (no fiber when
            // no operation is running, the usual end of a released association).
            if ((yield* FiberSet.size(operations)) > 0) yield* Effect.forkIn(FiberSet.clear(operations), scope)
          })
        )
        // The abort goes out before anyone learns of the failure.
        return end._tag === "Fatal" && options.onFatal !== undefined ? Effect.ensuring(options.onFatal(end.error), notify) : notify
      })

    const allocate = (): number => {
      for (;;) {
        lastId = lastId >= 0xffff ? 1 : lastId + 1
        if (!pending.has(lastId)) return lastId
      }
    }

    // --- sending --------------------------------------------------------------------------------------

    /**
     * The PDUs of a command and its data set stream, sent as the chunks are pulled: a chunk is pulled only
     * once the PDUs it completed are sent (the backpressure), one chunk held back to flag the last fragment.
     */
    const sendStreamed = <E2>(
      fragmenter: Fragmenter.Options,
      command: Command.DimseCommand,
      dataset: Stream.Stream<Uint8Array, E2>,
      sendAll: (pdus: ReadonlyArray<PDataTf>) => Effect.Effect<void, E>
    ): Effect.Effect<void, E | DimseEncodeError | E2> => {
      const encoded = encodeCommand(command, true)
      if (Result.isFailure(encoded)) return Effect.fail(encoded.failure)
      return Effect.scoped(
        Effect.flatMap(Stream.toPull(dataset), (pull) => {
          const f = Fragmenter.make(fragmenter)
          f.command(encoded.success)
          const coalescer = new Coalescer(Fragmenter.maxFragmentLength(maxPduLength))
          const pieces: Array<Uint8Array> = []
          let held: Uint8Array | undefined
          const feed = (): void => {
            for (const piece of pieces) {
              if (piece.byteLength === 0) continue
              if (held !== undefined) f.data(held, false)
              held = piece
            }
            pieces.length = 0
          }
          const step: Effect.Effect<void, E | E2 | Cause.Done> = Effect.flatMap(pull, (chunks) => {
            for (const chunk of chunks) coalescer.push(chunk, pieces)
            feed()
            const pdus = f.take()
            return pdus.length === 0 ? step : Effect.andThen(sendAll(pdus), step)
          })
          return Effect.catchIf(step, Cause.isDone, () => {
            coalescer.end(pieces)
            feed()
            f.data(held ?? new Uint8Array(0), true)
            return sendAll(f.flush())
          })
        })
      )
    }

    /** Sends one message under the send lock; a message cut short after its first PDU ends the session. */
    const sendMessage = <E2>(
      presentationContextId: number,
      command: Command.DimseCommand,
      dataset: OutgoingDataset<E2> | undefined,
      onStart?: () => void
    ): Effect.Effect<void, E | SessionClosed | DimseEncodeError | E2> =>
      sendLock.withPermit(
        Effect.suspend((): Effect.Effect<void, E | SessionClosed | DimseEncodeError | E2> => {
          if (ended !== undefined) return Effect.fail(errorOf(ended))
          let started = false
          // One PDV per PDU: the command alone, then full data fragments (DCMTK 3.6.7 misreads a PDU of three PDVs).
          const fragmenter = { presentationContextId, maxPduLength, separateCommand: true }
          const send = (pdu: PDataTf): Effect.Effect<void, E> =>
            Effect.suspend(() => {
              started = true
              onStart?.()
              return channel.sendPData(pdu.pdvs)
            })
          // Several PDUs at hand go out in one transport write when the channel can (still one PDV per PDU).
          const sendMany = channel.sendPDataMany
          const sendAll = (pdus: ReadonlyArray<PDataTf>): Effect.Effect<void, E> =>
            pdus.length === 1
              ? send(pdus[0] as PDataTf)
              : sendMany === undefined || pdus.length < 2
              ? Effect.forEach(pdus, send, { discard: true })
              : Effect.suspend(() => {
                  started = true
                  onStart?.()
                  return sendMany(pdus.map((pdu) => pdu.pdvs))
                })
          const all: Effect.Effect<void, E | DimseEncodeError | E2> =
            dataset === undefined || dataset instanceof Uint8Array
              ? Effect.suspend((): Effect.Effect<void, E | DimseEncodeError> => {
                  const encoded = encodeCommand(command, dataset !== undefined)
                  return Result.isFailure(encoded) ? Effect.fail(encoded.failure) : sendAll(Fragmenter.fragment(fragmenter, encoded.success, dataset))
                })
              : sendStreamed(fragmenter, command, dataset, sendAll)
          return all.pipe(
            Effect.onExit((exit) =>
              Exit.isFailure(exit) && started
                ? finish({
                    _tag: "Fatal",
                    error: new SessionClosed({
                      reason: "MessageInterrupted",
                      detail: `a ${command._tag} stopped after some of its PDUs were sent`
                    })
                  })
                : Effect.void
            )
          )
        })
      )

    // --- requestor side -------------------------------------------------------------------------------

    const cancel = (presentationContextId: number, messageIdBeingCancelled: number): Effect.Effect<void, E | SessionClosed | DimseEncodeError> =>
      sendMessage<never>(presentationContextId, Command.cCancelRq({ messageIdBeingRespondedTo: messageIdBeingCancelled }), undefined)

    const start = <E2 = never>(
      presentationContextId: number,
      command: RequestCommand,
      dataset?: OutgoingDataset<E2> | undefined
    ): Effect.Effect<Operation<E>, RequestError<E> | E2, Scope.Scope> =>
      Effect.gen(function* () {
        const permit =
          requestWindow === undefined
            ? undefined
            : yield* Effect.acquireRelease(Effect.as(requestWindow.take(1), { released: false, kept: false }), (p) =>
                p.released || p.kept ? Effect.void : Effect.sync(() => (p.released = true)).pipe(Effect.andThen(requestWindow.release(1)))
              )
        const release = Effect.suspend(() => {
          if (permit === undefined || permit.released || requestWindow === undefined) return Effect.void
          permit.released = true
          return Effect.asVoid(requestWindow.release(1))
        })
        if (ended !== undefined) return yield* Effect.fail(errorOf(ended))
        const queue = yield* Queue.unbounded<Reply, RequestError<E>>()
        const messageId = allocate()
        const service = serviceOf(command._tag)
        const entry: PendingRequest<E> = { queue, next: undefined, service, abandoned: false, onFinal: undefined }
        let sent = false
        pending.set(messageId, entry)
        // Abandoned before its final response (the consumer stopped early, an error, an interruption): the id
        // stays reserved and its late responses are dropped. A C-FIND/C-GET/C-MOVE is cancelled (PS3.7 §9.3.2.3)
        // and keeps its window slot until the peer's final response, so the next request does not exceed the window.
        yield* Effect.addFinalizer(() =>
          Effect.suspend(() => {
            if (pending.get(messageId) !== entry) return Effect.void
            entry.abandoned = true
            // Never sent (interrupted before its turn): no response will come.
            if (!sent) {
              pending.delete(messageId)
              return wakeIfSettled()
            }
            if (!cancellable.has(command._tag)) return Effect.void
            entry.onFinal = release
            if (permit !== undefined) permit.kept = true
            return autoCancel ? Effect.asVoid(Effect.forkIn(Effect.ignore(cancel(presentationContextId, messageId)), scope)) : Effect.void
          })
        )
        const withId = { ...command, messageId, hasDataset: dataset !== undefined } as RequestCommand
        yield* sendMessage(presentationContextId, withId, dataset)
        sent = true
        // Every response received meanwhile in one chunk; the DIMSE timer covers each wait for more.
        const takeAll: Effect.Effect<ReadonlyArray<Reply>, RequestError<E>> =
          dimseTimeout === undefined
            ? Queue.takeAll(queue)
            : Effect.timeoutOrElse(Queue.takeAll(queue), {
                duration: dimseTimeout,
                orElse: () => Effect.fail(new DimseTimeout({ messageId, service, command: command._tag, millis: timeoutMillis }))
              })
        const replies: Stream.Stream<Reply, RequestError<E>> = Stream.fromPull(
          Effect.sync(() => {
            let done = false
            const pull = (): Pull.Pull<Arr.NonEmptyReadonlyArray<Reply>, RequestError<E>> => {
              if (done) return Cause.done()
              return Effect.flatMap(takeAll, (batch) => {
                // The final response ends the operation (nothing of it can follow: its id is no longer routed).
                const final = batch.findIndex((reply) => Status.isFinal(reply.command.status))
                if (final < 0) return Effect.succeed(batch as Arr.NonEmptyReadonlyArray<Reply>)
                done = true
                return Effect.as(release, (final === batch.length - 1 ? batch : batch.slice(0, final + 1)) as Arr.NonEmptyReadonlyArray<Reply>)
              })
            }
            return Effect.suspend(pull)
          })
        )
        return {
          messageId,
          presentationContextId,
          replies,
          cancel: cancel(presentationContextId, messageId)
        }
      })

    const request = <E2 = never>(
      presentationContextId: number,
      command: RequestCommand,
      dataset?: OutgoingDataset<E2> | undefined
    ): Stream.Stream<Reply, RequestError<E> | E2> =>
      Stream.unwrap(Effect.map(start(presentationContextId, command, dataset), (op) => op.replies))

    const requestOne = <E2 = never>(
      presentationContextId: number,
      command: SingleResponseCommand,
      dataset?: OutgoingDataset<E2> | undefined
    ): Effect.Effect<Reply, RequestError<E> | E2> =>
      Effect.suspend(() => {
        // State of this run; the id is taken and registered in one synchronous step, so the exit handler
        // always knows whether it is ours and whether any of the message went out.
        let entry: PendingRequest<E> | undefined
        let messageId = 0
        let sent = false
        const service = serviceOf(command._tag)
        const next: Effect.Effect<Reply, RequestError<E>> = Effect.suspend(() =>
          entry?.next === undefined ? Effect.fail(errorOf(ended ?? { _tag: "Ended" })) : Deferred.await(entry.next)
        )
        const timed =
          dimseTimeout === undefined
            ? next
            : Effect.timeoutOrElse(next, {
                duration: dimseTimeout,
                orElse: () => Effect.fail(new DimseTimeout({ messageId, service, command: command._tag, millis: timeoutMillis }))
              })
        // Pending responses (none are defined for these services) only restart the DIMSE timer.
        const final: Effect.Effect<Reply, RequestError<E>> = Effect.flatMap(timed, (reply) =>
          Status.isFinal(reply.command.status) ? Effect.succeed(reply) : final
        )
        const run = Effect.onExit(
          Effect.suspend((): Effect.Effect<Reply, RequestError<E> | E2> => {
            if (ended !== undefined) return Effect.fail(errorOf(ended))
            messageId = allocate()
            entry = { queue: undefined, next: Deferred.makeUnsafe(), service, abandoned: false, onFinal: undefined }
            pending.set(messageId, entry)
            const withId = { ...command, messageId, hasDataset: dataset !== undefined } as RequestCommand
            return Effect.flatMap(
              sendMessage(presentationContextId, withId, dataset, () => {
                sent = true
              }),
              () => final
            )
          }),
          (exit) => {
            if (Exit.isSuccess(exit) || entry === undefined || pending.get(messageId) !== entry) return Effect.void
            // Abandoned before its final response: the id stays reserved and the late response is dropped;
            // nothing of it sent (interrupted before its turn, not encodable): no response will come.
            entry.abandoned = true
            if (sent) return Effect.void
            pending.delete(messageId)
            return wakeIfSettled()
          }
        )
        return requestWindow === undefined ? run : requestWindow.withPermit(run)
      })

    // --- performer side -------------------------------------------------------------------------------

    const failureStatus = options.failureStatus ?? (() => Status.Code.ProcessingFailure)
    const onRequest =
      options.onRequest ??
      ((rq: IncomingRequest<E>) => rq.respond(Command.responseTo(rq.command, Status.Code.UnrecognizedOperation)))

    let session: Session<E> | undefined

    /**
     * A final response that cannot be encoded: sent again with only Message ID Being Responded To, its status
     * (a failure status if it was not one already) and no data set, so that the request is still answered.
     * If even that cannot be encoded, the session ends (the association is aborted): never a silent drop.
     */
    const answerBare = (
      presentationContextId: number,
      command: RequestCommand,
      response: Command.DimseResponse,
      error: DimseEncodeError
    ): Effect.Effect<void, E | SessionClosed> =>
      Effect.gen(function* () {
        const status = Status.isFailure(response.status) ? response.status : failureStatus(command, Cause.fail(error))
        yield* Effect.logWarning(
          `the ${response._tag} to message ${command.messageId} cannot be encoded (${error.message}): answering ${Status.toHex(status)} without its optional fields`
        )
        const bare = { _tag: response._tag, messageIdBeingRespondedTo: command.messageId, status, hasDataset: false } as Command.DimseResponse
        yield* Effect.catch(sendMessage<never>(presentationContextId, bare, undefined), (again) =>
          again instanceof DimseEncodeError
            ? Effect.andThen(
                finish({
                  _tag: "Fatal",
                  error: new SessionClosed({
                    reason: "ResponseNotEncodable",
                    detail: `the ${response._tag} to message ${command.messageId} cannot be encoded: ${again.message}`
                  })
                }),
                Effect.fail(new SessionClosed({ reason: "ResponseNotEncodable", detail: again.message }))
              )
            : Effect.fail(again)
        )
      })

    const perform = (presentationContextId: number, command: RequestCommand, op: Performing<E>): Effect.Effect<void> => {
      let answered = false
      const respond = <E2 = never>(
        response: Command.DimseResponse,
        dataset?: OutgoingDataset<E2> | undefined
      ): Effect.Effect<void, E | SessionClosed | DimseEncodeError | E2> =>
        Effect.suspend(() => {
          if (answered) return Effect.logWarning(`a response to ${command._tag} ${command.messageId} after its final one: not sent`)
          const final = Status.isFinal(response.status)
          if (final) answered = true
          const out = { ...response, messageIdBeingRespondedTo: command.messageId, hasDataset: dataset !== undefined } as Command.DimseResponse
          const sent = sendMessage(presentationContextId, out, dataset)
          if (!final) return sent
          return Effect.catch(sent, (error) =>
            error instanceof DimseEncodeError ? answerBare(presentationContextId, command, response, error) : Effect.fail(error)
          )
        })
      const incoming: IncomingRequest<E> = {
        presentationContextId,
        command,
        dataset: op.queue === undefined ? undefined : Stream.fromQueue(op.queue),
        cancelled: Effect.suspend(() => {
          if (op.cancelRequested) return Effect.void
          op.cancelled ??= Deferred.makeUnsafe<void>()
          return Deferred.await(op.cancelled)
        }),
        respond,
        session: session as Session<E>
      }
      const afterHandler = (exit: Exit.Exit<void, unknown>): Effect.Effect<void> => {
        // Whatever the handler left of its data set is drained: the reader must never wait for it.
        op.discarding = true
        if (op.queue !== undefined) Queue.shutdownUnsafe(op.queue)
        if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return Effect.void
        if (!answered) {
          const cause = Exit.isFailure(exit) ? exit.cause : undefined
          const status = failureStatus(command, cause)
          return Effect.andThen(
            cause !== undefined
              ? Effect.logWarning(`${serviceOf(command._tag)} handler failed: answering ${Status.toHex(status)}`, cause)
              : Effect.logWarning(`${serviceOf(command._tag)} handler ended without a final response: answering ${Status.toHex(status)}`),
            Effect.ignore(respond(Command.responseTo(command, status)))
          )
        }
        if (Exit.isFailure(exit)) return Effect.logWarning(`${serviceOf(command._tag)} handler failed after its final response`, exit.cause)
        return Effect.void
      }
      return Effect.matchCauseEffect(
        Effect.suspend(() => onRequest(incoming)),
        { onSuccess: () => afterHandler(Exit.void), onFailure: (cause) => afterHandler(Exit.failCause(cause)) }
      ).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            if (performing.get(command.messageId) === op) performing.delete(command.messageId)
            releasePerformSlot()
          })
        )
      )
    }

    const unrecognized = (presentationContextId: number, request: Unrecognized.Unrecognized) =>
      Effect.gen(function* () {
        const field = `0x${request.commandField.toString(16).padStart(4, "0")}`
        yield* Effect.logWarning(`unrecognized Command Field ${field} (message ${request.messageId}): answering 0x0211`)
        const pdus = Fragmenter.fragment({ presentationContextId, maxPduLength }, Unrecognized.response(request, Status.Code.UnrecognizedOperation))
        yield* sendLock.withPermit(Effect.forEach(pdus, (pdu) => channel.sendPData(pdu.pdvs), { discard: true }))
      }).pipe(Effect.catch(() => Effect.void))

    // --- the reader -----------------------------------------------------------------------------------

    let assembler = Assembler.make(options.maxCommandLength === undefined ? undefined : { maxCommandLength: options.maxCommandLength })
    let current: Current<E> | undefined
    let skipDataOn: number | undefined

    const protocolError = (error: AssemblerError) =>
      Effect.andThen(
        Effect.logWarning("DIMSE protocol error from the peer", error),
        finish({
          _tag: "Fatal",
          error: new SessionClosed({ reason: "ProtocolError", detail: error.message, protocolError: error })
        })
      )

    const newDatasetQueue = Queue.bounded<Uint8Array, E | SessionClosed | Cause.Done>(datasetCapacity)
    /** A data set queue made ahead, taken by the reader for the next request with a data set. */
    let spareQueue: Queue.Queue<Uint8Array, E | SessionClosed | Cause.Done> | undefined
    /** Makes the next spare data set queue (in a performer fiber: the reader itself never waits for it). */
    const refillSpare: Effect.Effect<void> = Effect.suspend(() =>
      spareQueue !== undefined
        ? Effect.void
        : Effect.map(newDatasetQueue, (made) => {
            spareQueue ??= made
          })
    )

    /** Starts performing a request (in its own fiber) once the performer window has room. */
    const startPerforming = (
      presentationContextId: number,
      command: RequestCommand,
      queue: Queue.Queue<Uint8Array, E | SessionClosed | Cause.Done> | undefined
    ): Effect.Effect<void> | undefined => {
      const op: Performing<E> = { command, queue, cancelled: undefined, cancelRequested: false, discarding: false }
      current = { _tag: "Request", op }
      const launch = () => {
        performing.set(command.messageId, op)
        runOperation(queue === undefined ? perform(presentationContextId, command, op) : Effect.andThen(refillSpare, perform(presentationContextId, command, op)))
      }
      // The window: the reader waits for a free slot (the peer should not exceed what was negotiated).
      const wait = takePerformSlot()
      if (wait === undefined) {
        launch()
        return undefined
      }
      return Effect.andThen(wait, Effect.sync(launch))
    }

    // The reader's steps are plain functions: they return an Effect only when they must wait (a full data set
    // queue, the performer window) or log, and undefined (or a boolean: go on or stop) otherwise.

    const onCommand = (presentationContextId: number, command: Command.DimseCommand): Effect.Effect<void> | undefined => {
      if (Command.isResponse(command)) {
        const p = pending.get(command.messageIdBeingRespondedTo)
        current = { _tag: "Reply", pending: p, chunks: [], length: 0, tooLarge: false }
        return p === undefined
          ? Effect.logWarning(`a ${command._tag} answers message ${command.messageIdBeingRespondedTo}, which is not outstanding: ignored`)
          : undefined
      }
      if (command._tag === "CCancelRq") {
        const op = performing.get(command.messageIdBeingRespondedTo)
        if (op !== undefined) {
          op.cancelRequested = true
          if (op.cancelled !== undefined) Deferred.doneUnsafe(op.cancelled, Exit.void)
        }
        current = { _tag: "Skip" }
        return undefined
      }
      if (!command.hasDataset) return startPerforming(presentationContextId, command, undefined)
      // The data set queue made ahead (by the previous operation's fiber) keeps this step synchronous.
      const queue = spareQueue
      if (queue !== undefined) {
        spareQueue = undefined
        return startPerforming(presentationContextId, command, queue)
      }
      return Effect.flatMap(newDatasetQueue, (made) => startPerforming(presentationContextId, command, made) ?? Effect.void)
    }

    const onEvent = (event: Assembler.AssemblerEvent): Effect.Effect<void> | undefined => {
      switch (event._tag) {
        case "Command":
          return onCommand(event.presentationContextId, event.command)
        case "Data": {
          const c = current
          if (c === undefined || c._tag === "Skip") return undefined
          if (c._tag === "Request") {
            const queue = c.op.queue
            if (queue === undefined || c.op.discarding) return undefined
            if (event.data.byteLength > 0 && !Queue.offerUnsafe(queue, event.data)) {
              // Full (the handler is slow: backpressure) or shut down: the waiting offer tells.
              const offer = Effect.asVoid(Queue.offer(queue, event.data))
              return event.isLast ? Effect.andThen(offer, Queue.end(queue)) : offer
            }
            if (event.isLast) Queue.endUnsafe(queue)
            return undefined
          }
          if (c.pending === undefined || c.tooLarge) return undefined
          c.length += event.data.byteLength
          if (c.length > maxReplyLength) {
            c.tooLarge = true
            c.chunks.length = 0
            failPending(c.pending, new DatasetTooLarge({ length: c.length, maxLength: maxReplyLength }))
            return undefined
          }
          if (event.data.byteLength > 0) c.chunks.push(event.data)
          return undefined
        }
        case "MessageComplete": {
          const c = current
          current = undefined
          if (c === undefined || c._tag !== "Reply" || c.pending === undefined || c.tooLarge) return undefined
          const p = c.pending
          const command = event.command as Command.DimseResponse
          const final = Status.isFinal(command.status)
          if (final) {
            const id = command.messageIdBeingRespondedTo
            if (pending.get(id) === p) pending.delete(id)
          }
          if (p.abandoned) {
            if (final && p.onFinal !== undefined) return Effect.andThen(p.onFinal, wakeIfSettled())
            if (final) wakeIfSettledUnsafe()
            return undefined
          }
          deliver(p, { presentationContextId: event.presentationContextId, command, dataset: command.hasDataset ? Bytes.concat(c.chunks, c.length) : undefined }, final)
          if (final) wakeIfSettledUnsafe()
          return undefined
        }
      }
    }

    /** A step that may have to wait, as an Effect. */
    const asEffect = (step: boolean | Effect.Effect<boolean>): Effect.Effect<boolean> => (typeof step === "boolean" ? Effect.succeed(step) : step)

    const stopWith = (error: AssemblerError): Effect.Effect<boolean> => Effect.as(protocolError(error), false)

    /** Handles the events of one PDV from `from` on: true to go on, false to stop, or an Effect of that. */
    const onEvents = (events: ReadonlyArray<Assembler.AssemblerEvent>, from: number): boolean | Effect.Effect<boolean> => {
      for (let j = from; j < events.length; j++) {
        const event = events[j] as Assembler.AssemblerEvent
        if (event._tag === "Command" && !isAccepted(event.presentationContextId)) {
          return stopWith(
            new DimseProtocolError({
              reason: "ContextNotAccepted",
              presentationContextId: event.presentationContextId,
              detail: `a ${event.command._tag} on presentation context ${event.presentationContextId}, which was not accepted`
            })
          )
        }
        const waiting = onEvent(event)
        if (waiting !== undefined) return Effect.flatMap(waiting, () => asEffect(onEvents(events, j + 1)))
      }
      return true
    }

    /** Feeds one P-DATA-TF from PDV `from` on: true to go on, false when the session must stop reading, or an Effect of that. */
    const onPData = (pdu: PDataTf, from: number): boolean | Effect.Effect<boolean> => {
      const pdvs = pdu.pdvs
      for (let i = from; i < pdvs.length; i++) {
        const pdv = pdvs[i] as Pdv
        if (skipDataOn !== undefined) {
          // The data set of an unrecognized request: skipped up to its last fragment.
          if (!pdv.isCommand && pdv.presentationContextId === skipDataOn) {
            if (pdv.isLast) skipDataOn = undefined
            continue
          }
          return stopWith(
            new DimseProtocolError({
              reason: "CommandDuringDataset",
              presentationContextId: pdv.presentationContextId,
              detail: "the data set of an unrecognized request was interrupted"
            })
          )
        }
        const atBoundary = assembler.state === "Idle"
        const fed = assembler.feed(pdv)
        if (Result.isFailure(fed)) {
          const failure = fed.failure
          const unknown =
            atBoundary && pdv.isCommand && pdv.isLast && failure._tag === "DimseDecodeError" && failure.tag === CommandFieldTag
              ? Unrecognized.peek(pdv.data)
              : undefined
          if (unknown !== undefined && isAccepted(pdv.presentationContextId)) {
            // PS3.7 Annex C: an operation we do not know is answered 0211H, not aborted.
            assembler = Assembler.make(options.maxCommandLength === undefined ? undefined : { maxCommandLength: options.maxCommandLength })
            if (unknown.hasDataset) skipDataOn = pdv.presentationContextId
            runOperation(unrecognized(pdv.presentationContextId, unknown))
            continue
          }
          return stopWith(failure)
        }
        const step = onEvents(fed.success, 0)
        if (step === false) return false
        if (step !== true) return Effect.flatMap(step, (goOn) => (goOn ? asEffect(onPData(pdu, i + 1)) : Effect.succeed(false)))
      }
      return true
    }

    const releaseTimeout = options.releaseTimeout === undefined ? undefined : Duration.fromInputUnsafe(options.releaseTimeout)
    const onRelease = Effect.gen(function* () {
      // PS3.8 §7.2: answer the release once our performer operations are done; never wait forever.
      if (releaseTimeout === undefined) {
        yield* FiberSet.awaitEmpty(operations)
      } else if ((yield* Effect.timeoutOption(FiberSet.awaitEmpty(operations), releaseTimeout))._tag === "None") {
        const detail = `performer operations still running ${Duration.format(releaseTimeout)} after the peer asked to release`
        yield* Effect.logWarning(`${detail}: aborting`)
        return yield* finish({ _tag: "Fatal", error: new SessionClosed({ reason: "ReleaseTimeout", detail }) })
      }
      if (options.onReleaseRequested !== undefined) yield* options.onReleaseRequested
    })

    /** One item from the channel: true to go on, false to stop reading, or an Effect of that. */
    const onItem = (item: ChannelIncoming): boolean | Effect.Effect<boolean> => {
      if (ended !== undefined) return false
      if (item._tag === "ReleaseRequested") return Effect.as(Effect.forkIn(onRelease, scope), true)
      return onPData(item.pdu, 0)
    }

    const takeBatch = channel.takeBatch
    const attach = channel.attach
    const read: Effect.Effect<void, E> =
      attach !== undefined
        ? Effect.suspend(() => {
            // Direct delivery: routed on the channel's reader; this fiber only waits for the end.
            let stopped = false
            const items = (batch: ReadonlyArray<ChannelIncoming>, from: number): Effect.Effect<void> | undefined => {
              for (let k = from; k < batch.length && !stopped; k++) {
                const step = onItem(batch[k] as ChannelIncoming)
                if (step === true) continue
                if (step === false) {
                  stopped = true
                  return undefined
                }
                return Effect.flatMap(step, (goOn) => {
                  if (!goOn) stopped = true
                  return (goOn ? items(batch, k + 1) : undefined) ?? Effect.void
                })
              }
              return undefined
            }
            return attach((batch) => (stopped ? undefined : items(batch, 0)))
          })
        : takeBatch === undefined
        ? Effect.suspend(() => {
            let stop = false
            return channel.incoming.pipe(
              Stream.takeWhile(() => !stop),
              Stream.runForEach((item) => {
                const step = onItem(item)
                if (step === true) return Effect.void
                if (step === false) {
                  stop = true
                  return Effect.void
                }
                return Effect.map(step, (goOn) => {
                  if (!goOn) stop = true
                })
              })
            )
          })
        : Effect.suspend(() => {
            // Whole batches: one wake-up of the reader for everything received meanwhile.
            const items = (batch: ReadonlyArray<ChannelIncoming>, from: number): Effect.Effect<void, E> => {
              for (let k = from; k < batch.length; k++) {
                const step = onItem(batch[k] as ChannelIncoming)
                if (step === false) return Effect.void
                if (step !== true) return Effect.flatMap(step, (goOn) => (goOn ? items(batch, k + 1) : Effect.void))
              }
              return loop
            }
            const loop: Effect.Effect<void, E> = Effect.flatMap(takeBatch, (batch) => (batch.length === 0 ? Effect.void : items(batch, 0)))
            return loop
          })

    const reader = read.pipe(
      Effect.matchCauseEffect({
        onSuccess: () => finish({ _tag: "Ended" }),
        onFailure: (cause) => {
          const error = Cause.findErrorOption(cause)
          if (error._tag === "Some") return finish({ _tag: "ChannelFailed", error: error.value })
          return Effect.failCause(cause as Cause.Cause<never>)
        }
      })
    )

    session = {
      start,
      request,
      requestOne,
      cancel,
      ended: Deferred.await(endedSignal),
      outstanding: Effect.sync(() => {
        let n = 0
        for (const p of pending.values()) if (!p.abandoned) n++
        return n
      }),
      settled: Effect.suspend(() => {
        if (pending.size === 0 || ended !== undefined) return Effect.void
        return Effect.flatMap(Deferred.make<void>(), (d) =>
          Effect.andThen(
            Effect.sync(() => settledWaiters.push(d)),
            Deferred.await(d)
          )
        )
      })
    }
    yield* Effect.forkScoped(reader)
    return session as Session<E>
  })
