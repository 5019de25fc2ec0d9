/**
 * The JSON summary storescu writes with `--summary FILE` (and reads back with `--retry-from`): counts at the top
 * level, the session (times, peer, AE titles, version), the configuration, one result per file and the timings.
 * Defined as an Effect Schema, so a summary is validated when read and in the tests.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const Count = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))

/**
 * How a file ended: stored (status 0000H), stored with a warning (status 0001H or Bxxx), failed, or skipped
 * (not DICOM, DICOMDIR, missing).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Outcome = Schema.Literals(["stored", "warning", "failed", "skipped"])

/**
 * One file's result.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileResult = Schema.Struct({
  path: Schema.String,
  sopInstanceUid: Schema.optional(Schema.String),
  sopClassUid: Schema.optional(Schema.String),
  outcome: Outcome,
  /** The C-STORE-RSP status, absent when no response came (connection failure, skipped file). */
  status: Schema.optional(Count),
  description: Schema.String,
  bytes: Count,
  ms: Schema.Finite,
  attempts: Count
})

/**
 * The summary file.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Summary = Schema.Struct({
  total: Count,
  succeeded: Count,
  failed: Count,
  warnings: Count,
  skipped: Count,
  session: Schema.Struct({
    tool: Schema.Literal("storescu"),
    version: Schema.String,
    start: Schema.String,
    end: Schema.String,
    host: Schema.String,
    port: Count,
    callingAeTitle: Schema.String,
    calledAeTitle: Schema.String
  }),
  configuration: Schema.Struct({
    inputs: Schema.Array(Schema.String),
    recursive: Schema.Boolean,
    threads: Count,
    /** C-STOREs in flight per association asked for (older summaries: absent). */
    asyncWindow: Schema.optional(Count),
    retries: Count,
    retryDelaySeconds: Schema.Finite,
    maxPdu: Count,
    tls: Schema.Boolean,
    warningsAsFailures: Schema.Boolean,
    retryFrom: Schema.optional(Schema.String)
  }),
  files: Schema.Array(FileResult),
  timings: Schema.Struct({
    scanMs: Schema.Finite,
    sendMs: Schema.Finite,
    totalMs: Schema.Finite,
    bytesSent: Count,
    filesPerSecond: Schema.Finite,
    megabytesPerSecond: Schema.Finite,
    associations: Count
  })
})

/**
 * A file's result.
 *
 * @since 0.1.0
 * @category models
 */
export type FileResult = typeof FileResult.Type

/**
 * The summary.
 *
 * @since 0.1.0
 * @category models
 */
export type Summary = typeof Summary.Type

/**
 * Parses and validates a summary from JSON text.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeJson = Schema.decodeUnknownResult(Schema.fromJsonString(Summary))
