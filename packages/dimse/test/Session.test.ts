import { assert, describe, expect, it } from "@effect/vitest"
import { Assembler, Command, Fragmenter, Session, Status } from "@dicomnet/dimse"
import type { PDataTf, Pdv } from "@dicomnet/pdu"
import { Cause, Data, Deferred, Effect, Exit, Fiber, Queue, Result, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"

class Broken extends Data.TaggedError("Broken")<{ readonly why: string }> {}
class SourceFailed extends Data.TaggedError("SourceFailed")<{}> {}

const Verification = "1.2.840.10008.1.1"
const CtImage = "1.2.840.10008.5.1.4.1.1.2"
const FindStudy = "1.2.840.10008.5.1.4.1.2.2.1"
const GetStudy = "1.2.840.10008.5.1.4.1.2.2.3"

const echoRq = () => Command.cEchoRq({ messageId: 0, affectedSopClassUid: Verification })
const storeRq = (uid = "1.2.3.4") =>
  Command.cStoreRq({ messageId: 0, affectedSopClassUid: CtImage, affectedSopInstanceUid: uid, priority: Command.Priority.Medium })
const findRq = () => Command.cFindRq({ messageId: 0, affectedSopClassUid: FindStudy, priority: Command.Priority.Medium })

const bytes = (n: number, seed: number) => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff
  return out
}
const chunksOf = (data: Uint8Array, size: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let o = 0; o < data.length; o += size) out.push(data.subarray(o, Math.min(data.length, o + size)))
  return out
}
const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.byteLength
  }
  return out
}

/** One direction of the in-memory wire: what one side sends becomes the other side's incoming. */
interface End {
  readonly channel: Session.Channel<Broken>
  /** Every PDU this side sent, in order. */
  readonly sent: Array<PDataTf>
  /** The size of every batch this side's session took (batched wires only). */
  readonly batches: Array<number>
  /** Injects an item into this side's incoming (a raw peer). */
  readonly inject: (item: Session.ChannelIncoming) => Effect.Effect<void>
  /** Ends this side's incoming cleanly / with a failure. */
  readonly end: Effect.Effect<void>
  readonly fail: (why: string) => Effect.Effect<void>
}

/** Two channels wired back to back over bounded queues (capacity = PDUs in flight per direction). */
const wire = (
  options: { readonly maxPduLength?: number; readonly capacity?: number; readonly batched?: boolean; readonly attached?: boolean } = {}
) =>
  Effect.gen(function* () {
    const capacity = options.capacity ?? 16
    const maxPduLength = options.maxPduLength ?? 16384
    const aIn = yield* Queue.bounded<Session.ChannelIncoming, Broken | Cause.Done>(capacity)
    const bIn = yield* Queue.bounded<Session.ChannelIncoming, Broken | Cause.Done>(capacity)
    const end = (own: typeof aIn, other: typeof aIn): End => {
      const sent: Array<PDataTf> = []
      const batches: Array<number> = []
      // Attached: the end the channel tells its receiver at once (as the driver does on a local abort).
      let attachedEnd: Deferred.Deferred<void, Broken> | undefined
      return {
        sent,
        batches,
        channel: {
          // Batched: the session must read takeBatch only (everything queued at once; [] once ended).
          incoming:
            options.batched === true || options.attached === true
              ? Stream.die("incoming read although takeBatch or attach is given")
              : Stream.fromQueue(own),
          takeBatch:
            options.attached === true
              ? Effect.die("takeBatch read although attach is given")
              : options.batched === true
              ? Queue.takeAll(own).pipe(
                  Effect.tap((batch) => Effect.sync(() => batches.push(batch.length))),
                  Effect.catchIf(Cause.isDone, () => Effect.succeed([]))
                )
              : undefined,
          // Attached: the channel's own reader fiber hands each batch to `deliver` and waits for its Effect.
          attach:
            options.attached === true
              ? (deliver) =>
                  Effect.gen(function* () {
                    const done = yield* Deferred.make<void, Broken>()
                    attachedEnd = done
                    const loop: Effect.Effect<void, Broken | Cause.Done> = Effect.flatMap(Queue.takeAll(own), (batch) => {
                      batches.push(batch.length)
                      const waiting = deliver(batch)
                      return waiting === undefined ? loop : Effect.andThen(waiting, loop)
                    })
                    yield* Effect.forkChild(
                      loop.pipe(
                        Effect.catchIf(Cause.isDone, () => Effect.void),
                        Effect.exit,
                        Effect.flatMap((exit) => Deferred.done(done, exit))
                      )
                    )
                    return yield* Deferred.await(done)
                  })
              : undefined,
          sendPData: (pdvs: ReadonlyArray<Pdv>) =>
            Effect.suspend(() => {
              const pdu: PDataTf = { _tag: "PDataTf", pdvs }
              sent.push(pdu)
              return Effect.asVoid(Queue.offer(other, { _tag: "PData", pdu }))
            }),
          peerMaxPduLength: maxPduLength
        },
        inject: (item) => Effect.asVoid(Queue.offer(own, item)),
        end: Effect.asVoid(Queue.end(own)),
        fail: (why) =>
          Effect.andThen(Queue.fail(own, new Broken({ why })), attachedEnd === undefined ? Effect.void : Deferred.fail(attachedEnd, new Broken({ why })))
      }
    }
    return { a: end(aIn, bIn), b: end(bIn, aIn) }
  })

const success = (rq: Session.IncomingRequest<Broken>) => rq.respond(Command.responseTo(rq.command, Status.Code.Success))

/** The PDVs of every PDU, fed through a fresh assembler: the messages as the peer saw them. */
const messagesOn = (pdus: ReadonlyArray<PDataTf>) => {
  const assembler = Assembler.make()
  const out: Array<{ command: Command.DimseCommand; data: Array<Uint8Array> }> = []
  for (const pdu of pdus) {
    const r = assembler.feedPDataTf(pdu)
    if (Result.isFailure(r)) throw new Error(`interleaved or broken: ${r.failure.message}`)
    for (const e of r.success) {
      if (e._tag === "Command") out.push({ command: e.command, data: [] })
      else if (e._tag === "Data") out.at(-1)?.data.push(e.data)
    }
  }
  return out
}

/** Lets every runnable fiber run (no clock involved). */
const settle = Effect.gen(function* () {
  for (let i = 0; i < 200; i++) yield* Effect.yieldNow
})

describe("Session · requests and responses (PS3.7 §9.3)", () => {
  it.effect("a C-ECHO-RQ is answered by the peer's handler and its stream ends with the final response", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, { onRequest: success })
        const replies = yield* Stream.runCollect(requestor.request(1, echoRq()))
        expect(replies.map((r) => [r.command._tag, r.command.status])).toEqual([["CEchoRsp", 0]])
        expect(replies[0]?.presentationContextId).toBe(1)
        expect(yield* requestor.outstanding).toBe(0)
      })
    )
  )

  it.effect("allocates message ids 1, 2, 3 ... and replaces the id given in the command", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        const seen: Array<number> = []
        yield* Session.make(b.channel, {
          onRequest: (rq) => Effect.andThen(Effect.sync(() => seen.push(rq.command.messageId)), success(rq))
        })
        for (let i = 0; i < 3; i++) {
          const replies = yield* Stream.runCollect(requestor.request(1, { ...echoRq(), messageId: 777 }))
          expect(replies[0]?.command.messageIdBeingRespondedTo).toBe(i + 1)
        }
        expect(seen).toEqual([1, 2, 3])
      })
    )
  )

  it.effect("never reuses the id of an operation still outstanding", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 0 })
        const held = yield* Deferred.make<void>()
        yield* Session.make(b.channel, {
          maxOperations: 0,
          onRequest: (rq) => Effect.andThen(Deferred.await(held), success(rq))
        })
        const ops = yield* Effect.forEach([1, 2, 3, 4], () => requestor.start(1, echoRq()))
        expect(new Set(ops.map((op) => op.messageId)).size).toBe(4)
        expect(yield* requestor.outstanding).toBe(4)
        yield* Deferred.succeed(held, undefined)
        for (const op of ops) yield* Stream.runDrain(op.replies)
        expect(yield* requestor.outstanding).toBe(0)
      })
    )
  )

  it.effect("wraps from 65535 to 1 (uint16 Message ID)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 0, firstMessageId: 65534 })
        yield* Session.make(b.channel, {
          maxOperations: 0,
          onRequest: (rq) => (rq.command._tag === "CFindRq" ? Effect.never : success(rq))
        })
        const echo = Effect.scoped(Effect.tap(requestor.start(1, echoRq()), (op) => Stream.runDrain(op.replies)))
        const first = yield* echo
        const held = yield* requestor.start(1, findRq(), bytes(4, 0))
        const wrapped = yield* echo
        const next = yield* echo
        // 65534, 65535 (the C-FIND, still outstanding), then 1, then 2.
        expect([first.messageId, held.messageId, wrapped.messageId, next.messageId]).toEqual([65534, 65535, 1, 2])
      })
    )
  )

  it.effect("streams pending responses with their identifiers; the final status ends the stream (C-FIND)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.gen(function* () {
              const identifier = yield* Stream.runCollect(rq.dataset ?? Stream.empty)
              expect(concat(identifier)).toEqual(bytes(40, 1))
              for (let i = 0; i < 3; i++) {
                yield* rq.respond(Command.responseTo(rq.command, Status.Code.Pending), bytes(20 + i, i))
              }
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Success))
              // After the final response nothing more is sent.
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Pending), bytes(5, 5))
            })
        })
        const replies = yield* Stream.runCollect(requestor.request(1, findRq(), bytes(40, 1)))
        expect(replies.map((r) => r.command.status)).toEqual([0xff00, 0xff00, 0xff00, 0])
        expect(replies.map((r) => r.dataset?.length)).toEqual([20, 21, 22, undefined])
        expect(replies[2]?.dataset).toEqual(bytes(22, 2))
      })
    )
  )

  it.effect("responses received before the consumer reads them are all delivered in order; the final one ends the stream and frees the window", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 1 })
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.gen(function* () {
              if (rq.command._tag !== "CFindRq") return yield* success(rq)
              for (let i = 0; i < 5; i++) yield* rq.respond(Command.responseTo(rq.command, Status.Code.Pending), bytes(4, i))
              yield* success(rq)
            })
        })
        const op = yield* requestor.start(1, findRq(), bytes(4, 0))
        // Everything arrives before the first pull.
        yield* settle
        const replies = yield* Stream.runCollect(op.replies)
        expect(replies.map((r) => r.command.status)).toEqual([0xff00, 0xff00, 0xff00, 0xff00, 0xff00, 0])
        expect(replies.map((r) => r.dataset?.[0])).toEqual([0, 1, 2, 3, 4, undefined])
        // Window 1: the next request goes out at once.
        expect((yield* requestor.requestOne(1, echoRq())).command.messageIdBeingRespondedTo).toBe(2)
      })
    )
  )

  it.effect("routes responses by Message ID Being Responded To, whatever their order", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 2 })
        const first = yield* Deferred.make<void>()
        yield* Session.make(b.channel, {
          maxOperations: 2,
          onRequest: (rq) =>
            rq.command.messageId === 1
              ? Effect.andThen(Deferred.await(first), rq.respond(Command.responseTo(rq.command, 0xb000)))
              : Effect.andThen(rq.respond(Command.responseTo(rq.command, Status.Code.Success)), Deferred.succeed(first, undefined))
        })
        const [one, two] = yield* Effect.all(
          [Stream.runCollect(requestor.request(1, storeRq("1.1"), bytes(10, 0))), Stream.runCollect(requestor.request(1, storeRq("1.2"), bytes(10, 0)))],
          { concurrency: 2 }
        )
        expect(one.map((r) => [r.command.messageIdBeingRespondedTo, r.command.status])).toEqual([[1, 0xb000]])
        expect(two.map((r) => [r.command.messageIdBeingRespondedTo, r.command.status])).toEqual([[2, 0]])
      })
    )
  )

  it.effect("drops a response to a message id that is not outstanding and goes on", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.andThen(
              rq.session.request(1, echoRq()).pipe(Stream.runDrain, Effect.ignore, Effect.forkChild),
              success(rq)
            )
        })
        // A stray C-ECHO-RSP for message 99 arrives first.
        const stray = Fragmenter.message({ presentationContextId: 1, maxPduLength: 0 }, Command.cEchoRsp({ messageIdBeingRespondedTo: 99, status: 0 }))
        assert(Result.isSuccess(stray))
        yield* a.inject({ _tag: "PData", pdu: stray.success[0] as PDataTf })
        const replies = yield* Stream.runCollect(requestor.request(1, echoRq()))
        expect(replies.map((r) => r.command.messageIdBeingRespondedTo)).toEqual([1])
      })
    )
  )
})

describe("Session · asynchronous operations window (PS3.7 §D.3.3.3)", () => {
  it.effect("performer side: a second request waits until the first operation is done (window 1)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 2 })
        const release = yield* Deferred.make<void>()
        const started: Array<number> = []
        yield* Session.make(b.channel, {
          maxOperations: 1,
          onRequest: (rq) =>
            Effect.gen(function* () {
              started.push(rq.command.messageId)
              if (rq.command.messageId === 1) yield* Deferred.await(release)
              yield* success(rq)
            })
        })
        const both = yield* Effect.forkChild(
          Effect.all([Stream.runCollect(requestor.request(1, echoRq())), Stream.runCollect(requestor.request(1, echoRq()))], { concurrency: 2 })
        )
        yield* settle
        expect(started).toEqual([1])
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(both)
        expect(started).toEqual([1, 2])
      })
    )
  )

  it.effect("requestor side: a second request is not sent while one is outstanding (window 1)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 1 })
        const release = yield* Deferred.make<void>()
        yield* Session.make(b.channel, { maxOperations: 0, onRequest: (rq) => Effect.andThen(Deferred.await(release), success(rq)) })
        const first = yield* Effect.forkChild(Stream.runCollect(requestor.request(1, echoRq())))
        const second = yield* Effect.forkChild(Stream.runCollect(requestor.request(1, echoRq())))
        yield* settle
        expect(messagesOn(a.sent).length).toBe(1)
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(first)
        yield* Fiber.join(second)
        expect(messagesOn(a.sent).length).toBe(2)
      })
    )
  )
})

describe("Session · data sets (PS3.8 Annex E)", () => {
  it.effect("streams a C-STORE data set in PDUs sized to the peer max PDU; the handler gets the same bytes", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ maxPduLength: 4096 })
        const requestor = yield* Session.make(a.channel)
        const data = bytes(300_000, 3)
        const received: Array<Uint8Array> = []
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.andThen(
              Stream.runForEach(rq.dataset ?? Stream.empty, (chunk) => Effect.sync(() => received.push(chunk))),
              success(rq)
            )
        })
        // Chunks smaller and larger than a fragment.
        const chunks = [...chunksOf(data.subarray(0, 1000), 7), ...chunksOf(data.subarray(1000), 10_000)]
        const replies = yield* Stream.runCollect(requestor.request(1, storeRq(), Stream.fromIterable(chunks)))
        expect(replies[0]?.command.status).toBe(0)
        expect(concat(received)).toEqual(data)
        // One PDV per PDU: the command alone, then full data fragments whatever the chunking (DCMTK 3.6.7
        // misreads a PDU holding three PDVs).
        expect(a.sent[0]?.pdvs.map((p) => p.isCommand)).toEqual([true])
        expect(a.sent.every((pdu) => pdu.pdvs.length === 1)).toBe(true)
        expect(a.sent.slice(1, -1).every((pdu) => pdu.pdvs[0]?.data.length === 4096 - 6)).toBe(true)
        for (const pdu of a.sent) {
          expect(pdu.pdvs.reduce((n, p) => n + 6 + p.data.length, 0)).toBeLessThanOrEqual(4096)
        }
      })
    )
  )

  it.effect("a short rest of a chunk is sent at its own length, or joined with the bytes that follow it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ maxPduLength: 4096 })
        const requestor = yield* Session.make(a.channel)
        const fragment = 4096 - 6
        const received: Array<Uint8Array> = []
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.andThen(
              Stream.runForEach(rq.dataset ?? Stream.empty, (chunk) => Effect.sync(() => received.push(chunk))),
              success(rq)
            )
        })
        const data = bytes(3 * fragment + 150, 5)
        // Whole fragments, a chunk with a 50-byte rest, then 30 + 70 more bytes.
        const chunks = [data.subarray(0, 2 * fragment), data.subarray(2 * fragment, 3 * fragment + 50), data.subarray(3 * fragment + 50, 3 * fragment + 80), data.subarray(3 * fragment + 80)]
        yield* Stream.runCollect(requestor.request(1, storeRq(), Stream.fromIterable(chunks)))
        expect(concat(received)).toEqual(data)
        expect(a.sent.slice(1).map((pdu) => pdu.pdvs[0]?.data.length)).toEqual([fragment, fragment, fragment, 150])
      })
    )
  )

  it.effect("backpressure: while the handler does not read, the sender stops after a bounded number of PDUs", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ maxPduLength: 1024, capacity: 2 })
        const requestor = yield* Session.make(a.channel)
        const go = yield* Deferred.make<void>()
        let got = 0
        yield* Session.make(b.channel, {
          datasetQueueCapacity: 2,
          onRequest: (rq) =>
            Effect.gen(function* () {
              yield* Deferred.await(go)
              yield* Stream.runForEach(rq.dataset ?? Stream.empty, (c) => Effect.sync(() => (got += c.length)))
              yield* success(rq)
            })
        })
        const data = bytes(1_000_000, 9)
        const store = yield* Effect.forkChild(Stream.runCollect(requestor.request(1, storeRq(), Stream.fromIterable(chunksOf(data, 1000)))))
        yield* settle
        // ~1000 PDUs to send; held back: 2 in the wire queue, 2 in the data set queue, 1 at the reader, 1 being offered.
        expect(a.sent.length).toBeLessThan(10)
        yield* Deferred.succeed(go, undefined)
        const replies = yield* Fiber.join(store)
        expect(replies[0]?.command.status).toBe(0)
        expect(got).toBe(data.length)
        expect(a.sent.length).toBeGreaterThan(900)
      })
    )
  )

  it.effect("concurrent operations never interleave their PDUs (one send lock per message)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ maxPduLength: 2048 })
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 0 })
        const sizes = new Map<string, number>()
        yield* Session.make(b.channel, {
          maxOperations: 0,
          onRequest: (rq) =>
            Effect.gen(function* () {
              const all = yield* Stream.runCollect(rq.dataset ?? Stream.empty)
              if (rq.command._tag === "CStoreRq") sizes.set(rq.command.affectedSopInstanceUid, concat(all).length)
              // Answers with data sets too, concurrently with the others.
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Success))
            })
        })
        const uids = ["1.1", "1.2", "1.3", "1.4"]
        yield* Effect.forEach(
          uids,
          (uid, i) => Stream.runDrain(requestor.request(1, storeRq(uid), Stream.fromIterable(chunksOf(bytes(50_000 + i, i), 3000)))),
          { concurrency: "unbounded" }
        )
        // The peer's assembler accepts the whole PDU sequence: no message interleaves another.
        const messages = messagesOn(a.sent)
        expect(messages.map((m) => concat(m.data).length)).toEqual(expect.arrayContaining([50_000, 50_001, 50_002, 50_003]))
        expect([...sizes.values()].sort()).toEqual([50_000, 50_001, 50_002, 50_003])
      })
    )
  )

  it.effect("a data set the handler does not consume is drained: the next operation still runs", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ maxPduLength: 1024, capacity: 2 })
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, { datasetQueueCapacity: 1, onRequest: success })
        const first = yield* Stream.runCollect(requestor.request(1, storeRq(), Stream.fromIterable(chunksOf(bytes(200_000, 1), 4096))))
        const second = yield* Stream.runCollect(requestor.request(1, echoRq()))
        expect([first[0]?.command.status, second[0]?.command.status]).toEqual([0, 0])
      })
    )
  )

  it.effect("a response data set larger than maxReplyDatasetLength fails that operation with DatasetTooLarge", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxReplyDatasetLength: 100 })
        yield* Session.make(b.channel, {
          onRequest: (rq) => rq.respond(Command.responseTo(rq.command, Status.Code.Pending), bytes(101, 0))
        })
        const error = yield* Effect.flip(Stream.runCollect(requestor.request(1, findRq(), bytes(4, 0))))
        expect(error._tag).toBe("DatasetTooLarge")
      })
    )
  )

  it.effect("an outgoing data set stream that fails mid-message ends the session (MessageInterrupted) and calls onFatal", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ maxPduLength: 1024 })
        const fatal: Array<string> = []
        const requestor = yield* Session.make(a.channel, { onFatal: (e) => Effect.sync(() => fatal.push(e.reason)) })
        yield* Session.make(b.channel, { onRequest: success })
        const source = Stream.concat(Stream.fromIterable(chunksOf(bytes(5000, 0), 1000)), Stream.fail(new SourceFailed()))
        const error = yield* Effect.flip(Stream.runCollect(requestor.request(1, storeRq(), source)))
        expect(error._tag).toBe("SourceFailed")
        expect(fatal).toEqual(["MessageInterrupted"])
        const end = yield* requestor.ended
        expect(end._tag === "Fatal" && end.error.reason).toBe("MessageInterrupted")
        const next = yield* Effect.flip(Stream.runCollect(requestor.request(1, echoRq())))
        expect(next._tag).toBe("SessionClosed")
      })
    )
  )
})

describe("Session · DIMSE timeout and C-CANCEL", () => {
  it.effect("no response within the DIMSE timeout fails with DimseTimeout naming the command", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { dimseTimeout: "10 seconds" })
        yield* Session.make(b.channel, { onRequest: () => Effect.never })
        const fiber = yield* Effect.forkChild(Effect.flip(Stream.runCollect(requestor.request(1, echoRq()))))
        yield* settle
        yield* TestClock.adjust("9 seconds")
        expect(fiber.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust("2 seconds")
        const error = yield* Fiber.join(fiber)
        assert(error._tag === "DimseTimeout")
        expect([error.command, error.service, error.messageId, error.millis]).toEqual(["CEchoRq", "C-ECHO", 1, 10_000])
      })
    )
  )

  it.effect("the DIMSE timer restarts with each pending response", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { dimseTimeout: "10 seconds" })
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.gen(function* () {
              for (let i = 0; i < 3; i++) {
                yield* Effect.sleep("8 seconds")
                yield* rq.respond(Command.responseTo(rq.command, Status.Code.Pending), bytes(4, i))
              }
              yield* Effect.sleep("8 seconds")
              yield* success(rq)
            })
        })
        const fiber = yield* Effect.forkChild(Stream.runCollect(requestor.request(1, findRq(), bytes(4, 0))))
        for (let i = 0; i < 4; i++) {
          yield* settle
          yield* TestClock.adjust("8 seconds")
        }
        const replies = yield* Fiber.join(fiber)
        expect(replies.map((r) => r.command.status)).toEqual([0xff00, 0xff00, 0xff00, 0])
      })
    )
  )

  it.effect("C-CANCEL-RQ: the requestor cancels, the performer's `cancelled` completes, the final status is Cancel", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.gen(function* () {
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Pending), bytes(4, 0))
              yield* rq.cancelled
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Cancel))
            })
        })
        const op = yield* requestor.start(1, findRq(), bytes(4, 0))
        const replies = yield* Effect.forkChild(Stream.runCollect(op.replies))
        yield* settle
        yield* op.cancel
        const all = yield* Fiber.join(replies)
        expect(all.map((r) => r.command.status)).toEqual([0xff00, 0xfe00])
        const cancel = messagesOn(a.sent).at(-1)?.command
        expect(cancel?._tag).toBe("CCancelRq")
        expect(cancel !== undefined && Command.messageIdOf(cancel)).toBe(op.messageId)
      })
    )
  )
})

describe("Session · abandoning an operation", () => {
  it.effect("a C-FIND whose stream is stopped early is cancelled (cancelAbandoned), and keeps its window slot until its final response", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 1, cancelAbandoned: true })
        const finishFind = yield* Deferred.make<void>()
        const started: Array<string> = []
        yield* Session.make(b.channel, {
          maxOperations: 0,
          onRequest: (rq) =>
            Effect.gen(function* () {
              started.push(rq.command._tag)
              if (rq.command._tag !== "CFindRq") return yield* success(rq)
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Pending), bytes(4, 0))
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Pending), bytes(4, 1))
              yield* rq.cancelled
              yield* Deferred.await(finishFind)
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Cancel))
            })
        })
        const first = yield* Stream.runCollect(Stream.take(requestor.request(1, findRq(), bytes(4, 0)), 1))
        expect(first.length).toBe(1)
        const echo = yield* Effect.forkChild(Stream.runCollect(requestor.request(1, echoRq())))
        yield* settle
        expect(messagesOn(a.sent).map((m) => m.command._tag)).toEqual(["CFindRq", "CCancelRq"])
        expect(started).toEqual(["CFindRq"])
        yield* Deferred.succeed(finishFind, undefined)
        const replies = yield* Fiber.join(echo)
        expect(replies.map((r) => [r.command.messageIdBeingRespondedTo, r.command.status])).toEqual([[2, 0]])
      })
    )
  )
})

describe("Session · handlers that fail (PS3.7 Annex C)", () => {
  it.effect("a failing handler is answered 0110H and the session goes on", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        let calls = 0
        yield* Session.make(b.channel, {
          onRequest: (rq) => (++calls === 1 ? Effect.fail("disk on fire") : success(rq))
        })
        const first = yield* Stream.runCollect(requestor.request(1, storeRq(), bytes(100, 0)))
        const second = yield* Stream.runCollect(requestor.request(1, echoRq()))
        expect([first[0]?.command.status, second[0]?.command.status]).toEqual([0x0110, 0])
      })
    )
  )

  it.effect("a handler that dies, or ends without a final response, is answered with failureStatus", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        let calls = 0
        yield* Session.make(b.channel, {
          failureStatus: (command) => (command._tag === "CStoreRq" ? 0xa700 : 0x0110),
          onRequest: () => (++calls === 1 ? Effect.die(new Error("bug")) : Effect.void)
        })
        const died = yield* Stream.runCollect(requestor.request(1, storeRq(), bytes(100, 0)))
        const silent = yield* Stream.runCollect(requestor.request(1, echoRq()))
        expect([died[0]?.command.status, silent[0]?.command.status]).toEqual([0xa700, 0x0110])
      })
    )
  )

  it.effect("a final response that cannot be encoded is sent again bare (failure status, no optional fields): never dropped", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, {
          failureStatus: (command) => (command._tag === "CStoreRq" ? 0xc000 : 0x0110),
          // Echoes a UID outside the UI repertoire: its command set cannot be encoded.
          onRequest: (rq) =>
            rq.command._tag === "CStoreRq"
              ? rq.respond(Command.responseTo(rq.command, Status.Code.Success, { affectedSopInstanceUid: "../outside" }))
              : success(rq)
        })
        const replies = yield* Stream.runCollect(requestor.request(1, storeRq(), bytes(100, 0)))
        expect(replies.length).toBe(1)
        const reply = replies[0]?.command
        expect(reply?._tag).toBe("CStoreRsp")
        expect(reply?.status).toBe(0xc000)
        expect(reply?.affectedSopClassUid).toBeUndefined()
        expect(reply !== undefined && "affectedSopInstanceUid" in reply ? reply.affectedSopInstanceUid : undefined).toBeUndefined()
        // The session goes on.
        expect((yield* Stream.runCollect(requestor.request(1, echoRq())))[0]?.command.status).toBe(0)
      })
    )
  )

  it.effect("a failure response that cannot be encoded keeps its own failure status, without the field that failed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, {
          // An Error Comment with a control character is outside the LO repertoire.
          onRequest: (rq) => rq.respond(Command.responseTo(rq.command, 0xa700, { errorComment: "disk\nfull" }))
        })
        const replies = yield* Stream.runCollect(requestor.request(1, storeRq(), bytes(100, 0)))
        expect(replies.map((r) => [r.command.status, r.command.errorComment])).toEqual([[0xa700, undefined]])
      })
    )
  )

  it.effect("without onRequest every request is answered 0211H (unrecognized operation)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel)
        const replies = yield* Stream.runCollect(requestor.request(1, storeRq(), bytes(10, 0)))
        expect(replies[0]?.command.status).toBe(0x0211)
      })
    )
  )
})

describe("Session · both roles on one association", () => {
  it.effect("a performer issues its own requests on the same association (C-GET with C-STORE sub-operations)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const stored: Array<number> = []
        const scu = yield* Session.make(a.channel, {
          onRequest: (rq) =>
            Effect.gen(function* () {
              const data = yield* Stream.runCollect(rq.dataset ?? Stream.empty)
              stored.push(concat(data).length)
              yield* success(rq)
            })
        })
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.gen(function* () {
              for (let i = 0; i < 2; i++) {
                const sub = yield* Stream.runCollect(rq.session.request(3, storeRq(`1.9.${i}`), bytes(1000 + i, i)))
                expect(sub[0]?.command.status).toBe(0)
                yield* rq.respond(Command.responseTo(rq.command as Command.CGetRq, Status.Code.Pending, { numberOfRemainingSuboperations: 1 - i }))
              }
              yield* rq.respond(Command.responseTo(rq.command as Command.CGetRq, Status.Code.Success, { numberOfCompletedSuboperations: 2 }))
            })
        })
        const get = Command.cGetRq({ messageId: 0, affectedSopClassUid: GetStudy, priority: 0 })
        const replies = yield* Stream.runCollect(scu.request(1, get, bytes(8, 0)))
        expect(replies.map((r) => r.command.status)).toEqual([0xff00, 0xff00, 0])
        expect(stored).toEqual([1000, 1001])
      })
    )
  )
})

describe("Session · the end of the association", () => {
  it.effect("a protocol error from the peer ends the session (Fatal ProtocolError), calls onFatal, fails outstanding requests", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const fatal: Array<string> = []
        const requestor = yield* Session.make(a.channel, { onFatal: (e) => Effect.sync(() => fatal.push(e.protocolError?._tag ?? "")) })
        yield* Session.make(b.channel, { onRequest: () => Effect.never })
        const pendingOp = yield* Effect.forkChild(Effect.flip(Stream.runCollect(requestor.request(1, echoRq()))))
        yield* settle
        // A data set PDV with no command before it (PS3.8 Annex E).
        yield* a.inject({ _tag: "PData", pdu: { _tag: "PDataTf", pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data: bytes(4, 0) }] } })
        const error = yield* Fiber.join(pendingOp)
        assert(error._tag === "SessionClosed")
        expect(error.reason).toBe("ProtocolError")
        expect(fatal).toEqual(["DimseProtocolError"])
      })
    )
  )

  it.effect("a command on a presentation context that was not accepted is a protocol error", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        const performer = yield* Session.make(b.channel, { isAcceptedContext: (id) => id === 1, onRequest: success })
        yield* Effect.forkChild(Effect.ignore(Stream.runCollect(requestor.request(3, echoRq()))))
        const end = yield* performer.ended
        assert(end._tag === "Fatal")
        expect(end.error.protocolError?._tag === "DimseProtocolError" && end.error.protocolError.reason).toBe("ContextNotAccepted")
      })
    )
  )

  it.effect("the channel failing (abort) fails outstanding requests with the channel's error and interrupts performers", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        const interrupted = yield* Deferred.make<void>()
        yield* Session.make(b.channel, { onRequest: () => Effect.onInterrupt(Effect.never, () => Deferred.succeed(interrupted, undefined)) })
        const op = yield* Effect.forkChild(Effect.flip(Stream.runCollect(requestor.request(1, echoRq()))))
        yield* settle
        yield* a.fail("peer aborted")
        yield* b.fail("peer aborted")
        const error = yield* Fiber.join(op)
        expect(error).toEqual(new Broken({ why: "peer aborted" }))
        yield* Deferred.await(interrupted)
        const end = yield* requestor.ended
        expect(end._tag).toBe("ChannelFailed")
      })
    )
  )

  it.effect("an aborted transfer fails the handler's data set stream", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ maxPduLength: 1024 })
        const requestor = yield* Session.make(a.channel)
        const seen = yield* Deferred.make<string>()
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Stream.runDrain(rq.dataset ?? Stream.empty).pipe(
              Effect.onExit((exit) => Deferred.succeed(seen, Exit.isFailure(exit) ? "failed" : "complete"))
            )
        })
        const never = Stream.concat(Stream.fromIterable(chunksOf(bytes(3000, 0), 1000)), Stream.never)
        yield* Effect.forkChild(Stream.runDrain(requestor.request(1, storeRq(), never)))
        yield* settle
        yield* b.fail("peer aborted")
        expect(yield* Deferred.await(seen)).toBe("failed")
      })
    )
  )

  it.effect("a clean end of the channel fails outstanding requests with SessionClosed (Ended)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, { onRequest: () => Effect.never })
        const op = yield* Effect.forkChild(Effect.flip(Stream.runCollect(requestor.request(1, echoRq()))))
        yield* settle
        yield* a.end
        const error = yield* Fiber.join(op)
        assert(error._tag === "SessionClosed")
        expect(error.reason).toBe("Ended")
        expect((yield* requestor.ended)._tag).toBe("Ended")
      })
    )
  )

  it.effect("ReleaseRequested: onReleaseRequested runs only once the operations in flight are done (PS3.8 §7.2)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        const finishHandler = yield* Deferred.make<void>()
        const released = yield* Deferred.make<void>()
        yield* Session.make(b.channel, {
          onRequest: (rq) => Effect.andThen(Deferred.await(finishHandler), success(rq)),
          onReleaseRequested: Deferred.succeed(released, undefined)
        })
        const op = yield* Effect.forkChild(Stream.runCollect(requestor.request(1, echoRq())))
        yield* settle
        yield* b.inject({ _tag: "ReleaseRequested" })
        yield* settle
        expect(yield* Deferred.isDone(released)).toBe(false)
        yield* Deferred.succeed(finishHandler, undefined)
        yield* Deferred.await(released)
        const replies = yield* Fiber.join(op)
        expect(replies[0]?.command.status).toBe(0)
      })
    )
  )

  it.effect("ReleaseRequested while an operation never finishes: past releaseTimeout the session ends (ReleaseTimeout) and calls onFatal, never onReleaseRequested", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        let released = false
        const fatal = yield* Deferred.make<Session.SessionEnd<Broken>>()
        const performer = yield* Session.make(b.channel, {
          onRequest: () => Effect.never,
          onReleaseRequested: Effect.sync(() => (released = true)),
          onFatal: () => Effect.void,
          releaseTimeout: "10 seconds"
        })
        yield* Effect.forkChild(Effect.ignore(Stream.runCollect(requestor.request(1, echoRq()))))
        yield* settle
        yield* b.inject({ _tag: "ReleaseRequested" })
        yield* settle
        yield* TestClock.adjust("9 seconds")
        yield* settle
        expect(yield* Deferred.isDone(fatal)).toBe(false)
        yield* Effect.forkChild(Effect.flatMap(performer.ended, (end) => Deferred.succeed(fatal, end)))
        yield* TestClock.adjust("1 second")
        const end = yield* Deferred.await(fatal)
        assert(end._tag === "Fatal")
        expect(end.error.reason).toBe("ReleaseTimeout")
        expect(released).toBe(false)
      })
    )
  )

  it.effect("settled completes once every request, abandoned ones included, has its final response", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { cancelAbandoned: true })
        let cancelAnswered = false
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.gen(function* () {
              // Pending matches until the C-CANCEL, then FE00H.
              yield* Effect.raceFirst(
                Effect.forever(Effect.andThen(rq.respond(Command.responseTo(rq.command, Status.Code.Pending), new Uint8Array(8)), Effect.yieldNow)),
                rq.cancelled
              )
              cancelAnswered = true
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Cancel))
            })
        })
        expect(yield* requestor.settled.pipe(Effect.timeoutOption("1 second"))).toMatchObject({ _tag: "Some" })
        const two = yield* Stream.runCollect(Stream.take(requestor.request(1, findRq(), new Uint8Array(8)), 2))
        expect(two.length).toBe(2)
        const settled = yield* Effect.forkChild(requestor.settled)
        yield* Fiber.join(settled)
        // The C-CANCEL went out and its FE00H came back before `settled` completed.
        expect(cancelAnswered).toBe(true)
      })
    )
  )
})

describe("Session · requestOne (single-response operations: C-ECHO, C-STORE, N-*)", () => {
  const nGetRq = () =>
    Command.nGetRq({ messageId: 0, requestedSopClassUid: "1.2.840.10008.5.1.1.40", requestedSopInstanceUid: "1.2.3", attributeIdentifierList: [] })

  it.effect("returns the final response, with message ids allocated like request (1, 2, 3 ..., the given id replaced)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        const seen: Array<number> = []
        yield* Session.make(b.channel, { onRequest: (rq) => Effect.andThen(Effect.sync(() => seen.push(rq.command.messageId)), success(rq)) })
        const first = yield* requestor.requestOne(1, { ...echoRq(), messageId: 777 })
        expect([first.command._tag, first.command.status, first.command.messageIdBeingRespondedTo, first.presentationContextId]).toEqual(["CEchoRsp", 0, 1, 1])
        const streamed = yield* Stream.runCollect(requestor.request(1, echoRq()))
        const third = yield* requestor.requestOne(1, echoRq())
        expect([streamed[0]?.command.messageIdBeingRespondedTo, third.command.messageIdBeingRespondedTo]).toEqual([2, 3])
        expect(seen).toEqual([1, 2, 3])
        expect(yield* requestor.outstanding).toBe(0)
      })
    )
  )

  it.effect("a C-STORE sends its data set; the handler gets the same bytes, the data set of the response arrives collected", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ maxPduLength: 1024 })
        const requestor = yield* Session.make(a.channel)
        const data = bytes(5000, 3)
        let received: Uint8Array | undefined
        yield* Session.make(b.channel, {
          onRequest: (rq) =>
            Effect.gen(function* () {
              if (rq.dataset !== undefined) received = concat(yield* Stream.runCollect(rq.dataset))
              yield* rq.respond(Command.responseTo(rq.command, Status.Code.Success), rq.command._tag === "NGetRq" ? bytes(3000, 9) : undefined)
            })
        })
        const stored = yield* requestor.requestOne(1, storeRq(), data)
        expect(stored.command.status).toBe(0)
        expect(received).toEqual(data)
        const got = yield* requestor.requestOne(1, nGetRq())
        expect(got.dataset).toEqual(bytes(3000, 9))
      })
    )
  )

  it.effect("skips a pending response and returns the final one", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, {
          onRequest: (rq) => Effect.andThen(rq.respond(Command.responseTo(rq.command, Status.Code.Pending)), rq.respond(Command.responseTo(rq.command, 0xb000)))
        })
        const reply = yield* requestor.requestOne(1, storeRq(), bytes(10, 0))
        expect(reply.command.status).toBe(0xb000)
      })
    )
  )

  it.effect("honours the DIMSE timeout: no response in time fails with DimseTimeout naming the command", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { dimseTimeout: "10 seconds" })
        yield* Session.make(b.channel, { onRequest: () => Effect.never })
        const fiber = yield* Effect.forkChild(Effect.flip(requestor.requestOne(1, echoRq())))
        yield* settle
        yield* TestClock.adjust("9 seconds")
        expect(fiber.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust("2 seconds")
        const error = yield* Fiber.join(fiber)
        assert(error._tag === "DimseTimeout")
        expect([error.command, error.service, error.messageId, error.millis]).toEqual(["CEchoRq", "C-ECHO", 1, 10_000])
        // Timed out after it was sent: abandoned, not outstanding, its id still reserved.
        expect(yield* requestor.outstanding).toBe(0)
        const settled = yield* Effect.forkChild(requestor.settled)
        yield* settle
        expect(settled.pollUnsafe()).toBeUndefined()
      })
    )
  )

  it.effect("a C-ECHO abandoned by interruption keeps its message id reserved and drops the late response", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        // Ids 65535, then 1 (0 is never used): the abandoned 65535 must not be reused by the requests that follow.
        const requestor = yield* Session.make(a.channel, { firstMessageId: 65535, maxOutstanding: 0 })
        const late = yield* Deferred.make<void>()
        yield* Session.make(b.channel, {
          maxOperations: 0,
          onRequest: (rq) => (rq.command.messageId === 65535 ? Effect.andThen(Deferred.await(late), success(rq)) : success(rq))
        })
        const abandoned = yield* Effect.forkChild(requestor.requestOne(1, echoRq()))
        yield* settle
        yield* Fiber.interrupt(abandoned)
        expect(yield* requestor.outstanding).toBe(0)
        const settled = yield* Effect.forkChild(requestor.settled)
        yield* settle
        expect(settled.pollUnsafe()).toBeUndefined()
        // The allocator wraps 65535 -> 1 ... and would come back to 65535 only past every id: reserved meanwhile.
        const next = yield* requestor.requestOne(1, echoRq())
        expect(next.command.messageIdBeingRespondedTo).toBe(1)
        yield* Deferred.succeed(late, undefined)
        yield* Fiber.join(settled)
        // The late C-ECHO-RSP for 65535 was dropped: the next request gets its own response.
        const after = yield* requestor.requestOne(1, echoRq())
        expect(after.command.messageIdBeingRespondedTo).toBe(2)
        expect(messagesOn(a.sent).map((m) => Command.messageIdOf(m.command))).toEqual([65535, 1, 2])
      })
    )
  )

  it.effect("interrupted while waiting for the window: nothing is sent and no id is reserved", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 1 })
        const release = yield* Deferred.make<void>()
        yield* Session.make(b.channel, { maxOperations: 0, onRequest: (rq) => Effect.andThen(Deferred.await(release), success(rq)) })
        const first = yield* Effect.forkChild(requestor.requestOne(1, echoRq()))
        const waiting = yield* Effect.forkChild(requestor.requestOne(1, echoRq()))
        yield* settle
        yield* Fiber.interrupt(waiting)
        yield* Deferred.succeed(release, undefined)
        expect((yield* Fiber.join(first)).command.messageIdBeingRespondedTo).toBe(1)
        expect(messagesOn(a.sent).length).toBe(1)
        yield* requestor.settled
        expect((yield* requestor.requestOne(1, echoRq())).command.messageIdBeingRespondedTo).toBe(2)
      })
    )
  )

  it.effect("a window of 1 serialises two requestOne calls: the second is sent only after the first's final response", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxOutstanding: 1 })
        const release = yield* Deferred.make<void>()
        yield* Session.make(b.channel, { maxOperations: 0, onRequest: (rq) => Effect.andThen(Deferred.await(release), success(rq)) })
        const first = yield* Effect.forkChild(requestor.requestOne(1, echoRq()))
        const second = yield* Effect.forkChild(requestor.requestOne(1, echoRq()))
        yield* settle
        expect(messagesOn(a.sent).length).toBe(1)
        expect(yield* requestor.outstanding).toBe(1)
        yield* Deferred.succeed(release, undefined)
        const replies = [yield* Fiber.join(first), yield* Fiber.join(second)]
        expect(replies.map((r) => r.command.messageIdBeingRespondedTo)).toEqual([1, 2])
        expect(messagesOn(a.sent).length).toBe(2)
      })
    )
  )

  it.effect("a response data set larger than maxReplyDatasetLength fails it with DatasetTooLarge; the session goes on", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel, { maxReplyDatasetLength: 100 })
        yield* Session.make(b.channel, {
          onRequest: (rq) => rq.respond(Command.responseTo(rq.command, Status.Code.Success), rq.command._tag === "NGetRq" ? bytes(101, 0) : undefined)
        })
        const error = yield* Effect.flip(requestor.requestOne(1, nGetRq()))
        expect(error._tag).toBe("DatasetTooLarge")
        expect((yield* requestor.requestOne(1, echoRq())).command.status).toBe(0)
      })
    )
  )

  it.effect("an abort of the channel fails it with the channel's error, and every later one too", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire()
        const requestor = yield* Session.make(a.channel)
        yield* Session.make(b.channel, { onRequest: () => Effect.never })
        const op = yield* Effect.forkChild(Effect.flip(requestor.requestOne(1, echoRq())))
        yield* settle
        yield* a.fail("cable cut")
        const error = yield* Fiber.join(op)
        assert(error._tag === "Broken")
        expect(error.why).toBe("cable cut")
        const after = yield* Effect.flip(requestor.requestOne(1, echoRq()))
        expect(after).toBe(error)
      })
    )
  )
})

for (const via of ["takeBatch", "attach"] as const)
describe(
  via === "takeBatch"
    ? "Session · a batched channel (takeBatch: everything received at once, one wake-up of the reader)"
    : "Session · an attached channel (attach: routed on the channel's own reader, no reader fiber hop)",
  () => {
  /** A C-ECHO-RQ as the PDU a peer would send. */
  const echoPdu = (messageId: number): Session.ChannelIncoming => {
    const pdus = Fragmenter.message({ presentationContextId: 1, maxPduLength: 16384 }, { ...echoRq(), messageId })
    if (Result.isFailure(pdus) || pdus.success[0] === undefined) throw new Error("cannot encode")
    return { _tag: "PData", pdu: pdus.success[0] }
  }

  it.effect("reads takeBatch or attach instead of incoming: requests and responses route as with incoming", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ batched: via === "takeBatch", attached: via === "attach", maxPduLength: 1024 })
        const requestor = yield* Session.make(a.channel)
        const received: Array<Uint8Array> = []
        yield* Session.make(b.channel, {
          onRequest: (rq) => Effect.andThen(Stream.runForEach(rq.dataset ?? Stream.empty, (c) => Effect.sync(() => received.push(c))), success(rq))
        })
        expect((yield* requestor.requestOne(1, echoRq())).command.status).toBe(0)
        const streamed = yield* Stream.runCollect(requestor.request(1, echoRq()))
        expect(streamed.map((r) => r.command.messageIdBeingRespondedTo)).toEqual([2])
        const data = bytes(10_000, 1)
        expect((yield* requestor.requestOne(1, storeRq(), data)).command.status).toBe(0)
        expect(concat(received)).toEqual(data)
        expect(a.batches.length).toBeGreaterThan(0)
        expect(b.batches.length).toBeGreaterThan(0)
      })
    )
  )

  it.effect("a batch of several requests and a release request: every request is answered before onReleaseRequested (PS3.8 §7.2)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ batched: via === "takeBatch", attached: via === "attach" })
        const order: Array<string> = []
        // Queued before the session starts: its first batch holds all of them.
        for (const id of [1, 2, 3]) yield* b.inject(echoPdu(id))
        yield* b.inject({ _tag: "ReleaseRequested" })
        yield* Session.make(b.channel, {
          onRequest: (rq) => Effect.andThen(Effect.sync(() => order.push(`echo ${rq.command.messageId}`)), success(rq)),
          onReleaseRequested: Effect.sync(() => order.push("release"))
        })
        yield* settle
        expect(b.batches[0]).toBe(4)
        expect(order).toEqual(["echo 1", "echo 2", "echo 3", "release"])
        expect(messagesOn(b.sent).map((m) => [m.command._tag, Command.messageIdOf(m.command)])).toEqual([
          ["CEchoRsp", 1],
          ["CEchoRsp", 2],
          ["CEchoRsp", 3]
        ])
        expect(a.sent.length).toBe(0)
      })
    )
  )

  it.effect("backpressure: while the handler does not read, the sender stops after a bounded number of PDUs", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ batched: via === "takeBatch", attached: via === "attach", maxPduLength: 1024, capacity: 2 })
        const requestor = yield* Session.make(a.channel)
        const go = yield* Deferred.make<void>()
        let got = 0
        yield* Session.make(b.channel, {
          datasetQueueCapacity: 2,
          onRequest: (rq) =>
            Effect.gen(function* () {
              yield* Deferred.await(go)
              yield* Stream.runForEach(rq.dataset ?? Stream.empty, (c) => Effect.sync(() => (got += c.length)))
              yield* success(rq)
            })
        })
        const data = bytes(1_000_000, 9)
        const store = yield* Effect.forkChild(requestor.requestOne(1, storeRq(), Stream.fromIterable(chunksOf(data, 1000))))
        yield* settle
        expect(a.sent.length).toBeLessThan(10)
        yield* Deferred.succeed(go, undefined)
        expect((yield* Fiber.join(store)).command.status).toBe(0)
        expect(got).toBe(data.length)
      })
    )
  )

  it.effect("a protocol error inside a batch stops reading: what follows it in the batch is not performed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { b } = yield* wire({ batched: via === "takeBatch", attached: via === "attach" })
        const performed: Array<number> = []
        yield* b.inject(echoPdu(1))
        // A data set PDV with no command before it (PS3.8 Annex E), then another request.
        yield* b.inject({ _tag: "PData", pdu: { _tag: "PDataTf", pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data: bytes(4, 0) }] } })
        yield* b.inject(echoPdu(2))
        const performer = yield* Session.make(b.channel, {
          maxOperations: 0,
          onRequest: (rq) => Effect.andThen(Effect.sync(() => performed.push(rq.command.messageId)), success(rq))
        })
        const end = yield* performer.ended
        assert(end._tag === "Fatal")
        expect(end.error.reason).toBe("ProtocolError")
        expect(performed).toEqual([1])
      })
    )
  )

  it.effect("an empty batch (the channel ended) fails outstanding requests with SessionClosed (Ended); a failing takeBatch with its error", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ batched: via === "takeBatch", attached: via === "attach" })
        const requestor = yield* Session.make(a.channel)
        const performer = yield* Session.make(b.channel, { onRequest: () => Effect.never })
        const op = yield* Effect.forkChild(Effect.flip(requestor.requestOne(1, echoRq())))
        yield* settle
        yield* a.end
        const error = yield* Fiber.join(op)
        assert(error._tag === "SessionClosed")
        expect(error.reason).toBe("Ended")
        expect((yield* requestor.ended)._tag).toBe("Ended")
        yield* b.fail("peer aborted")
        const end = yield* performer.ended
        assert(end._tag === "ChannelFailed")
        expect(end.error).toEqual(new Broken({ why: "peer aborted" }))
      })
    )
  )
})

describe("Session · an attached channel: the end while a delivery waits", () => {
  it.effect("a channel failure while the delivery waits for a full data set queue ends the session at once; the handler's data set fails with it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ attached: true, maxPduLength: 1024, capacity: 64 })
        const requestor = yield* Session.make(a.channel)
        const go = yield* Deferred.make<void>()
        const seen = yield* Deferred.make<unknown>()
        const performer = yield* Session.make(b.channel, {
          datasetQueueCapacity: 1,
          onRequest: (rq) =>
            Effect.gen(function* () {
              yield* Deferred.await(go)
              const drained = yield* Effect.flip(Stream.runDrain(rq.dataset ?? Stream.empty))
              yield* Deferred.succeed(seen, drained)
            })
        })
        yield* Effect.forkChild(Effect.ignore(requestor.requestOne(1, storeRq(), bytes(20_000, 3))))
        yield* settle
        // The delivery waits (data set queue full, handler not reading): the performer has not ended.
        expect(yield* performer.outstanding).toBe(0)
        yield* b.fail("peer aborted")
        const end = yield* performer.ended
        assert(end._tag === "ChannelFailed")
        expect(end.error).toEqual(new Broken({ why: "peer aborted" }))
        yield* Deferred.succeed(go, undefined)
        expect(yield* Deferred.await(seen)).toEqual(new Broken({ why: "peer aborted" }))
      })
    )
  )

  it.effect("requests queued before the session attached are routed first, in order, then the ones delivered directly", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { a, b } = yield* wire({ attached: true })
        const order: Array<number> = []
        const echo = (messageId: number): Session.ChannelIncoming => {
          const pdus = Fragmenter.message({ presentationContextId: 1, maxPduLength: 16384 }, { ...echoRq(), messageId })
          if (Result.isFailure(pdus) || pdus.success[0] === undefined) throw new Error("cannot encode")
          return { _tag: "PData", pdu: pdus.success[0] }
        }
        yield* b.inject(echo(1))
        yield* b.inject(echo(2))
        yield* Session.make(b.channel, {
          maxOperations: 0,
          onRequest: (rq) => Effect.andThen(Effect.sync(() => order.push(rq.command.messageId)), success(rq))
        })
        yield* b.inject(echo(3))
        yield* settle
        expect(order).toEqual([1, 2, 3])
        expect(messagesOn(b.sent).map((m) => Command.messageIdOf(m.command))).toEqual([1, 2, 3])
        expect(a.sent.length).toBe(0)
      })
    )
  )
})

describe("Session · data set queues made ahead", () => {
  for (const via of ["takeBatch", "attach"] as const)
    it.effect(`every incoming C-STORE gets a data set of its own, in sequence and several at once (${via})`, () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { a, b } = yield* wire({ batched: via === "takeBatch", attached: via === "attach", maxPduLength: 1024 })
          const requestor = yield* Session.make(a.channel, { maxOutstanding: 0 })
          const received = new Map<string, Uint8Array>()
          yield* Session.make(b.channel, {
            maxOperations: 0,
            datasetQueueCapacity: 2,
            onRequest: (rq) =>
              Effect.gen(function* () {
                const chunks: Array<Uint8Array> = []
                yield* Stream.runForEach(rq.dataset ?? Stream.empty, (c) => Effect.sync(() => chunks.push(c)))
                if (rq.command._tag === "CStoreRq") received.set(rq.command.affectedSopInstanceUid, concat(chunks))
                yield* success(rq)
              })
          })
          const data = (i: number) => bytes(3_000 + i * 500, i)
          for (let i = 0; i < 5; i++) yield* requestor.requestOne(1, storeRq(`1.2.3.${i}`), data(i))
          const together = yield* Effect.forEach([5, 6, 7, 8], (i) => requestor.requestOne(1, storeRq(`1.2.3.${i}`), data(i)), { concurrency: "unbounded" })
          expect(together.map((r) => r.command.status)).toEqual([0, 0, 0, 0])
          for (let i = 0; i < 9; i++) expect(received.get(`1.2.3.${i}`)).toEqual(data(i))
        })
      )
    )
})

describe("Session · a fatal end whose onFatal does not finish", () => {
  it.effect("closing the session's scope while onFatal still runs still fails the outstanding requests and tells `ended`", () =>
    Effect.gen(function* () {
      const { a } = yield* wire({ attached: true })
      const scope = yield* Scope.make()
      const requestor = yield* Session.make(a.channel, { onFatal: () => Effect.never }).pipe(Scope.provide(scope))
      const op = yield* Effect.forkChild(Effect.flip(requestor.requestOne(1, echoRq())))
      yield* settle
      // A data set PDV with no command before it: a protocol error, the session ends Fatal and runs onFatal.
      yield* a.inject({ _tag: "PData", pdu: { _tag: "PDataTf", pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data: bytes(4, 0) }] } })
      yield* settle
      expect(op.pollUnsafe()).toBeUndefined()
      yield* Scope.close(scope, Exit.void)
      const error = yield* Fiber.join(op)
      assert(error._tag === "SessionClosed")
      expect(error.reason).toBe("ProtocolError")
      expect((yield* requestor.ended)._tag).toBe("Fatal")
    }))
})
