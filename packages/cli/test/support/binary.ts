/** Spawns the built `dicomnet` binary (packages/cli/bin/dicomnet.js) with the pinned node (process.execPath). */
import { type ChildProcess, spawn } from "node:child_process"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** The launcher, as npm links it. */
export const bin = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/dicomnet.js")

/** The outcome of a finished run. */
export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const collect = (child: ChildProcess, timeoutMs: number): Promise<Result> =>
  new Promise((resolvePromise, reject) => {
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout?.on("data", (b: Buffer) => out.push(b))
    child.stderr?.on("data", (b: Buffer) => err.push(b))
    // A bound on every run, so a hanging tool fails its test instead of the suite.
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") })
    })
  })

/** Runs `dicomnet ARGS` to completion (killed after `timeoutMs`, default 20 s). */
export const run = (args: ReadonlyArray<string>, timeoutMs = 20_000): Promise<Result> =>
  collect(spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] }), timeoutMs)

/** A long-running `dicomnet` process (a server). */
export interface Server {
  /** The process id (the launcher replaces itself with execve: the tool keeps it). */
  readonly pid: number | undefined
  readonly output: () => string
  /** Resolves when the process has exited by itself (or was stopped). */
  readonly done: Promise<Result>
  /** Sends SIGTERM (or `signal`) and resolves with the outcome. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<Result>
}

/**
 * Starts `dicomnet ARGS` in the background (with `env` added to ours, and `nodeArgs` given to Node before the
 * launcher); pair with `Dcmtk.waitForPort`.
 */
export const start = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}, nodeArgs: ReadonlyArray<string> = []): Server => {
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } })
  const done = collect(child, 120_000)
  const out: Array<Buffer> = []
  child.stdout?.on("data", (b: Buffer) => out.push(b))
  child.stderr?.on("data", (b: Buffer) => out.push(b))
  return {
    pid: child.pid,
    output: () => Buffer.concat(out).toString("utf8"),
    done,
    stop: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return done
    }
  }
}
