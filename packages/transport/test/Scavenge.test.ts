/**
 * Scavenge: after every so many bytes of reported buffers, one young-generation collection, asked of the engine's
 * `gc` when it is exposed; nothing otherwise.
 */
import { Scavenge } from "@dicomnet/transport"
import { afterEach, describe, expect, it } from "@effect/vitest"

/** A `gc` stand-in recording the options of each call. */
const recorder = () => {
  const calls: Array<unknown> = []
  return { calls, gc: (options: unknown) => void calls.push(options) }
}

describe("Scavenge.make", () => {
  it("collects once the step is reached; what went beyond it counts towards the next", () => {
    const { calls, gc } = recorder()
    const counter = Scavenge.make(100, () => gc)
    counter.allocated(60)
    counter.allocated(39)
    expect(calls).toEqual([])
    counter.allocated(1)
    expect(calls).toEqual([{ type: "minor" }])
    counter.allocated(99)
    expect(calls).toHaveLength(1)
    // 349 reported since: one collection (not three), 49 carried over.
    counter.allocated(250)
    expect(calls).toHaveLength(2)
    counter.allocated(50)
    expect(calls).toHaveLength(2)
    counter.allocated(1)
    expect(calls).toHaveLength(3)
  })

  it("steps a little under the step collect about once each", () => {
    const { calls, gc } = recorder()
    const counter = Scavenge.make(100, () => gc)
    for (let i = 0; i < 10; i++) counter.allocated(98)
    expect(calls).toHaveLength(9)
  })

  it("does nothing when the engine exposes no gc", () => {
    let asked = 0
    const counter = Scavenge.make(10, () => {
      asked++
      return undefined
    })
    expect(() => counter.allocated(1000)).not.toThrow()
    expect(asked).toBe(1)
  })
})

describe("Scavenge.allocated (the process-wide counter)", () => {
  const global = globalThis as { gc?: unknown }
  afterEach(() => {
    delete global.gc
  })

  it("asks the global gc for a minor collection after every 4 MiB reported", () => {
    const { calls, gc } = recorder()
    global.gc = gc
    expect(Scavenge.every).toBe(4 * 1024 * 1024)
    Scavenge.allocated(Scavenge.every - 1)
    expect(calls).toEqual([])
    Scavenge.allocated(1)
    expect(calls).toEqual([{ type: "minor" }])
    for (let i = 0; i < 8; i++) Scavenge.allocated(Scavenge.every / 2)
    expect(calls).toHaveLength(5)
  })

  it("without a global gc (Node started without --expose-gc) reporting is harmless", () => {
    expect(global.gc).toBeUndefined()
    expect(() => Scavenge.allocated(3 * Scavenge.every)).not.toThrow()
  })
})
