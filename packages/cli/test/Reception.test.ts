/** storescp's placement of received instances, collisions, hook placeholders and end-of-study timers. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Reception from "../src/Reception.js"

const ids = { sopInstanceUid: "1.2.3.4", studyInstanceUid: "1.2", seriesInstanceUid: "1.2.3", patientId: "DOE/../JOHN 7" }

describe("storescp · where a received instance goes", () => {
  it("flat, study (Study/Series) and patient (Patient/Study/Series); file name = SOP Instance UID + .dcm", () => {
    expect(Reception.pathOf("/out", "flat", ids)).toBe("/out/1.2.3.4.dcm")
    expect(Reception.pathOf("/out", "study", ids)).toBe("/out/1.2/1.2.3/1.2.3.4.dcm")
    expect(Reception.pathOf("/out", "patient", ids)).toBe("/out/DOE_.._JOHN_7/1.2/1.2.3/1.2.3.4.dcm")
  })

  it("values never escape the output directory; missing ones become UNKNOWN", () => {
    expect(Reception.component("..")).toBe("UNKNOWN")
    expect(Reception.component("../../etc")).toBe(".._.._etc")
    expect(Reception.pathOf("/out", "study", { sopInstanceUid: "9" })).toBe("/out/UNKNOWN/UNKNOWN/9.dcm")
  })

  it("--on-collision: overwrite writes over, keep drops the new copy, rename picks the next free _N", () => {
    const existing = new Set(["/o/a.dcm", "/o/a_1.dcm"])
    const exists = (p: string) => existing.has(p)
    expect(Reception.resolveCollision("/o/a.dcm", "overwrite", exists)).toBe("/o/a.dcm")
    expect(Reception.resolveCollision("/o/a.dcm", "keep", exists)).toBeUndefined()
    expect(Reception.resolveCollision("/o/a.dcm", "rename", exists)).toBe("/o/a_2.dcm")
    expect(Reception.resolveCollision("/o/b.dcm", "keep", exists)).toBe("/o/b.dcm")
  })
})

describe("storescp --fsync · the directories flushed after the rename", () => {
  it("the file's directory alone when it existed; with new Study/Series folders, each one's parent too", () => {
    expect(Reception.directoriesToSync("/out/1.2/1.2.3", undefined)).toEqual(["/out/1.2/1.2.3"])
    // mkdir -p made the series folder only: the study folder holds a new entry.
    expect(Reception.directoriesToSync("/out/1.2/1.2.3", "/out/1.2/1.2.3")).toEqual(["/out/1.2/1.2.3", "/out/1.2"])
    // mkdir -p made the study and the series folders: the output directory holds a new entry too.
    expect(Reception.directoriesToSync("/out/1.2/1.2.3", "/out/1.2")).toEqual(["/out/1.2/1.2.3", "/out/1.2", "/out"])
    // The patient layout, everything new.
    expect(Reception.directoriesToSync("/out/P/1.2/1.2.3", "/out/P")).toEqual(["/out/P/1.2/1.2.3", "/out/P/1.2", "/out/P", "/out"])
  })
})

describe("storescp · hooks (DCMTK placeholders #p #f #a #c #r)", () => {
  it("replaces every placeholder with a shell-quoted value", () => {
    const line = Reception.expandHook("process #p/#f from #a to #c at #r", { p: "/out/1.2", f: "x.dcm", a: "MOD 1", c: "STORE", r: "10.0.0.1" })
    expect(line).toBe("process '/out/1.2'/'x.dcm' from 'MOD 1' to 'STORE' at '10.0.0.1'")
    expect(Reception.expandHook("echo #a", { p: "", f: "", a: "it's", c: "", r: "" })).toBe(`echo 'it'\\''s'`)
  })

  it.effect("end of study: once after the idle gap following the last instance, per study", () =>
    Effect.gen(function*() {
      const ended: Array<string> = []
      const values = { p: "/out", f: "", a: "A", c: "C", r: "h" }
      const fiber = yield* Effect.forkChild(Effect.scoped(Effect.gen(function*() {
        const tracker = yield* Reception.endOfStudy("5 seconds", (study, v) => Effect.sync(() => ended.push(`${study}@${v.f}`)))
        yield* tracker.touch("S1", { ...values, f: "1" })
        yield* TestClock.adjust("4 seconds")
        yield* tracker.touch("S1", { ...values, f: "2" }) // restarts S1's timer
        yield* tracker.touch("S2", { ...values, f: "3" })
        yield* TestClock.adjust("4 seconds")
        expect(ended).toEqual([])
        yield* TestClock.adjust("1 second")
        expect(ended).toEqual(["S1@2", "S2@3"])
        yield* TestClock.adjust("1 minute")
        expect(ended).toEqual(["S1@2", "S2@3"])
      })))
      yield* Fiber.join(fiber)
    }))
})
