/**
 * End to end: DCMTK storescu -> the built `dicomnet storescp` (Study/Series folders, equal data sets, hooks),
 * our storescu -> our storescp (patient layout, --ignore), and `dicomnet demo` (exit 0).
 */
import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { Dcmtk } from "@dicomnet/testkit"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Binary from "./support/binary.js"
import * as Certs from "./support/certs.js"
import { runCli } from "./support/capture.js"

const walk = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))

const dumpDataset = async (path: string): Promise<string> => {
  const result = await Dcmtk.run("dcmdump", ["-q", "+L", path])
  expect(result.code).toBe(0)
  return result.stdout.split("\n").filter((l) => /^\s*\(/.test(l) && !l.trimStart().startsWith("(0002,")).join("\n")
}

const startStorescp = async (args: ReadonlyArray<string>) => {
  const port = await Dcmtk.freePort()
  const server = Binary.start(["storescp", String(port), "--bind", "127.0.0.1", ...args])
  try {
    await Dcmtk.waitForPort(port, 15_000)
  } catch (error) {
    await server.stop("SIGKILL")
    throw new Error(`storescp did not start: ${server.output()}`, { cause: error })
  }
  return { port, server }
}

let work: { readonly path: string; readonly cleanup: () => void }
let source: string

beforeAll(async () => {
  work = Dcmtk.tempDir("dicomnet-storescp-")
  source = join(work.path, "in")
  const made = await Binary.run(["synth", "--out", source, "--studies", "2", "--series", "2", "--instances", "3", "--rows", "32", "--columns", "32", "--seed", "scp"])
  expect(made.code).toBe(0)
})

afterAll(() => work.cleanup())

describe("DCMTK storescu -> dicomnet storescp", () => {
  it("--layout study: Study/Series/SOP.dcm, data sets equal to the sent files, hooks run with their placeholders", async () => {
    const out = join(work.path, "out-study")
    const hookLog = join(work.path, "hooks.log")
    const { port, server } = await startStorescp([
      "--out", out, "--layout", "study", "-v",
      "--exec-on-reception", `echo reception #f #a #c >> ${hookLog}`,
      "--exec-on-eostudy", `echo eostudy #p >> ${hookLog}`, "--eostudy-timeout", "0.5"
    ])
    let log = ""
    try {
      const sent = await Dcmtk.run("storescu", ["-aet", "MODALITY", "-aec", "STORE", "+sd", "+r", "127.0.0.1", String(port), source])
      expect(sent.code).toBe(0)
      // The end-of-study hooks run 0.5 s after each study's last instance.
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && (readFileSync(hookLog, { encoding: "utf8", flag: "a+" }).match(/eostudy/g)?.length ?? 0) < 2) {
        await new Promise((r) => setTimeout(r, 100))
      }
    } finally {
      const stopped = await server.stop()
      log = stopped.stderr
      expect(stopped.code).toBe(0)
    }
    const sentFiles = walk(source)
    const received = walk(out)
    expect(received).toHaveLength(sentFiles.length)
    for (const path of received) expect(relative(out, path)).toMatch(/^2\.25\.\d+\/2\.25\.\d+\/2\.25\.\d+\.dcm$/)
    // synth writes PatientID/Study/Series/SOP.dcm: the received tree is the same without the patient level.
    expect(received.map((p) => relative(out, p)).sort()).toEqual(sentFiles.map((p) => relative(source, p).split("/").slice(1).join("/")).sort())
    for (const path of sentFiles.slice(0, 2)) {
      const twin = join(out, relative(source, path).split("/").slice(1).join("/"))
      expect(await dumpDataset(twin)).toBe(await dumpDataset(path))
    }
    expect(log).toContain("I: Association accepted from 127.0.0.1")
    expect(log).toMatch(/I: Stored .*\.dcm \(CT Image Storage\) from MODALITY/)
    const hooks = readFileSync(hookLog, "utf8").trim().split("\n")
    expect(hooks.filter((l) => l.startsWith("reception "))).toHaveLength(sentFiles.length)
    for (const line of hooks.filter((l) => l.startsWith("reception "))) expect(line).toMatch(/^reception 2\.25\.\d+\.dcm MODALITY STORE$/)
    expect(hooks.filter((l) => l.startsWith("eostudy ")).map((l) => l.slice(8)).sort()).toEqual(readdirSync(out).map((d) => join(out, d)).sort())
  })
})

describe("dicomnet storescu -> dicomnet storescp", () => {
  it("--layout patient with --require-called-aet: Patient/Study/Series; a wrong called AE title is rejected", async () => {
    const out = join(work.path, "out-patient")
    const { port, server } = await startStorescp(["--out", out, "--layout", "patient", "--aet", "ARCHIVE", "--require-called-aet"])
    try {
      const rejected = await Binary.run(["storescu", "127.0.0.1", String(port), "-r", source, "--aec", "OTHER", "--retries", "0", "-q"])
      expect(rejected.code).toBe(3)
      expect(rejected.stderr).toContain("reason 7 (called AE title not recognized)")
      const sent = await Binary.run(["storescu", "127.0.0.1", String(port), "-r", source, "--aec", "ARCHIVE", "--threads", "2", "-q"])
      expect(sent.stderr).toBe("")
      expect(sent.code).toBe(0)
    } finally {
      await server.stop()
    }
    expect(walk(out).map((p) => relative(out, p)).sort()).toEqual(walk(source).map((p) => relative(source, p)).sort())
  })

  it("over mutual TLS (--tls-require-client-cert): stored with the client's certificate", async () => {
    const pki = Certs.generate(work.path)
    const out = join(work.path, "out-tls")
    const { port, server } = await startStorescp([
      "--out", out, "--tls", "--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--tls-ca", pki.ca, "--tls-require-client-cert"
    ])
    try {
      const sent = await Binary.run([
        "storescu", "127.0.0.1", String(port), "-r", source, "-q", "--tls", "--tls-ca", pki.ca, "--tls-cert", pki.clientCert, "--tls-key", pki.clientKey
      ])
      expect(sent.stderr).toBe("")
      expect(sent.code).toBe(0)
    } finally {
      await server.stop()
    }
    expect(walk(out)).toHaveLength(12)
  })

  it("--ignore: everything answered with success, nothing written (DCMTK storescu as the sender)", async () => {
    const { port, server } = await startStorescp(["--ignore", "-v"])
    try {
      const sent = await Dcmtk.run("storescu", ["+sd", "+r", "127.0.0.1", String(port), source])
      expect(sent.code).toBe(0)
    } finally {
      const stopped = await server.stop()
      expect(stopped.stderr.match(/I: Received 2\.25\.\d+ \(CT Image Storage\) from STORESCU/g)).toHaveLength(12)
    }
  })

  it.effect("without --out nor --ignore: exit 1 with the reason", () =>
    Effect.gen(function*() {
      const result = yield* runCli(["storescp", "0"])
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toBe("dicomnet storescp: --out DIR is required (or --ignore)")
    }))
})

describe("dicomnet demo", () => {
  it("runs the whole stack in one process and exits 0", async () => {
    const result = await Binary.run(["demo", "--instances", "3"], 30_000)
    expect(result.stdout).toMatch(/^1\. storescp +listening on 127\.0\.0\.1:\d+/m)
    expect(result.stdout).toMatch(/^4\. findscu +C-FIND at STUDY level: 2 match\(es\)$/m)
    expect(result.stdout).toMatch(/^5\. summary +12\/12 files stored .* all good in [\d.]+ s$/m)
    expect(result.stderr).toMatch(/Progress: 12\/12 files \(100%\)/)
    expect(result.code).toBe(0)
  })
})
