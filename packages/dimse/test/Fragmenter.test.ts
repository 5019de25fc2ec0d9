import { describe, expect, it } from "@effect/vitest"
import { Command, CommandSet, Fragmenter } from "@dicomnet/dimse"
import type { PDataTf } from "@dicomnet/pdu"
import { Effect, Stream } from "effect"
import { err, ok, prng } from "./helpers.js"

const command = ok(
  CommandSet.encode(
    Command.cStoreRq({ messageId: 2, affectedSopClassUid: "1.2.840.10008.5.1.4.1.1.7", affectedSopInstanceUid: "1.2.3", priority: 0 })
  )
)

// PS3.8 §9.3.5: the variable field of a P-DATA-TF is its PDV items, each 4 (length) + 1 (context) + 1 (header) + fragment.
const variableFieldLength = (pdu: PDataTf): number => pdu.pdvs.reduce((n, p) => n + 6 + p.data.byteLength, 0)

const checkShape = (pdus: ReadonlyArray<PDataTf>, maxPduLength: number, dataLength: number) => {
  const pdvs = pdus.flatMap((p) => p.pdvs)
  expect(pdus.every((p) => p.pdvs.length > 0)).toBe(true)
  expect(pdus.reduce((m, p) => Math.max(m, variableFieldLength(p)), 0)).toBeLessThanOrEqual(maxPduLength === 0 ? Fragmenter.unlimitedCap + 6 : maxPduLength)
  const commandPdvs = pdvs.filter((p) => p.isCommand)
  const dataPdvs = pdvs.filter((p) => !p.isCommand)
  // Command first, then data; exactly one last fragment each, at the end of its run.
  expect(pdvs.slice(0, commandPdvs.length).every((p) => p.isCommand)).toBe(true)
  expect(commandPdvs.map((p) => p.isLast)).toEqual(commandPdvs.map((_, i) => i === commandPdvs.length - 1))
  expect(dataPdvs.map((p) => p.isLast)).toEqual(dataPdvs.map((_, i) => i === dataPdvs.length - 1))
  expect(commandPdvs.reduce((n, p) => n + p.data.byteLength, 0)).toBe(command.byteLength)
  expect(dataPdvs.reduce((n, p) => n + p.data.byteLength, 0)).toBe(dataLength)
  return { commandPdvs, dataPdvs }
}

describe("PS3.8 §9.3.5 + Annex E · fragmenting a message into P-DATA-TF PDUs", () => {
  it("each PDV holds at most maxPduLength - 6 bytes and each PDU's PDV items fit maxPduLength", () => {
    for (const max of [7, 100, 4096, 16384, 65536]) {
      const data = new Uint8Array(max < 100 ? 3000 : 100_000)
      const pdus = Fragmenter.fragment({ presentationContextId: 1, maxPduLength: max }, command, data)
      const { dataPdvs } = checkShape(pdus, max, data.byteLength)
      expect(dataPdvs.reduce((m, p) => Math.max(m, p.data.byteLength), 0)).toBeLessThanOrEqual(max - 6)
    }
  })

  it("payloads are views of the input, never copies", () => {
    const data = new Uint8Array(50_000)
    const pdus = Fragmenter.fragment({ presentationContextId: 1, maxPduLength: 16384 }, command, data)
    for (const p of pdus.flatMap((x) => x.pdvs)) expect(p.data.buffer).toBe(p.isCommand ? command.buffer : data.buffer)
  })

  it("a data set that fits is sent whole: one data PDV holding the very input", () => {
    const data = new Uint8Array(1000)
    const pdus = Fragmenter.fragment({ presentationContextId: 1, maxPduLength: 16384 }, command, data)
    expect(pdus).toHaveLength(1) // command and data packed into one PDU
    expect(pdus[0]?.pdvs[1]?.data).toBe(data)
  })

  it("separateCommand keeps data set PDVs out of the command's PDU", () => {
    const data = new Uint8Array(1000)
    const pdus = Fragmenter.fragment({ presentationContextId: 1, maxPduLength: 16384, separateCommand: true }, command, data)
    expect(pdus.map((p) => p.pdvs.map((v) => v.isCommand))).toEqual([[true], [false]])
  })

  it("maxPduLength 0 (unlimited) is capped at 1 MiB per fragment", () => {
    expect(Fragmenter.maxFragmentLength(0)).toBe(1024 * 1024)
    const data = new Uint8Array(3 * 1024 * 1024)
    const pdus = Fragmenter.fragment({ presentationContextId: 1, maxPduLength: 0 }, command, data)
    checkShape(pdus, 0, data.byteLength)
    expect(pdus.length).toBeGreaterThanOrEqual(3)
  })

  it("a message without data set is only command PDVs; an empty data set is one empty last data PDV", () => {
    const none = Fragmenter.fragment({ presentationContextId: 3, maxPduLength: 16384 }, command)
    expect(none.flatMap((p) => p.pdvs).every((p) => p.isCommand && p.presentationContextId === 3)).toBe(true)
    const empty = Fragmenter.fragment({ presentationContextId: 3, maxPduLength: 16384 }, command, [])
    const last = empty.flatMap((p) => p.pdvs).at(-1)
    expect(last).toMatchObject({ isCommand: false, isLast: true })
    expect(last?.data.byteLength).toBe(0)
  })

  it("random chunkings and PDU sizes keep every invariant (500 cases)", () => {
    const random = prng(7)
    for (let run = 0; run < 500; run++) {
      const size = Math.floor(random() * 40_000)
      const data = new Uint8Array(size)
      const chunks: Array<Uint8Array> = []
      for (let o = 0; o < size; ) {
        const n = Math.min(size - o, Math.floor(random() * 9000))
        chunks.push(data.subarray(o, o + n))
        o += n
      }
      const max = 7 + Math.floor(random() * 20_000)
      checkShape(Fragmenter.fragment({ presentationContextId: 1, maxPduLength: max }, command, chunks), max, size)
    }
  })

  it("message() encodes the command and checks that hasDataset matches the data set", () => {
    const options = { presentationContextId: 1, maxPduLength: 16384 }
    const rq = Command.cStoreRq({ messageId: 2, affectedSopClassUid: "1.2", affectedSopInstanceUid: "1.3", priority: 0 })
    expect(ok(Fragmenter.message(options, rq, new Uint8Array(10))).flatMap((p) => p.pdvs)).toHaveLength(2)
    expect(err(Fragmenter.message(options, rq)).reason).toContain("announces a data set but none is given")
    const echo = Command.cEchoRq({ messageId: 1, affectedSopClassUid: "1.2.840.10008.1.1" })
    expect(err(Fragmenter.message(options, echo, new Uint8Array(2))).reason).toContain("announces no data set")
    expect(err(Fragmenter.message(options, { ...echo, messageId: -1 })).tag).toBe(0x00000110)
  })
})

describe("Fragmenter.stream · a data set Stream into P-DATA-TF PDUs", () => {
  it.effect("yields the same PDVs as the pure function, for random chunkings", () =>
    Effect.gen(function* () {
      const random = prng(11)
      for (let run = 0; run < 50; run++) {
        const size = Math.floor(random() * 100_000)
        const data = new Uint8Array(size)
        const chunks: Array<Uint8Array> = []
        for (let o = 0; o < size; ) {
          const n = Math.min(size - o, Math.floor(random() * 30_000))
          chunks.push(data.subarray(o, o + n))
          o += n
        }
        const options = { presentationContextId: 5, maxPduLength: [4096, 16384, 0][run % 3] as number }
        const streamed = yield* Stream.runCollect(Fragmenter.stream(options, command, Stream.fromIterable(chunks)))
        const pure = Fragmenter.fragment(options, command, chunks)
        const shape = (pdus: ReadonlyArray<PDataTf>) =>
          pdus.map((p) => p.pdvs.map((v) => [v.isCommand, v.isLast, v.data.byteOffset, v.data.byteLength]))
        expect(shape(streamed)).toEqual(shape(pure))
        checkShape(streamed, options.maxPduLength, size)
      }
    })
  )

  it.effect("an empty stream still ends the data set with an empty last fragment; no stream means no data PDVs", () =>
    Effect.gen(function* () {
      const options = { presentationContextId: 1, maxPduLength: 16384 }
      const empty = (yield* Stream.runCollect(Fragmenter.stream(options, command, Stream.empty))).flatMap((p) => p.pdvs)
      expect(empty.at(-1)).toMatchObject({ isCommand: false, isLast: true })
      const none = (yield* Stream.runCollect(Fragmenter.stream(options, command, undefined))).flatMap((p) => p.pdvs)
      expect(none.every((p) => p.isCommand)).toBe(true)
    })
  )

  it.effect("pulls the data set lazily: the first PDUs are out before the source ends", () =>
    Effect.gen(function* () {
      const pulled: Array<number> = []
      const source = Stream.fromIterable([0, 1, 2, 3]).pipe(
        Stream.rechunk(1),
        Stream.map((i) => {
          pulled.push(i)
          return new Uint8Array(20_000)
        })
      )
      const options = { presentationContextId: 1, maxPduLength: 16384 }
      const first = yield* Stream.runHead(Fragmenter.stream(options, command, source))
      expect(first._tag).toBe("Some")
      expect(pulled.length).toBeLessThan(4)
    })
  )

  it.effect("streamMessage fails with DimseEncodeError on a hasDataset mismatch", () =>
    Effect.gen(function* () {
      const echo = Command.cEchoRq({ messageId: 1, affectedSopClassUid: "1.2.840.10008.1.1" })
      const e = yield* Stream.runCollect(
        Fragmenter.streamMessage({ presentationContextId: 1, maxPduLength: 0 }, echo, Stream.make(new Uint8Array(2)))
      ).pipe(Effect.flip)
      expect(e._tag).toBe("DimseEncodeError")
    })
  )
})
