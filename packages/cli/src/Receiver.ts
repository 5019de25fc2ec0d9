/**
 * storescp's writer: a received data set (a Stream of fragments, as the association delivers them) becomes a
 * Part 10 file. It is written to a temporary name in the output directory, optionally fsync'ed, placed by the
 * layout from its own identifiers (Patient ID, Study and Series Instance UIDs), then renamed into place — so a
 * file under its final name is always complete, and an aborted transfer leaves nothing. Disk errors answer
 * 0xA700 (out of resources), anything else 0xC000 (cannot understand). With `ignore`, data sets are read and
 * dropped (success).
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { promises as fsp } from "node:fs"
import { basename, dirname, join } from "node:path"
import { DatasetCodec, HeaderScan, Part10 } from "@dicomnet/data"
import { Effect, Stream } from "effect"
import * as Reception from "./Reception.js"

/**
 * How received instances are written.
 *
 * @since 0.1.0
 * @category models
 */
export interface WriterOptions {
  /** undefined: `--ignore` (receive and drop). */
  readonly out: string | undefined
  readonly layout: Reception.Layout
  readonly collision: Reception.Collision
  readonly fsync: boolean
}

/**
 * What a reception is about.
 *
 * @since 0.1.0
 * @category models
 */
export interface Incoming {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly transferSyntaxUid: string
  readonly callingAeTitle: string
  readonly dataset: Stream.Stream<Uint8Array, unknown>
}

/**
 * The outcome of a reception: the C-STORE status to answer, where the file went (undefined when ignored or
 * kept), its identifiers, and the bytes received.
 *
 * @since 0.1.0
 * @category models
 */
export interface Received {
  readonly status: number
  readonly path: string | undefined
  readonly placement: Reception.Placement
  readonly bytes: number
  readonly reason?: string | undefined
}

/** Enough of the data set's start to find its identifiers (groups 0008..0020). */
const HEAD_BYTES = 64 * 1024

const isDiskError = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  return code === "ENOSPC" || code === "EDQUOT" || code === "EIO" || code === "EROFS" || code === "EMFILE" || code === "ENFILE"
}

/** The original error behind an UnknownError (Effect.tryPromise keeps it as `cause`). */
const causeOf = (e: unknown): unknown => (e instanceof Error && e.cause !== undefined ? e.cause : e)

const errorText = (e: unknown): string => (e as NodeJS.ErrnoException | undefined)?.code ?? (e instanceof Error ? e.message : String(e))

const placementOf = (head: Uint8Array, complete: boolean, incoming: Incoming): Reception.Placement => {
  const syntax = DatasetCodec.syntaxOf(incoming.transferSyntaxUid)
  const walked = syntax.deflated ? undefined : HeaderScan.walk(head, 0, syntax, complete)
  const found = walked?._tag === "Found" ? walked : undefined
  return {
    sopInstanceUid: incoming.sopInstanceUid,
    studyInstanceUid: found?.studyInstanceUid,
    seriesInstanceUid: found?.seriesInstanceUid,
    patientId: found?.patientId
  }
}

/** Bytes gathered before a write: a typical image is written with one system call. */
const WRITE_BUFFER_BYTES = 1024 * 1024

/** Write buffers of finished receptions, reused by the next ones (one per reception in progress). */
const spareBuffers: Array<Uint8Array> = []

/** Temporary names: a random prefix drawn once per process, then a counter (no random bytes drawn per object). */
const tempPrefix = `.receiving-${randomBytes(6).toString("hex")}-`
let tempCounter = 0

const takeBuffer = (size: number): Uint8Array => {
  const spare = spareBuffers.pop()
  return spare !== undefined && spare.length === size ? spare : new Uint8Array(size)
}

const giveBack = (buffer: Uint8Array): void => {
  if (spareBuffers.length < 8) spareBuffers.push(buffer)
}

/** Head buffers of finished receptions, reused: a fresh 64 KiB buffer per object is a zero-filled off-heap allocation whose external memory drives full GCs. */
const spareHeads: Array<Uint8Array> = []

const takeHead = (): Uint8Array => spareHeads.pop() ?? new Uint8Array(HEAD_BYTES)

const giveBackHead = (head: Uint8Array): void => {
  if (spareHeads.length < 8) spareHeads.push(head)
}

const openFile = (path: string): Effect.Effect<number, NodeJS.ErrnoException> =>
  Effect.callback((resume) => fs.open(path, "w", (e, fd) => resume(e === null ? Effect.succeed(fd) : Effect.fail(e))))

/** Writes all of `bytes` at the file's current position (on after a short write). */
const writeAll = (fd: number, bytes: Uint8Array): Effect.Effect<void, NodeJS.ErrnoException> =>
  Effect.callback<number, NodeJS.ErrnoException>((resume) =>
    fs.write(fd, bytes, 0, bytes.length, null, (e, written) => resume(e === null ? Effect.succeed(written) : Effect.fail(e)))
  ).pipe(Effect.flatMap((written) => (written < bytes.length ? writeAll(fd, bytes.subarray(written)) : Effect.void)))

const syncFile = (fd: number): Effect.Effect<void, NodeJS.ErrnoException> =>
  Effect.callback((resume) => fs.fsync(fd, (e) => resume(e === null ? Effect.void : Effect.fail(e))))

const closeFile = (fd: number): Effect.Effect<void, NodeJS.ErrnoException> =>
  Effect.callback((resume) => fs.close(fd, (e) => resume(e === null ? Effect.void : Effect.fail(e))))

/** Writes all of `bytes` at the file's current position, synchronously (on after a short write). */
const writeAllSync = (fd: number, bytes: Uint8Array): void => {
  let at = 0
  while (at < bytes.length) at += fs.writeSync(fd, bytes, at, bytes.length - at)
}

/** Runs `f` now; a thrown error becomes the failure. */
const attempt = <A>(f: () => A): Effect.Effect<A, NodeJS.ErrnoException> =>
  Effect.try({ try: f, catch: (e) => e as NodeJS.ErrnoException })

/**
 * Receives one data set: drains it with `ignore`, else writes, places and renames it as described above. The
 * fragments are gathered in a reused 1 MiB buffer. A data set that fits in it (a typical image) is written
 * when complete, with plain synchronous calls (open, one write, close, rename: no thread-pool round trip
 * each); a larger one opens its temporary file once it outgrows the buffer and is written with one system
 * call per buffer (a fragment that fills a buffer alone is written directly). With `fsync` the file system
 * calls stay asynchronous.
 *
 * @since 0.1.0
 * @category receiving
 */
export const receive = (options: WriterOptions & { readonly writeBufferBytes?: number | undefined }, incoming: Incoming): Effect.Effect<Received> => {
  const out = options.out
  if (out === undefined) {
    let bytes = 0
    return Stream.runForEachArray(incoming.dataset, (chunks) => {
      for (const chunk of chunks) bytes += chunk.length
      return Effect.void
    }).pipe(
      Effect.match({
        onFailure: (e) => ({ status: 0xc000, path: undefined, placement: { sopInstanceUid: incoming.sopInstanceUid }, bytes, reason: errorText(e) }),
        onSuccess: () => ({ status: 0x0000, path: undefined, placement: { sopInstanceUid: incoming.sopInstanceUid }, bytes })
      })
    )
  }
  return Effect.gen(function*() {
    let bytes = 0
    const head = takeHead()
    let headLength = 0
    // The temporary file: opened when the data set outgrows the buffer, else once it is complete.
    let temp: string | undefined
    let fd: number | undefined
    let closed = false
    const cleanup = Effect.suspend(() => {
      const path = temp
      if (path === undefined) return Effect.void
      const open = fd
      return Effect.promise(() =>
        (closed || open === undefined ? Promise.resolve() : new Promise<void>((done) => fs.close(open, () => done()))).then(() => fsp.rm(path, { force: true }))
      )
    })
    const newTemp = (): string => {
      temp = join(out, `${tempPrefix}${(tempCounter++).toString(36)}.part`)
      return temp
    }
    const open = Effect.suspend(() =>
      Effect.map(openFile(newTemp()), (opened) => {
        fd = opened
      })
    )
    const buffer = takeBuffer(options.writeBufferBytes ?? WRITE_BUFFER_BYTES)
    let filled = 0
    const flush = Effect.suspend(() => {
      if (filled === 0 || fd === undefined) return Effect.void
      const n = filled
      filled = 0
      return writeAll(fd, buffer.subarray(0, n))
    })
    /** Adds a chunk once the file is open: gathered, flushed when the buffer is full, or written directly. */
    const addOpen = (file: number, chunk: Uint8Array): Effect.Effect<void, NodeJS.ErrnoException> => {
      if (filled === 0 && chunk.length >= buffer.length) return writeAll(file, chunk)
      const n = Math.min(buffer.length - filled, chunk.length)
      buffer.set(n === chunk.length ? chunk : chunk.subarray(0, n), filled)
      filled += n
      if (filled < buffer.length) return Effect.void
      return n === chunk.length ? flush : Effect.flatMap(flush, () => addOpen(file, chunk.subarray(n)))
    }
    /** Adds chunks from `from` on: copied while they fit before the file is opened, else through `addOpen`. */
    const addAll = (chunks: ReadonlyArray<Uint8Array>, from: number, counted: boolean): Effect.Effect<void, NodeJS.ErrnoException> => {
      for (let i = from; i < chunks.length; i++) {
        const chunk = chunks[i] as Uint8Array
        if (counted) {
          if (headLength < HEAD_BYTES) {
            const n = Math.min(HEAD_BYTES - headLength, chunk.length)
            head.set(n === chunk.length ? chunk : chunk.subarray(0, n), headLength)
            headLength += n
          }
          bytes += chunk.length
        }
        if (fd === undefined && filled + chunk.length <= buffer.length) {
          buffer.set(chunk, filled)
          filled += chunk.length
          continue
        }
        const next = i + 1
        const added = fd === undefined ? Effect.flatMap(open, () => addOpen(fd as number, chunk)) : addOpen(fd, chunk)
        return next === chunks.length ? added : Effect.flatMap(added, () => addAll(chunks, next, counted))
      }
      return Effect.void
    }
    const meta = Part10.encodeMeta({
      mediaStorageSopClassUid: incoming.sopClassUid,
      mediaStorageSopInstanceUid: incoming.sopInstanceUid,
      transferSyntaxUid: incoming.transferSyntaxUid,
      sourceApplicationEntityTitle: incoming.callingAeTitle
    })
    // Written synchronously when complete: the whole data set is in the buffer and no fsync is asked.
    let quick = false
    const written = yield* Effect.gen(function*() {
      yield* addAll([meta], 0, false)
      yield* Stream.runForEachArray(incoming.dataset, (chunks) => addAll(chunks, 0, true))
      if (fd === undefined && !options.fsync) {
        quick = true
        return yield* attempt(() => {
          const file = fs.openSync(newTemp(), "w")
          fd = file
          writeAllSync(file, buffer.subarray(0, filled))
          filled = 0
          closed = true
          fs.closeSync(file)
        })
      }
      if (fd === undefined) yield* open
      yield* flush
      if (options.fsync) yield* syncFile(fd as number)
      closed = true
      yield* closeFile(fd as number)
    }).pipe(
      // Interrupted (the association ended): nothing stays behind either.
      Effect.onInterrupt(() => cleanup),
      Effect.result
    )
    if (written._tag === "Failure") {
      // The buffer may be part of a write that failed midway: it is not reused.
      yield* cleanup
      const cause = causeOf(written.failure)
      return {
        status: isDiskError(cause) ? 0xa700 : 0xc000,
        path: undefined,
        placement: { sopInstanceUid: incoming.sopInstanceUid },
        bytes,
        reason: errorText(cause)
      }
    }
    giveBack(buffer)
    const tempPath = temp as string
    const placement = placementOf(head.subarray(0, headLength), headLength < HEAD_BYTES, incoming)
    giveBackHead(head)
    const target = Reception.resolveCollision(Reception.pathOf(out, options.layout, placement), options.collision)
    if (target === undefined) {
      if (quick) yield* attempt(() => fs.rmSync(tempPath, { force: true })).pipe(Effect.ignore)
      else yield* Effect.promise(() => fsp.rm(tempPath, { force: true }))
      return { status: 0x0000, path: undefined, placement, bytes, reason: "kept the existing file" }
    }
    // The output directory itself exists (storescp creates it): only layout folders need creating.
    const placed = quick
      ? attempt(() => {
        if (dirname(target) !== out) fs.mkdirSync(dirname(target), { recursive: true })
        fs.renameSync(tempPath, target)
      })
      : Effect.tryPromise(async () => {
        const created = dirname(target) !== out ? await fsp.mkdir(dirname(target), { recursive: true }) : undefined
        await fsp.rename(tempPath, target)
        if (options.fsync) {
          // The rename is durable once the directory holding it is flushed, and so is each directory made for it.
          for (const path of Reception.directoriesToSync(dirname(target), created)) {
            const dir = await fsp.open(path, "r")
            try {
              await dir.sync()
            } finally {
              await dir.close()
            }
          }
        }
      })
    const outcome = yield* Effect.result(placed)
    if (outcome._tag === "Failure") {
      yield* Effect.promise(() => fsp.rm(tempPath, { force: true }))
      const cause = causeOf(outcome.failure)
      return { status: isDiskError(cause) ? 0xa700 : 0xc000, path: undefined, placement, bytes, reason: errorText(cause) }
    }
    return { status: 0x0000, path: target, placement, bytes }
  }).pipe(
    Effect.catch((e) => {
      const cause = causeOf(e)
      return Effect.succeed<Received>({
        status: isDiskError(cause) ? 0xa700 : 0xc000,
        path: undefined,
        placement: { sopInstanceUid: incoming.sopInstanceUid },
        bytes: 0,
        reason: errorText(cause)
      })
    })
  )
}

/**
 * The file name part of a path ("#f" of the hooks).
 *
 * @since 0.1.0
 * @category paths
 */
export const fileName = (path: string): string => basename(path)
