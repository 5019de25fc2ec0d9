/**
 * The set-up the association benchmarks share: both ends of an association over a Transport connection with
 * `Wire.make` and the Driver, in one process (the Transport comes from the context: in memory or TCP loopback).
 */
import { Driver, Negotiation, Wire } from "@dicomnet/association"
import type { AAssociateRq } from "@dicomnet/pdu"
import { Transport } from "@dicomnet/transport"
import { Effect, type Scope } from "effect"

/** Listens on a free loopback port; each association accepted under `policy` is handed to `serve`. */
export const listen = (
  policy: Negotiation.AcceptPolicy,
  maxPduLength: number,
  serve: (handle: Driver.AssociationHandle) => Effect.Effect<void, unknown, Scope.Scope>
) =>
  Effect.flatMap(Transport.Transport, (transport) =>
    transport.listen({ host: "127.0.0.1", port: 0 }, (connection) =>
      Effect.gen(function* () {
        const wire = yield* Wire.make(connection)
        const outcome = yield* Driver.accept({
          input: wire.input,
          write: wire.write,
          close: connection.close,
          maxPduLength,
          decide: (rq) => Effect.succeed(Negotiation.accept(policy, rq))
        })
        if (outcome._tag === "Accepted") yield* serve(outcome.handle)
      }).pipe(Effect.scoped, Effect.ignore)
    )
  )

/** Connects to `port` and requests an association with `associateRq`, in the current scope. */
export const connect = (port: number, associateRq: AAssociateRq) =>
  Effect.gen(function* () {
    const transport = yield* Transport.Transport
    const connection = yield* transport.connect({ host: "127.0.0.1", port })
    const wire = yield* Wire.make(connection)
    return yield* Driver.request({ input: wire.input, write: wire.write, close: connection.close, associateRq })
  })
