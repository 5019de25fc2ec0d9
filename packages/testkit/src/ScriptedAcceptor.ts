/**
 * A scripted acceptor for tests: listens on the `Transport` in context, accepts each association with the
 * association driver under an accept policy, and hands the handle (and its connection) to a script that plays
 * the peer PDU by PDU. What the script does not cover is the test's to assert; a script's failure only ends its
 * association.
 */
import { Driver, Negotiation } from "@dicomnet/association"
import { type Connection, Transport } from "@dicomnet/transport"
import { Effect, type Scope } from "effect"

/** Listens on `address` until the scope closes; every accepted association runs `script` in its own scope. */
export const listen = (
  address: { readonly host: string; readonly port: number },
  policy: Negotiation.AcceptPolicy,
  script: (handle: Driver.AssociationHandle, connection: Connection.Connection) => Effect.Effect<void, unknown, Scope.Scope>
) =>
  Effect.gen(function* () {
    const transport = yield* Transport.Transport
    return yield* transport.listen(address, (connection) =>
      Effect.scoped(
        Effect.gen(function* () {
          const outcome = yield* Driver.accept({
            input: connection.input,
            write: connection.write,
            close: connection.close,
            decide: (rq) => Effect.succeed(Negotiation.accept(policy, rq))
          })
          if (outcome._tag === "Accepted") yield* script(outcome.handle, connection)
        })
      ).pipe(Effect.ignore)
    )
  })
