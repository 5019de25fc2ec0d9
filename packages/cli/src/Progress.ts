/**
 * storescu's progress: a live display on a terminal (an overall bar and one line per worker with files/s, MB/s
 * and ETA, redrawn in place on stderr at most ~10 times a second), plain lines when stderr is not a terminal
 * (every 2 s and at each 10 %), nothing with `--quiet`. The state is plain counters the workers bump; rendering
 * is pure, so the tests check the lines.
 *
 * @since 0.1.0
 */
import { Console, Effect, Schedule } from "effect"

/**
 * One worker's counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerState {
  readonly id: number
  files: number
  bytes: number
  filesDone: number
  bytesDone: number
  failed: number
  activity: string
}

/**
 * The counters of a whole run.
 *
 * @since 0.1.0
 * @category models
 */
export interface State {
  readonly totalFiles: number
  readonly totalBytes: number
  readonly startedAt: number
  readonly workers: ReadonlyArray<WorkerState>
}

/**
 * Where progress goes.
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "tty" | "plain" | "quiet"

/**
 * Fresh counters for `workers` workers whose shares of the files are given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  shares: ReadonlyArray<{ readonly files: number; readonly bytes: number }>,
  startedAt: number
): State => ({
  totalFiles: shares.reduce((n, s) => n + s.files, 0),
  totalBytes: shares.reduce((n, s) => n + s.bytes, 0),
  startedAt,
  workers: shares.map((s, id) => ({ id, files: s.files, bytes: s.bytes, filesDone: 0, bytesDone: 0, failed: 0, activity: "waiting" }))
})

/**
 * Files and bytes done over all workers.
 *
 * @since 0.1.0
 * @category getters
 */
export const totals = (state: State): { readonly filesDone: number; readonly bytesDone: number; readonly failed: number } => {
  let filesDone = 0
  let bytesDone = 0
  let failed = 0
  for (const w of state.workers) {
    filesDone += w.filesDone
    bytesDone += w.bytesDone
    failed += w.failed
  }
  return { filesDone, bytesDone, failed }
}

/**
 * Bytes as MB with one decimal ("12.3 MB").
 *
 * @since 0.1.0
 * @category formatting
 */
export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

/**
 * Seconds as "42 s" or "3 min 5 s".
 *
 * @since 0.1.0
 * @category formatting
 */
export const duration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return "?"
  const s = Math.max(0, Math.round(seconds))
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`
}

const rates = (files: number, bytes: number, elapsedMs: number) => {
  const seconds = elapsedMs / 1000
  return {
    filesPerSecond: seconds > 0 ? files / seconds : 0,
    bytesPerSecond: seconds > 0 ? bytes / seconds : 0
  }
}

const eta = (bytesLeft: number, bytesPerSecond: number): string => (bytesLeft <= 0 ? "0 s" : bytesPerSecond > 0 ? duration(bytesLeft / bytesPerSecond) : "?")

const bar = (fraction: number, width: number): string => {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width)
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`
}

/**
 * One plain progress line: "Progress: 45/100 files (45%), 23.1/51.2 MB, 12.3 files/s, 6.1 MB/s, ETA 4 s".
 *
 * @since 0.1.0
 * @category formatting
 */
export const plainLine = (state: State, now: number): string => {
  const t = totals(state)
  const r = rates(t.filesDone, t.bytesDone, now - state.startedAt)
  const percent = state.totalFiles === 0 ? 100 : Math.floor((t.filesDone * 100) / state.totalFiles)
  return `Progress: ${t.filesDone}/${state.totalFiles} files (${percent}%), ${megabytes(t.bytesDone)} of ${megabytes(state.totalBytes)}, ` +
    `${r.filesPerSecond.toFixed(1)} files/s, ${(r.bytesPerSecond / 1e6).toFixed(1)} MB/s, ETA ${eta(state.totalBytes - t.bytesDone, r.bytesPerSecond)}` +
    (t.failed > 0 ? `, ${t.failed} failed` : "")
}

/**
 * The terminal display: an overall bar line, then one line per worker.
 *
 * @since 0.1.0
 * @category formatting
 */
export const ttyLines = (state: State, now: number, columns = 100): ReadonlyArray<string> => {
  const t = totals(state)
  const elapsed = now - state.startedAt
  const r = rates(t.filesDone, t.bytesDone, elapsed)
  const fraction = state.totalBytes === 0 ? 1 : t.bytesDone / state.totalBytes
  const lines = [
    `${bar(fraction, 30)} ${Math.floor(fraction * 100)}% ${t.filesDone}/${state.totalFiles} files, ${megabytes(t.bytesDone)}/${megabytes(state.totalBytes)}, ` +
    `${r.filesPerSecond.toFixed(1)} files/s, ${(r.bytesPerSecond / 1e6).toFixed(1)} MB/s, ETA ${eta(state.totalBytes - t.bytesDone, r.bytesPerSecond)}` +
    (t.failed > 0 ? `, ${t.failed} failed` : "")
  ]
  if (state.workers.length > 1) {
    for (const w of state.workers) {
      const wr = rates(w.filesDone, w.bytesDone, elapsed)
      lines.push(
        `  #${w.id + 1} ${bar(w.bytes === 0 ? 1 : w.bytesDone / w.bytes, 12)} ${w.filesDone}/${w.files} files, ` +
          `${wr.filesPerSecond.toFixed(1)} files/s, ${(wr.bytesPerSecond / 1e6).toFixed(1)} MB/s  ${w.activity}`
      )
    }
  }
  return lines.map((l) => (l.length > columns ? `${l.slice(0, columns - 1)}…` : l))
}

/**
 * Runs the display for `mode` until interrupted (fork it in the sending scope), drawing a last time at the end.
 *
 * @since 0.1.0
 * @category running
 */
export const display = (state: State, mode: Mode, clock: () => number = Date.now): Effect.Effect<void> => {
  if (mode === "quiet") return Effect.never
  if (mode === "tty") {
    let drawn = 0
    const draw = Effect.sync(() => {
      const lines = ttyLines(state, clock(), Math.max(40, process.stderr.columns ?? 100))
      let out = drawn > 0 ? `\x1b[${drawn}A` : ""
      for (const line of lines) out += `\x1b[2K${line}\n`
      drawn = lines.length
      process.stderr.write(out)
    })
    return draw.pipe(
      Effect.repeat(Schedule.spaced("100 millis")),
      Effect.asVoid,
      Effect.onInterrupt(() => draw)
    )
  }
  let lastAt = clock()
  let lastDecile = 0
  const tick = Effect.suspend(() => {
    const now = clock()
    const t = totals(state)
    const decile = state.totalFiles === 0 ? 10 : Math.floor((t.filesDone * 10) / state.totalFiles)
    if (decile > lastDecile || now - lastAt >= 2000) {
      lastDecile = decile
      lastAt = now
      return Console.error(plainLine(state, now))
    }
    return Effect.void
  })
  return tick.pipe(Effect.repeat(Schedule.spaced("100 millis")), Effect.asVoid, Effect.onInterrupt(() => tick))
}
