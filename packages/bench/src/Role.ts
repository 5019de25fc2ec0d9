/**
 * A role is one implementation (dicomnet, DCMTK, dcmjs-dimse) seen as SCU and SCP. Each adapter in
 * src/roles/ turns a measurement into processes; a missing tool or API throws `NotAvailable`, which the
 * report shows as "n/a (not available)" instead of stopping the suite.
 */
import * as Proc from "./Proc.js"

/** The implementations compared. */
export type RoleName = "dicomnet" | "DCMTK" | "dcmjs-dimse"

/** A role cannot do what was asked (tool or API missing); not a failure of the role. */
export class NotAvailable extends Error {
  override readonly name = "NotAvailable"
}

/** What an SCP must serve. */
export type ScpSpec =
  | { readonly service: "echo" }
  | {
      readonly service: "store"
      /** "ignore": receive and discard (storescp --ignore); "disk": write every object into `outDir`. */
      readonly mode: "ignore" | "disk"
      readonly outDir: string
      readonly maxPdu: number | undefined
      /** Associations arrive in parallel: a server that handles one at a time runs in its concurrent mode. */
      readonly concurrent: boolean
    }

/** The outcome of one SCU run. */
export interface ScuResult {
  /** Seconds of work: measured inside the SCU (agents), or wall time minus the tool's start-up time. */
  readonly seconds: number
  /** Wall-clock seconds of the SCU process(es), start-up included. */
  readonly wallSeconds: number
  readonly peakRssKb: number | undefined
  /** Peak private (anonymous) memory of the SCU process(es), KiB, sampled. */
  readonly peakAnonKb?: number | undefined
  /** Items done when the SCU reports them (matches for C-FIND). */
  readonly count?: number
  /**
   * CPU seconds of the SCU for the measured work: the agents' own (process.cpuUsage around the timed loop),
   * DCMTK tools' whole process (their start-up is a few ms); undefined for Node CLIs (start-up would dominate).
   */
  readonly cpuSeconds?: number
  /** Operations the SCP served untimed before the measured ones (an agent's warm-up): its CPU covers them too. */
  readonly warmUpOperations?: number
}

/** A C-STORE run: the directories to send, one association each, concurrently. */
export interface StoreInput {
  readonly dirs: ReadonlyArray<string>
  readonly maxPdu: number | undefined
  readonly timeoutMs: number
}

/** A C-FIND run at IMAGE level in one series, `repeat` times on one association. */
export interface FindInput {
  readonly calledAeTitle: string
  readonly studyInstanceUid: string
  readonly seriesInstanceUid: string
  readonly repeat: number
  readonly timeoutMs: number
}

/** An implementation as SCU and SCP. */
export interface Role {
  readonly name: RoleName
  /** Starts an SCP on 127.0.0.1:port (throws NotAvailable when the role has none for the spec). */
  readonly startScp: (spec: ScpSpec, port: number) => Promise<Proc.Server>
  /** `repeat` C-ECHOs on one association. */
  readonly echo: (port: number, repeat: number, timeoutMs: number) => Promise<ScuResult>
  /** `count` associations one after the other, each: associate, one C-ECHO, release. */
  readonly associations: (port: number, count: number, timeoutMs: number) => Promise<ScuResult>
  /** Sends every file of each directory, one association per directory, all directories at once. */
  readonly store: (port: number, input: StoreInput) => Promise<ScuResult>
  /** C-FIND against an archive (DCMTK dcmqrscp or the dicomnet Q/R SCP) holding the tiny set. */
  readonly find: (port: number, input: FindInput) => Promise<ScuResult>
}

/** Fails with the tail of the output when a client process did not succeed. */
export const check = (what: string, finished: Proc.Finished): Proc.Finished => {
  if (finished.timedOut) throw new Error(`${what}: timed out after ${finished.wallSeconds.toFixed(0)} s`)
  if (finished.code !== 0) {
    const tail = (finished.stderr + finished.stdout).trim().split("\n").slice(-3).join(" | ")
    throw new Error(`${what}: exit ${finished.code ?? finished.signal}: ${tail.slice(0, 300)}`)
  }
  return finished
}

/** Runs client processes at once; wall time is the slowest, peak RSS the largest. */
export const runAll = async (runs: ReadonlyArray<() => Promise<Proc.Finished>>): Promise<ReadonlyArray<Proc.Finished>> =>
  Promise.all(runs.map((r) => r()))

/** The largest of some optional peak RSS figures. */
export const maxRss = (values: ReadonlyArray<number | undefined>): number | undefined => {
  const known = values.filter((v): v is number => v !== undefined)
  return known.length === 0 ? undefined : Math.max(...known)
}

/** The JSON line an agent prints last on stdout: `{"seconds":..., "count":...}`. */
export const agentReport = (
  what: string,
  finished: Proc.Finished
): { readonly seconds: number; readonly count?: number; readonly cpuSeconds?: number; readonly warmUp?: number } => {
  const line = finished.stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)
  if (line === undefined) throw new Error(`${what}: no report on stdout`)
  const parsed = JSON.parse(line) as { seconds?: unknown; count?: unknown; cpuSeconds?: unknown; warmUp?: unknown }
  if (typeof parsed.seconds !== "number") throw new Error(`${what}: bad report ${line}`)
  return {
    seconds: parsed.seconds,
    ...(typeof parsed.count === "number" ? { count: parsed.count } : {}),
    ...(typeof parsed.cpuSeconds === "number" ? { cpuSeconds: parsed.cpuSeconds } : {}),
    ...(typeof parsed.warmUp === "number" ? { warmUp: parsed.warmUp } : {})
  }
}

/** A client agent's run as a result: its own timing and CPU, the process's wall time and peak RSS. */
export const agentResult = (what: string, finished: Proc.Finished): ScuResult => {
  const report = agentReport(what, finished)
  return {
    seconds: report.seconds,
    wallSeconds: finished.wallSeconds,
    peakRssKb: finished.peakRssKb,
    peakAnonKb: finished.peakAnonKb,
    ...(report.count === undefined ? {} : { count: report.count }),
    ...(report.cpuSeconds === undefined ? {} : { cpuSeconds: report.cpuSeconds }),
    ...(report.warmUp === undefined ? {} : { warmUpOperations: report.warmUp })
  }
}

/**
 * The shortest wall time of a quick command (`tool --version`) over a few runs: the start-up cost subtracted from
 * wall times. The minimum, not the median: other load only ever lengthens a run, and an inflated start-up would
 * be subtracted from a short measured run (a DCMTK store of 0.1 s) and inflate its rate.
 */
export const startupSeconds = async (command: Proc.Command, runs = 5): Promise<number> => {
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < runs; i++) best = Math.min(best, (await Proc.run(command, { timeoutMs: 30_000 })).wallSeconds)
  return Number.isFinite(best) ? best : 0
}

/** Memoizes a promise-returning thunk. */
export const once = <A>(f: () => Promise<A>): (() => Promise<A>) => {
  let cached: Promise<A> | undefined
  return () => {
    cached ??= f()
    return cached
  }
}

/**
 * Turns finished SCU processes into a result: the slowest wall time minus the start-up; with `cpu`, the CPU of all
 * of them (for native tools, whose start-up costs a few ms of CPU), when each ran at least 0.25 s (CPU is
 * polled every 5 ms, so a shorter process would lose too large a share of it).
 */
export const fromProcesses = (finished: ReadonlyArray<Proc.Finished>, startup: number, cpu = false): ScuResult => {
  const wall = Math.max(...finished.map((f) => f.wallSeconds))
  const cpus = finished.map((f) => (f.wallSeconds >= 0.25 ? f.cpuSeconds : undefined))
  const all = cpu && cpus.every((c) => c !== undefined) ? cpus.reduce<number>((sum, c) => sum + (c ?? 0), 0) : undefined
  return {
    seconds: Math.max(wall - startup, 1e-3),
    wallSeconds: wall,
    peakRssKb: maxRss(finished.map((f) => f.peakRssKb)),
    peakAnonKb: maxRss(finished.map((f) => f.peakAnonKb)),
    ...(all === undefined ? {} : { cpuSeconds: all })
  }
}
