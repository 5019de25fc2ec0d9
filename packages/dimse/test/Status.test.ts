import { describe, expect, it } from "@effect/vitest"
import { Status } from "@dicomnet/dimse"

describe("PS3.7 Annex C · status categories", () => {
  it.each([
    [0x0000, "Success"],
    [0xff00, "Pending"],
    [0xff01, "Pending"],
    [0xfe00, "Cancel"],
    [0x0001, "Warning"],
    [0x0107, "Warning"],
    [0x0116, "Warning"],
    [0xb000, "Warning"],
    [0xb006, "Warning"],
    [0xb007, "Warning"],
    [0xbfff, "Warning"],
    [0xa700, "Failure"],
    [0xa7ff, "Failure"],
    [0xa801, "Failure"],
    [0xa900, "Failure"],
    [0xc000, "Failure"],
    [0xcfff, "Failure"],
    [0x0105, "Failure"],
    [0x0110, "Failure"],
    [0x0122, "Failure"],
    [0x0124, "Failure"],
    [0x0211, "Failure"],
    [0x0213, "Failure"]
  ] as const)("status %d is %s", (code, category) => {
    expect(Status.category(code)).toBe(category)
  })

  it("the predicates agree with the categories", () => {
    expect(Status.isSuccess(0)).toBe(true)
    expect(Status.isPending(0xff01)).toBe(true)
    expect(Status.isFinal(0xff00)).toBe(false)
    expect(Status.isFinal(0xb000)).toBe(true)
    expect(Status.isWarning(0xb007)).toBe(true)
    expect(Status.isFailure(0xa801)).toBe(true)
    expect(Status.isCancel(0xfe00)).toBe(true)
    expect(Status.isFailure(0xfe00)).toBe(false)
  })
})

describe("PS3.4 Annexes B and C, PS3.7 §C.4/§C.5 · status meanings", () => {
  it("C-STORE ranges of PS3.4 §B.2.3", () => {
    expect(Status.describe(0xa7ff, "C-STORE")).toBe("Refused: out of resources (0xA7FF)")
    expect(Status.describe(0xa912, "C-STORE")).toBe("Error: data set does not match SOP class (0xA912)")
    expect(Status.describe(0xc123, "C-STORE")).toBe("Error: cannot understand (0xC123)")
    expect(Status.describe(0xb000, "C-STORE")).toBe("Warning: coercion of data elements (0xB000)")
    expect(Status.describe(0xb006, "C-STORE")).toBe("Warning: elements discarded (0xB006)")
    expect(Status.describe(0xb007, "C-STORE")).toBe("Warning: data set does not match SOP class (0xB007)")
  })

  it("C-FIND statuses of PS3.4 §C.4.1.1.4", () => {
    expect(Status.describe(0xa700, "C-FIND")).toBe("Refused: out of resources (0xA700)")
    expect(Status.describe(0xa900, "C-FIND")).toBe("Failed: identifier does not match SOP class (0xA900)")
    expect(Status.describe(0xc001, "C-FIND")).toBe("Failed: unable to process (0xC001)")
    expect(Status.describe(0xff01, "C-FIND")).toContain("optional keys were not supported")
    expect(Status.describe(0xfe00, "C-FIND")).toContain("matching terminated due to cancel")
  })

  it("C-MOVE and C-GET statuses of PS3.4 §C.4.2.1.5 and §C.4.3.1.4", () => {
    expect(Status.describe(0xa801, "C-MOVE")).toBe("Refused: move destination unknown (0xA801)")
    expect(Status.describe(0xa701, "C-GET")).toContain("unable to calculate number of matches")
    expect(Status.describe(0xa702, "C-MOVE")).toContain("unable to perform sub-operations")
    expect(Status.describe(0xb000, "C-MOVE")).toBe("Warning: sub-operations complete, one or more failures or warnings (0xB000)")
    expect(Status.describe(0xff00, "C-GET")).toBe("Pending: sub-operations are continuing (0xFF00)")
    expect(Status.describe(0x0000, "C-MOVE")).toBe("Success: sub-operations complete, no failures (0x0000)")
    // 0xA801 is a C-MOVE status only: C-GET falls back to the category.
    expect(Status.describe(0xa801, "C-GET")).toBe("Failure (0xA801)")
  })

  it("general statuses of PS3.7 §C.4/§C.5, with or without a service", () => {
    expect(Status.describe(0x0105)).toBe("Failure: no such attribute (0x0105)")
    expect(Status.describe(0x0106, "N-SET")).toBe("Failure: invalid attribute value (0x0106)")
    expect(Status.describe(0x0110)).toBe("Failure: processing failure (0x0110)")
    expect(Status.describe(0x0111, "C-STORE")).toBe("Failure: duplicate SOP instance (0x0111)")
    expect(Status.describe(0x0112, "N-GET")).toBe("Failure: no such SOP instance (0x0112)")
    expect(Status.describe(0x0117)).toBe("Failure: invalid object instance (0x0117)")
    expect(Status.describe(0x0118)).toBe("Failure: no such SOP class (0x0118)")
    expect(Status.describe(0x0119)).toBe("Failure: class-instance conflict (0x0119)")
    expect(Status.describe(0x0122, "C-STORE")).toBe("Refused: SOP class not supported (0x0122)")
    expect(Status.describe(0x0124)).toBe("Refused: not authorized (0x0124)")
    expect(Status.describe(0x0210)).toBe("Failure: duplicate invocation (0x0210)")
    expect(Status.describe(0x0211, "C-ECHO")).toBe("Failure: unrecognized operation (0x0211)")
    expect(Status.describe(0x0212)).toBe("Failure: mistyped argument (0x0212)")
    expect(Status.describe(0x0213)).toBe("Failure: resource limitation (0x0213)")
    expect(Status.describe(0x0000)).toBe("Success (0x0000)")
  })

  it("without a service, a service-specific code still gets a meaning; an unknown code gets its category", () => {
    expect(Status.describe(0xa7a7)).toBe("Refused: out of resources (0xA7A7)")
    expect(Status.describe(0xa801)).toBe("Refused: move destination unknown (0xA801)")
    expect(Status.describe(0xb123)).toBe("Warning (0xB123)")
    expect(Status.describe(0xd000)).toBe("Failure (0xD000)")
  })

  it("named codes match PS3.7 values", () => {
    expect(Status.Code.Pending).toBe(0xff00)
    expect(Status.Code.MoveDestinationUnknown).toBe(0xa801)
    expect(Status.Code.DuplicateSopInstance).toBe(0x0111)
    expect(Status.toHex(0xb7)).toBe("0x00B7")
  })
})
