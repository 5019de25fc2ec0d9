/**
 * Typed failures of a transport: `TransportError` (the connection could not be made or broke) and
 * `TransportTimeout` (one of the transport's timers expired, named by `timer`).
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * Why a transport operation failed.
 * - `ConnectRefused`: nothing listens at the address (ECONNREFUSED, or no in-memory listener).
 * - `Unreachable`: the host or network cannot be reached / resolved (EHOSTUNREACH, ENOTFOUND, …).
 * - `AddressInUse`: a listener could not bind its address.
 * - `Closed`: the connection was already closed or destroyed locally.
 * - `Reset`: the peer aborted the connection (ECONNRESET, EPIPE, in-memory destroy).
 * - `Tls`: TLS handshake or certificate verification failed.
 * - `ReplayMismatch`: a replayed connection received bytes that differ from the recording.
 * - `Io`: any other I/O failure (see `cause`).
 *
 * @since 0.1.0
 * @category models
 */
export type TransportErrorReason =
  | "ConnectRefused"
  | "Unreachable"
  | "AddressInUse"
  | "Closed"
  | "Reset"
  | "Tls"
  | "ReplayMismatch"
  | "Io"

/**
 * A transport failure carrying the reason, the address involved and the underlying cause.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: TransportErrorReason
  readonly message: string
  readonly address?: string | undefined
  readonly cause?: unknown
}> {}

/**
 * The transport timers; every wait in a transport is bounded by one of them.
 * - `connect`: establishing the connection (TCP handshake / in-memory accept).
 * - `tlsHandshake`: the TLS handshake after the TCP connection is up.
 * - `readIdle`: no bytes arrived from the peer for this long while the input was being read.
 * - `write`: a write whose backpressure did not clear (the peer stopped reading).
 *
 * @since 0.1.0
 * @category models
 */
export type TransportTimer = "connect" | "tlsHandshake" | "readIdle" | "write"

/**
 * A transport timer expired; `timer` names it and `millis` is the configured limit.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportTimeout extends Data.TaggedError("TransportTimeout")<{
  readonly timer: TransportTimer
  readonly millis: number
  readonly address?: string | undefined
}> {
  override get message(): string {
    return `${this.timer} timeout after ${this.millis} ms${this.address === undefined ? "" : ` (${this.address})`}`
  }
}
