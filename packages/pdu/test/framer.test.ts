import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Result, Stream } from "effect"
import { Framer, type Pdu, PduCodec, PduDecodeError, PduTooLarge, UnknownPduType } from "../src/index.js"
import { pdu, u32 } from "./support/bytes.js"

const pData = (dataLength: number, presentationContextId = 1): Uint8Array =>
  PduCodec.encodePDataTf([{ presentationContextId, isCommand: false, isLast: true, data: new Uint8Array(dataLength).fill(7) }])

const release = PduCodec.encode({ _tag: "AReleaseRq" })

const pushAll = (framer: Framer.Framer, chunks: ReadonlyArray<Uint8Array>): Array<Pdu.Pdu> => {
  const out: Array<Pdu.Pdu> = []
  for (const chunk of chunks) {
    const r = framer.push(chunk)
    if (Result.isFailure(r)) throw new Error(r.failure.message)
    out.push(...r.success)
  }
  return out
}

describe("Framer · chunks in, PDUs out", () => {
  it("assembles a 6-byte header arriving one byte at a time", () => {
    const framer = Framer.make({ maxPduLength: 16384 })
    const bytes = pData(100)
    for (let i = 0; i < 6; i++) {
      expect(pushAll(framer, [bytes.subarray(i, i + 1)])).toEqual([])
      expect(framer.pendingBytes()).toBe(i + 1)
    }
    expect(pushAll(framer, [bytes.subarray(6)])).toEqual([PduCodec.decode(bytes).pipe(Result.getOrThrow)])
    expect(framer.pendingBytes()).toBe(0)
  })

  it("returns every PDU completed by one chunk, in order", () => {
    const framer = Framer.make({ maxPduLength: 16384 })
    const out = pushAll(framer, [Uint8Array.from([...pData(10), ...release, ...pData(20, 3)])])
    expect(out.map((p) => p._tag)).toEqual(["PDataTf", "AReleaseRq", "PDataTf"])
  })

  it("decodes a PDU lying inside one chunk from that chunk's view (zero copy)", () => {
    const chunk = Uint8Array.from([...release, ...pData(1000)])
    const [, p] = pushAll(Framer.make({ maxPduLength: 16384 }), [chunk])
    assert(p?._tag === "PDataTf")
    expect(p.pdvs[0]?.data.buffer).toBe(chunk.buffer)
    expect(p.pdvs[0]?.data.byteOffset).toBe(10 + 12)
  })

  it("copies a PDU spanning chunks once, into a buffer of exactly its size", () => {
    const bytes = pData(1000)
    const [p] = pushAll(Framer.make({ maxPduLength: 16384 }), [bytes.subarray(0, 300), bytes.subarray(300, 700), bytes.subarray(700)])
    assert(p?._tag === "PDataTf")
    const data = p.pdvs[0]?.data
    assert(data !== undefined)
    expect(data.buffer).not.toBe(bytes.buffer)
    expect(data.buffer.byteLength).toBe(bytes.length)
    expect(data).toEqual(new Uint8Array(1000).fill(7))
  })
})

describe("Framer · bounded memory (PS3.8 §D.1 maximum length)", () => {
  it("accepts a P-DATA-TF whose length field equals the maximum length we advertised", () => {
    const out = pushAll(Framer.make({ maxPduLength: 16384 }), [pData(16384 - 6)])
    expect(out).toHaveLength(1)
  })

  it("rejects a P-DATA-TF one byte longer as PduTooLarge, from its header alone", () => {
    const framer = Framer.make({ maxPduLength: 16384 })
    const r = framer.push(pData(16384 - 5).subarray(0, 6))
    assert(Result.isFailure(r))
    expect(r.failure).toEqual(new PduTooLarge({ pduType: 4, length: 16385, maxLength: 16384 }))
  })

  it("rejects a 4 GiB length before allocating anything, even when the header trickles in", () => {
    const framer = Framer.make({ maxPduLength: 16384 })
    const header = Uint8Array.of(4, 0, 0xff, 0xff, 0xff, 0xff)
    for (let i = 0; i < 5; i++) assert(Result.isSuccess(framer.push(header.subarray(i, i + 1))))
    const r = framer.push(header.subarray(5))
    assert(Result.isFailure(r))
    expect(r.failure).toEqual(new PduTooLarge({ pduType: 4, length: 0xffffffff, maxLength: 16384 }))
    expect(framer.pendingBytes()).toBe(0)
  })

  it("bounds A-ASSOCIATE-RQ/AC by a fixed size (1 MiB by default), not by the maximum length", () => {
    const big = Uint8Array.from([1, 0, ...u32(1024 * 1024 + 1)])
    const r = Framer.make({ maxPduLength: 16384 }).push(big)
    assert(Result.isFailure(r))
    expect(r.failure).toEqual(new PduTooLarge({ pduType: 1, length: 1024 * 1024 + 1, maxLength: 1024 * 1024 }))
    const small = Framer.make({ maxPduLength: 16384, maxAssociatePduLength: 4096 }).push(Uint8Array.from([2, 0, ...u32(4097)]))
    assert(Result.isFailure(small))
    expect(small.failure).toBeInstanceOf(PduTooLarge)
  })

  it("reports an unknown PDU type as UnknownPduType", () => {
    const r = Framer.make({ maxPduLength: 16384 }).push(Uint8Array.of(0x0a, 0, 0, 0, 0, 4, 0, 0, 0, 0))
    assert(Result.isFailure(r))
    expect(r.failure).toEqual(new UnknownPduType({ pduType: 0x0a }))
  })

  it("reports an unknown PDU type from its first byte, without waiting for the rest of the header", () => {
    const r = Framer.make({ maxPduLength: 16384 }).push(Uint8Array.of(0x4a))
    assert(Result.isFailure(r))
    expect(r.failure).toEqual(new UnknownPduType({ pduType: 0x4a }))
  })

  it("reports a malformed PDU as PduDecodeError and stays failed afterwards", () => {
    const framer = Framer.make({ maxPduLength: 16384 })
    const bad = pdu(0x04, u32(1), [1, 0]) // PDV item length below 2
    const first = framer.push(bad)
    assert(Result.isFailure(first))
    expect(first.failure).toBeInstanceOf(PduDecodeError)
    const later = framer.push(release)
    assert(Result.isFailure(later))
    expect(later.failure).toBe(first.failure)
  })
})

describe("Framer · Stream adapter", () => {
  const chunks = [release.subarray(0, 3), Uint8Array.from([...release.subarray(3), ...pData(50)]), PduCodec.encode({ _tag: "AReleaseRp" })]

  it.effect("decodeStream turns a byte stream into PDUs", () =>
    Effect.gen(function* () {
      const out = yield* Framer.decodeStream(Stream.fromIterable(chunks), { maxPduLength: 16384 }).pipe(Stream.runCollect)
      expect(out.map((p) => p._tag)).toEqual(["AReleaseRq", "PDataTf", "AReleaseRp"])
    })
  )

  it.effect("pipeline fails the stream with the framing error", () =>
    Effect.gen(function* () {
      const error = yield* Stream.fromIterable([release, pData(100)]).pipe(Framer.pipeline({ maxPduLength: 64 }), Stream.runCollect, Effect.flip)
      expect(error).toEqual(new PduTooLarge({ pduType: 4, length: 106, maxLength: 64 }))
    })
  )
})

describe("Framer · pdataViews: a P-DATA-TF spanning chunks as views", () => {
  const fragment = (presentationContextId: number, isCommand: boolean, isLast: boolean, length: number, seed: number): Pdu.Pdv => ({
    presentationContextId,
    isCommand,
    isLast,
    data: Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff)
  })
  // Two PDUs: a command PDV and a data PDV in one, then two data PDVs (the last one ends the data set).
  const pdus: ReadonlyArray<ReadonlyArray<Pdu.Pdv>> = [
    [fragment(1, true, true, 90, 1), fragment(1, false, false, 700, 2)],
    [fragment(1, false, false, 0, 3), fragment(1, false, true, 1500, 4)]
  ]
  const stream = Uint8Array.from(pdus.flatMap((pdvs) => [...PduCodec.encodePDataTf(pdvs)]))

  /** The bytes of each (kind, context) message part and where its last fragment was, from PDV fragments. */
  const reassemble = (out: ReadonlyArray<Pdu.Pdu>) =>
    out.map((p) => {
      assert(p._tag === "PDataTf")
      const parts: Array<{ presentationContextId: number; isCommand: boolean; isLast: boolean; data: Array<number> }> = []
      for (const pdv of p.pdvs) {
        const last = parts[parts.length - 1]
        if (last !== undefined && !last.isLast && last.isCommand === pdv.isCommand && last.presentationContextId === pdv.presentationContextId) {
          last.data.push(...pdv.data)
          last.isLast = pdv.isLast
        } else {
          parts.push({ presentationContextId: pdv.presentationContextId, isCommand: pdv.isCommand, isLast: pdv.isLast, data: [...pdv.data] })
        }
      }
      return parts
    })

  const cut = (bytes: Uint8Array, at: ReadonlyArray<number>): Array<Uint8Array> => {
    const points = [0, ...at, bytes.length]
    return points.slice(1).map((end, i) => bytes.slice(points[i], end))
  }

  it("carries the same fragments, in order, whatever the chunking (every cut point)", () => {
    const expected = reassemble(pushAll(Framer.make({ maxPduLength: 16384 }), [stream]))
    for (let a = 1; a < stream.length; a += 7) {
      for (const b of [a + 1, a + 5, a + 400]) {
        if (b >= stream.length) continue
        const framer = Framer.make({ maxPduLength: 16384, pdataViews: true })
        expect(reassemble(pushAll(framer, cut(stream, [a, b])))).toEqual(expected)
        expect(framer.pendingBytes()).toBe(0)
      }
    }
  })

  it("copies nothing: every PDV is a view into one of the chunks, and only a piece ending its PDV keeps the last-fragment bit", () => {
    const chunks = cut(stream, [50, 400, 1200])
    const out = pushAll(Framer.make({ maxPduLength: 16384, pdataViews: true }), chunks)
    const pdvs = out.flatMap((p) => (p._tag === "PDataTf" ? p.pdvs : []))
    for (const pdv of pdvs) expect(chunks.some((c) => c.buffer === pdv.data.buffer)).toBe(true)
    // The 700-byte data PDV spans the cut at 400: two pieces, neither marked last.
    expect(pdvs.filter((p) => !p.isCommand && p.data.length > 0 && !p.isLast).length).toBeGreaterThanOrEqual(2)
    expect(pdvs.filter((p) => p.isLast).length).toBe(2)
  })

  it("keeps the PDUs as sent when a P-DATA-TF lies inside one chunk", () => {
    const out = pushAll(Framer.make({ maxPduLength: 16384, pdataViews: true }), [stream])
    expect(out).toEqual(pushAll(Framer.make({ maxPduLength: 16384 }), [stream]))
  })

  it("reports the same PduDecodeError as the copying framer for malformed PDV items, at the same offset", () => {
    const malformed = [
      // a PDV item header cut short by the PDU's end
      pdu(0x04, [...u32(4), 1, 0x02, 0xaa, 0xbb, 0xcc, 0xdd]),
      // a PDV item length of 1
      pdu(0x04, [...u32(1), 1, 0, 0, 0, 0, 0]),
      // a PDV item overrunning the PDU
      pdu(0x04, [...u32(20), 1, 0x02, 1, 2, 3, 4])
    ]
    for (const bytes of malformed) {
      const copying = Framer.make({ maxPduLength: 16384 }).push(bytes)
      assert(Result.isFailure(copying))
      for (let at = 1; at < bytes.length; at++) {
        const framer = Framer.make({ maxPduLength: 16384, pdataViews: true })
        const first = framer.push(bytes.slice(0, at))
        const r = Result.isFailure(first) ? first : framer.push(bytes.slice(at))
        assert(Result.isFailure(r))
        expect(r.failure).toBeInstanceOf(PduDecodeError)
        expect(r.failure.message).toBe(copying.failure.message)
      }
    }
  })
})
