/**
 * The server's memory under load, measured apart from its clients: the DicomServer runs alone in
 * a child Node process (`child/server.ts`, the workspace sources under Node's type stripping) and its
 * peak resident set (VmHWM from /proc) is read after 200 concurrent associations storing objects.
 * The figure goes to SECURITY.md; the assertion is only a generous sanity bound.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Association, Store } from "@dicomnet/client"
import { Dcmtk } from "@dicomnet/testkit"
import { NodeTransport } from "@dicomnet/transport-node"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { clientTimeouts, host } from "./Harness.js"
import { check, clean, object, secondaryCapture, type TestObject } from "./Objects.js"

const childDir = fileURLToPath(new URL("./child/", import.meta.url))

/** Resident set figures of a process from /proc/<pid>/status, in KiB. */
const memoryOf = (pid: number): { readonly rssKiB: number; readonly peakKiB: number } => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN)
  return { rssKiB: field("VmRSS"), peakKiB: field("VmHWM") }
}

/** Starts the server process; resolves with its port once it listens (rejects after 30 s). */
const startServer = (directory: string): Promise<{ readonly child: ChildProcess; readonly port: number }> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--experimental-transform-types",
        "--no-warnings",
        "--conditions=@dicomnet/source",
        "--import",
        pathToFileURL(`${childDir}register.mjs`).href,
        `${childDir}server.ts`,
        directory,
        "256"
      ],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    let out = ""
    let err = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`server process did not start: ${err}`))
    }, 30_000)
    child.stderr?.on("data", (b: Buffer) => {
      err += b.toString()
    })
    child.stdout?.on("data", (b: Buffer) => {
      out += b.toString()
      const line = /\{"port":(\d+)\}/.exec(out)
      if (line !== null) {
        clearTimeout(timer)
        resolve({ child, port: Number(line[1]) })
      }
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`server process exited with ${code}: ${err}`))
    })
  })

const mib = (kib: number) => Math.round(kib / 1024)

describe("Memory · the server alone in its process under 200 concurrent associations", () => {
  let dir: { readonly path: string; readonly cleanup: () => void }
  beforeEach(() => {
    dir = Dcmtk.tempDir("dicomnet-memory-")
  })
  afterEach(() => dir.cleanup())

  it.live("200 associations x 3 C-STOREs of 32 KiB: peak RSS of the server process stays bounded; every object on disk", () =>
    Effect.gen(function* () {
      const { child, port } = yield* Effect.acquireRelease(
        Effect.promise(() => startServer(dir.path)),
        ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
      )
      const pid = child.pid ?? 0
      const idle = memoryOf(pid)
      const one = (i: number) =>
        Effect.scoped(
          Effect.gen(function* () {
            const association = yield* Association.request({
              host,
              port,
              callingAeTitle: `MEM${i}`,
              contexts: [{ abstractSyntax: secondaryCapture }],
              timeouts: { ...clientTimeouts, artim: "30 seconds", dimse: "30 seconds", connect: "30 seconds" }
            })
            const acknowledged: Array<TestObject> = []
            for (const o of [object(3 * i), object(3 * i + 1), object(3 * i + 2)]) {
              const r = yield* Store.stream(association, {
                sopClassUid: o.sopClassUid,
                sopInstanceUid: o.sopInstanceUid,
                transferSyntaxUid: o.transferSyntaxUid,
                data: Stream.make(o.bytes)
              })
              if (r.status === 0) acknowledged.push(o)
            }
            return acknowledged
          })
        )
      const acknowledged = (yield* Effect.forEach(Array.from({ length: 200 }, (_, i) => i), one, { concurrency: "unbounded" })).flat()
      const loaded = memoryOf(pid)
      console.log(
        `[memory] server process: idle RSS ${mib(idle.rssKiB)} MiB (peak so far ${mib(idle.peakKiB)} MiB, module loading); after 200 associations x 3 C-STORE (32 KiB): peak RSS (VmHWM) ${mib(loaded.peakKiB)} MiB, RSS ${mib(loaded.rssKiB)} MiB`
      )
      expect(acknowledged).toHaveLength(600)
      expect(check(dir.path, acknowledged)).toMatchObject(clean)
      // Sanity bound only: far above what was measured (see SECURITY.md).
      expect(loaded.peakKiB).toBeLessThan(1024 * 1024)
    }).pipe(Effect.provide(NodeTransport.layerTcp()))
  , 120_000)
})
