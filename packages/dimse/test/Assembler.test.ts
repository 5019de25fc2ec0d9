import { describe, expect, it } from "@effect/vitest"
import { Assembler, Command, CommandSet, Fragmenter } from "@dicomnet/dimse"
import type { Pdv } from "@dicomnet/pdu"
import { Result } from "effect"
import { err, ok, prng } from "./helpers.js"

const pdv = (presentationContextId: number, isCommand: boolean, isLast: boolean, data: Uint8Array): Pdv => ({
  presentationContextId,
  isCommand,
  isLast,
  data
})

const echo = ok(CommandSet.encode(Command.cEchoRq({ messageId: 1, affectedSopClassUid: "1.2.840.10008.1.1" })))
const storeCommand = Command.cStoreRq({
  messageId: 2,
  affectedSopClassUid: "1.2.840.10008.5.1.4.1.1.7",
  affectedSopInstanceUid: "1.2.3",
  priority: 0
})
const store = ok(CommandSet.encode(storeCommand))

describe("PS3.7 §6.3.1 / PS3.8 Annex E · assembling messages from PDVs", () => {
  it("a command without data set: Command then MessageComplete", () => {
    const a = Assembler.make()
    const events = ok(a.feed(pdv(1, true, true, echo)))
    expect(events.map((e) => e._tag)).toEqual(["Command", "MessageComplete"])
    expect(events[0]).toMatchObject({ presentationContextId: 1, command: { _tag: "CEchoRq", messageId: 1 } })
    expect(a.state).toBe("Idle")
  })

  it("a command in fragments, then data fragments passed through as the same views", () => {
    const a = Assembler.make()
    expect(ok(a.feed(pdv(3, true, false, store.subarray(0, 10))))).toEqual([])
    expect(a.state).toBe("Command")
    expect(ok(a.feed(pdv(3, true, false, store.subarray(10, 11))))).toEqual([])
    const cmd = ok(a.feed(pdv(3, true, true, store.subarray(11))))
    expect(cmd).toEqual([{ _tag: "Command", presentationContextId: 3, command: storeCommand }])
    expect(a.state).toBe("Data")
    const d1 = new Uint8Array([1, 2, 3, 4])
    const d2 = new Uint8Array([5, 6])
    const e1 = ok(a.feed(pdv(3, false, false, d1)))
    expect(e1).toHaveLength(1)
    expect(e1[0]?._tag === "Data" && e1[0].data).toBe(d1) // the very same view, not a copy
    const e2 = ok(a.feed(pdv(3, false, true, d2)))
    expect(e2.map((e) => e._tag)).toEqual(["Data", "MessageComplete"])
    expect(e2[0]).toMatchObject({ isLast: true })
    expect(a.state).toBe("Idle")
  })

  it("messages follow one another on different presentation contexts", () => {
    const a = Assembler.make()
    ok(a.feed(pdv(1, true, true, echo)))
    const events = ok(a.feedAll([pdv(5, true, true, store), pdv(5, false, true, new Uint8Array(2)), pdv(7, true, true, echo)]))
    expect(events.map((e) => `${e._tag}@${e.presentationContextId}`)).toEqual([
      "Command@5",
      "Data@5",
      "MessageComplete@5",
      "Command@7",
      "MessageComplete@7"
    ])
    expect(a.end()).toEqual(Result.void)
  })

  it("feeds every PDV of a P-DATA-TF", () => {
    const a = Assembler.make()
    const events = ok(a.feedPDataTf({ _tag: "PDataTf", pdvs: [pdv(1, true, true, echo), pdv(1, true, true, echo)] }))
    expect(events).toHaveLength(4)
  })

  describe("each rule break is a typed DimseProtocolError", () => {
    it("DataBeforeCommand: a data PDV first", () => {
      const e = err(Assembler.make().feed(pdv(1, false, true, new Uint8Array(4))))
      expect(e).toMatchObject({ _tag: "DimseProtocolError", reason: "DataBeforeCommand", presentationContextId: 1 })
    })
    it("UnexpectedDataset: a data PDV after a command announcing no data set", () => {
      const a = Assembler.make()
      ok(a.feed(pdv(1, true, true, echo)))
      expect(err(a.feed(pdv(1, false, true, new Uint8Array(4))))).toMatchObject({ reason: "UnexpectedDataset" })
    })
    it("CommandDataInterleaved: a data PDV before the last command fragment", () => {
      const a = Assembler.make()
      ok(a.feed(pdv(1, true, false, store.subarray(0, 20))))
      expect(err(a.feed(pdv(1, false, false, new Uint8Array(4))))).toMatchObject({ reason: "CommandDataInterleaved" })
    })
    it("ContextIdMismatch: a command fragment on another presentation context", () => {
      const a = Assembler.make()
      ok(a.feed(pdv(1, true, false, store.subarray(0, 20))))
      expect(err(a.feed(pdv(3, true, true, store.subarray(20))))).toMatchObject({ reason: "ContextIdMismatch", presentationContextId: 3 })
    })
    it("ContextIdMismatch: a data fragment on another presentation context", () => {
      const a = Assembler.make()
      ok(a.feed(pdv(1, true, true, store)))
      expect(err(a.feed(pdv(3, false, true, new Uint8Array(2))))).toMatchObject({ reason: "ContextIdMismatch" })
    })
    it("CommandDuringDataset: a new command before the previous data set ended", () => {
      const a = Assembler.make()
      ok(a.feed(pdv(1, true, true, store)))
      ok(a.feed(pdv(1, false, false, new Uint8Array(2))))
      expect(err(a.feed(pdv(1, true, true, echo)))).toMatchObject({ reason: "CommandDuringDataset" })
    })
    it("CommandTooLarge: command fragments beyond the limit are refused before being buffered", () => {
      const a = Assembler.make({ maxCommandLength: 100 })
      ok(a.feed(pdv(1, true, false, new Uint8Array(60))))
      expect(err(a.feed(pdv(1, true, false, new Uint8Array(60))))).toMatchObject({ reason: "CommandTooLarge" })
      const single = Assembler.make({ maxCommandLength: 40 })
      expect(err(single.feed(pdv(1, true, true, echo)))).toMatchObject({ reason: "CommandTooLarge" })
    })
    it("IncompleteMessage: end() inside a command or a data set", () => {
      const a = Assembler.make()
      ok(a.feed(pdv(1, true, false, echo.subarray(0, 5))))
      expect(err(a.end())).toMatchObject({ reason: "IncompleteMessage" })
      const b = Assembler.make()
      ok(b.feed(pdv(1, true, true, store)))
      expect(err(b.end())).toMatchObject({ reason: "IncompleteMessage" })
    })
    it("an undecodable command set is a DimseDecodeError", () => {
      expect(err(Assembler.make().feed(pdv(1, true, true, echo.subarray(0, 30))))._tag).toBe("DimseDecodeError")
    })
    it("the assembler stays failed after an error", () => {
      const a = Assembler.make()
      const first = err(a.feed(pdv(1, false, true, new Uint8Array(1))))
      expect(err(a.feed(pdv(1, true, true, echo)))).toBe(first)
      expect(a.state).toBe("Failed")
      expect(err(a.end())).toBe(first)
    })
  })
})

describe("Fragmenter → Assembler round trip (random data sets, splittings and max PDU sizes)", () => {
  it("reassembles command and data set exactly, for 300 random cases", () => {
    const random = prng(42)
    for (let run = 0; run < 300; run++) {
      const size = run % 10 === 0 ? Math.floor(random() * 2000) : Math.floor(random() * 70_000)
      const data = new Uint8Array(size)
      for (let i = 0; i < size; i++) data[i] = (i * 31 + run) & 0xff
      // Split the data set into random chunks (some empty).
      const chunks: Array<Uint8Array> = []
      for (let o = 0; o < size; ) {
        const n = Math.min(size - o, Math.floor(random() * 20_000))
        chunks.push(data.subarray(o, o + n))
        o += n
      }
      // The smallest PDU sizes only with small data sets: 1-byte fragments of 70 kB would only slow the suite.
      const maxPduLength = (size < 2000 ? [7, 64] : [0, 256, 1000, 4096, 16384, 65536])[Math.floor(random() * (size < 2000 ? 2 : 6))] as number
      const presentationContextId = 1 + 2 * Math.floor(random() * 128)
      const pdus = Fragmenter.fragment({ presentationContextId, maxPduLength }, store, chunks)
      const a = Assembler.make()
      const received: Array<Uint8Array> = []
      let completed = 0
      for (const pdu of pdus) {
        for (const event of ok(a.feedPDataTf(pdu))) {
          if (event._tag === "Command") expect(event.command).toEqual(storeCommand)
          if (event._tag === "Data") received.push(event.data)
          if (event._tag === "MessageComplete") completed++
        }
      }
      expect(completed).toBe(1)
      const joined = new Uint8Array(received.reduce((n, r) => n + r.byteLength, 0))
      let o = 0
      for (const r of received) {
        joined.set(r, o)
        o += r.byteLength
      }
      expect(joined.byteLength).toBe(size)
      expect(Buffer.from(joined).equals(Buffer.from(data))).toBe(true)
      expect(a.state).toBe("Idle")
    }
  })
})
