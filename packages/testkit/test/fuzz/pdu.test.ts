import { assert, describe, expect, it } from "@effect/vitest"
import { Framer, PduCodec, PduDecodeError, PduTooLarge, UnknownPduType } from "@dicomnet/pdu"
import { Fuzz } from "@dicomnet/testkit"
import { Result } from "effect"

const runClean = (name: string, iterations: number, seed: number) => {
  const target = Fuzz.target(name)
  assert(target !== undefined, `no target ${name}`)
  const report = Fuzz.run(target, { iterations, seed })
  // Every iteration ran (none hung, none stopped the run), and no oracle was broken.
  expect(report.findings.map(Fuzz.format)).toEqual([])
  expect(report.iterations).toBe(iterations)
  // The generator reaches both sides: accepted values and typed rejections.
  expect(report.values).toBeGreaterThan(iterations / 20)
  expect(report.failures).toBeGreaterThan(iterations / 20)
}

describe("Hostile input · PS3.8 §9.3 PDUs (fuzz, deterministic seeds)", () => {
  it("PduCodec.decode: 1,000 valid, mutated, random and hand-made hostile PDUs give a value or a PduDecodeError", () => {
    runClean("pdu.decode", 1000, 0x5eed0001)
  })

  it("item and sub-item decoders: 2,000 A-ASSOCIATE-RQ/AC with item lengths at extremes, types swapped, cut at item boundaries", () => {
    runClean("pdu.items", 2000, 0x5eed0002)
  })

  it("Framer: 1,000 streams of PDUs in random chunk splits frame exactly, or fail typed and stay failed with bounded buffering", () => {
    runClean("pdu.framer", 1000, 0x5eed0003)
  })

  it("every PDU type truncated at every boundary fails with a PduDecodeError, never an exception", () => {
    const r = Fuzz.Rng.make(11)
    let checked = 0
    for (let k = 0; k < 40; k++) {
      const bytes = PduCodec.encode(Fuzz.Generate.pdu(r))
      for (const m of Fuzz.Mutate.truncations(bytes)) {
        const decoded = PduCodec.decode(m.bytes)
        assert(Result.isFailure(decoded), `${m.label} decoded`)
        expect(decoded.failure).toBeInstanceOf(PduDecodeError)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(1000)
  })

  it("every length field of PDUs, items, sub-items and PDVs set to 0, 1, odd, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF and just past the end", () => {
    const r = Fuzz.Rng.make(12)
    let checked = 0
    for (let k = 0; k < 30; k++) {
      const bytes = PduCodec.encode(Fuzz.Generate.pdu(r))
      for (const m of Fuzz.Mutate.extremes(bytes, Fuzz.Layout.pduFields(bytes))) {
        const decoded = PduCodec.decode(m.bytes)
        if (Result.isFailure(decoded)) expect(decoded.failure, m.label).toBeInstanceOf(PduDecodeError)
        const framer = Framer.make({ maxPduLength: 16384 })
        const pushed = framer.push(m.bytes)
        if (Result.isFailure(pushed)) {
          const e = pushed.failure
          expect(e instanceof PduDecodeError || e instanceof PduTooLarge || e instanceof UnknownPduType, m.label).toBe(true)
        }
        checked++
      }
    }
    expect(checked).toBeGreaterThan(1000)
  })

  it("a finding's seed rebuilds the same input (replay)", () => {
    const target = Fuzz.target("pdu.framer")
    assert(target !== undefined)
    const a = Fuzz.replay(target, 0xabcdef)
    const b = Fuzz.replay(target, 0xabcdef)
    expect(Fuzz.hex(a.input)).toBe(Fuzz.hex(b.input))
    expect(a.label).toBe(b.label)
  })
})
