import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import type { DataDecodeError } from "../src/DataError.js"
import * as DatasetCodec from "../src/DatasetCodec.js"
import * as Part10 from "../src/Part10.js"
import { dataset as generate, type Rng, rng } from "./support/generate.js"

const syntaxes = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"] as const

/** Runs a decoder; it must return (never throw) and a failure must be a typed, non-internal DataDecodeError. */
const check = (label: string, f: () => Result.Result<unknown, DataDecodeError>): "ok" | "error" => {
  let r: Result.Result<unknown, DataDecodeError>
  try {
    r = f()
  } catch (e) {
    throw new Error(`${label}: threw ${String(e)}`)
  }
  if (Result.isSuccess(r)) return "ok"
  expect(r.failure._tag, label).toBe("DataDecodeError")
  expect(r.failure.kind, `${label}: ${r.failure.message}`).not.toBe("Internal")
  expect(Number.isInteger(r.failure.offset), label).toBe(true)
  return "error"
}

const mutate = (r: Rng, input: Uint8Array): Uint8Array => {
  const b = input.slice()
  switch (r.int(4)) {
    case 0: // bit flips
      for (let k = 0; k < 1 + r.int(4); k++) {
        const i = r.int(b.length)
        b[i] = (b[i] ?? 0) ^ (1 << r.int(8))
      }
      return b
    case 1: // truncation
      return b.subarray(0, r.int(b.length))
    default: {
      // A 32-bit field set to 0xFFFFFFFF or 0x7FFFFFFF, a 16-bit field to 0xFFFF.
      const i = r.int(Math.max(1, b.length - 4))
      const v = r.pick([0xffffffff, 0x7fffffff, 0xffff])
      b[i] = v & 0xff
      b[i + 1] = (v >>> 8) & 0xff
      if (v > 0xffff) {
        b[i + 2] = (v >>> 16) & 0xff
        b[i + 3] = (v >>> 24) & 0xff
      }
      return b
    }
  }
}

describe("Hostile input · decoders return typed failures, never throw, never hang", () => {
  for (const ts of syntaxes) {
    it(`random bytes in ${ts} (2,000 inputs)`, () => {
      const r = rng(0xdec0de)
      const seen = { ok: 0, error: 0 }
      for (let n = 0; n < 2000; n++) {
        const input = new Uint8Array(r.int(300))
        for (let i = 0; i < input.length; i++) input[i] = r.int(256)
        seen[check(`random #${n}`, () => DatasetCodec.decode(input, ts))]++
      }
      expect(seen.error).toBeGreaterThan(1000)
    })

    it(`mutated valid data sets in ${ts} (bit flips, truncation, lengths 0xFFFFFFFF / 0x7FFFFFFF; 3,000 inputs)`, () => {
      const r = rng(0xbadf00d)
      const seen = { ok: 0, error: 0 }
      for (let n = 0; n < 3000; n++) {
        const x = generate(rng(n), { explicit: ts !== "1.2.840.10008.1.2", maxElements: 10 })
        const encoded = DatasetCodec.encode(x, ts)
        if (Result.isFailure(encoded)) throw new Error(encoded.failure.message)
        const input = mutate(r, encoded.success)
        seen[check(`mutant #${n}`, () => DatasetCodec.decode(input, ts, { maxInflatedBytes: 1 << 20 }))]++
      }
      expect(seen.error).toBeGreaterThan(300)
      expect(seen.ok).toBeGreaterThan(100)
    })
  }

  it("mutated Part 10 files (readMeta, detect, decodeFile; 3,000 inputs)", () => {
    const r = rng(1234)
    for (let n = 0; n < 3000; n++) {
      const x = generate(rng(n), { explicit: true, maxElements: 8 })
      const file = Part10.encodeFile({ mediaStorageSopClassUid: "1.2.3", mediaStorageSopInstanceUid: `1.2.3.${n}`, transferSyntaxUid: "1.2.840.10008.1.2.1" }, x)
      if (Result.isFailure(file)) throw new Error(file.failure.message)
      const input = mutate(r, file.success)
      check(`readMeta #${n}`, () => Part10.readMeta(input))
      check(`detect #${n}`, () => Part10.detect(input))
      check(`decodeFile #${n}`, () => Part10.decodeFile(input))
    }
  })

  it("a length field of 0x7FFFFFFF is checked against the bytes available before anything is allocated", () => {
    const input = Uint8Array.of(0x10, 0x00, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0x7f)
    const r = DatasetCodec.decode(input, "1.2.840.10008.1.2.1")
    expect(Result.isFailure(r) && r.failure.kind).toBe("Truncated")
  })
})
