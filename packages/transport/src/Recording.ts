/**
 * A recording of one connection as seen from our side: every chunk in both directions with its
 * time, plus the connection's lifecycle. Serialised as JSON lines (one entry per line, bytes in
 * base64), so a recording taken in the field can be read, diffed and replayed in a test.
 *
 * @since 0.1.0
 */
import { Data, Effect, Schema } from "effect"

const Bytes = Schema.Uint8ArrayFromBase64

/**
 * One recorded event; `time` is the clock's epoch milliseconds.
 * `in` = bytes from the peer, `out` = bytes we wrote, `end` = the peer half-closed,
 * `error` = our input failed, `close`/`destroy` = we ended the connection.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Entry = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("open"),
    time: Schema.Number,
    localAddress: Schema.String,
    remoteAddress: Schema.String
  }),
  Schema.Struct({ kind: Schema.Literal("in"), time: Schema.Number, bytes: Bytes }),
  Schema.Struct({ kind: Schema.Literal("out"), time: Schema.Number, bytes: Bytes }),
  Schema.Struct({ kind: Schema.Literal("end"), time: Schema.Number }),
  Schema.Struct({ kind: Schema.Literal("error"), time: Schema.Number, message: Schema.String }),
  Schema.Struct({ kind: Schema.Literal("close"), time: Schema.Number }),
  Schema.Struct({ kind: Schema.Literal("destroy"), time: Schema.Number })
])

/**
 * One recorded event (see `Entry`).
 *
 * @since 0.1.0
 * @category models
 */
export type Entry = typeof Entry.Type

/**
 * A whole recording: its entries in order.
 *
 * @since 0.1.0
 * @category models
 */
export type Recording = ReadonlyArray<Entry>

/**
 * A recording could not be decoded; `line` is 1-based.
 *
 * @since 0.1.0
 * @category errors
 */
export class RecordingError extends Data.TaggedError("RecordingError")<{
  readonly line: number
  readonly message: string
}> {}

const encodeEntrySync = Schema.encodeSync(Entry)
const decodeEntry = Schema.decodeUnknownEffect(Entry)

/**
 * Encodes one entry as a JSON line (without the trailing newline).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeEntry = (entry: Entry): string => JSON.stringify(encodeEntrySync(entry))

/**
 * Encodes a recording as JSON lines, one entry per line, each ending in "\n".
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (recording: Recording): string => {
  let out = ""
  for (const entry of recording) out += encodeEntry(entry) + "\n"
  return out
}

/**
 * Decodes JSON lines produced by `encode` (blank lines are ignored).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (text: string): Effect.Effect<Recording, RecordingError> =>
  Effect.gen(function*() {
    const entries: Array<Entry> = []
    const lines = text.split("\n")
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]?.trim() ?? ""
      if (line === "") continue
      const json = yield* Effect.try({
        try: () => JSON.parse(line) as unknown,
        catch: (e) => new RecordingError({ line: i + 1, message: `invalid JSON: ${String(e)}` })
      })
      const entry = yield* decodeEntry(json).pipe(
        Effect.mapError((e) => new RecordingError({ line: i + 1, message: e.message }))
      )
      entries.push(entry)
    }
    return entries
  })
