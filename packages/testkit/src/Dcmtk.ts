/**
 * A small harness for running DCMTK's command-line tools as real peers in tests and benchmarks.
 * Every DCMTK process gets `TCP_NODELAY=1` (DCMTK leaves Nagle on otherwise, ~50x slower on loopback).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The environment every DCMTK process runs with: ours plus TCP_NODELAY=1. */
export const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  TCP_NODELAY: "1",
  ...extra
})

/** The DCMTK tools the test suite relies on. */
export const tools = [
  "echoscu", "storescu", "storescp", "findscu", "movescu", "getscu", "dcmqrscp",
  "dcmdump", "dcmconv", "dump2dcm", "img2dcm"
] as const

/** Throws a clear error when a DCMTK tool is missing: tests must fail, never skip, without their peer. */
export const requireTool = (tool: string): string => {
  try {
    return execFileSync("which", [tool], { encoding: "utf8" }).trim()
  } catch {
    throw new Error(`DCMTK tool '${tool}' is not installed: run 'apt-get install -y dcmtk' (.ci/run does)`)
  }
}

/** The outcome of a finished DCMTK run. */
export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Options for running a tool. */
export interface RunOptions {
  readonly cwd?: string
  /** Kill the process after this many milliseconds (default 30 s) so no test hangs on a peer. */
  readonly timeoutMs?: number
  readonly input?: string | Uint8Array
  readonly env?: Record<string, string>
}

/** Runs a DCMTK tool to completion and collects its output (never rejects on a non-zero exit). */
export const run = (tool: string, args: ReadonlyArray<string>, options: RunOptions = {}): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    requireTool(tool)
    const child = spawn(tool, args, { cwd: options.cwd, env: env(options.env), stdio: ["pipe", "pipe", "pipe"] })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (b: Buffer) => out.push(b))
    child.stderr.on("data", (b: Buffer) => err.push(b))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000)
    child.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8")
      })
    })
    if (options.input !== undefined) child.stdin.end(options.input)
    else child.stdin.end()
  })

/** A long-running DCMTK peer (a server such as storescp or dcmqrscp). */
export interface Peer {
  readonly process: ChildProcess
  /** Everything the process printed so far. */
  readonly output: () => string
  /** Stops the process (SIGTERM, then SIGKILL after 2 s) and resolves when it has exited. */
  readonly stop: () => Promise<RunResult>
}

/** Starts a long-running DCMTK tool; pair with `waitForPort` before talking to it. */
export const start = (tool: string, args: ReadonlyArray<string>, options: Omit<RunOptions, "input" | "timeoutMs"> = {}): Peer => {
  requireTool(tool)
  const child = spawn(tool, args, { cwd: options.cwd, env: env(options.env), stdio: ["ignore", "pipe", "pipe"] })
  const out: Array<Buffer> = []
  const err: Array<Buffer> = []
  child.stdout.on("data", (b: Buffer) => out.push(b))
  child.stderr.on("data", (b: Buffer) => err.push(b))
  const exited = new Promise<RunResult>((resolve) =>
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") })
    )
  )
  return {
    process: child,
    output: () => Buffer.concat(out).toString("utf8") + Buffer.concat(err).toString("utf8"),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM")
        const hard = setTimeout(() => child.kill("SIGKILL"), 2_000)
        void exited.then(() => clearTimeout(hard))
      }
      return exited
    }
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
export const waitForPort = async (port: number, timeoutMs = 10_000, host = "127.0.0.1"): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket()
      socket.once("connect", () => {
        socket.destroy()
        resolve(true)
      })
      socket.once("error", () => {
        socket.destroy()
        resolve(false)
      })
      socket.connect(port, host)
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A fresh temporary directory with a `cleanup` that removes it. */
export const tempDir = (prefix = "dicomnet-"): { readonly path: string; readonly cleanup: () => void } => {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}
