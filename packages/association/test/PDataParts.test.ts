import { describe, expect, it } from "@effect/vitest"
import { PduCodec } from "@dicomnet/pdu"
import type { Pdv } from "@dicomnet/pdu"
import * as PDataParts from "../src/internal/PDataParts.js"

const concat = (parts: ReadonlyArray<Uint8Array>): Array<number> => parts.flatMap((p) => Array.from(p))

const pdvs = (n: number, seed: number): ReadonlyArray<Pdv> =>
  Array.from({ length: n }, (_, i) => ({
    presentationContextId: 1 + 2 * i,
    isCommand: i % 2 === 0,
    isLast: i === n - 1,
    data: Uint8Array.from({ length: (seed * 7 + i * 13) % 40 }, (_, j) => (seed + j) & 0xff)
  }))

describe("PDataParts · P-DATA-TF parts from a header slab (PS3.8 §9.3.5)", () => {
  it("encodes the same bytes as PduCodec.encodePDataTf, PDU after PDU, across slab boundaries", () => {
    const sent: Array<{ readonly parts: Array<Uint8Array>; readonly expected: Array<number> }> = []
    // 12-48 header bytes per PDU: 2,000 PDUs fill several 8 KiB slabs.
    for (let k = 0; k < 2000; k++) {
      const items = pdvs(1 + (k % 4), k)
      const parts: Array<Uint8Array> = []
      PDataParts.push(items, parts)
      sent.push({ parts, expected: Array.from(PduCodec.encodePDataTf(items)) })
    }
    // Checked after all were encoded: a later PDU never overwrites an earlier one's headers.
    for (const { parts, expected } of sent) expect(concat(parts)).toEqual(expected)
  })

  it("appends to the caller's array, payloads as the caller's views (no copy)", () => {
    const data = new Uint8Array([9, 8, 7])
    const out: Array<Uint8Array> = [new Uint8Array([1])]
    PDataParts.push([{ presentationContextId: 3, isCommand: false, isLast: true, data }], out)
    expect(out.length).toBe(3)
    expect(out[2]).toBe(data)
    expect(Array.from(out[1] ?? [])).toEqual([0x04, 0, 0, 0, 0, 9, 0, 0, 0, 5, 3, 2])
  })
})
