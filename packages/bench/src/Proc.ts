/**
 * Child processes with their peak resident set size: clients run to completion (wall time measured here),
 * servers run until stopped. Every process gets TCP_NODELAY=1 (DCMTK leaves Nagle on otherwise).
 * Peak RSS is the kernel's VmHWM from /proc/PID/status, polled while the process lives and read once more
 * right before a server is stopped (exact for servers; for clients at most one poll interval late).
 * CPU time (user + system, from /proc/PID/stat, 10 ms ticks) is read the same way.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { createServer, Socket } from "node:net"

/** The environment of every child: ours plus TCP_NODELAY=1. */
export const childEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  TCP_NODELAY: "1",
  ...extra
})

/** A command line: the executable and its arguments. */
export interface Command {
  readonly file: string
  readonly args: ReadonlyArray<string>
}

/** A finished client process. */
export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Wall-clock seconds from spawn to exit. */
  readonly wallSeconds: number
  /** Peak resident set size in KiB (VmHWM), when it could be read. */
  readonly peakRssKb: number | undefined
  /** Peak private (anonymous) resident memory in KiB (RssAnon, sampled at each poll), when it could be read. */
  readonly peakAnonKb: number | undefined
  /** True when the process was killed for running past its time limit. */
  readonly timedOut: boolean
  /** CPU seconds (user + system, its reaped children included) at the last poll: at most 5 ms short. */
  readonly cpuSeconds: number | undefined
}

const pollMs = 20
/** Clients are polled more often: their CPU time is read at the last poll before they exit. */
const clientPollMs = 5

/** Children still running: killed when the suite exits, so no SCP outlives it. */
const live = new Set<ChildProcess>()
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL")
})

const track = (child: ChildProcess): ChildProcess => {
  live.add(child)
  child.on("close", () => live.delete(child))
  child.on("error", () => live.delete(child))
  return child
}

/**
 * The VmHWM (peak RSS, KiB) of a live process and its RssAnon now (private anonymous memory, KiB: RSS without the
 * file-backed pages such as the executable's code, which other processes share), or undefined once it is gone.
 */
export const memoryOf = (pid: number | undefined): { readonly peakRssKb: number; readonly anonKb: number | undefined } | undefined => {
  if (pid === undefined) return undefined
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1]
    const anon = /RssAnon:\s+(\d+)\s+kB/.exec(status)?.[1]
    return hwm === undefined ? undefined : { peakRssKb: Number(hwm), anonKb: anon === undefined ? undefined : Number(anon) }
  } catch {
    return undefined
  }
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on Linux). */
const ticksPerSecond = 100

/** CPU seconds of a live process (user + system), with `reaped` also those of its children it has waited for. */
export const cpuSecondsOf = (pid: number | undefined, reaped: boolean): number | undefined => {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after ") ": state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const at = (field: number) => Number(fields[field - 3] ?? 0)
    return (at(14) + at(15) + (reaped ? at(16) + at(17) : 0)) / ticksPerSecond
  } catch {
    return undefined
  }
}

/** The PIDs whose parent is `pid` (scans /proc; for servers that fork per association). */
const childrenOf = (pid: number): ReadonlyArray<number> => {
  const found: Array<number> = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // Fields after the parenthesised command name: state, ppid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      if (ppid === pid) found.push(Number(entry))
    } catch {
      // The process ended meanwhile.
    }
  }
  return found
}

/**
 * Follows a process's VmHWM while it lives (with `children`, also its child processes': the figure is then
 * the largest single process); `read` takes a fresh sample and returns the largest seen.
 */
const watchRss = (child: ChildProcess, children = false, intervalMs = pollMs) => {
  let peak: number | undefined
  let peakAnon: number | undefined
  let cpu: number | undefined
  const sample = () => {
    const pids = child.pid === undefined ? [] : children ? [child.pid, ...childrenOf(child.pid)] : [child.pid]
    for (const pid of pids) {
      const now = memoryOf(pid)
      if (now === undefined) continue
      if (peak === undefined || now.peakRssKb > peak) peak = now.peakRssKb
      if (now.anonKb !== undefined && (peakAnon === undefined || now.anonKb > peakAnon)) peakAnon = now.anonKb
    }
    cpu = cpuSecondsOf(child.pid, true) ?? cpu
    return peak
  }
  /** CPU seconds now: the process and its reaped children, plus its live children (forking servers). */
  const cpuNow = (): number | undefined => {
    const own = cpuSecondsOf(child.pid, true)
    if (own === undefined || !children || child.pid === undefined) return own
    return childrenOf(child.pid).reduce((sum, pid) => sum + (cpuSecondsOf(pid, false) ?? 0), own)
  }
  const timer = setInterval(sample, intervalMs)
  return {
    read: sample,
    last: () => peak,
    lastAnon: () => peakAnon,
    lastCpu: () => cpu,
    cpuNow,
    stop: () => clearInterval(timer)
  }
}

/** Runs a client to completion (killed after `timeoutMs`) and measures wall time and peak RSS. */
export const run = (command: Command, options: { readonly timeoutMs: number; readonly cwd?: string }): Promise<Finished> =>
  new Promise((resolve) => {
    const started = performance.now()
    const child = track(spawn(command.file, [...command.args], { cwd: options.cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] }))
    const rss = watchRss(child, false, clientPollMs)
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    let timedOut = false
    child.stdout?.on("data", (b: Buffer) => out.push(b))
    child.stderr?.on("data", (b: Buffer) => err.push(b))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, options.timeoutMs)
    let settled = false
    const finish = (code: number | null, signal: NodeJS.Signals | null, extraErr = "") => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      rss.stop()
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + extraErr,
        wallSeconds: (performance.now() - started) / 1000,
        peakRssKb: rss.last(),
        peakAnonKb: rss.lastAnon(),
        timedOut,
        cpuSeconds: rss.lastCpu()
      })
    }
    child.on("error", (e) => finish(null, null, String(e)))
    child.on("close", (code, signal) => finish(code, signal))
  })

/** A long-running server process. */
export interface Server {
  readonly port: number
  readonly pid: number | undefined
  /** Everything the process printed so far. */
  readonly output: () => string
  /** True while the process runs. */
  readonly alive: () => boolean
  /** The peak RSS so far (KiB; with forking servers, the largest process). */
  readonly peakRss: () => number | undefined
  /** CPU seconds used so far (user + system; with forking servers, the children's included). */
  readonly cpuSeconds: () => number | undefined
  /** The peak private (anonymous) memory seen so far (KiB). */
  readonly peakAnon: () => number | undefined
  /** Reads the peak RSS, then stops the process (SIGTERM, SIGKILL after 2 s); resolves once it exited. */
  readonly stop: () => Promise<{ readonly peakRssKb: number | undefined; readonly peakAnonKb: number | undefined }>
}

/** Starts a server listening on `port` and waits until it accepts connections (or fails with its output). */
export const start = async (
  command: Command,
  port: number,
  options: {
    readonly cwd?: string
    readonly readyTimeoutMs?: number
    /** The server forks per association: its peak RSS is the largest of it and its children. */
    readonly forks?: boolean
  } = {}
): Promise<Server> => {
  const child = track(spawn(command.file, [...command.args], { cwd: options.cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] }))
  const rss = watchRss(child, options.forks ?? false)
  const chunks: Array<Buffer> = []
  child.stdout?.on("data", (b: Buffer) => chunks.push(b))
  child.stderr?.on("data", (b: Buffer) => chunks.push(b))
  let exited = false
  const closed = new Promise<void>((resolve) => {
    child.on("error", () => {
      exited = true
      resolve()
    })
    child.on("close", () => {
      exited = true
      resolve()
    })
  })
  const output = () => Buffer.concat(chunks).toString("utf8")
  const server: Server = {
    port,
    pid: child.pid,
    output,
    alive: () => !exited,
    peakRss: () => rss.read(),
    peakAnon: () => {
      rss.read()
      return rss.lastAnon()
    },
    cpuSeconds: () => rss.cpuNow(),
    stop: async () => {
      const peakRssKb = rss.read()
      const peakAnonKb = rss.lastAnon()
      rss.stop()
      if (!exited) {
        child.kill("SIGTERM")
        const hard = setTimeout(() => child.kill("SIGKILL"), 2_000)
        await closed
        clearTimeout(hard)
      }
      return { peakRssKb, peakAnonKb }
    }
  }
  try {
    await waitForPort(port, options.readyTimeoutMs ?? 15_000, () => exited)
  } catch (e) {
    await server.stop()
    throw new Error(`${command.file} did not start: ${(e as Error).message}\n${output().slice(-2000)}`)
  }
  return server
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

const connects = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = new Socket()
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => {
      socket.destroy()
      resolve(false)
    })
    socket.connect(port, "127.0.0.1")
  })

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects after `timeoutMs` or when `gone()`. */
export const waitForPort = async (port: number, timeoutMs: number, gone: () => boolean = () => false): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() <= deadline) {
    if (await connects(port)) return
    if (gone()) throw new Error("the process exited")
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`)
}
