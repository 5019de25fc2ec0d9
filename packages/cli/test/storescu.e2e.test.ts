/**
 * End to end: the built `dicomnet storescu` and `dicomnet synth` against DCMTK 3.6.7 (storescp, dcmdump):
 * every file stored over parallel associations with equal data sets, the JSON summary valid against its
 * Schema, plain progress lines when stderr is not a terminal, retries while the receiver comes up, and
 * `--retry-from` resending only what failed.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Dcmtk } from "@dicomnet/testkit"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as StoreSummary from "../src/StoreSummary.js"
import * as Binary from "./support/binary.js"
import { runCli } from "./support/capture.js"

const walk = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))

/** dcmdump of the data set only (no file meta group, no header lines). */
const dumpDataset = async (path: string): Promise<string> => {
  const result = await Dcmtk.run("dcmdump", ["-q", "+L", path])
  expect(result.code).toBe(0)
  return result.stdout
    .split("\n")
    .filter((l) => /^\s*\(/.test(l) && !l.trimStart().startsWith("(0002,"))
    .join("\n")
}

const readSummary = (path: string): StoreSummary.Summary => {
  const decoded = StoreSummary.decodeJson(readFileSync(path, "utf8"))
  if (Result.isFailure(decoded)) throw new Error(decoded.failure.message)
  return decoded.success
}

const startStorescp = async (out: string, port?: number) => {
  const p = port ?? await Dcmtk.freePort()
  const peer = Dcmtk.start("storescp", [String(p), "-od", out])
  await Dcmtk.waitForPort(p)
  return { port: p, peer }
}

let work: { readonly path: string; readonly cleanup: () => void }
let source: string

beforeAll(async () => {
  work = Dcmtk.tempDir("dicomnet-storescu-")
  source = join(work.path, "in")
  // 4 studies x 2 series x 4 instances of 64x64 CT: 32 files.
  const made = await Binary.run(["synth", "--out", source, "--studies", "4", "--series", "2", "--instances", "4", "--rows", "64", "--columns", "64"])
  expect(made.code).toBe(0)
  expect(made.stdout).toMatch(/^32 files, [\d.]+ MB written to /)
})

afterAll(() => work.cleanup())

describe("dicomnet synth", () => {
  it("writes files dcmdump reads without complaint, for DICOS TDR in Implicit VR too", async () => {
    const out = join(work.path, "tdr")
    const made = await Binary.run(["synth", "--out", out, "--modality", "DICOS-TDR", "--instances", "2", "--rows", "32", "--columns", "32", "--transfer-syntax", "ImplicitVRLittleEndian", "--seed", "7"])
    expect(made.code).toBe(0)
    const files = walk(out)
    expect(files.length).toBe(3) // 2 DICOS CT slices + 1 threat detection report
    for (const f of [...files, walk(source)[0] as string]) {
      const dumped = await Dcmtk.run("dcmdump", ["-q", f])
      expect(dumped.stderr).toBe("")
      expect(dumped.code).toBe(0)
    }
  })

  it.effect("rejects an invalid option with exit 1 and the reason", () =>
    Effect.gen(function*() {
      const result = yield* runCli(["synth", "--out", join(work.path, "x"), "--transfer-syntax", "JPEGBaseline8Bit"])
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toMatch(/^Invalid synth option transferSyntax: must be one of the uncompressed transfer syntaxes/)
    }))
})

describe("dicomnet storescu against DCMTK storescp", () => {
  it("--threads 4: every file stored, data sets equal, summary valid, plain progress on a pipe", async () => {
    const out = join(work.path, "out-threads")
    mkdirSync(out, { recursive: true })
    const { port, peer } = await startStorescp(out)
    try {
      const summaryPath = join(work.path, "threads.json")
      const logPath = join(work.path, "threads.log")
      const result = await Binary.run(["storescu", "127.0.0.1", String(port), source, "-r", "--threads", "4", "--summary", summaryPath, "--log", logPath])
      expect(result.stderr).toMatch(/Progress: 32\/32 files \(100%\), [\d.]+ MB of [\d.]+ MB, [\d.]+ files\/s, [\d.]+ MB\/s, ETA 0 s/)
      expect(result.stdout).toMatch(/^Stored 32 of 32 files \([\d.]+ MB\) in [\d.]+ s over 4 association\(s\): [\d.]+ files\/s, [\d.]+ MB\/s; 0 failed, 0 warning\(s\), 0 skipped\n$/)
      expect(result.code).toBe(0)

      const summary = readSummary(summaryPath)
      expect([summary.total, summary.succeeded, summary.failed, summary.skipped]).toEqual([32, 32, 0, 0])
      expect(summary.session).toMatchObject({ tool: "storescu", host: "127.0.0.1", port, callingAeTitle: "DICOMNET", calledAeTitle: "ANY-SCP" })
      expect(summary.configuration).toMatchObject({ threads: 4, recursive: true, retries: 3 })
      expect(summary.timings.associations).toBe(4)
      // --log keeps the -v detail in the file even without -v on stderr.
      const log = readFileSync(logPath, "utf8")
      expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z I: Sending 32 files \([\d.]+ MB\) to 127\.0\.0\.1:\d+ over 4 association\(s\) in parallel/m)
      expect(log.match(/ I: Stored /g)).toHaveLength(32)
      expect(result.stderr).not.toContain("I: ")
      expect(summary.files.every((f) => f.outcome === "stored" && f.status === 0 && f.attempts === 1)).toBe(true)

      const received = walk(out)
      expect(received).toHaveLength(32)
      // A sample: the received data set equals the sent one, element by element.
      const sent = walk(source).slice(0, 3)
      for (const path of sent) {
        const uid = path.split("/").at(-1)?.replace(/\.dcm$/, "") ?? ""
        const twin = received.find((r) => r.endsWith(uid))
        expect(twin).toBeDefined()
        expect(await dumpDataset(twin as string)).toBe(await dumpDataset(path))
      }
    } finally {
      await peer.stop()
    }
  })

  it("files larger than the scan keeps (read ahead from disk into reused buffers, one larger than a read): all stored byte for byte", async () => {
    // 7 images of 256x256 (~130 KB: read at send time, the three buffers each reused) and one of 1024x600 (~1.2 MB:
    // its first 1 MiB read ahead, the rest streamed from disk), on one association.
    const big = join(work.path, "in-big")
    const made = await Binary.run(["synth", "--out", big, "--instances", "7", "--rows", "256", "--columns", "256", "--seed", "3"])
    expect(made.code).toBe(0)
    const large = await Binary.run(["synth", "--out", join(big, "large"), "--instances", "1", "--rows", "1024", "--columns", "600", "--seed", "4"])
    expect(large.code).toBe(0)
    const out = join(work.path, "out-big")
    mkdirSync(out, { recursive: true })
    const { port, peer } = await startStorescp(out)
    try {
      const result = await Binary.run(["storescu", "127.0.0.1", String(port), big, "-r", "-q"])
      expect(result.stdout).toMatch(/^Stored 8 of 8 files /)
      expect(result.code).toBe(0)
      const received = walk(out)
      expect(received).toHaveLength(8)
      for (const path of walk(big)) {
        const uid = path.split("/").at(-1)?.replace(/\.dcm$/, "") ?? ""
        const twin = received.find((r) => r.endsWith(uid))
        expect(twin).toBeDefined()
        const [a, b] = [readFileSync(path), readFileSync(twin as string)]
        // The data set bytes after each file's own meta header are the same.
        expect(a.subarray(a.length - 100_000).equals(b.subarray(b.length - 100_000))).toBe(true)
        expect(await dumpDataset(twin as string)).toBe(await dumpDataset(path))
      }
    } finally {
      await peer.stop()
    }
  })

  it("retries while the receiver comes up late, then stores everything (attempts > 1 in the summary)", async () => {
    const out = join(work.path, "out-late")
    mkdirSync(out, { recursive: true })
    const port = await Dcmtk.freePort()
    const summaryPath = join(work.path, "late.json")
    const running = Binary.start(["storescu", "127.0.0.1", String(port), source, "-r", "--retries", "5", "--retry-delay", "0.25", "--summary", summaryPath, "-q", "-v"])
    // The receiver comes up once the first attempt was refused and a retry is scheduled.
    const deadline = Date.now() + 15_000
    while (!running.output().includes("Retrying 32 file(s) in") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(running.output()).toMatch(/I: Association with 127\.0\.0\.1:\d+ failed: Connection refused/)
    const peer = Dcmtk.start("storescp", [String(port), "-od", out])
    try {
      const result = await running.done
      expect(result.stderr).not.toContain("E: ")
      expect(result.code).toBe(0)
      const summary = readSummary(summaryPath)
      expect(summary.succeeded).toBe(32)
      expect(Math.max(...summary.files.map((f) => f.attempts))).toBeGreaterThan(1)
      expect(walk(out)).toHaveLength(32)
    } finally {
      await peer.stop()
    }
  })

  it("Ctrl-C while waiting to retry: exit 130, and the summary so far says what was not stored", async () => {
    const port = await Dcmtk.freePort()
    const summaryPath = join(work.path, "interrupted.json")
    const running = Binary.start(["storescu", "127.0.0.1", String(port), source, "-r", "--retries", "5", "--retry-delay", "30", "--summary", summaryPath, "-q", "-v"])
    const deadline = Date.now() + 15_000
    while (!running.output().includes("Retrying 32 file(s) in 30 s") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const result = await running.stop("SIGINT")
    expect(result.code).toBe(130)
    const summary = readSummary(summaryPath)
    expect([summary.total, summary.succeeded, summary.failed]).toEqual([32, 0, 32])
    expect(summary.files[0]).toMatchObject({ outcome: "failed", attempts: 1, description: expect.stringMatching(/^Connection refused/) })
  })

  it("--retry-from resends only the files that failed", async () => {
    const port = await Dcmtk.freePort()
    const firstSummary = join(work.path, "first.json")
    const oneStudy = walk(source).filter((p) => p.includes(walk(source)[0]?.split("/").at(-3) ?? "?"))
    // Nothing listens: every file fails (no retry), exit 2 naming the refusal.
    const first = await Binary.run(["storescu", "127.0.0.1", String(port), ...oneStudy, "--retries", "0", "--summary", firstSummary, "-q"])
    expect(first.code).toBe(2)
    expect(first.stderr).toMatch(/not stored \(first: Connection refused/)
    const failedSummary = readSummary(firstSummary)
    expect(failedSummary.failed).toBe(oneStudy.length)
    expect(failedSummary.files[0]).toMatchObject({ outcome: "failed", attempts: 1, description: expect.stringMatching(/^Connection refused/) })

    const out = join(work.path, "out-retry-from")
    mkdirSync(out, { recursive: true })
    const { peer } = await startStorescp(out, port)
    try {
      const secondSummary = join(work.path, "second.json")
      const second = await Binary.run(["storescu", "127.0.0.1", String(port), "--retry-from", firstSummary, "--summary", secondSummary, "-q"])
      expect(second.code).toBe(0)
      expect(readSummary(secondSummary).succeeded).toBe(oneStudy.length)
      expect(walk(out)).toHaveLength(oneStudy.length)
      // A summary with nothing failed: nothing to resend.
      const third = await Binary.run(["storescu", "127.0.0.1", String(port), "--retry-from", secondSummary, "-q"])
      expect(third.code).toBe(0)
      expect(third.stdout).toMatch(/^Nothing to resend/)
    } finally {
      await peer.stop()
    }
  })
})
