/**
 * DIMSE session benchmark: a TCP loopback connection, `Wire`, a Driver and a dimse `Session` on both sides in
 * one process (no client/server packages). Operations: C-ECHO (`requestOne`), C-STORE of SIZE bytes
 * (`requestOne` with a Uint8Array; the performer drains the data set stream). CPU µs per operation (both sides
 * together, process.cpuUsage, best of 3).
 * Run from /work/main after `npx tsc -b packages/association packages/dimse packages/transport-node`:
 *   node_modules/.bin/node packages/association/bench/session.ts [echo|store] [N] [SIZE] [attach|batch]
 * `attach` wires the Driver's direct delivery (`handle.attach`), `batch` its queue (`handle.takeBatch`).
 */
import { type AssociationError, type Driver, Negotiation } from "@dicomnet/association"
import { Command, Session, Status } from "@dicomnet/dimse"
import { NodeTransport } from "@dicomnet/transport-node"
import { Effect, References, Result, Stream } from "effect"
import * as Harness from "./harness.ts"

const verification = "1.2.840.10008.1.1"
const ct = "1.2.840.10008.5.1.4.1.1.2"
const implicitLittle = "1.2.840.10008.1.2"
const maxPdu = Number(process.env.MAXPDU ?? 262144)
const [mode = "echo", nArg = "5000", sizeArg = "524288", wiring = "attach"] = process.argv.slice(2)
const n = Number(nArg)
const dataset = new Uint8Array(Number(sizeArg)).fill(0x5a)

const channelOf = (handle: Driver.AssociationHandle): Session.Channel<AssociationError.AssociationError> => ({
  incoming: handle.incoming,
  takeBatch: handle.takeBatch,
  attach: wiring === "attach" ? handle.attach : undefined,
  sendPData: handle.sendPData,
  sendPDataMany: handle.sendPDataMany,
  peerMaxPduLength: handle.negotiated.peerMaxPduLength
})

const program = Effect.gen(function* () {
  const contexts = [
    { abstractSyntax: verification, transferSyntaxes: [implicitLittle] },
    { abstractSyntax: ct, transferSyntaxes: [implicitLittle] }
  ]
  const rq = Negotiation.makeAssociateRq({ calledAeTitle: "SCP", callingAeTitle: "SCU", contexts, maxPduLength: maxPdu })
  if (Result.isFailure(rq)) return yield* Effect.die(rq.failure)
  const policy: Negotiation.AcceptPolicy = { contexts, maxPduLength: maxPdu }
  const listener = yield* Harness.listen(policy, maxPdu, (handle) =>
    Effect.gen(function* () {
      const session = yield* Session.make(channelOf(handle), {
        onReleaseRequested: Effect.ignore(handle.releaseResponse),
        onRequest: (request) =>
          Effect.gen(function* () {
            if (request.dataset !== undefined) yield* Stream.runDrain(request.dataset)
            yield* request.respond(Command.responseTo(request.command, Status.Code.Success))
          })
      })
      yield* session.ended
      yield* handle.awaitClose
    })
  )
  const handle = yield* Harness.connect(listener.address.port, rq.success)
  const session = yield* Session.make(channelOf(handle))
  const echo = Command.cEchoRq({ messageId: 0, affectedSopClassUid: verification })
  const one = (i: number) =>
    mode === "echo"
      ? session.requestOne(1, echo)
      : session.requestOne(3, Command.cStoreRq({ messageId: 0, affectedSopClassUid: ct, affectedSopInstanceUid: `1.2.3.${i}`, priority: 0 }), dataset)
  for (let i = 0; i < Math.min(500, n); i++) yield* one(i)
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage()
    for (let i = 0; i < n; i++) yield* one(i)
    const cpu = process.cpuUsage(c0)
    best = Math.min(best, (cpu.user + cpu.system) / n)
  }
  console.log(`${mode} ${wiring} N=${n}${mode === "store" ? ` size=${dataset.byteLength}` : ""}: ${best.toFixed(1)} µs CPU/op (both sides)`)
  yield* handle.release
})

Effect.runPromise(
  program.pipe(
    Effect.scoped,
    Effect.provide(NodeTransport.layerTcp()),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
).catch((e) => {
  console.error(e)
  process.exit(1)
})
