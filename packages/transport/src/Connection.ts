/**
 * A byte connection to a peer: an input stream, a batched writer and two ways to end it.
 * Transports build one from their raw primitives with `make`, which adds the read idle and
 * write stall timers so every transport enforces them the same way.
 *
 * @since 0.1.0
 */
import { type Array as Arr, type Cause, Effect, Stream } from "effect"
import type * as Timeouts from "./Timeouts.js"
import { type TransportError, TransportTimeout } from "./TransportError.js"

/**
 * The certificate a TLS peer presented (absent on plain transports).
 *
 * @since 0.1.0
 * @category models
 */
export interface PeerCertificate {
  /** Subject distinguished name, e.g. `CN=storescu,O=Example`. */
  readonly subject: string
  /** Issuer distinguished name. */
  readonly issuer: string
  /** SHA-256 fingerprint as colon-separated hex, as Node prints it. */
  readonly fingerprint256: string
}

/**
 * One open connection.
 *
 * - `input`: the bytes from the peer, chunk by chunk; ends when the peer half-closes (FIN), fails
 *   with `TransportError` ("Reset", "Tls", …) or `TransportTimeout` ("readIdle"). Consume it once.
 * - `write(chunks)`: writes the chunks in order as one batch and completes when the transport has
 *   accepted them (backpressure respected); a stall longer than the write timer fails with
 *   `TransportTimeout` ("write") and destroys the connection. Do not mutate chunks after writing.
 * - `close`: graceful: flush what was written, then end our side (FIN). The peer's input ends.
 * - `destroy`: immediate: the peer's input fails with `Reset`, ours ends.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  readonly input: Stream.Stream<Uint8Array, TransportError | TransportTimeout>
  readonly write: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, TransportError | TransportTimeout>
  readonly close: Effect.Effect<void>
  readonly destroy: Effect.Effect<void>
  readonly remoteAddress: string
  readonly localAddress: string
  readonly peerCertificate?: PeerCertificate | undefined
}

/**
 * What a transport implementation supplies to `make`.
 * `pull` fails with `Cause.Done` at a clean end of input; `write` waits for backpressure;
 * `close` ends our side after flushing (bounded by the write timer in `make`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Primitives {
  readonly pull: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, TransportError | Cause.Done>
  readonly write: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Effect.Effect<void, TransportError>
  /**
   * Optional fast path of `write`: writes the chunks at once (synchronously) and returns `undefined`
   * when the transport took them without backpressure, else the effect that finishes the write
   * (waits for the transport to drain, or fails). `make` then arms the write timer only for that effect.
   */
  readonly tryWrite?: ((chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Effect.Effect<void, TransportError> | undefined) | undefined
  readonly close: Effect.Effect<void, TransportError>
  readonly destroy: Effect.Effect<void>
  /** Releases the connection after `close` without an abort (the fd / pipe); defaults to `destroy`. */
  readonly release?: Effect.Effect<void> | undefined
  readonly remoteAddress: string
  readonly localAddress: string
  readonly peerCertificate?: PeerCertificate | undefined
}

/**
 * A connection as its owner holds it: `finalize` closes gracefully (bounded by the write timer)
 * and then releases it; it is what a scope or a finished handler runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Owned extends Connection {
  readonly finalize: Effect.Effect<void>
}

/**
 * Builds a `Connection` from transport primitives, adding the `readIdle` and `write` timers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (primitives: Primitives, timeouts: Pick<Timeouts.Resolved, "readIdle" | "write">): Owned => {
  const address = primitives.remoteAddress
  const readIdle = timeouts.readIdle
  const pull = readIdle === undefined
    ? primitives.pull
    : primitives.pull.pipe(Effect.timeoutOrElse({
      duration: readIdle,
      orElse: () => Effect.fail(new TransportTimeout({ timer: "readIdle", millis: readIdle, address }))
    }))
  const writeMillis = timeouts.write
  const bounded = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | TransportTimeout> =>
    Number.isFinite(writeMillis)
      ? effect.pipe(Effect.timeoutOrElse({
        duration: writeMillis,
        orElse: () =>
          Effect.andThen(
            primitives.destroy,
            Effect.fail(new TransportTimeout({ timer: "write", millis: writeMillis, address }))
          )
      }))
      : effect
  // A close that cannot flush within the write timer degrades to destroy.
  const close = bounded(primitives.close).pipe(Effect.catch(() => primitives.destroy))
  const tryWrite = primitives.tryWrite
  // With `tryWrite`, a write the transport takes at once costs no timer; the stall timer runs only
  // while the write waits (backpressure), which is the only time a write can stall.
  const write = tryWrite === undefined || !Number.isFinite(writeMillis)
    ? (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => bounded(primitives.write(chunks))
    : (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) =>
      Effect.suspend(() => {
        const rest = tryWrite(chunks)
        return rest === undefined ? Effect.void : bounded(rest)
      })
  return {
    input: Stream.fromPull(Effect.succeed(pull)),
    write: (chunks) => chunks.length === 0 ? Effect.void : write(chunks as Arr.NonEmptyReadonlyArray<Uint8Array>),
    close,
    destroy: primitives.destroy,
    finalize: Effect.andThen(close, primitives.release ?? primitives.destroy),
    remoteAddress: primitives.remoteAddress,
    localAddress: primitives.localAddress,
    peerCertificate: primitives.peerCertificate
  }
}

/**
 * Runs a server-side handler over an accepted connection and ends the connection with it:
 * gracefully (`finalize`) when the handler completes, with `destroy` when it fails or is
 * interrupted (listener scope closed).
 *
 * @since 0.1.0
 * @category combinators
 */
export const runHandler = <R>(
  connection: Owned,
  handle: (connection: Connection) => Effect.Effect<void, never, R>
): Effect.Effect<void, never, R> =>
  Effect.suspend(() => handle(connection)).pipe(
    Effect.onExit((exit) =>
      exit._tag === "Success" ? connection.finalize : connection.destroy
    ),
    Effect.catchCause((cause) => Effect.logWarning("dicomnet transport: connection handler failed", cause))
  )
