/**
 * A minimal in-memory SCP for the N-service tests: the association driver as acceptor, the DIMSE
 * assembler, and the server's `NServices.answer` for every DIMSE-N request (C-ECHO answered 0000H).
 */
import { Driver, Negotiation } from "@dicomnet/association"
import { TransferSyntax } from "@dicomnet/data"
import { Assembler, Command, Fragmenter, Status } from "@dicomnet/dimse"
import { NServices } from "@dicomnet/server"
import { type Connection, Transport } from "@dicomnet/transport"
import { Deferred, Effect, Option, Result } from "effect"
import { DatasetCodec } from "@dicomnet/data"

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
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

/** Listens on host:port and serves DIMSE-N requests with `handlers`. */
export const listen = (
  host: string,
  port: number,
  abstractSyntaxes: ReadonlyArray<string>,
  handlers: NServices.NServiceHandlers,
  transferSyntaxes: ReadonlyArray<string> = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian],
  options: { readonly reportOnSameAssociation?: boolean } = {}
) =>
  Effect.gen(function* () {
    const transport = yield* Transport.Transport
    // Work after a response outlives the association (e.g. a storage commitment report on a new association).
    const serverScope = yield* Effect.scope
    const policy: Negotiation.AcceptPolicy = { contexts: abstractSyntaxes.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes })) }
    return yield* transport.listen({ host, port }, (connection: Connection.Connection) =>
      Effect.scoped(
        Effect.gen(function* () {
          const outcome = yield* Driver.accept({
            input: connection.input,
            write: connection.write,
            close: connection.close,
            decide: (rq) => Effect.succeed(Negotiation.accept(policy, rq))
          })
          if (outcome._tag !== "Accepted") return
          const handle = outcome.handle
          const negotiated = handle.negotiated
          const assembler = Assembler.make()
          let chunks: Array<Uint8Array> = []
          const awaiting = new Map<number, Deferred.Deferred<number, string>>()
          let lastId = 0
          const info = { peer: connection.remoteAddress, callingAeTitle: negotiated.callingAeTitle, calledAeTitle: negotiated.calledAeTitle }
          const send = (presentationContextId: number, response: Command.DimseResponse, dataset?: Uint8Array) =>
            Effect.gen(function* () {
              const pdus = Fragmenter.message({ presentationContextId, maxPduLength: negotiated.peerMaxPduLength }, response, dataset)
              if (Result.isFailure(pdus)) return yield* Effect.die(pdus.failure)
              for (const pdu of pdus.success) yield* handle.sendPData(pdu.pdvs)
            })
          // Performer-initiated N-EVENT-REPORT on this association; its response is routed by the loop below.
          const reportEvent = (report: NServices.EventReport) =>
            Effect.gen(function* () {
              const pc = Negotiation.findContext(negotiated, report.sopClassUid)
              if (Result.isFailure(pc)) return yield* Effect.fail(pc.failure)
              const encoded =
                report.eventInformation === undefined ? undefined : DatasetCodec.encode(report.eventInformation, pc.success.transferSyntax)
              if (encoded !== undefined && Result.isFailure(encoded)) return yield* Effect.fail(encoded.failure)
              const messageId = 1000 + ++lastId
              const done = yield* Deferred.make<number, string>()
              awaiting.set(messageId, done)
              const rq = Command.nEventReportRq({
                affectedSopClassUid: report.sopClassUid,
                affectedSopInstanceUid: report.sopInstanceUid,
                eventTypeId: report.eventTypeId,
                messageId,
                hasDataset: encoded !== undefined
              })
              const pdus = Fragmenter.message({ presentationContextId: pc.success.presentationContextId, maxPduLength: negotiated.peerMaxPduLength }, rq, encoded?.success)
              if (Result.isFailure(pdus)) return yield* Effect.fail(pdus.failure)
              for (const pdu of pdus.success) yield* handle.sendPData(pdu.pdvs)
              return yield* Deferred.await(done)
            })
          // The association's end fails the reports still waiting for their response.
          yield* Effect.addFinalizer(() =>
            Effect.forEach([...awaiting.values()], (d) => Deferred.fail(d, "the association ended"), { discard: true })
          )
          for (;;) {
            const next = yield* handle.take
            if (Option.isNone(next)) return
            if (next.value._tag === "ReleaseRequested") {
              yield* handle.releaseResponse
              continue
            }
            const events = assembler.feedPDataTf(next.value.pdu)
            if (Result.isFailure(events)) return yield* handle.abort
            for (const event of events.success) {
              if (event._tag === "Data") chunks.push(event.data)
              if (event._tag !== "MessageComplete") continue
              const command = event.command
              const dataset = chunks.length === 0 ? undefined : concat(chunks)
              chunks = []
              if (Command.isResponse(command)) {
                const done = awaiting.get(command.messageIdBeingRespondedTo)
                if (done !== undefined) yield* Deferred.succeed(done, command.status)
                continue
              }
              if (command._tag === "CCancelRq") continue
              if (command._tag === "CEchoRq") {
                yield* send(event.presentationContextId, Command.responseTo(command, Status.Code.Success))
                continue
              }
              if (!NServices.isNRequest(command)) continue
              const answer = yield* NServices.answer(handlers, {
                association: info,
                negotiated,
                presentationContextId: event.presentationContextId,
                command,
                dataset,
                ...(options.reportOnSameAssociation === false ? {} : { reportEvent })
              })
              yield* send(event.presentationContextId, answer.response, answer.dataset)
              if (answer.afterResponse !== undefined) yield* Effect.forkIn(answer.afterResponse, serverScope)
            }
          }
        })
      ).pipe(Effect.ignore)
    )
  })
