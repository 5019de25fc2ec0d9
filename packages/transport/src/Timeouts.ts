/**
 * The transport's timers as configuration. Every wait in a transport is bounded: a timer left
 * `undefined` falls back to `defaults`; `readIdle` is off by default (DICOM peers may sit idle
 * between DIMSE messages; the association layer owns the ARTIM and idle policies).
 *
 * @since 0.1.0
 */
import { Duration } from "effect"

/**
 * Per-timer limits; `readIdle: "Infinity"` (or leaving it unset) turns the read idle timer off.
 *
 * @since 0.1.0
 * @category models
 */
export interface Timeouts {
  readonly connect?: Duration.Input | undefined
  readonly tlsHandshake?: Duration.Input | undefined
  readonly readIdle?: Duration.Input | undefined
  readonly write?: Duration.Input | undefined
}

/**
 * Resolved timers in milliseconds (`undefined` = timer off).
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly connect: number
  readonly tlsHandshake: number
  readonly readIdle: number | undefined
  readonly write: number
}

/**
 * The defaults: connect 30 s, TLS handshake 30 s, read idle off, write stall 60 s.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaults: Resolved = { connect: 30_000, tlsHandshake: 30_000, readIdle: undefined, write: 60_000 }

const millis = (input: Duration.Input | undefined, fallback: number | undefined): number | undefined => {
  if (input === undefined) return fallback
  const ms = Duration.toMillis(input)
  return Number.isFinite(ms) ? ms : undefined
}

/**
 * Resolves layers of overrides (later wins) over `defaults` into milliseconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (...overrides: ReadonlyArray<Timeouts | undefined>): Resolved => {
  let connect = defaults.connect
  let tlsHandshake = defaults.tlsHandshake
  let readIdle = defaults.readIdle
  let write = defaults.write
  for (const o of overrides) {
    if (o === undefined) continue
    connect = millis(o.connect, connect) ?? Number.POSITIVE_INFINITY
    tlsHandshake = millis(o.tlsHandshake, tlsHandshake) ?? Number.POSITIVE_INFINITY
    readIdle = o.readIdle === undefined ? readIdle : millis(o.readIdle, undefined)
    write = millis(o.write, write) ?? Number.POSITIVE_INFINITY
  }
  return { connect, tlsHandshake, readIdle, write }
}
