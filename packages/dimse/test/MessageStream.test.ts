import { describe, expect, it } from "@effect/vitest"
import { Command, CommandSet, Fragmenter, MessageStream } from "@dicomnet/dimse"
import type { Pdv } from "@dicomnet/pdu"
import { Effect, Exit, Stream } from "effect"
import { ok } from "./helpers.js"

const options = { presentationContextId: 1, maxPduLength: 1024 }
const echo = Command.cEchoRq({ messageId: 1, affectedSopClassUid: "1.2.840.10008.1.1" })
const store = (messageId: number) =>
  Command.cStoreRq({ messageId, affectedSopClassUid: "1.2.840.10008.5.1.4.1.1.7", affectedSopInstanceUid: "1.2.3", priority: 0 })
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff)

const pdvsOf = (...messages: ReadonlyArray<readonly [Command.DimseCommand, Uint8Array?]>): Array<Pdv> =>
  messages.flatMap(([c, d]) => ok(Fragmenter.message(options, c, d)).flatMap((p) => p.pdvs))

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.byteLength
  }
  return out
}

describe("MessageStream.events · the assembler over a Stream of PDVs", () => {
  it.effect("emits Command / Data... / MessageComplete per message", () =>
    Effect.gen(function* () {
      const events = yield* Stream.runCollect(MessageStream.events(Stream.fromIterable(pdvsOf([echo], [store(2), bytes(3000, 1)]))))
      const tags = events.map((e) => e._tag)
      expect(tags.slice(0, 3)).toEqual(["Command", "MessageComplete", "Command"])
      expect(tags.at(-1)).toBe("MessageComplete")
      // 3000 bytes: 902 in the command's PDU (1024 - 6 - 110 - 6), then 1018 + 1018 + 62.
      expect(tags.filter((t) => t === "Data").length).toBe(4)
    })
  )

  it.effect("fails with the protocol error, and with IncompleteMessage when the PDVs stop mid-message", () =>
    Effect.gen(function* () {
      const bad: Pdv = { presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(1) }
      const e1 = yield* Stream.runDrain(MessageStream.events(Stream.make(bad))).pipe(Effect.flip)
      expect(e1).toMatchObject({ _tag: "DimseProtocolError", reason: "DataBeforeCommand" })
      const truncated = pdvsOf([store(2), bytes(3000, 1)]).slice(0, -1)
      const e2 = yield* Stream.runDrain(MessageStream.events(Stream.fromIterable(truncated))).pipe(Effect.flip)
      expect(e2).toMatchObject({ reason: "IncompleteMessage" })
    })
  )

  it.effect("accepts P-DATA-TF PDUs through MessageStream.pdvs", () =>
    Effect.gen(function* () {
      const pdus = ok(Fragmenter.message(options, store(4), bytes(5000, 3)))
      const events = yield* Stream.runCollect(MessageStream.events(MessageStream.pdvs(Stream.fromIterable(pdus))))
      expect(events.at(-1)).toMatchObject({ _tag: "MessageComplete", command: { messageId: 4 } })
    })
  )
})

describe("MessageStream.collect · a whole data set, bounded", () => {
  it.effect("concatenates fragments in order, and returns a lone fragment without copying", () =>
    Effect.gen(function* () {
      const data = bytes(5000, 4)
      expect(yield* MessageStream.collect(Stream.fromIterable([data.subarray(0, 10), data.subarray(10, 10), data.subarray(10)]), 5000)).toEqual(data)
      expect(yield* MessageStream.collect(Stream.make(data), 5000)).toBe(data)
      expect((yield* MessageStream.collect(Stream.empty, 10)).byteLength).toBe(0)
    })
  )

  it.effect("fails with DatasetTooLarge once more than maxLength bytes arrive, without reading further", () =>
    Effect.gen(function* () {
      let pulled = 0
      const source = Stream.fromIterable([1, 2, 3, 4]).pipe(
        Stream.rechunk(1),
        Stream.map(() => {
          pulled++
          return new Uint8Array(1000)
        })
      )
      const e = yield* MessageStream.collect(source, 1500).pipe(Effect.flip)
      expect(e).toMatchObject({ _tag: "DatasetTooLarge", length: 2000, maxLength: 1500 })
      expect(pulled).toBe(2)
    })
  )
})

describe("MessageStream.messages · one element per message, its data set as a nested Stream", () => {
  it.effect("yields each message with its data set fragments in order", () =>
    Effect.gen(function* () {
      const d2 = bytes(5000, 2)
      const d3 = bytes(10, 3)
      const input = Stream.fromIterable(pdvsOf([echo], [store(2), d2], [store(3), d3], [echo])).pipe(Stream.rechunk(3))
      const seen: Array<string> = []
      yield* Stream.runForEach(MessageStream.messages(input), (m) =>
        Effect.gen(function* () {
          if (m.dataset === undefined) {
            seen.push(`${m.command._tag}:-`)
            return
          }
          const data = concat(yield* Stream.runCollect(m.dataset))
          seen.push(`${m.command._tag}:${data.byteLength}`)
          expect(data).toEqual(m.command._tag === "CStoreRq" && m.command.messageId === 2 ? d2 : d3)
        })
      )
      expect(seen).toEqual(["CEchoRq:-", "CStoreRq:5000", "CStoreRq:10", "CEchoRq:-"])
    })
  )

  it.effect("pulling the next message discards the unread rest of a data set", () =>
    Effect.gen(function* () {
      const input = Stream.fromIterable(pdvsOf([store(2), bytes(20_000, 1)], [echo])).pipe(Stream.rechunk(1))
      const messages = yield* Stream.runCollect(MessageStream.messages(input))
      expect(messages.map((m) => m.command._tag)).toEqual(["CStoreRq", "CEchoRq"])
    })
  )

  it.effect("reading a data set after its message was passed is a defect, not silent truncation", () =>
    Effect.gen(function* () {
      const input = Stream.fromIterable(pdvsOf([store(2), bytes(3000, 1)], [echo]))
      const messages = yield* Stream.runCollect(MessageStream.messages(input))
      const stale = messages[0]?.dataset
      expect(stale).toBeDefined()
      if (stale === undefined) return
      const exit = yield* Effect.exit(Stream.runDrain(stale))
      expect(Exit.hasDies(exit)).toBe(true)
    })
  )

  it.effect("a protocol error inside a data set fails the data set stream and the message stream", () =>
    Effect.gen(function* () {
      const pdvs = pdvsOf([store(2), bytes(3000, 1)])
      const broken = [...pdvs.slice(0, 2), { ...(pdvs[2] as Pdv), presentationContextId: 3 }]
      const datasetErrors: Array<string> = []
      const e = yield* Stream.runForEach(MessageStream.messages(Stream.fromIterable(broken)), (m) =>
        m.dataset === undefined
          ? Effect.void
          : Stream.runDrain(m.dataset).pipe(
              Effect.tapError((err) => Effect.sync(() => datasetErrors.push(err._tag))),
              Effect.ignore
            )
      ).pipe(Effect.flip)
      expect(datasetErrors).toEqual(["DimseProtocolError"])
      expect(e).toMatchObject({ _tag: "DimseProtocolError", reason: "ContextIdMismatch" })
    })
  )

  it.effect("round trip with the streaming fragmenter: a data set Stream in, the same bytes out", () =>
    Effect.gen(function* () {
      const data = bytes(300_000, 9)
      const chunks = [data.subarray(0, 100_000), data.subarray(100_000, 100_001), data.subarray(100_001)]
      const pdus = Fragmenter.stream({ presentationContextId: 7, maxPduLength: 16384 }, ok(CommandSet.encode(store(9))), Stream.fromIterable(chunks))
      const [message] = yield* Stream.runCollect(Stream.take(MessageStream.messages(MessageStream.pdvs(pdus)), 1))
      expect(message?.presentationContextId).toBe(7)
      const dataset = message?.dataset
      if (dataset === undefined) return expect.unreachable()
      expect(concat(yield* Stream.runCollect(dataset))).toEqual(data)
    })
  )
})
