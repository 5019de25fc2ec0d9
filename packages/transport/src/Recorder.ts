/**
 * Wraps a `Connection` so that every chunk in both directions, and the connection's lifecycle, is
 * reported with its time to a sink (a file, an array, a log). The wrapped connection behaves
 * exactly like the original.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Stream } from "effect"
import type { Connection } from "./Connection.js"
import type { Entry } from "./Recording.js"

/**
 * Where recorded entries go; it must not fail (a recording is diagnostics, not protocol).
 *
 * @since 0.1.0
 * @category models
 */
export type Sink = (entry: Entry) => Effect.Effect<void>

/**
 * Returns a connection that reports to `sink`, after reporting an `open` entry.
 *
 * @since 0.1.0
 * @category constructors
 */
export const record = (connection: Connection, sink: Sink): Effect.Effect<Connection> =>
  Effect.gen(function*() {
    const now = Clock.currentTimeMillis
    yield* sink({
      kind: "open",
      time: yield* now,
      localAddress: connection.localAddress,
      remoteAddress: connection.remoteAddress
    })
    const input = connection.input.pipe(
      Stream.tap((bytes) => Effect.flatMap(now, (time) => sink({ kind: "in", time, bytes }))),
      Stream.tapError((error) =>
        Effect.flatMap(now, (time) => sink({ kind: "error", time, message: `${error._tag}: ${error.message}` }))
      ),
      Stream.onEnd(Effect.flatMap(now, (time) => sink({ kind: "end", time })))
    )
    return {
      ...connection,
      input,
      write: (chunks) =>
        Effect.flatMap(now, (time) => Effect.forEach(chunks, (bytes) => sink({ kind: "out", time, bytes }), { discard: true }))
          .pipe(Effect.andThen(connection.write(chunks))),
      close: Effect.flatMap(now, (time) => sink({ kind: "close", time })).pipe(Effect.andThen(connection.close)),
      destroy: Effect.flatMap(now, (time) => sink({ kind: "destroy", time })).pipe(Effect.andThen(connection.destroy))
    }
  })

/**
 * A sink that appends entries to an array (for tests and in-process capture).
 *
 * @since 0.1.0
 * @category constructors
 */
export const toArray = (entries: Array<Entry>): Sink => (entry) => Effect.sync(() => void entries.push(entry))
