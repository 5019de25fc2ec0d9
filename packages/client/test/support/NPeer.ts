/**
 * A minimal in-memory SCP for the N-service tests: the association driver as acceptor, the DIMSE
 * assembler, and the server's `NServices.answer` for every DIMSE-N request (C-ECHO answered 0000H).
 */
import { Driver, Negotiation } from "@dicomnet/association"
import { TransferSyntax } from "@dicomnet/data"
import { Assembler, Command, Fragmenter, Status } from "@dicomnet/dimse"
import { NServices } from "@dicomnet/server"
import { type Connection, Transport } from "@dicomnet/transport"
import { Effect, Option, Result } from "effect"

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
  transferSyntaxes: ReadonlyArray<string> = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
) =>
  Effect.gen(function* () {
    const transport = yield* Transport.Transport
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
          const info = { peer: connection.remoteAddress, callingAeTitle: negotiated.callingAeTitle, calledAeTitle: negotiated.calledAeTitle }
          const send = (presentationContextId: number, response: Command.DimseResponse, dataset?: Uint8Array) =>
            Effect.gen(function* () {
              const pdus = Fragmenter.message({ presentationContextId, maxPduLength: negotiated.peerMaxPduLength }, response, dataset)
              if (Result.isFailure(pdus)) return yield* Effect.die(pdus.failure)
              for (const pdu of pdus.success) yield* handle.sendPData(pdu.pdvs)
            })
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
              if (!Command.isRequest(command) || command._tag === "CCancelRq") continue
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
                dataset
              })
              yield* send(event.presentationContextId, answer.response, answer.dataset)
            }
          }
        })
      ).pipe(Effect.ignore)
    )
  })
