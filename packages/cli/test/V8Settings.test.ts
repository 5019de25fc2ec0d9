/**
 * V8Settings: the V8 settings the launcher starts the tools with, which of them a command line lacks, and which
 * tools run until stopped.
 */
import { V8Settings } from "@dicomnet/cli"
import { describe, expect, it } from "@effect/vitest"

describe("V8Settings", () => {
  it("on 2 processors or fewer: 1 MiB semi-spaces, a growing factor of 2, gc exposed and one V8 worker thread", () => {
    expect(V8Settings.flags(2)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100", "--expose-gc", "--v8-pool-size=1"])
    expect(V8Settings.flags(1)).toEqual(V8Settings.flags(2))
    expect(V8Settings.flags(2, "server")).toEqual(V8Settings.flags(2))
  })

  it("on more processors: Node's own worker threads", () => {
    expect(V8Settings.flags(3)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100", "--expose-gc"])
  })

  it("for a process that does one job and ends: Maglev as the highest tier, no TurboFan", () => {
    expect(V8Settings.flags(2, "job")).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100", "--expose-gc", "--max-opt=2", "--v8-pool-size=1"])
    expect(V8Settings.flags(8, "job")).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100", "--expose-gc", "--max-opt=2"])
  })

  it("lifetimeOf: storescp and echoscp run until stopped, every other tool (or none) does one job", () => {
    expect(V8Settings.lifetimeOf(["storescp", "11112", "--out", "in"])).toBe("server")
    expect(V8Settings.lifetimeOf(["echoscp", "11112"])).toBe("server")
    expect(["storescu", "echoscu", "findscu", "movescu", "getscu", "synth", "demo", "--help"].map((tool) => V8Settings.lifetimeOf([tool]))).toEqual(Array(8).fill("job"))
    expect(V8Settings.lifetimeOf([])).toBe("job")
  })

  it("missing: a setting given with dashes or underscores, with or without a value, is not added again", () => {
    expect(V8Settings.missing(["--max_semi_space_size=4", "--inspect"], 2)).toEqual(["--heap-growing-percent=100", "--expose-gc", "--v8-pool-size=1"])
    expect(V8Settings.missing(["--heap-growing-percent", "50", "--v8-pool-size=3", "--expose_gc"], 2)).toEqual(["--max-semi-space-size=1"])
    expect(V8Settings.missing(["--max-semi-space-size=2", "--heap-growing-percent=10", "--expose-gc", "--v8-pool-size=4"], 2)).toEqual([])
    expect(V8Settings.missing(["--max_opt=3"], 8, "job")).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100", "--expose-gc"])
    expect(V8Settings.missing([], 8)).toEqual(V8Settings.flags(8))
    expect(V8Settings.missing([], 2, "job")).toEqual(V8Settings.flags(2, "job"))
  })

  it("missing: a boolean setting turned off (--no-expose-gc) counts as given", () => {
    expect(V8Settings.missing(["--no-expose-gc"], 8)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100"])
    expect(V8Settings.missing(["--no_expose_gc"], 8)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100"])
  })

  it("missing: a flag that only starts like a setting's name does not count as it", () => {
    expect(V8Settings.missing(["--max-semi-space-size-extra=1", "--expose-gc-as=collect", "--max-optimized-x=1"], 8, "job")).toEqual(V8Settings.flags(8, "job"))
  })
})
