/**
 * Recordings on disk: a `Recorder` sink that appends JSON lines to a file, and reading a file
 * back as a `Recording` for `Replay.connection`.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import { type Recorder, Recording } from "@dicomnet/transport"
import { Data, Effect, type Scope } from "effect"

/**
 * A recording file could not be opened, written or read.
 *
 * @since 0.1.0
 * @category errors
 */
export class RecordingFileError extends Data.TaggedError("RecordingFileError")<{
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Opens `path` for appending and returns a sink writing one JSON line per entry; the file is
 * closed with the scope. Writes are synchronous (entries are small; a recording is diagnostics),
 * and a failed write is logged and dropped rather than failing the connection.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toFile = (path: string): Effect.Effect<Recorder.Sink, RecordingFileError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => Fs.openSync(path, "a"),
      catch: (cause) => new RecordingFileError({ path, message: `cannot open ${path}: ${String(cause)}`, cause })
    }),
    (fd) => Effect.sync(() => Fs.closeSync(fd))
  ).pipe(Effect.map((fd): Recorder.Sink => (entry) =>
    Effect.try({
      try: () => void Fs.writeSync(fd, Recording.encodeEntry(entry) + "\n"),
      catch: (cause) => new RecordingFileError({ path, message: `cannot write ${path}`, cause })
    }).pipe(Effect.catch((error) => Effect.logWarning("dicomnet transport: recording entry dropped", error)))
  ))

/**
 * Reads and decodes a recording file written by `toFile` (or `Recording.encode`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const readFile = (path: string): Effect.Effect<Recording.Recording, RecordingFileError | Recording.RecordingError> =>
  Effect.tryPromise({
    try: () => Fs.promises.readFile(path, "utf8"),
    catch: (cause) => new RecordingFileError({ path, message: `cannot read ${path}: ${String(cause)}`, cause })
  }).pipe(Effect.flatMap(Recording.decode))
