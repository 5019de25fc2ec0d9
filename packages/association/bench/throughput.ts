/**
 * Driver data-path benchmark: two drivers back to back over in-memory byte queues; the requestor
 * sends N P-DATA-TF PDUs of one PDV each, the acceptor takes them. Reports MB/s and PDUs/s per
 * PDU size (the cost of one machine event + one vectored write + framing per PDU).
 * Run: npx tsc -b packages/association && npm run bench -w @dicomnet/association   (runs against dist/)
 */
import { Driver, Negotiation } from "@dicomnet/association"
import { type Cause, Effect, Fiber, Queue, Result, Stream } from "effect"

const verification = "1.2.840.10008.1.1"
const implicitLittle = "1.2.840.10008.1.2"

const side = (inbox: Queue.Queue<Uint8Array, Cause.Done>, outbox: Queue.Queue<Uint8Array, Cause.Done>) => ({
  input: Stream.fromQueue(inbox),
  write: (chunks: ReadonlyArray<Uint8Array>) => Effect.asVoid(Queue.offerAll(outbox, chunks)),
  close: Effect.asVoid(Queue.end(outbox))
})

const run = (pduSize: number, totalBytes: number) =>
  Effect.gen(function* () {
    const aToB = yield* Queue.bounded<Uint8Array, Cause.Done>(64)
    const bToA = yield* Queue.bounded<Uint8Array, Cause.Done>(64)
    const rq = Negotiation.makeAssociateRq({
      calledAeTitle: "SCP",
      callingAeTitle: "SCU",
      contexts: [{ abstractSyntax: verification, transferSyntaxes: [implicitLittle] }],
      maxPduLength: 1 << 24
    })
    if (Result.isFailure(rq)) return yield* Effect.die(rq.failure)
    const policy: Negotiation.AcceptPolicy = { contexts: [{ abstractSyntax: verification, transferSyntaxes: [implicitLittle] }], maxPduLength: 1 << 24 }
    const accepting = yield* Effect.forkChild(
      Driver.accept({ ...side(aToB, bToA), maxPduLength: 1 << 24, decide: (r) => Effect.succeed(Negotiation.accept(policy, r)) })
    )
    const client = yield* Driver.request({ ...side(bToA, aToB), associateRq: rq.success })
    const outcome = yield* Fiber.join(accepting)
    if (outcome._tag !== "Accepted") return yield* Effect.die("rejected")
    const server = outcome.handle
    const data = new Uint8Array(pduSize - 12).fill(0x5a)
    const count = Math.max(1, Math.floor(totalBytes / pduSize))
    const consumer = yield* Effect.forkChild(
      Effect.gen(function* () {
        let received = 0
        while (received < count) {
          const item = yield* server.take
          if (item._tag === "Some" && item.value._tag === "PData") received++
        }
      })
    )
    const start = performance.now()
    for (let i = 0; i < count; i++) {
      yield* client.sendPData([{ presentationContextId: 1, isCommand: false, isLast: i === count - 1, data }])
    }
    yield* Fiber.join(consumer)
    const seconds = (performance.now() - start) / 1000
    yield* Effect.forkChild(client.release)
    yield* server.take
    yield* server.releaseResponse
    yield* client.awaitClose
    const mb = (count * pduSize) / 1e6
    console.log(
      `${`P-DATA-TF ${pduSize >= 1024 * 1024 ? `${pduSize / 1024 / 1024} MiB` : `${pduSize / 1024} KiB`} x ${count}`.padEnd(30)} ${(mb / seconds).toFixed(0).padStart(7)} MB/s ${Math.round(count / seconds).toLocaleString("en-US").padStart(10)} PDUs/s`
    )
  }).pipe(Effect.scoped)

const main = Effect.gen(function* () {
  yield* run(16 * 1024, 64e6) // warm-up
  for (const size of [4 * 1024, 16 * 1024, 256 * 1024, 1024 * 1024]) yield* run(size, 512e6)
})

Effect.runPromise(main)
