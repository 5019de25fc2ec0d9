import { assert, describe, expect, it } from "@effect/vitest"
import { DataError, DatasetCodec } from "@dicomnet/data"
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

const typedDecodeFailure = (r: Result.Result<unknown, DataError.DataDecodeError>, label: string): void => {
  if (Result.isSuccess(r)) return
  expect(r.failure, label).toBeInstanceOf(DataError.DataDecodeError)
  expect(r.failure.kind, `${label}: ${r.failure.message}`).not.toBe("Internal")
}

describe("Hostile input · PS3.5 data sets, Part 10 files, character sets, transcoding (fuzz, deterministic seeds)", () => {
  it("DatasetCodec.decode, Implicit VR Little Endian: 2,000 inputs", () => runClean("data.decode.implicit-le", 2000, 0x5eed0201))
  it("DatasetCodec.decode, Explicit VR Little Endian: 2,000 inputs", () => runClean("data.decode.explicit-le", 2000, 0x5eed0202))
  it("DatasetCodec.decode, Explicit VR Big Endian: 2,000 inputs", () => runClean("data.decode.explicit-be", 2000, 0x5eed0203))
  it("DatasetCodec.decode, Deflated Explicit VR Little Endian: 1,000 inputs (mutated before and after deflate)", () =>
    runClean("data.decode.deflated", 1000, 0x5eed0204))
  it("Part10.readMeta / readMetaOrRaw / decodeFile: 2,000 files", () => runClean("data.part10", 2000, 0x5eed0205))
  it("CharacterSet.decodeString: 2,000 values under every defined term, escape sequences included", () => runClean("data.characterSet", 2000, 0x5eed0206))
  it("Transcode between the uncompressed syntaxes, whole and chunked: 1,000 inputs", () => runClean("data.transcode", 1000, 0x5eed0207))
  it("Transcode against DatasetCodec.decode (differential): what the transcoder accepts decodes, and so does its output: 2,000 inputs", () =>
    runClean("data.transcode.differential", 2000, 0x5eed0208))
  it("Transcode to Deflated Explicit VR LE: the data set of seed 0xb00902cc (fflate streaming Deflate bug) round-trips", () => {
    const target = Fuzz.target("data.transcode")
    assert(target !== undefined)
    const c = target.generate(Fuzz.Rng.make(0xb00902cc))
    expect(c.label).toContain("-> deflated")
    expect(c.check()).toEqual({ _tag: "Value" })
  })

  it("depth bombs (5,000 nested undefined-length sequences) and 100,000 empty items fail typed or decode, in every syntax", () => {
    for (const name of ["implicit-le", "explicit-le", "explicit-be"] as const) {
      for (let seed = 0; seed < 12; seed++) {
        const b = Fuzz.datasetBomb(Fuzz.Rng.make(seed), name)
        const r = DatasetCodec.decode(b.bytes, Fuzz.syntaxes[name])
        typedDecodeFailure(r, `${name}: ${b.label}`)
        if (b.label.includes("5000 nested undefined-length SQ")) {
          assert(Result.isFailure(r))
          expect(r.failure.kind).toBe("TooDeep")
        }
      }
    }
  })

  it("every element, item and delimiter length at every extreme, and every truncation, decodes or fails typed", () => {
    const r = Fuzz.Rng.make(31)
    let checked = 0
    for (const name of ["implicit-le", "explicit-le", "explicit-be"] as const) {
      const syntax = name === "implicit-le" ? { explicitVR: false, littleEndian: true } : { explicitVR: true, littleEndian: name === "explicit-le" }
      for (let k = 0; k < 6; k++) {
        const encoded = DatasetCodec.encodeWith(Fuzz.Generate.dataset(r, { explicit: name !== "implicit-le", maxElements: 8 }), syntax)
        assert(Result.isSuccess(encoded))
        const bytes = encoded.success
        for (const m of [...Fuzz.Mutate.truncations(bytes), ...Fuzz.Mutate.extremes(bytes, Fuzz.Layout.elementFields(bytes, syntax))]) {
          typedDecodeFailure(DatasetCodec.decode(m.bytes, Fuzz.syntaxes[name]), `${name}: ${m.label}`)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(500)
  })

  it("the deflate bomb generator makes a valid Deflated Explicit VR LE data set (a small one here; the script runs the large ones)", () => {
    const bomb = Fuzz.deflateBomb(1)
    expect(bomb.length).toBeLessThan(4096)
    const r = DatasetCodec.decode(bomb, Fuzz.syntaxes.deflated)
    assert(Result.isSuccess(r), Result.isFailure(r) ? r.failure.message : "")
    expect(r.success.bytes(0x7fe00010)?.length).toBe(1024 * 1024)
    const limited = DatasetCodec.decode(bomb, Fuzz.syntaxes.deflated, { maxInflatedBytes: 65536 })
    assert(Result.isFailure(limited))
    expect(limited.failure.kind).toBe("Deflate")
  })
})
