/**
 * V8Settings: the V8 settings the launcher starts the tools with, and which of them a command line lacks.
 */
import { V8Settings } from "@dicomnet/cli"
import { describe, expect, it } from "@effect/vitest"

describe("V8Settings", () => {
  it("on 2 processors or fewer: 1 MiB semi-spaces, a growing factor of 2, gc exposed and one V8 worker thread", () => {
    expect(V8Settings.flags(2)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100", "--expose-gc", "--v8-pool-size=1"])
    expect(V8Settings.flags(1)).toEqual(V8Settings.flags(2))
  })

  it("on more processors: Node's own worker threads", () => {
    expect(V8Settings.flags(3)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100", "--expose-gc"])
  })

  it("missing: a setting given with dashes or underscores, with or without a value, is not added again", () => {
    expect(V8Settings.missing(["--max_semi_space_size=4", "--inspect"], 2)).toEqual(["--heap-growing-percent=100", "--expose-gc", "--v8-pool-size=1"])
    expect(V8Settings.missing(["--heap-growing-percent", "50", "--v8-pool-size=3", "--expose_gc"], 2)).toEqual(["--max-semi-space-size=1"])
    expect(V8Settings.missing(["--max-semi-space-size=2", "--heap-growing-percent=10", "--expose-gc", "--v8-pool-size=4"], 2)).toEqual([])
    expect(V8Settings.missing([], 8)).toEqual(V8Settings.flags(8))
  })

  it("missing: a boolean setting turned off (--no-expose-gc) counts as given", () => {
    expect(V8Settings.missing(["--no-expose-gc"], 8)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100"])
    expect(V8Settings.missing(["--no_expose_gc"], 8)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100"])
  })

  it("missing: a flag that only starts like a setting's name does not count as it", () => {
    expect(V8Settings.missing(["--max-semi-space-size-extra=1", "--expose-gc-as=collect"], 8)).toEqual(V8Settings.flags(8))
  })
})
