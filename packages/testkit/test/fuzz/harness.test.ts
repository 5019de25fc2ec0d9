import { assert, describe, expect, it } from "@effect/vitest"
import { PduCodec } from "@dicomnet/pdu"
import { Fuzz } from "@dicomnet/testkit"

const throwing: Fuzz.Target = {
  name: "test.throws",
  description: "a decoder that throws on inputs starting with 0xFF",
  generate: (r) => {
    const input = r.bytes(1, 4)
    return {
      label: "random",
      input,
      check: () => {
        if (input[0] === 0xff) throw new RangeError("offset is outside the bounds of the DataView")
        return { _tag: "Value" }
      }
    }
  }
}

describe("Fuzz harness", () => {
  it("the PRNG is deterministic per seed and iteration seeds differ", () => {
    const a = Fuzz.Rng.make(42)
    const b = Fuzz.Rng.make(42)
    const xs = Array.from({ length: 100 }, () => a.int(0, 1000))
    expect(Array.from({ length: 100 }, () => b.int(0, 1000))).toEqual(xs)
    const seeds = new Set(Array.from({ length: 10000 }, (_, i) => Fuzz.Rng.iterationSeed(1, i)))
    expect(seeds.size).toBe(10000)
  })

  it("an exception is a finding, with the seed that rebuilds the input and the thrown error", () => {
    const report = Fuzz.run(throwing, { iterations: 3000, seed: 9 })
    expect(report.findings.length).toBeGreaterThan(0)
    const f = report.findings[0]
    assert(f !== undefined)
    expect(f.kind).toBe("Threw")
    expect(f.detail).toContain("RangeError")
    expect(f.input[0]).toBe(0xff)
    expect(Fuzz.replay(throwing, f.seed).finding?.kind).toBe("Threw")
    expect(Fuzz.format(f)).toContain(`--replay 0x${f.seed.toString(16).padStart(8, "0")}`)
  })

  it("the wall-time oracle flags decodes over the bound (here a bound below zero flags them all)", () => {
    const report = Fuzz.run(throwing, { iterations: 10, seed: 1, slowMs: -1, maxFindings: 100 })
    expect(report.findings.length).toBe(10)
  })

  it("the memory oracle flags decodes that grow the probe past the bound", () => {
    let memory = 0
    const report = Fuzz.run(Fuzz.targets[0] as Fuzz.Target, {
      iterations: 5,
      seed: 1,
      maxFindings: 100,
      memoryProbe: () => (memory += 300 * 1024 * 1024)
    })
    expect(report.findings.map((f) => f.kind)).toEqual(["Memory", "Memory", "Memory", "Memory", "Memory"])
  })

  it("length-field extremes write 0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF and just past the end, in the field's byte order", () => {
    const bytes = PduCodec.encode({ _tag: "AReleaseRq" })
    const field = Fuzz.Layout.pduFields(bytes)[0]
    assert(field !== undefined)
    expect(field).toEqual({ offset: 2, size: 4, littleEndian: false, valueStart: 6 })
    const values = [...Fuzz.Mutate.extremes(bytes, [field])].map((m) => Fuzz.Mutate.read(m.bytes, field))
    expect(values).toEqual(expect.arrayContaining([0, 1, 0xffff, 0x7fffffff, 0xffffffff, 5]))
    expect(Fuzz.Mutate.write(bytes, { offset: 0, size: 2, littleEndian: true, valueStart: 2 }, 0x1234).subarray(0, 2)).toEqual(Uint8Array.of(0x34, 0x12))
  })

  it("finds the length fields of nested items in an A-ASSOCIATE-RQ", () => {
    const r = Fuzz.Rng.make(3)
    let pdu = Fuzz.Generate.pdu(r)
    while (pdu._tag !== "AAssociateRq") pdu = Fuzz.Generate.pdu(r)
    const bytes = PduCodec.encode(pdu)
    const fields = Fuzz.Layout.pduFields(bytes)
    // PDU length, application context, each presentation context with its abstract and transfer syntaxes, user information.
    const minimum = 1 + 1 + pdu.presentationContexts.reduce((n, pc) => n + 2 + pc.transferSyntaxes.length, 0) + 1 + 2
    expect(fields.length).toBeGreaterThanOrEqual(minimum)
    for (const f of fields) expect(f.valueStart + Fuzz.Mutate.read(bytes, f)).toBeLessThanOrEqual(bytes.length)
  })

  it("hex and fromHex are inverse", () => {
    const bytes = Fuzz.Rng.make(5).bytes(0, 300)
    expect(Fuzz.fromHex(Fuzz.hex(bytes))).toEqual(bytes)
  })

  it("lists every decoder that reads peer bytes as a target", () => {
    expect(Fuzz.targets.map((t) => t.name)).toEqual([
      "pdu.decode",
      "pdu.items",
      "pdu.framer",
      "dimse.commandSet",
      "dimse.assembler",
      "data.decode.implicit-le",
      "data.decode.explicit-le",
      "data.decode.explicit-be",
      "data.decode.deflated",
      "data.part10",
      "data.characterSet",
      "data.transcode"
    ])
  })
})
