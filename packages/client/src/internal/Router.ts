/**
 * The client's DIMSE layer over one association: a single reader fiber feeds every incoming
 * P-DATA-TF through the Assembler and routes each response to its operation by Message ID Being
 * Responded To; requests take a permit of the negotiated asynchronous operations window, get a
 * message id, and write their message as P-DATA-TF PDUs sized to the peer's maximum length.
 */
import { AssociationAborted, type AssociationError, type Driver, type Negotiation } from "@dicomnet/association"
import { Assembler, type Command, Fragmenter, Status } from "@dicomnet/dimse"
import type { DimseEncodeError } from "@dicomnet/dimse"
import { Duration, Effect, Option, Queue, type Scope, Semaphore, Stream } from "effect"
import { DimseTimeout } from "../ClientError.js"
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
export type OperationError = AssociationError.AssociationError | DimseTimeout | DimseEncodeError

/** The service name of a command, e.g. "C-ECHO" for CEchoRq. */
export const serviceOf = (tag: Command.CommandTag): Status.Service => {
  const base = tag.replace(/(Rq|Rsp)$/, "")
  const names: Record<string, Status.Service> = {
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
  return names[base] ?? "C-ECHO"
}

interface Pending {
  readonly queue: Queue.Queue<DimseReply, OperationError>
}

/** The router of one association. */
export interface Router {
  readonly send: (
    presentationContextId: number,
    command: RequestCommand,
    dataset: Uint8Array | undefined
  ) => Stream.Stream<DimseReply, OperationError>
}

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  let n = 0
  for (const c of chunks) n += c.length
  const out = new Uint8Array(n)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** Starts the reader fiber in `scope` and returns the router. */
export const make = (
  handle: Driver.AssociationHandle,
  negotiated: Negotiation.Negotiated,
  dimseTimeout: Duration.Duration
): Effect.Effect<Router, never, Scope.Scope> =>
  Effect.gen(function* () {
    const pending = new Map<number, Pending>()
    let ended: AssociationError.AssociationError | undefined
    let lastId = 0
    const invoked = negotiated.asyncOperationsWindow.maxOperationsInvoked
    const window = invoked === 0 ? undefined : yield* Semaphore.make(invoked)
    // A message spans several P-DATA-TF PDUs: concurrent operations must not interleave them.
    const sendLock = yield* Semaphore.make(1)
    const assembler = Assembler.make()

    const failAll = (error: AssociationError.AssociationError) =>
      Effect.suspend(() => {
        ended ??= error
        const all = [...pending.values()]
        pending.clear()
        return Effect.forEach(all, (p) => Queue.fail(p.queue, error), { discard: true })
      })

    /** The next free message id (1..65535, skipping ids of operations still outstanding). */
    const allocate = (): number => {
      for (;;) {
        lastId = lastId >= 0xffff ? 1 : lastId + 1
        if (!pending.has(lastId)) return lastId
      }
    }

    // --- the reader ---------------------------------------------------------------------------------
    let current: { command: Command.DimseCommand; presentationContextId: number; chunks: Array<Uint8Array> } | undefined
    const deliver = (presentationContextId: number, command: Command.DimseCommand, chunks: ReadonlyArray<Uint8Array>) =>
      Effect.suspend(() => {
        if (!("messageIdBeingRespondedTo" in command) || command._tag === "CCancelRq") {
          // A request from the peer (e.g. C-STORE sub-operations of a C-GET): not served by this first cut.
          return Effect.logWarning(`ignoring a ${command._tag} from the peer: requests to the SCU are not supported yet`)
        }
        const id = command.messageIdBeingRespondedTo
        const p = pending.get(id)
        if (p === undefined) return Effect.logWarning(`a ${command._tag} answers message ${id}, which is not outstanding: ignored`)
        const reply: DimseReply = {
          presentationContextId,
          command,
          dataset: chunks.length === 0 ? undefined : concat(chunks)
        }
        if (Status.isFinal(command.status)) pending.delete(id)
        return Queue.offer(p.queue, reply)
      })

    const onPData = (pdu: Parameters<Assembler.Assembler["feedPDataTf"]>[0]): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        const r = assembler.feedPDataTf(pdu)
        if (r._tag === "Failure") {
          // A broken PDV sequence from the peer is a protocol error: abort (PS3.8 §9.1.4-like provider abort).
          const error = new AssociationAborted({
            source: "local-provider",
            reason: 0,
            description: `we aborted: ${r.failure.message}`
          })
          yield* Effect.logWarning("DIMSE protocol error from the peer: aborting", r.failure)
          yield* failAll(error)
          yield* handle.abort
          return false
        }
        for (const event of r.success) {
          switch (event._tag) {
            case "Command":
              current = { command: event.command, presentationContextId: event.presentationContextId, chunks: [] }
              break
            case "Data":
              if (event.data.length > 0) current?.chunks.push(event.data)
              break
            case "MessageComplete":
              yield* deliver(event.presentationContextId, event.command, current?.chunks ?? [])
              current = undefined
              break
          }
        }
        return true
      })

    const reader = Effect.gen(function* () {
      for (;;) {
        const next = yield* handle.take
        if (Option.isNone(next)) {
          return yield* failAll(
            new AssociationAborted({ source: "transport", reason: 0, description: "the association has ended" })
          )
        }
        const item = next.value
        if (item._tag === "ReleaseRequested") {
          // The peer asks to release: answer once our outstanding operations are done.
          yield* Effect.forkDetach(
            Effect.gen(function* () {
              if (window !== undefined) yield* window.withPermits(invoked)(Effect.void)
              yield* Effect.ignore(handle.releaseResponse)
            })
          )
          continue
        }
        if (!(yield* onPData(item.pdu))) return
      }
    }).pipe(Effect.catch((error: AssociationError.AssociationError) => failAll(error)))
    yield* Effect.forkScoped(reader)

    // --- the sender ---------------------------------------------------------------------------------
    const maxPduLength = negotiated.peerMaxPduLength
    const timeoutMillis = Duration.toMillis(dimseTimeout)

    const send = (
      presentationContextId: number,
      command: RequestCommand,
      dataset: Uint8Array | undefined
    ): Stream.Stream<DimseReply, OperationError> =>
      Stream.unwrap(
        Effect.gen(function* () {
          if (window !== undefined) yield* Effect.acquireRelease(window.take(1), () => window.release(1))
          const queue = yield* Queue.unbounded<DimseReply, OperationError>()
          // Checked and registered with no suspension in between, so a failing association cannot miss this queue.
          if (ended !== undefined) return yield* Effect.fail(ended)
          const messageId = allocate()
          pending.set(messageId, { queue })
          const withId = { ...command, messageId } as RequestCommand
          const service = serviceOf(command._tag)
          yield* Effect.addFinalizer(() => Effect.sync(() => pending.delete(messageId)))
          const pdus = Fragmenter.message({ presentationContextId, maxPduLength }, withId, dataset)
          if (pdus._tag === "Failure") return yield* Effect.fail(pdus.failure)
          yield* sendLock.withPermits(1)(Effect.forEach(pdus.success, (pdu) => handle.sendPData(pdu.pdvs), { discard: true }))
          const take = Number.isFinite(timeoutMillis)
            ? Queue.take(queue).pipe(
                Effect.timeoutOrElse({
                  duration: dimseTimeout,
                  orElse: () =>
                    Effect.andThen(
                      countOperation(service, "Timeout"),
                      Effect.fail(new DimseTimeout({ messageId, service, millis: timeoutMillis }))
                    )
                })
              )
            : Queue.take(queue)
          return Stream.fromEffectRepeat(
            take.pipe(
              Effect.tap((reply) =>
                Status.isFinal(reply.command.status)
                  ? Effect.andThen(
                      countOperation(service, Status.category(reply.command.status)),
                      Effect.logDebug(`${service} message ${messageId}: ${Status.describe(reply.command.status, service)}`)
                    )
                  : Effect.void
              )
            )
          ).pipe(Stream.takeUntil((reply) => Status.isFinal(reply.command.status)))
        })
      )

    return { send }
  })
