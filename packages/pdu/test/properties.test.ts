import { assert, describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { Framer, Pdu, PduCodec, PduDecodeError, PduSchema, PduTooLarge, UnknownPduType } from "../src/index.js"
import * as Gen from "./support/generate.js"

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

describe("properties · round trip", () => {
  it("1000 random valid PDUs pass their Schema and survive encode -> decode unchanged", () => {
    const r = Gen.rng(0x5eed)
    for (let i = 0; i < 1000; i++) {
      const value = Gen.pdu(r)
      assert(Result.isSuccess(Pdu.validate(value)), `generated an invalid PDU: ${JSON.stringify(value)}`)
      const decoded = PduCodec.decode(PduCodec.encode(value))
      assert(Result.isSuccess(decoded), Result.isFailure(decoded) ? decoded.failure.message : "")
      expect(decoded.success).toEqual(value)
    }
  })

  it("any chunking of a stream of PDUs yields the same PDUs", () => {
    const r = Gen.rng(42)
    for (let trial = 0; trial < 200; trial++) {
      const values = r.array(1, 10, () => Gen.pdu(r))
      const stream = concat(values.map(PduCodec.encode))
      const framer = Framer.make({ maxPduLength: 16384 })
      const out: Array<Pdu.Pdu> = []
      let at = 0
      while (at < stream.length) {
        // Mostly small cuts, sometimes one byte, sometimes everything left.
        const size = r.pick([1, r.int(1, 8), r.int(1, 200), stream.length])
        const pushed = framer.push(stream.subarray(at, at + size))
        assert(Result.isSuccess(pushed))
        out.push(...pushed.success)
        at += size
      }
      expect(out).toEqual(values)
      expect(framer.pendingBytes()).toBe(0)
    }
  })
})

describe("properties · values drawn from the Schemas (effect/Arbitrary)", () => {
  // The association PDUs' string filters (AE titles, UIDs) defeat random generation; the seeded generator
  // above covers them. The fixed-size PDUs are drawn straight from their Schemas.
  const roundTrips = (pdu: Pdu.Pdu) => expect(PduCodec.decode(PduCodec.encode(pdu)).pipe(Result.getOrThrow)).toEqual(pdu)
  it.prop("A-ASSOCIATE-RJ round-trips", [PduSchema.AAssociateRj], ([pdu]) => roundTrips(pdu), { arbitrary: { runs: 100, seed: 1, maxDiscards: 10_000 } })
  it.prop("A-ABORT round-trips", [PduSchema.AAbort], ([pdu]) => roundTrips(pdu), { arbitrary: { runs: 300, seed: 2 } })
  it.prop("A-RELEASE-RQ/RP round-trip", [Schema.Union([PduSchema.AReleaseRq, PduSchema.AReleaseRp])], ([pdu]) => roundTrips(pdu), {
    arbitrary: { runs: 50, seed: 3 }
  })
})

const isTyped = (e: unknown): boolean => e instanceof PduDecodeError || e instanceof PduTooLarge || e instanceof UnknownPduType

describe("properties · hostile bytes give typed errors, never an exception", () => {
  it("random bytes", () => {
    const r = Gen.rng(7)
    for (let i = 0; i < 5000; i++) {
      const bytes = r.bytes(0, 120)
      if (bytes.length > 0 && r.bool()) bytes[0] = r.int(1, 7) // mostly known PDU types
      if (bytes.length >= 6 && r.bool()) new DataView(bytes.buffer).setUint32(2, bytes.length - 6) // consistent length
      const decoded = PduCodec.decode(bytes)
      if (Result.isFailure(decoded)) expect(decoded.failure).toBeInstanceOf(PduDecodeError)
      const framer = Framer.make({ maxPduLength: 4096 })
      const pushed = framer.push(bytes)
      if (Result.isFailure(pushed)) expect(isTyped(pushed.failure)).toBe(true)
      expect(framer.pendingBytes()).toBeLessThanOrEqual(bytes.length)
    }
  })

  it("mutated valid PDUs: flipped bytes, truncations and extensions", () => {
    const r = Gen.rng(99)
    let failures = 0
    for (let i = 0; i < 5000; i++) {
      const bytes = PduCodec.encode(Gen.pdu(r)).slice()
      let mutated: Uint8Array = bytes
      switch (r.int(0, 2)) {
        case 0:
          for (let k = r.int(1, 4); k > 0; k--) mutated[r.int(0, mutated.length - 1)] = r.int(0, 255)
          break
        case 1:
          mutated = bytes.subarray(0, r.int(0, bytes.length - 1))
          break
        default:
          mutated = concat([bytes, r.bytes(1, 10)])
      }
      const decoded = PduCodec.decode(mutated)
      if (Result.isFailure(decoded)) {
        failures++
        expect(decoded.failure).toBeInstanceOf(PduDecodeError)
        expect(decoded.failure.offset).toBeGreaterThanOrEqual(0)
        expect(decoded.failure.offset).toBeLessThanOrEqual(mutated.length)
      }
      const pushed = Framer.make({ maxPduLength: 4096 }).push(mutated)
      if (Result.isFailure(pushed)) expect(isTyped(pushed.failure)).toBe(true)
    }
    expect(failures).toBeGreaterThan(1000) // the mutations do hit the error paths
  })
})
