/**
 * storescu and storescp in this process against our server and client over TCP.
 * The asynchronous operations window (PS3.7 D.3.3.3): storescu keeps up to `--async-window` C-STOREs in flight when
 * the peer accepts a window, and one at a time when it does not; a failure mid-window gives every file its own
 * outcome and the files not sent wait for the next attempt; storescp answers a proposed window with the smaller of
 * both, or none with `--async-window 1`. Files read from disk: one gone after the scan fails alone.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Association } from "@dicomnet/client"
import { TransferSyntax } from "@dicomnet/data"
import { DicomServer } from "@dicomnet/server"
import { Synth } from "@dicomnet/synth"
import { Dcmtk } from "@dicomnet/testkit"
import { NodeTransport } from "@dicomnet/transport-node"
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Options from "../src/Options.js"
import * as StoreSummary from "../src/StoreSummary.js"
import * as Storescp from "../src/tools/storescp.js"
import * as Storescu from "../src/tools/storescu.js"
import { parseStorescp, parseStorescu } from "./support/capture.js"

const work = Dcmtk.tempDir("dicomnet-async-window-")
afterAll(() => work.cleanup())

/** 12 small CT files of one study under `dir`. */
const source = join(work.path, "in")
mkdirSync(source, { recursive: true })
const files = Array.from(Synth.generate({ modality: "CT", seed: "window", instancesPerSeries: 12, rows: 8, columns: 8, layout: "flat" }))
for (const f of files) writeFileSync(join(source, f.path.split("/").at(-1) ?? f.path), f.bytes)

const CT = "1.2.840.10008.5.1.4.1.1.2"
const syntaxes = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]

/** How many C-STOREs a receiver was performing at once, at most, and what it stored. */
interface Observed {
  active: number
  maxActive: number
  readonly stored: Set<string>
  calls: number
}

/**
 * A TCP storage SCP (in this process) whose handler takes `millis` per object; `window` is what it accepts;
 * `hang(call)` makes a call never answer (the client's DIMSE timer ends it).
 */
const receiver = (window: number | undefined, millis: number, hang: (call: number) => boolean = () => false) =>
  Effect.gen(function*() {
    const observed: Observed = { active: 0, maxActive: 0, stored: new Set(), calls: 0 }
    const server = yield* DicomServer.make({
      host: "127.0.0.1",
      port: 0,
      aeTitle: "WINDOW",
      acceptance: {
        contexts: [{ abstractSyntax: CT, transferSyntaxes: syntaxes }],
        ...(window === undefined ? {} : { asyncOperationsWindow: { maxOperationsInvoked: window, maxOperationsPerformed: 1 } })
      },
      handlers: {
        store: (rq) =>
          Effect.gen(function*() {
            const call = ++observed.calls
            observed.active++
            observed.maxActive = Math.max(observed.maxActive, observed.active)
            yield* Stream.runDrain(rq.dataset)
            yield* Effect.sleep(`${millis} millis`)
            if (hang(call)) yield* Effect.never
            observed.stored.add(rq.sopInstanceUid)
            return 0
          }).pipe(Effect.ensuring(Effect.sync(() => observed.active--)))
      }
    }).pipe(Effect.provide(NodeTransport.layerTcp()))
    return { port: server.address.port, observed }
  })

/** storescu in this process with the flags given, quiet. */
const storescu = (port: number, flags: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { parsed } = yield* parseStorescu(["127.0.0.1", String(port), source, "--aec", "WINDOW", "-q", ...flags])
    assert.isDefined(parsed)
    return yield* Effect.result(Storescu.run(parsed, { progress: "quiet" }))
  }).pipe(Effect.provide(NodeServices.layer))

describe("dicomnet storescu · asynchronous operations window", () => {
  it.live("keeps as many C-STOREs in flight as the peer accepts (3 of the 8 proposed), every file stored", () =>
    Effect.gen(function*() {
      const { observed, port } = yield* receiver(3, 30)
      const result = yield* storescu(port, ["--async-window", "8"])
      assert.isTrue(result._tag === "Success")
      expect(observed.stored.size).toBe(files.length)
      expect(observed.maxActive).toBe(3)
    }).pipe(Effect.scoped))

  it.live("one at a time when the peer answers no window (DCMTK's behaviour), and with --async-window 1", () =>
    Effect.gen(function*() {
      const silent = yield* receiver(undefined, 10)
      assert.isTrue((yield* storescu(silent.port, []))._tag === "Success")
      expect(silent.observed.stored.size).toBe(files.length)
      expect(silent.observed.maxActive).toBe(1)
      const offered = yield* receiver(8, 10)
      assert.isTrue((yield* storescu(offered.port, ["--async-window", "1"]))._tag === "Success")
      expect(offered.observed.stored.size).toBe(files.length)
      expect(offered.observed.maxActive).toBe(1)
    }).pipe(Effect.scoped))

  it.live("a C-STORE that is never answered: the association ends, the files in flight and the rest are sent again", () =>
    Effect.gen(function*() {
      // The 4th call of the first association hangs; the DIMSE timer (1 s) aborts, the retry stores everything.
      const { observed, port } = yield* receiver(4, 5, (call) => call === 4)
      const summaryPath = join(work.path, "hang.json")
      const result = yield* storescu(port, ["--async-window", "4", "--dimse-timeout", "1", "--retry-delay", "0", "--summary", summaryPath])
      assert.isTrue(result._tag === "Success")
      expect(observed.stored.size).toBe(files.length)
      const summary = result._tag === "Success" ? result.success : undefined
      assert.isDefined(summary)
      expect(summary.timings.associations).toBe(2)
      expect(summary.succeeded).toBe(files.length)
      // The hung file was attempted twice; files stored before the abort were sent once.
      const attempts = summary.files.map((f) => f.attempts)
      expect(attempts.filter((a) => a === 2).length).toBeGreaterThanOrEqual(1)
      expect(attempts.filter((a) => a === 1).length).toBeGreaterThanOrEqual(3)
      expect(attempts.every((a) => a === 1 || a === 2)).toBe(true)
    }).pipe(Effect.scoped))
})

describe("dicomnet storescu · files read from disk", () => {
  it.live("a file gone between the scan and its C-STORE fails alone with 'Cannot read PATH: ENOENT'; the others are stored", () =>
    Effect.gen(function*() {
      // 6 files of ~130 KB (larger than the scan keeps: each is read from disk just before it is sent).
      const dir = join(work.path, "large")
      mkdirSync(dir, { recursive: true })
      const large = Array.from(Synth.generate({ modality: "CT", seed: "gone", instancesPerSeries: 6, rows: 256, columns: 256, layout: "flat" }))
      const paths = large.map((f) => join(dir, f.path.split("/").at(-1) ?? f.path))
      large.forEach((f, i) => {
        writeFileSync(paths[i] as string, f.bytes)
      })
      // The first C-STORE received deletes every file: those not read yet by then fail.
      const observed = { stored: 0 }
      const server = yield* DicomServer.make({
        host: "127.0.0.1",
        port: 0,
        acceptance: { contexts: [{ abstractSyntax: CT, transferSyntaxes: syntaxes }] },
        handlers: {
          store: (rq) =>
            Effect.gen(function*() {
              yield* Stream.runDrain(rq.dataset)
              if (observed.stored === 0) for (const p of paths) rmSync(p, { force: true })
              observed.stored++
              return 0
            })
        }
      }).pipe(Effect.provide(NodeTransport.layerTcp()))
      const summaryPath = join(work.path, "gone.json")
      const { parsed } = yield* parseStorescu(["127.0.0.1", String(server.address.port), dir, "-q", "--async-window", "1", "--summary", summaryPath])
      assert.isDefined(parsed)
      const result = yield* Effect.result(Storescu.run(parsed, { progress: "quiet" }))
      assert.isTrue(result._tag === "Failure")
      const summary = StoreSummary.decodeJson(readFileSync(summaryPath, "utf8"))
      assert.isTrue(summary._tag === "Success")
      const files = summary._tag === "Success" ? summary.success.files : []
      const failed = files.filter((f) => f.outcome === "failed")
      expect(files.filter((f) => f.outcome === "stored").length).toBe(observed.stored)
      expect(failed.length).toBeGreaterThanOrEqual(3)
      expect(failed.length + observed.stored).toBe(paths.length)
      for (const f of failed) expect(f.description).toBe(`Cannot read ${f.path}: ENOENT`)
    }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)))
})

describe("dicomnet storescp · asynchronous operations window", () => {
  /** storescp --ignore in this process, and the window a requestor proposing 16 gets. */
  const negotiate = (flags: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const { parsed } = yield* parseStorescp(["0", "--bind", "127.0.0.1", "--ignore", ...flags])
      assert.isDefined(parsed)
      const listening = yield* Storescp.listen(parsed)
      const association = yield* Association.request({
        host: "127.0.0.1",
        port: listening.port,
        calledAeTitle: "ANY",
        contexts: [{ abstractSyntax: CT, transferSyntaxes: syntaxes }],
        asyncOperationsWindow: { maxOperationsInvoked: 16, maxOperationsPerformed: 16 }
      })
      const window = association.negotiated.asyncOperationsWindow
      yield* association.release
      return window
    }).pipe(Effect.scoped, Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))

  it.live("answers the smaller window: --async-window 4 against 16 proposed is 4 invoked, 1 performed", () =>
    Effect.gen(function*() {
      expect(yield* negotiate(["--async-window", "4"])).toEqual({ maxOperationsInvoked: 4, maxOperationsPerformed: 1 })
      expect(yield* negotiate([])).toEqual({ maxOperationsInvoked: Options.ASYNC_WINDOW_DEFAULT, maxOperationsPerformed: 1 })
    }))

  it.live("--async-window 1 answers none: the requestor works one at a time", () =>
    Effect.gen(function*() {
      expect(yield* negotiate(["--async-window", "1"])).toEqual({ maxOperationsInvoked: 1, maxOperationsPerformed: 1 })
    }))

  it.effect("--async-window 0 is a usage error naming the range", () =>
    Effect.gen(function*() {
      const { exit, stderr } = yield* parseStorescp(["104", "--ignore", "--async-window", "0"])
      assert.isTrue(exit._tag === "Failure")
      expect(stderr).toContain("an integer from 1 to 65535")
    }))
})
