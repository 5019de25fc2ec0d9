import { describe, expect, it } from "@effect/vitest"
import { Bytes } from "../src/index.js"

describe("Bytes.concat · one buffer from chunks", () => {
  it("joins chunks in order, with or without the total length given", () => {
    const chunks = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5, 6)]
    expect(Bytes.concat(chunks)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6))
    expect(Bytes.concat(chunks, 6)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6))
  })

  it("returns a single chunk as it is (no copy) and an empty buffer for none", () => {
    const one = new Uint8Array(8).subarray(2, 5)
    expect(Bytes.concat([one])).toBe(one)
    expect(Bytes.concat([])).toEqual(new Uint8Array(0))
  })

  it("copies views at their own offsets", () => {
    const backing = Uint8Array.of(9, 1, 2, 9, 3, 4, 9)
    expect(Bytes.concat([backing.subarray(1, 3), backing.subarray(4, 6)])).toEqual(Uint8Array.of(1, 2, 3, 4))
  })
})
