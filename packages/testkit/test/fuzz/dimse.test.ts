import { assert, describe, expect, it } from "@effect/vitest"
import { Assembler, CommandSet, DimseDecodeError, DimseProtocolError } from "@dicomnet/dimse"
import { Fuzz } from "@dicomnet/testkit"
import { Result } from "effect"

const runClean = (name: string, iterations: number, seed: number) => {
  const target = Fuzz.target(name)
  assert(target !== undefined, `no target ${name}`)
  const report = Fuzz.run(target, { iterations, seed })
  expect(report.findings.map(Fuzz.format)).toEqual([])
  expect(report.iterations).toBe(iterations)
  expect(report.values).toBeGreaterThan(iterations / 20)
  expect(report.failures).toBeGreaterThan(iterations / 20)
}

const implicitLE = { explicitVR: false, littleEndian: true } as const

describe("Hostile input · PS3.7 command sets and PDV assembly (fuzz, deterministic seeds)", () => {
  it("CommandSet.decode: 2,000 valid, mutated and hostile command sets give a value or a DimseDecodeError", () => {
    runClean("dimse.commandSet", 2000, 0x5eed0101)
  })

  it("Assembler: 2,000 PDV sequences (valid, reordered, mislabelled, mutated, bombs) rebuild messages or fail typed and sticky", () => {
    runClean("dimse.assembler", 2000, 0x5eed0102)
  })

  it("every command set truncated at every boundary, and every element length at every extreme, decodes or fails typed", () => {
    const r = Fuzz.Rng.make(21)
    let checked = 0
    for (let k = 0; k < 30; k++) {
      const encoded = CommandSet.encode(Fuzz.Generate.command(r))
      assert(Result.isSuccess(encoded))
      const bytes = encoded.success
      for (const m of [...Fuzz.Mutate.truncations(bytes), ...Fuzz.Mutate.extremes(bytes, Fuzz.Layout.elementFields(bytes, implicitLE))]) {
        const decoded = CommandSet.decode(m.bytes)
        if (Result.isFailure(decoded)) expect(decoded.failure, m.label).toBeInstanceOf(DimseDecodeError)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(2000)
  })

  it("70,000 one-byte command fragments stop at the command bound with CommandTooLarge", () => {
    const a = Assembler.make()
    const data = new Uint8Array(1)
    let failure: unknown
    let fed = 0
    for (let i = 0; i < 70000 && failure === undefined; i++) {
      const r = a.feed({ presentationContextId: 1, isCommand: true, isLast: false, data })
      fed++
      if (Result.isFailure(r)) failure = r.failure
    }
    assert(failure instanceof DimseProtocolError)
    expect(failure.reason).toBe("CommandTooLarge")
    expect(fed).toBe(Assembler.defaultMaxCommandLength + 1)
  })
})
