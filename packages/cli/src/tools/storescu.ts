/**
 * `dicomnet storescu HOST PORT PATH...`: the Storage SCU (DCMTK storescu). Finds the DICOM files among the inputs
 * by content, proposes presentation contexts from what they are, sends each study on one association over
 * `--threads N` parallel associations, retries transient failures with exponential backoff, shows progress,
 * and reports every file's outcome (and a JSON summary with `--summary`).
 *
 * @since 0.1.0
 */
import { appendFileSync, closeSync, fstatSync, openSync, promises as fsp, read, writeFileSync } from "node:fs"
import { Association, Store } from "@dicomnet/client"
import { Status } from "@dicomnet/dimse"
import { Clock, Console, Effect, Fiber, type FileSystem, Layer, Logger, Option, References, Result, type Scope } from "effect"
import type { Transport } from "@dicomnet/transport"
import { Argument, Command, Flag } from "effect/cli"
import { VERSION } from "../Version.js"
import { type Explained, ExitCode, explain, ToolFailure } from "../Failure.js"
import * as Inputs from "../Inputs.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Progress from "../Progress.js"
import * as StorePlan from "../StorePlan.js"
import * as StoreSummary from "../StoreSummary.js"
import * as Tls from "../Tls.js"

const positiveInt = (name: string, description: string, fallback: number, min = 1, max = 1_000_000) =>
  Flag.Int(name).pipe(
    Flag.withMetavar("N"),
    Flag.withDescription(`${description} (default ${fallback})`),
    Flag.withDefault(fallback),
    Flag.filterMap((n) => (Number.isInteger(n) && n >= min && n <= max ? Option.some(n) : Option.none()), () => `an integer from ${min} to ${max}`)
  )

/**
 * The storescu arguments and flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  host: Options.peerHost,
  port: Options.peerPort,
  paths: Argument.String("path").pipe(
    Argument.withDescription("Files, directories or glob patterns (quoted, e.g. 'scans/**/*.dcm') to send"),
    Argument.variadic()
  ),
  recursive: Flag.Boolean("recursive").pipe(
    Flag.withAlias("r"),
    Flag.withDescription("Descend into subdirectories of directory inputs"),
    Flag.withDefault(false)
  ),
  threads: positiveInt("threads", "Associations in parallel; studies are spread over them, largest first", 1, 1, 64),
  asyncWindow: Options.asyncWindow(
    "C-STOREs in flight at once on an association, proposed as the asynchronous operations window (PS3.7 D.3.3.3); " +
      "a peer that does not accept it gets one at a time; 1 proposes nothing"
  ),
  retries: positiveInt("retries", "Retries of transient failures (connection refused, abort, 0xA7xx out of resources)", 3, 0, 100),
  retryDelay: Flag.Finite("retry-delay").pipe(
    Flag.withMetavar("SECONDS"),
    Flag.withDescription("First retry delay, doubled at each retry (default 1)"),
    Flag.withDefault(1),
    Flag.filterMap((s) => (s >= 0 && s <= 3600 ? Option.some(s) : Option.none()), () => "0 to 3600 seconds")
  ),
  retryFrom: Flag.String("retry-from").pipe(
    Flag.withMetavar("SUMMARY.json"),
    Flag.withDescription("Resend only the files that failed in this earlier --summary"),
    Flag.optional
  ),
  summary: Flag.String("summary").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription("Write a JSON summary: counts, session, configuration, per-file results, timings"),
    Flag.optional
  ),
  log: Flag.String("log").pipe(Flag.withMetavar("FILE"), Flag.withDescription("Also append the log (at least -v detail) to FILE"), Flag.optional),
  quiet: Flag.Boolean("quiet").pipe(Flag.withAlias("q"), Flag.withDescription("No progress display"), Flag.withDefault(false)),
  warningsAsFailures: Flag.Boolean("warnings-as-failures").pipe(
    Flag.withDescription("Count C-STORE warnings (0001H, Bxxx) as failures for the exit code"),
    Flag.withDefault(false)
  ),
  aet: Options.aet,
  aec: Options.aec,
  maxPdu: Options.maxPdu,
  timeouts: Options.timeouts,
  tls: Options.tlsClient,
  ...Options.logging
} as const

/**
 * The parsed storescu configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

/**
 * Whether a failure is transient, worth another association after a pause: connection failures, aborts,
 * timeouts and a transient rejection (result 2); not a permanent rejection nor a refused context.
 *
 * @since 0.1.0
 * @category retries
 */
export const isTransient = (error: unknown): boolean => {
  if (typeof error !== "object" || error === null || !("_tag" in error)) return false
  switch ((error as { _tag: string })._tag) {
    case "TransportError":
    case "TransportTimeout":
    case "AssociationAborted":
    case "AssociationTimeout":
    case "DimseTimeout":
      return true
    case "AssociationRejected":
      return (error as { result?: unknown }).result === 2
    default:
      return false
  }
}

/**
 * 0xA7xx: refused, out of resources (PS3.4 Table B.2-1): worth a retry.
 *
 * @since 0.1.0
 * @category retries
 */
export const isTransientStatus = (status: number): boolean => (status & 0xff00) === 0xa700

interface FileRecord {
  readonly file: Inputs.DicomFile
  attempts: number
  ms: number
  status: number | undefined
  description: string
  outcome: StoreSummary.FileResult["outcome"]
  bytesSent: number
  explained: Explained | undefined
}

/** What happened to the files one association attempt carried. */
type Attempt = { readonly retry: ReadonlyArray<FileRecord> }

/** Bytes of a file read ahead at once: a typical image whole, the start of a larger one. */
const READ_SIZE = 1024 * 1024

/**
 * Bytes read per step for the rest of a larger file. Each step is a new buffer, garbage once sent: smaller steps
 * are freed sooner, but 256 KiB steps set off runs of full collections in V8 (one every ~35 ms, "GC in old space
 * requested" with a 30 MB heap) in some transfers and not in others. Sending one 256 MiB object in one process
 * to DCMTK storescp (6 runs each, CPU of the sender): 256 KiB steps 224-652 ms, 512 KiB 156-182 ms, 1 MiB 143-261
 * ms. Our storescu -> our storescp, fresh processes (8 runs each): 512 KiB 0.36-0.56 s, peak RSS of storescu 126
 * MiB; 1 MiB 0.37-0.53 s, 137 MiB.
 */
const STREAM_STEP = 512 * 1024

/** The outcome of one read: the bytes read (0 at the end of the file), or the error. */
const readAt = (fd: number, target: Uint8Array, offset: number, position: number): Effect.Effect<number, NodeJS.ErrnoException> =>
  Effect.callback<number, NodeJS.ErrnoException>((resume) => {
    read(fd, target, offset, target.length - offset, position, (error, n) => resume(error === null ? Effect.succeed(n) : Effect.fail(error)))
  })

/**
 * Reads a file's data set start (the whole of a typical image) ahead of its C-STORE, into `buffer`: what the scan
 * found is not read again. Node's file calls directly: open, size and close are synchronous (metadata, a few µs
 * each), the read goes to the thread pool so that a slow disk does not stall the association's socket. Measured
 * against the FileSystem service's four asynchronous calls (our storescu -> DCMTK storescp, 500 CT, 3 runs each):
 * storescu CPU 0.94-1.04 -> 0.86-0.89 s, 616-632 -> 718-764 MB/s.
 */
const preloadFile = (f: Inputs.DicomFile, buffer: Uint8Array): Effect.Effect<Store.PreloadedFile, ToolFailure> =>
  Effect.suspend(() => {
    const cannotRead = (error: unknown) =>
      new ToolFailure({ exitCode: ExitCode.Usage, line: `Cannot read ${f.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` })
    let fd: number
    let size: number
    try {
      fd = openSync(f.path, "r")
    } catch (error) {
      return Effect.fail(cannotRead(error))
    }
    const close = Effect.sync(() => closeSync(fd))
    try {
      size = fstatSync(fd).size
    } catch (error) {
      return Effect.andThen(close, Effect.fail(cannotRead(error)))
    }
    const start = Math.min(f.datasetOffset, size)
    const want = Math.min(size - start, READ_SIZE)
    const target = want <= buffer.length ? buffer.subarray(0, want) : new Uint8Array(want)
    // Reads until the target is full or the file ends (a short read before the end is rare on a regular file).
    const fill = (filled: number): Effect.Effect<number, NodeJS.ErrnoException> =>
      filled >= want ? Effect.succeed(filled) : Effect.flatMap(readAt(fd, target, filled, start + filled), (n) => (n === 0 ? Effect.succeed(filled) : fill(filled + n)))
    return fill(0).pipe(
      Effect.ensuring(close),
      Effect.mapError(cannotRead),
      Effect.map((filled): Store.PreloadedFile => ({
        info: { path: f.path, sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid, transferSyntaxUid: f.transferSyntaxUid, datasetOffset: f.datasetOffset },
        size,
        data: target.subarray(0, filled),
        readSize: STREAM_STEP
      }))
    )
  })

/** A small file the scan read whole, as `Store.preload` would give it (no disk access). */
const fromScan = (f: Inputs.DicomFile, content: Uint8Array): Store.PreloadedFile => ({
  info: { path: f.path, sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid, transferSyntaxUid: f.transferSyntaxUid, datasetOffset: f.datasetOffset },
  size: content.length,
  data: content.subarray(Math.min(f.datasetOffset, content.length)),
  readSize: READ_SIZE
})

/**
 * Sends one file on an established association with the client's Store: the data set from its preloaded start
 * (read while the previous file was in flight), then streamed from disk, unchanged on a context with its transfer
 * syntax, else transcoded to an accepted uncompressed one; returns the C-STORE-RSP status (a failure status too).
 */
const sendFile = (
  association: Association.Association,
  record: FileRecord,
  preloaded: Effect.Effect<Store.PreloadedFile, ToolFailure>
) =>
  preloaded.pipe(
    Effect.flatMap((file) => Store.preloaded(association, file)),
    Effect.map((result) => {
      record.bytesSent = record.file.size - record.file.datasetOffset
      return result.status
    }),
    Effect.catchTag("DimseFailure", (failure) => {
      record.bytesSent = record.file.size - record.file.datasetOffset
      return Effect.succeed(failure.status)
    }),
    Effect.catchTag("PlatformError", (e) =>
      Effect.fail(new ToolFailure({ exitCode: ExitCode.Usage, line: `Cannot read ${record.file.path}: ${e.message}` }))),
    Effect.catchTag(["DataDecodeError", "DataEncodeError"], (e) =>
      Effect.fail(new ToolFailure({ exitCode: ExitCode.Usage, line: `Cannot transcode ${record.file.path}: ${e.message}` })))
  )

const describeStatus = (status: number): string => Status.describe(status, "C-STORE")

/**
 * One attempt of a batch: an association, the files in order, the release. Files that fail transiently are
 * handed back for the next attempt; the others get their final outcome.
 */
const attemptBatch = (
  c: Config,
  contexts: ReadonlyArray<StorePlan.ContextProposal>,
  records: ReadonlyArray<FileRecord>,
  worker: Progress.WorkerState,
  counters: { associations: number }
): Effect.Effect<Attempt, never, Transport.Transport | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const retry: Array<FileRecord> = []
    const fail = (record: FileRecord, error: unknown, transient: boolean) => {
      const explained = explain(error)
      record.description = explained.line
      record.explained = explained
      record.status = undefined
      record.outcome = "failed"
      if (transient) retry.push(record)
    }
    worker.activity = "connecting"
    const opened = yield* Association.request({
      ...Options.requestTo(c),
      contexts: contexts.map((p) => ({ abstractSyntax: p.abstractSyntax, transferSyntaxes: p.transferSyntaxes })),
      ...(c.asyncWindow > 1 ? { asyncOperationsWindow: { maxOperationsInvoked: c.asyncWindow, maxOperationsPerformed: 1 } } : {})
    }).pipe(Effect.result)
    if (Result.isFailure(opened)) {
      const transient = isTransient(opened.failure)
      for (const r of records) {
        r.attempts++
        fail(r, opened.failure, transient)
      }
      yield* Effect.logInfo(`Association with ${c.host}:${c.port} failed: ${explain(opened.failure).line}`)
      return { retry }
    }
    counters.associations++
    const association = opened.success
    yield* Effect.logInfo(
      `Association accepted by ${c.host}:${c.port} (${association.negotiated.acceptedContexts.size} of ${contexts.length} contexts) for ${records.length} files`
    )
    worker.activity = "sending"
    // The operations window: up to `window` C-STOREs in flight on this association, when the peer accepted an
    // asynchronous operations window (0 = no limit: our proposal); one at a time otherwise (DCMTK answers 1/1).
    const negotiatedWindow = association.negotiated.asyncOperationsWindow.maxOperationsInvoked
    const window = Math.max(1, negotiatedWindow === 0 ? c.asyncWindow : Math.min(negotiatedWindow, c.asyncWindow))
    // Read-ahead: the next file is read from disk while the current ones are in flight; the batch's scope stops a
    // read-ahead left over by an early return. Files are read into `window + 1` buffers in turn (no allocation, nor
    // garbage, per file): file i's buffer is reused for file i + window + 1, read once file i was answered (at most
    // `window` files are in flight, so it was settled by then), and a C-STORE answered means the peer got every byte
    // of it (one socket, in order). Without that answer the file gets a new buffer; a new attempt, new buffers.
    const depth = window + 1
    let bufferSize = 1
    for (const r of records) bufferSize = Math.max(bufferSize, Math.min(READ_SIZE, r.file.size - r.file.datasetOffset))
    const buffers: Array<Uint8Array> = []
    const answered: Array<boolean> = []
    // A small file the scan kept is not read again.
    const none = Effect.die(new Error("storescu: no file read ahead"))
    const readAhead = (i: number): Effect.Effect<Effect.Effect<Store.PreloadedFile, ToolFailure>, never, Scope.Scope> => {
      const next = records[i]
      if (next === undefined) return Effect.succeed(none)
      if (next.file.content !== undefined) return Effect.succeed(Effect.succeed(fromScan(next.file, next.file.content)))
      const reusable = buffers[i % depth]
      const buffer = reusable !== undefined && answered[i - depth] === true ? reusable : new Uint8Array(bufferSize)
      buffers[i % depth] = buffer
      return Effect.map(Effect.forkScoped(preloadFile(next.file, buffer)), Fiber.join)
    }
    /** A C-STORE on its way: its file's index and the fiber that ends with the peer's status (or the failure). */
    type InFlight = { readonly index: number; readonly fiber: Fiber.Fiber<Result.Result<number, unknown>> }
    const inFlight: Array<InFlight> = []
    /** The failure that ended the association (the files not yet sent wait for the next attempt). */
    let gone: { readonly failure: unknown } | undefined
    /** Waits for the oldest C-STORE in flight and records its outcome. */
    const settle = (entry: InFlight) =>
      Effect.gen(function*() {
        const record = records[entry.index] as FileRecord
        const sent = yield* Fiber.join(entry.fiber)
        if (Result.isFailure(sent)) {
          const transient = isTransient(sent.failure)
          fail(record, sent.failure, transient)
          yield* Effect.logWarning(`${record.file.path}: ${record.description}`)
          if (transient) {
            // An unanswered C-STORE (DIMSE timeout) leaves the peer in doubt: abort rather than wait for a release.
            if (gone === undefined) yield* association.abort
            gone ??= { failure: sent.failure }
            return
          }
          worker.failed++
          worker.filesDone++
          return
        }
        const status = sent.success
        answered[entry.index] = true
        record.status = status
        record.description = describeStatus(status)
        record.explained = undefined
        if (Status.isSuccess(status)) record.outcome = "stored"
        else if (Status.isWarning(status)) record.outcome = "warning"
        else record.outcome = "failed"
        if (record.outcome === "failed" && isTransientStatus(status)) {
          retry.push(record)
          yield* Effect.logWarning(`${record.file.path}: ${record.description}, will retry`)
          return
        }
        worker.filesDone++
        worker.bytesDone += record.file.size
        if (record.outcome === "failed") {
          worker.failed++
          yield* Effect.logWarning(`${record.file.path}: ${record.description}`)
        } else yield* Effect.logInfo(`Stored ${record.file.path}: ${record.description}`)
      })
    let ahead = yield* readAhead(0)
    let started = 0
    for (; started < records.length; started++) {
      while (inFlight.length >= window && gone === undefined) yield* settle(inFlight.shift() as InFlight)
      if (gone !== undefined) break
      const record = records[started] as FileRecord
      const current = ahead
      record.attempts++
      const fiber = yield* Effect.forkScoped(Effect.gen(function*() {
        const t0 = yield* Clock.currentTimeMillis
        const sent = yield* Effect.result(sendFile(association, record, current))
        record.ms += (yield* Clock.currentTimeMillis) - t0
        return sent
      }))
      inFlight.push({ index: started, fiber })
      ahead = yield* readAhead(started + 1)
    }
    // Every C-STORE sent gets its own outcome (one answered before the association ended stays stored).
    while (inFlight.length > 0) yield* settle(inFlight.shift() as InFlight)
    if (gone !== undefined) {
      // The association is gone: the files not sent wait for the next attempt.
      for (const rest of records.slice(started)) fail(rest, gone.failure, true)
      return { retry }
    }
    worker.activity = "releasing"
    const released = yield* Effect.result(association.release)
    if (Result.isFailure(released)) yield* Effect.logWarning(`Release failed: ${explain(released.failure).line}`)
    return { retry }
  }).pipe(Effect.scoped)

/** A batch with its retries: backoff doubles from --retry-delay. */
const sendBatch = (
  c: Config,
  batch: StorePlan.Batch<Inputs.DicomFile>,
  records: Map<string, FileRecord>,
  worker: Progress.WorkerState,
  counters: { associations: number }
) =>
  Effect.gen(function*() {
    let pending = batch.files.map((f) => records.get(f.path) as FileRecord)
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        const delay = c.retryDelay * 2 ** (attempt - 1)
        worker.activity = `retry ${attempt}/${c.retries} in ${delay} s`
        yield* Effect.logInfo(`Retrying ${pending.length} file(s) in ${delay} s (retry ${attempt} of ${c.retries})`)
        yield* Effect.sleep(`${Math.round(delay * 1000)} millis`)
      }
      const contexts = attempt === 0 ? batch.contexts : StorePlan.contextsFor(pending.map((r) => r.file))
      const { retry } = yield* attemptBatch(c, contexts, pending, worker, counters)
      pending = [...retry]
      if (attempt >= c.retries) {
        worker.filesDone += pending.length
        worker.failed += pending.length
        break
      }
    }
  })

const summarizeSkipped = (skipped: ReadonlyArray<Inputs.Skipped>): string => {
  const reasons = new Map<string, number>()
  for (const s of skipped) {
    const key = s.reason.replace(/ \(.*$/, "")
    reasons.set(key, (reasons.get(key) ?? 0) + 1)
  }
  return [...reasons.entries()].map(([reason, n]) => `${n} ${reason}`).join(", ")
}

/** Loads the failed paths of an earlier summary. */
const failedFrom = (path: string) =>
  Effect.gen(function*() {
    const text = yield* Effect.tryPromise({ try: () => fsp.readFile(path, "utf8"), catch: (e) => (e as NodeJS.ErrnoException).code ?? String(e) }).pipe(
      Effect.mapError((code) => new ToolFailure({ exitCode: ExitCode.Usage, line: `Cannot read --retry-from ${path}: ${code}` }))
    )
    const decoded = StoreSummary.decodeJson(text)
    if (Result.isFailure(decoded)) {
      return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: `--retry-from ${path} is not a storescu summary: ${decoded.failure.message.split("\n")[0]}` })
    }
    return decoded.success.files.filter((f) => f.outcome === "failed").map((f) => f.path)
  })

/** The log layer: stderr at the -v/-d level, and with --log a file at Info (Debug with -d). */
const logLayer = (c: Config): Layer.Layer<never> => {
  if (Option.isNone(c.log)) return Logging.layer(c)
  const file = c.log.value
  const stderrLevel = Logging.levelOf(c)
  const stderr = Logging.stderrLogger(c.debug)
  const toFile = Logger.make<unknown, void>((options) => {
    if (!Logging.isShown(options, c.debug)) return
    appendFileSync(file, `${options.date.toISOString()} ${Logging.format(options, true)}\n`)
  })
  const filtered = Logger.make<unknown, void>((options) => {
    if (isAtLeast(options.logLevel, stderrLevel)) stderr.log(options)
  })
  return Layer.mergeAll(
    Logger.layer([filtered, toFile]),
    Layer.succeed(References.MinimumLogLevel, c.debug ? "Debug" : "Info")
  )
}

const order = ["All", "Trace", "Debug", "Info", "Warn", "Error", "Fatal", "None"]
const isAtLeast = (level: string, minimum: string): boolean => order.indexOf(level) >= order.indexOf(minimum)

/**
 * The outcome of a storescu run (what the summary file holds).
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = StoreSummary.Summary

/**
 * Runs storescu: scan, plan, send with retries and progress, report; fails with a ToolFailure (exit 6, or the
 * exit code of the connection failure) when a file was not stored.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config, options: { readonly progress?: Progress.Mode } = {}) =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const inputs = Option.isSome(c.retryFrom) ? [...(yield* failedFrom(c.retryFrom.value)), ...c.paths] : c.paths
    if (inputs.length === 0) {
      if (Option.isSome(c.retryFrom)) {
        yield* Console.log(`Nothing to resend: no failed file in ${c.retryFrom.value}`)
        return undefined
      }
      return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: "dicomnet storescu: no PATH to send (files, directories or glob patterns)" })
    }
    const scan = yield* Inputs.scan(inputs, { recursive: c.recursive })
    const scannedAt = yield* Clock.currentTimeMillis
    for (const s of scan.skipped) yield* Effect.logInfo(`Skipped ${s.path}: ${s.reason}`)
    if (scan.skipped.length > 0) yield* Effect.logWarning(`Skipped ${scan.skipped.length} file(s): ${summarizeSkipped(scan.skipped)}`)
    if (scan.files.length === 0) {
      return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: `No DICOM file among the inputs (${scan.skipped.length} skipped)` })
    }
    const plan = StorePlan.plan(scan.files, c.threads)
    const workers = plan.filter((batches) => batches.length > 0)
    yield* Effect.logInfo(
      `Sending ${scan.files.length} files (${Progress.megabytes(scan.files.reduce((n, f) => n + f.size, 0))}) ` +
        `to ${c.host}:${c.port} over ${workers.length} association(s) in parallel`
    )
    const records = new Map<string, FileRecord>()
    for (const f of scan.files) {
      records.set(f.path, { file: f, attempts: 0, ms: 0, status: undefined, description: "not sent", outcome: "failed", bytesSent: 0, explained: undefined })
    }
    const state = Progress.make(
      workers.map((batches) => ({
        files: batches.reduce((n, b) => n + b.files.length, 0),
        bytes: batches.reduce((n, b) => n + b.files.reduce((m, f) => m + f.size, 0), 0)
      })),
      scannedAt
    )
    // The live display redraws in place: log lines (-v, -d) would break it, so they get plain lines instead.
    const mode: Progress.Mode = c.quiet ? "quiet" : options.progress ?? (process.stderr.isTTY && !c.verbose && !c.debug ? "tty" : "plain")
    const counters = { associations: 0 }
    /** The summary as things stand at `endedAt` (at the end, or when interrupted). */
    const summarize = (endedAt: number) => {
      const results = [...records.values()]
      const stored = results.filter((r) => r.outcome === "stored").length
      const warnings = results.filter((r) => r.outcome === "warning").length
      const failed = results.filter((r) => r.outcome === "failed")
      const bytesSent = results.reduce((n, r) => n + (r.outcome === "failed" ? 0 : r.file.size), 0)
      const sendSeconds = Math.max(0.001, (endedAt - scannedAt) / 1000)
      const summary: StoreSummary.Summary = {
        total: results.length,
        succeeded: stored + warnings,
        failed: failed.length,
        warnings,
        skipped: scan.skipped.length,
        session: {
          tool: "storescu",
          version: VERSION,
          start: new Date(startedAt).toISOString(),
          end: new Date(endedAt).toISOString(),
          host: c.host,
          port: c.port,
          callingAeTitle: c.aet,
          calledAeTitle: c.aec
        },
        configuration: {
          inputs: [...c.paths],
          recursive: c.recursive,
          threads: c.threads,
          asyncWindow: c.asyncWindow,
          retries: c.retries,
          retryDelaySeconds: c.retryDelay,
          maxPdu: c.maxPdu,
          tls: c.tls.enabled,
          warningsAsFailures: c.warningsAsFailures,
          ...(Option.isSome(c.retryFrom) ? { retryFrom: c.retryFrom.value } : {})
        },
        files: [
          ...results.map((r) => ({
            path: r.file.path,
            sopInstanceUid: r.file.sopInstanceUid,
            sopClassUid: r.file.sopClassUid,
            outcome: r.outcome,
            ...(r.status === undefined ? {} : { status: r.status }),
            description: r.description,
            bytes: r.file.size,
            ms: Math.round(r.ms * 10) / 10,
            attempts: r.attempts
          })),
          ...scan.skipped.map((s) => ({ path: s.path, outcome: "skipped" as const, description: s.reason, bytes: 0, ms: 0, attempts: 0 }))
        ],
        timings: {
          scanMs: scannedAt - startedAt,
          sendMs: endedAt - scannedAt,
          totalMs: endedAt - startedAt,
          bytesSent,
          filesPerSecond: Math.round(((stored + warnings) / sendSeconds) * 10) / 10,
          megabytesPerSecond: Math.round((bytesSent / 1e6 / sendSeconds) * 100) / 100,
          associations: counters.associations
        }
      }
      return { summary, results, stored, warnings, failed, bytesSent, sendSeconds }
    }
    const writeSummary = (summary: StoreSummary.Summary): Effect.Effect<void, ToolFailure> => {
      if (Option.isNone(c.summary)) return Effect.void
      const file = c.summary.value
      return Effect.try({
        try: () => writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`),
        catch: (e) => new ToolFailure({ exitCode: ExitCode.Usage, line: `Cannot write --summary ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` })
      })
    }
    yield* Effect.gen(function*() {
      yield* Effect.forkScoped(Progress.display(state, mode))
      yield* Effect.forEach(
        workers,
        (batches, i) =>
          Effect.forEach(batches, (batch) => sendBatch(c, batch, records, state.workers[i] as Progress.WorkerState, counters), { discard: true }).pipe(
            Effect.ensuring(Effect.sync(() => {
              const w = state.workers[i]
              if (w !== undefined) w.activity = "done"
            }))
          ),
        { concurrency: "unbounded", discard: true }
      )
    }).pipe(
      Effect.scoped,
      // Ctrl-C: the summary still says what was stored, so that --retry-from can resume.
      Effect.onInterrupt(() =>
        Effect.gen(function*() {
          for (const r of records.values()) if (r.outcome === "failed" && r.description === "not sent") r.description = "interrupted before it was sent"
          yield* Effect.ignore(writeSummary(summarize(yield* Clock.currentTimeMillis).summary))
        })
      )
    )
    const endedAt = yield* Clock.currentTimeMillis
    const { bytesSent, failed, results, sendSeconds, stored, summary, warnings } = summarize(endedAt)
    yield* writeSummary(summary)
    for (const r of failed) yield* Console.error(`Failed: ${r.file.path}: ${r.description}`)
    if (warnings > 0) {
      for (const r of results) if (r.outcome === "warning") yield* Console.error(`Warning: ${r.file.path}: ${r.description}`)
    }
    yield* Console.log(
      `Stored ${stored + warnings} of ${results.length} files (${Progress.megabytes(bytesSent)}) in ${(sendSeconds).toFixed(2)} s ` +
        `over ${counters.associations} association(s): ${summary.timings.filesPerSecond} files/s, ${summary.timings.megabytesPerSecond} MB/s; ` +
        `${failed.length} failed, ${warnings} warning(s), ${scan.skipped.length} skipped`
    )
    const failedCount = failed.length + (c.warningsAsFailures ? warnings : 0)
    if (failedCount > 0) {
      const first = failed[0]?.explained
      return yield* new ToolFailure({
        exitCode: first?.exitCode ?? ExitCode.DimseFailure,
        line: `${failedCount} of ${results.length} files not stored${first === undefined ? "" : ` (first: ${first.line})`}`
      })
    }
    return summary
  }).pipe(
    Effect.provide(Tls.clientLayer(c.tls, c.timeouts)),
    Effect.provide(logLayer(c))
  )

/**
 * Builds the storescu command around a handler (tests pass one that records the parsed configuration).
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("storescu", config, handler).pipe(
    Command.withShortDescription("Storage SCU: send DICOM files to HOST PORT (C-STORE)"),
    Command.withDescription(
      "Storage SCU: find the DICOM files among PATHs (by content: Part 10, or a bare data set; DICOMDIR and other " +
        "files skipped), propose contexts from their SOP classes and transfer syntaxes, send each study on one " +
        "association, --threads N associations in parallel, retrying transient failures. Exit 0 only when every " +
        "file was stored."
    ),
    Command.withExamples([
      { command: "dicomnet storescu pacs 104 image.dcm", description: "Send one file" },
      { command: "dicomnet storescu pacs 104 -r /data/study --aec PACS", description: "A directory tree" },
      { command: "dicomnet storescu pacs 104 'scans/**/*.dcm' --threads 4", description: "A glob pattern over 4 associations" },
      { command: "dicomnet storescu pacs 104 -r /data --summary run.json", description: "With a JSON summary of every file" },
      { command: "dicomnet storescu pacs 104 --retry-from run.json", description: "Resend only what failed last time" }
    ])
  )

/**
 * The storescu command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))
