/** Parsing of the storage and query tools: DCMTK order (HOST PORT first), options anywhere, validation. */
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import * as Storescp from "../src/tools/storescp.js"
import * as Storescu from "../src/tools/storescu.js"
import { parseFindscu, parseStorescp, parseStorescu } from "./support/capture.js"

describe("dicomnet storescu · arguments and options", () => {
  it.effect("HOST PORT PATH... with flags before, between and after the paths; defaults of the contract", () =>
    Effect.gen(function*() {
      const { parsed, exit } = yield* parseStorescu(["pacs", "104", "a.dcm", "-r", "dir", "--threads", "4", "'x/**'"])
      assert.isTrue(Exit.isSuccess(exit))
      expect(parsed).toMatchObject({
        host: "pacs",
        port: 104,
        paths: ["a.dcm", "dir", "'x/**'"],
        recursive: true,
        threads: 4,
        retries: 3,
        retryDelay: 1,
        quiet: false,
        warningsAsFailures: false,
        aet: "DICOMNET",
        aec: "ANY-SCP"
      })
      expect(parsed?.summary).toEqual(Option.none())
      expect(parsed?.retryFrom).toEqual(Option.none())
    }))

  it.effect("--retry-from needs no PATH; --summary, --log, -q, --warnings-as-failures, --retries 0", () =>
    Effect.gen(function*() {
      const { parsed } = yield* parseStorescu([
        "pacs", "104", "--retry-from", "run.json", "--summary", "s.json", "--log", "l.txt", "-q", "--warnings-as-failures", "--retries", "0"
      ])
      expect(parsed).toMatchObject({ paths: [], quiet: true, warningsAsFailures: true, retries: 0 })
      expect(parsed?.retryFrom).toEqual(Option.some("run.json"))
      expect(parsed?.summary).toEqual(Option.some("s.json"))
      expect(parsed?.log).toEqual(Option.some("l.txt"))
    }))

  it.effect("--threads outside 1..64 is a usage error naming the range", () =>
    Effect.gen(function*() {
      const { exit, stderr } = yield* parseStorescu(["pacs", "104", "a.dcm", "--threads", "0"])
      assert.isTrue(Exit.isFailure(exit))
      expect(stderr).toContain("an integer from 1 to 64")
    }))
})

describe("dicomnet findscu · arguments and options", () => {
  it.effect("-k repeatable, --model, --level, --json", () =>
    Effect.gen(function*() {
      const { parsed } = yield* parseFindscu(["pacs", "104", "-k", "PatientName=DOE*", "--level", "SERIES", "-k", "0008,0060=CT", "--json", "--model", "patient"])
      expect(parsed).toMatchObject({ keys: ["PatientName=DOE*", "0008,0060=CT"], level: "SERIES", model: "patient", json: true })
    }))

  it.effect("defaults: study root, level from the model, text output", () =>
    Effect.gen(function*() {
      const { parsed } = yield* parseFindscu(["pacs", "104"])
      expect(parsed).toMatchObject({ keys: [], level: undefined, model: "study", json: false })
    }))
})

describe("dicomnet storescp · arguments and options", () => {
  it.effect("defaults: flat layout, overwrite, no fsync, every storage SOP class, eostudy 5 s", () =>
    Effect.gen(function*() {
      const { parsed } = yield* parseStorescp(["11112", "--out", "/in"])
      expect(parsed).toMatchObject({ port: 11112, layout: "flat", onCollision: "overwrite", fsync: false, ignore: false, sopClasses: [], transferSyntaxes: [], eostudyTimeout: 5 })
      expect(parsed?.out).toEqual(Option.some("/in"))
    }))

  it.effect("SOP classes and transfer syntaxes by UID or keyword, comma separated or repeated", () =>
    Effect.gen(function*() {
      const { parsed } = yield* parseStorescp([
        "0", "--ignore", "--sop-classes", "CTImageStorage,1.2.840.10008.5.1.4.1.1.4", "--sop-classes", "DICOSCTImageStorage",
        "--transfer-syntaxes", "ImplicitVRLittleEndian", "--layout", "patient", "--on-collision", "rename", "--fsync"
      ])
      expect(parsed?.sopClasses).toEqual(["1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.501.1"])
      expect(parsed?.transferSyntaxes).toEqual(["1.2.840.10008.1.2"])
      expect(parsed).toMatchObject({ layout: "patient", onCollision: "rename", fsync: true, ignore: true })
    }))

  it.effect("an unknown keyword is a usage error", () =>
    Effect.gen(function*() {
      const { exit, stderr } = yield* parseStorescp(["0", "--ignore", "--sop-classes", "NoSuchStorage"])
      assert.isTrue(Exit.isFailure(exit))
      expect(stderr).toContain("'NoSuchStorage' is neither a UID nor a known keyword")
    }))
})

describe("dicomnet storescu · what is retried", () => {
  it("connection failures, aborts, timeouts and transient rejections; not permanent rejections or refused contexts", () => {
    expect(Storescu.isTransient({ _tag: "TransportError", reason: "ConnectRefused" })).toBe(true)
    expect(Storescu.isTransient({ _tag: "AssociationAborted", source: "peer-provider" })).toBe(true)
    expect(Storescu.isTransient({ _tag: "TransportTimeout", timer: "connect" })).toBe(true)
    expect(Storescu.isTransient({ _tag: "DimseTimeout" })).toBe(true)
    expect(Storescu.isTransient({ _tag: "AssociationRejected", result: 2, source: 3, reason: 2 })).toBe(true)
    expect(Storescu.isTransient({ _tag: "AssociationRejected", result: 1, source: 1, reason: 7 })).toBe(false)
    expect(Storescu.isTransient({ _tag: "PresentationContextNotAccepted" })).toBe(false)
    expect(Storescu.isTransient(new Error("bug"))).toBe(false)
  })

  it("status 0xA7xx (out of resources) is retried; other failures are not", () => {
    expect([0xa700, 0xa701, 0xa7ff].map(Storescu.isTransientStatus)).toEqual([true, true, true])
    expect([0x0000, 0xa900, 0xc000, 0x0110].map(Storescu.isTransientStatus)).toEqual([false, false, false, false])
  })
})

describe("dicomnet storescp · the verbose live view", () => {
  it("lists the associations in progress with what each brought, then the totals", () => {
    const totals = { received: 15, failed: 1, bytes: 7_500_000, startedAt: 0 }
    const current = [
      { peer: "10.0.0.5:41234", callingAeTitle: "CT1", files: 12, bytes: 6_000_000 },
      { peer: "10.0.0.6:50000", callingAeTitle: "MR1", files: 3, bytes: 1_500_000 }
    ]
    expect(Storescp.liveLine(current, totals, 5000)).toBe(
      "Associations: 2 active (CT1 from 10.0.0.5:41234: 12 files, 6.0 MB; MR1 from 10.0.0.6:50000: 3 files, 1.5 MB); " +
        "received 15 files (7.5 MB), 3.0 files/s; 1 failed"
    )
    expect(Storescp.liveLine([], { ...totals, received: 0, failed: 0, bytes: 0 }, 1000)).toBe(
      "Associations: 0 active; received 0 files (0.0 MB), 0.0 files/s; 0 failed"
    )
  })
})
