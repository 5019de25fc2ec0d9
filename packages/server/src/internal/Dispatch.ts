/**
 * The server's DIMSE loop over one accepted association: incoming P-DATA-TF go through the
 * Assembler; each complete request runs its handler in its own fiber and is answered on the same
 * presentation context. Requests without a handler, and single-PDV requests whose Command Field is
 * unknown to the codec, are answered 0211H (unrecognized operation); a
 * handler that fails or dies is answered with a failure status and the association continues.
 * An A-RELEASE-RQ is answered once the outstanding operations have finished.
 */
import type { Driver, Negotiation } from "@dicomnet/association"
import { Assembler, Command, Fragmenter, Status } from "@dicomnet/dimse"
import { Cause, Effect, FiberSet, Option, Semaphore } from "effect"
import * as Unrecognized from "./Unrecognized.js"
import type { Handlers } from "../Handlers.js"
import type { AssociationInfo } from "../LifecycleEvent.js"
import { countOperation } from "../Metrics.js"

/** (0000,0100) Command Field. */
const CommandFieldTag = 0x00000100

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

/** "C-ECHO" for CEchoRq. */
const serviceOf = (tag: string): Status.Service => services[tag.replace(/(Rq|Rsp)$/, "")] ?? "C-ECHO"

/** The response command answering `request` with `status` (no data set). */
const responseTo = (request: Exclude<Command.DimseRequest, Command.CCancelRq>, status: number): Command.DimseResponse => {
  const sopClass = "affectedSopClassUid" in request ? request.affectedSopClassUid : request.requestedSopClassUid
  const tag = request._tag.replace(/Rq$/, "Rsp")
  return {
    _tag: tag,
    affectedSopClassUid: sopClass,
    messageIdBeingRespondedTo: request.messageId,
    hasDataset: false,
    status
  } as Command.DimseResponse
}

/** Runs the DIMSE loop until the association ends (released, aborted or timed out). */
export const serve = (
  handle: Driver.AssociationHandle,
  negotiated: Negotiation.Negotiated,
  info: AssociationInfo,
  handlers: Handlers
): Effect.Effect<void> =>
  Effect.scoped(
    Effect.gen(function* () {
      const operations = yield* FiberSet.make<void, never>()
      const sendLock = yield* Semaphore.make(1)
      let assembler = Assembler.make()
      let skipDataOn: number | undefined
      const maxPduLength = negotiated.peerMaxPduLength

      const respond = (presentationContextId: number, response: Command.DimseResponse) =>
        Effect.gen(function* () {
          const pdus = Fragmenter.message({ presentationContextId, maxPduLength }, response)
          if (pdus._tag === "Failure") return yield* Effect.logError("cannot encode a response", pdus.failure)
          // A message spans several P-DATA-TF PDUs: responses of concurrent operations must not interleave.
          yield* sendLock.withPermit(Effect.forEach(pdus.success, (pdu) => handle.sendPData(pdu.pdvs), { discard: true }))
        }).pipe(Effect.catch((error) => Effect.logDebug(`response not sent: ${error._tag}`)))

      /** A handler's status; failures and defects become `failureStatus`, interruption stays interruption. */
      const guarded = (effect: Effect.Effect<number, unknown>, failureStatus: number, service: string) =>
        effect.pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.failCause(cause as Cause.Cause<never>)
              : Effect.as(Effect.logWarning(`${service} handler failed: answering ${Status.toHex(failureStatus)}`, cause), failureStatus)
          )
        )

      const operation = (presentationContextId: number, request: Exclude<Command.DimseRequest, Command.CCancelRq>) => {
        const service = serviceOf(request._tag)
        return Effect.gen(function* () {
          let status: number
          switch (request._tag) {
            case "CEchoRq": {
              const handler = handlers.echo
              status =
                handler === undefined
                  ? Status.Code.Success
                  : yield* guarded(
                      Effect.suspend(() => handler({ association: info, negotiated, presentationContextId, command: request })),
                      Status.Code.ProcessingFailure,
                      service
                    )
              break
            }
            default:
              status = Status.Code.UnrecognizedOperation
          }
          yield* Effect.annotateCurrentSpan("dicomnet.status", Status.toHex(status))
          yield* countOperation(service, Status.category(status))
          yield* Effect.logDebug(`${service} message ${request.messageId}: ${Status.describe(status, service)}`)
          yield* respond(presentationContextId, responseTo(request, status))
        }).pipe(
          Effect.withSpan("dicomnet.operation", {
            attributes: { "dicomnet.service": service, "dicomnet.message_id": request.messageId }
          })
        )
      }

      const unrecognized = (presentationContextId: number, request: Unrecognized.Unrecognized) =>
        Effect.gen(function* () {
          const field = `0x${request.commandField.toString(16).padStart(4, "0")}`
          yield* Effect.logWarning(`unrecognized Command Field ${field} (message ${request.messageId}): answering 0x0211`)
          yield* countOperation("unrecognized", "Failure")
          const pdus = Fragmenter.fragment({ presentationContextId, maxPduLength }, Unrecognized.response(request, Status.Code.UnrecognizedOperation))
          yield* sendLock.withPermit(Effect.forEach(pdus, (pdu) => handle.sendPData(pdu.pdvs), { discard: true }))
        }).pipe(Effect.catch((error) => Effect.logDebug(`response not sent: ${error._tag}`)))

      for (;;) {
        const next = yield* Effect.result(handle.take)
        if (next._tag === "Failure" || Option.isNone(next.success)) break
        const item = next.success.value
        if (item._tag === "ReleaseRequested") {
          // PS3.8 §7.2: answer the release once our outstanding operations are done.
          yield* FiberSet.awaitEmpty(operations)
          yield* Effect.ignore(handle.releaseResponse)
          continue
        }
        let aborted = false
        for (const pdv of item.pdu.pdvs) {
          if (skipDataOn !== undefined) {
            // The data set of an unrecognized request: skipped up to its last fragment.
            if (!pdv.isCommand && pdv.presentationContextId === skipDataOn) {
              if (pdv.isLast) skipDataOn = undefined
              continue
            }
            yield* Effect.logWarning("the data set of an unrecognized request was interrupted: aborting the association")
            aborted = true
            break
          }
          const atBoundary = assembler.state === "Idle"
          const fed = assembler.feed(pdv)
          if (fed._tag === "Failure") {
            const failure = fed.failure
            const unknown =
              atBoundary && pdv.isCommand && pdv.isLast && failure._tag === "DimseDecodeError" && failure.tag === CommandFieldTag
                ? Unrecognized.peek(pdv.data)
                : undefined
            if (unknown !== undefined && negotiated.acceptedContexts.has(pdv.presentationContextId)) {
              // PS3.7 Annex C: an operation we do not know is answered 0211H, not aborted.
              assembler = Assembler.make()
              if (unknown.hasDataset) skipDataOn = pdv.presentationContextId
              yield* FiberSet.run(operations, unrecognized(pdv.presentationContextId, unknown))
              continue
            }
            yield* Effect.logWarning("DIMSE protocol error from the peer: aborting the association", failure)
            aborted = true
            break
          }
          for (const event of fed.success) {
            if (event._tag === "Command" && !negotiated.acceptedContexts.has(event.presentationContextId)) {
              yield* Effect.logWarning(`a command on presentation context ${event.presentationContextId}, which was not accepted: aborting`)
              aborted = true
              break
            }
            if (event._tag !== "MessageComplete") continue // data set fragments: no handler takes them yet
            const command = event.command
            if (Command.isResponse(command)) {
              yield* Effect.logWarning(`ignoring a ${command._tag}: this server sends no requests`)
              continue
            }
            if (command._tag === "CCancelRq") continue // nothing to cancel: every operation answers once
            yield* FiberSet.run(operations, operation(event.presentationContextId, command))
          }
          if (aborted) break
        }
        if (aborted) {
          yield* handle.abort
          break
        }
      }
    })
  )
