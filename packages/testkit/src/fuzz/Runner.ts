/**
 * The fuzz loop: for each iteration derive a seed, build one input from it, run the decoder under
 * the oracles and collect findings. Every finding carries the iteration seed: `replay(target, seed)`
 * rebuilds the very same input.
 */
import * as Rng from "./Rng.js"

/** What one decode did: returned a value, returned a typed failure, or broke an oracle. */
export type Outcome =
  | { readonly _tag: "Value" }
  | { readonly _tag: "Failure"; readonly error: string }
  | { readonly _tag: "Problem"; readonly kind: ProblemKind; readonly detail: string }

/** Oracle violations a target detects itself (exceptions, slowness and memory are detected by the runner). */
export type ProblemKind = "Untyped" | "Internal" | "RoundTrip" | "Unbounded" | "Differential"

/** Every kind of finding. */
export type FindingKind = ProblemKind | "Threw" | "Slow" | "Memory" | "Harness"

/** One input built by a target, and the decode to run on it. */
export interface Case {
  /** What the generator did (e.g. "valid A-ASSOCIATE-RQ; length field at 76 (2 bytes) 21 -> 65535"). */
  readonly label: string
  /** The bytes given to the decoder (for the reproducer). */
  readonly input: Uint8Array
  /** Runs the decoder(s) on the input and applies the target's oracles. */
  readonly check: () => Outcome
}

/** A decoder under test with its input generator. */
export interface Target {
  readonly name: string
  readonly description: string
  readonly generate: (r: Rng.Rng) => Case
}

/** A broken oracle, with everything needed to reproduce it. */
export interface Finding {
  readonly target: string
  /** The iteration seed: `replay(target, seed)` rebuilds the input. */
  readonly seed: number
  readonly kind: FindingKind
  readonly detail: string
  readonly label: string
  readonly input: Uint8Array
  readonly ms: number
}

/** Options of a run. */
export interface RunOptions {
  readonly iterations: number
  /** The run seed; iteration i uses `Rng.iterationSeed(seed, i)`. */
  readonly seed: number
  /** Flag decodes slower than this (ms) as findings; undefined: never (the CI suite's choice). */
  readonly slowMs?: number | undefined
  /** Reads process memory in bytes (e.g. heap + array buffers); enables the memory oracle. */
  readonly memoryProbe?: (() => number) | undefined
  /** Flag decodes during which `memoryProbe` grows by more than this (default 256 MiB). */
  readonly memoryLimitBytes?: number | undefined
  /** Stops after this many findings (default 20). */
  readonly maxFindings?: number | undefined
  /** Called for each finding as it is found. */
  readonly onFinding?: ((finding: Finding) => void) | undefined
  /** Stops early once this many ms have passed (the iteration count is then lower than asked). */
  readonly timeBudgetMs?: number | undefined
}

/** What a run did. */
export interface Report {
  readonly target: string
  readonly seed: number
  /** Iterations completed (equals the request unless stopped by maxFindings or timeBudgetMs). */
  readonly iterations: number
  /** Decodes that returned a value. */
  readonly values: number
  /** Decodes that returned a typed failure. */
  readonly failures: number
  readonly findings: ReadonlyArray<Finding>
  readonly elapsedMs: number
  readonly slowestMs: number
  readonly slowestSeed: number
}

/** The default memory oracle bound: 256 MiB. */
export const defaultMemoryLimitBytes = 256 * 1024 * 1024

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : `non-Error thrown: ${String(e)}`)

/** Builds and checks the input of one seed; returns the outcome, the case and the decode time. */
export const runOne = (
  target: Target,
  seed: number,
  options: Pick<RunOptions, "slowMs" | "memoryProbe" | "memoryLimitBytes"> = {}
): { readonly outcome: Outcome; readonly finding: Finding | undefined; readonly ms: number } => {
  let c: Case
  try {
    c = target.generate(Rng.make(seed))
  } catch (e) {
    const detail = `the generator threw: ${describe(e)}`
    const finding: Finding = { target: target.name, seed, kind: "Harness", detail, label: "", input: new Uint8Array(0), ms: 0 }
    return { outcome: { _tag: "Problem", kind: "Untyped", detail }, finding, ms: 0 }
  }
  const before = options.memoryProbe?.() ?? 0
  const start = performance.now()
  let outcome: Outcome
  let threw: unknown
  let didThrow = false
  try {
    outcome = c.check()
  } catch (e) {
    didThrow = true
    threw = e
    outcome = { _tag: "Problem", kind: "Untyped", detail: describe(e) }
  }
  const ms = performance.now() - start
  const grown = options.memoryProbe === undefined ? 0 : options.memoryProbe() - before
  const make = (kind: FindingKind, detail: string): Finding => ({ target: target.name, seed, kind, detail, label: c.label, input: c.input, ms })
  let finding: Finding | undefined
  if (didThrow) {
    const stack = threw instanceof Error && threw.stack !== undefined ? `\n${threw.stack.split("\n").slice(1, 6).join("\n")}` : ""
    finding = make("Threw", describe(threw) + stack)
  } else if (outcome._tag === "Problem") finding = make(outcome.kind, outcome.detail)
  else if (options.slowMs !== undefined && ms > options.slowMs) finding = make("Slow", `decode took ${ms.toFixed(0)} ms (> ${options.slowMs} ms)`)
  else if (options.memoryProbe !== undefined && grown > (options.memoryLimitBytes ?? defaultMemoryLimitBytes)) {
    finding = make("Memory", `memory grew by ${(grown / 1048576).toFixed(0)} MiB during one decode`)
  }
  return { outcome, finding, ms }
}

/** Runs `iterations` seeded inputs through a target. */
export const run = (target: Target, options: RunOptions): Report => {
  const findings: Array<Finding> = []
  const maxFindings = options.maxFindings ?? 20
  let values = 0
  let failures = 0
  let slowestMs = 0
  let slowestSeed = 0
  let done = 0
  const start = performance.now()
  for (let i = 0; i < options.iterations; i++) {
    if (options.timeBudgetMs !== undefined && performance.now() - start > options.timeBudgetMs) break
    const seed = Rng.iterationSeed(options.seed, i)
    const { outcome, finding, ms } = runOne(target, seed, options)
    done++
    if (ms > slowestMs) {
      slowestMs = ms
      slowestSeed = seed
    }
    if (outcome._tag === "Value") values++
    else if (outcome._tag === "Failure") failures++
    if (finding !== undefined) {
      findings.push(finding)
      options.onFinding?.(finding)
      if (findings.length >= maxFindings) break
    }
  }
  return { target: target.name, seed: options.seed, iterations: done, values, failures, findings, elapsedMs: performance.now() - start, slowestMs, slowestSeed }
}

/** Rebuilds and re-checks the input of one finding's seed. */
export const replay = (
  target: Target,
  seed: number,
  options: Pick<RunOptions, "slowMs" | "memoryProbe" | "memoryLimitBytes"> = {}
): { readonly outcome: Outcome; readonly input: Uint8Array; readonly label: string; readonly finding: Finding | undefined } => {
  const c = target.generate(Rng.make(seed))
  const { outcome, finding } = runOne(target, seed, options)
  return { outcome, input: c.input, label: c.label, finding }
}

/** Hex of the first `max` bytes (the reproducer printed with a finding). */
export const hex = (bytes: Uint8Array, max = 4096): string => {
  let s = ""
  const n = Math.min(bytes.length, max)
  for (let i = 0; i < n; i++) s += (bytes[i] as number).toString(16).padStart(2, "0")
  return bytes.length > max ? `${s}... (${bytes.length} bytes)` : s
}

/** Bytes from hex (whitespace ignored). */
export const fromHex = (text: string): Uint8Array => {
  const clean = text.replace(/\s+/g, "")
  const out = new Uint8Array(clean.length >>> 1)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** One finding as readable lines: target, kind, seed to replay, what was done, the error, the input. */
export const format = (f: Finding): string =>
  [
    `FINDING ${f.kind} in ${f.target} (seed 0x${f.seed.toString(16).padStart(8, "0")}, ${f.ms.toFixed(1)} ms)`,
    `  replay: node packages/testkit/bench/fuzz.ts --target ${f.target} --replay 0x${f.seed.toString(16).padStart(8, "0")}`,
    `  input:  ${f.label}`,
    `  error:  ${f.detail.split("\n").join("\n          ")}`,
    `  bytes:  ${hex(f.input, 512)}`
  ].join("\n")
