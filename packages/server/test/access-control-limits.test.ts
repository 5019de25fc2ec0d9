import { describe, expect, it } from "@effect/vitest"
import { Limits } from "@dicomnet/server"

describe("Limits · safe defaults", () => {
  it("defaults bound every resource a peer can make the server hold", () => {
    expect(Limits.defaults).toEqual({
      maxPduLength: 262144,
      maxAssociations: 64,
      maxDatasetBytes: 4 * 1024 * 1024 * 1024,
      maxIdentifierBytes: 64 * 1024,
      maxNestingDepth: 64
    })
  })

  it("overrides apply; zero, negative and non-finite values fall back to the default (never unlimited)", () => {
    const limits = Limits.make({ maxPduLength: 16384, maxAssociations: 0, maxDatasetBytes: Number.POSITIVE_INFINITY, maxIdentifierBytes: -1 })
    expect(limits.maxPduLength).toBe(16384)
    expect(limits.maxAssociations).toBe(64)
    expect(limits.maxDatasetBytes).toBe(Limits.defaults.maxDatasetBytes)
    expect(limits.maxIdentifierBytes).toBe(64 * 1024)
    expect(limits.maxNestingDepth).toBe(64)
  })
})
