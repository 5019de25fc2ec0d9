/**
 * The transport a tool runs on: plain TCP, or TLS built from the `--tls-*` flags (certificate, key and
 * CA files read here, so a missing file is a one-line usage error rather than a handshake failure).
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import type { Transport, TransportError } from "@dicomnet/transport"
import { NodeTransport } from "@dicomnet/transport-node"
import { Effect, Layer, Option } from "effect"
import { ExitCode, ToolFailure } from "./Failure.js"
import type { TimeoutsConfig, TlsClientConfig, TlsCommonConfig, TlsServerConfig } from "./Options.js"

const readPem = (flag: string, path: string): Effect.Effect<Buffer, ToolFailure> =>
  Effect.try({
    try: () => readFileSync(path),
    catch: (cause) =>
      new ToolFailure({
        exitCode: ExitCode.Usage,
        line: `Cannot read ${flag} ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`
      })
  })

const optionalPem = (flag: string, path: Option.Option<string>): Effect.Effect<Buffer | undefined, ToolFailure> =>
  Option.isSome(path) ? readPem(flag, path.value) : Effect.succeed(undefined)

/**
 * The transport timers from the timer flags: `--connect-timeout` bounds the TCP connect and the TLS
 * handshake, `--idle-timeout` the read idle timer.
 *
 * @since 0.1.0
 * @category conversions
 */
export const transportTimeouts = (timeouts: TimeoutsConfig): {
  readonly connect?: number
  readonly tlsHandshake?: number
  readonly readIdle?: number
} => {
  const out: { connect?: number; tlsHandshake?: number; readIdle?: number } = {}
  if (timeouts.connect !== undefined && Option.isSome(timeouts.connect)) {
    out.connect = Math.round(timeouts.connect.value * 1000)
    out.tlsHandshake = out.connect
  }
  if (Option.isSome(timeouts.idle)) out.readIdle = Math.round(timeouts.idle.value * 1000)
  return out
}

const common = (tls: TlsCommonConfig) =>
  Effect.gen(function*() {
    const cert = yield* optionalPem("--tls-cert", tls.cert)
    const key = yield* optionalPem("--tls-key", tls.key)
    const ca = yield* optionalPem("--tls-ca", tls.ca)
    if ((cert === undefined) !== (key === undefined)) {
      return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: "--tls-cert and --tls-key go together" })
    }
    return {
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(ca === undefined ? {} : { ca }),
      minVersion: tls.minVersion,
      ...(Option.isSome(tls.ciphers) ? { ciphers: tls.ciphers.value } : {})
    }
  })

/**
 * The transport-node TLS options of an SCU.
 *
 * @since 0.1.0
 * @category conversions
 */
export const clientTlsOptions = (tls: TlsClientConfig, timeouts: TimeoutsConfig): Effect.Effect<NodeTransport.TlsOptions, ToolFailure> =>
  Effect.map(common(tls), (base) => ({
    ...base,
    timeouts: transportTimeouts(timeouts),
    rejectUnauthorized: tls.verifyPeer,
    ...(Option.isSome(tls.servername) ? { servername: tls.servername.value } : {})
  }))

/**
 * The transport-node TLS options of an SCP (a certificate and key are required to listen).
 *
 * @since 0.1.0
 * @category conversions
 */
export const serverTlsOptions = (tls: TlsServerConfig, timeouts: TimeoutsConfig): Effect.Effect<NodeTransport.TlsOptions, ToolFailure> =>
  Effect.gen(function*() {
    if (Option.isNone(tls.cert) || Option.isNone(tls.key)) {
      return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: "--tls needs --tls-cert and --tls-key to listen" })
    }
    const base = yield* common(tls)
    return {
      ...base,
      timeouts: transportTimeouts(timeouts),
      clientCertificate: tls.requireClientCert ? "required" : tls.verifyPeer ? "optional" : "none"
    } as const
  })

const build = (
  enabled: boolean,
  options: Effect.Effect<NodeTransport.TlsOptions, ToolFailure>,
  timeouts: TimeoutsConfig
): Layer.Layer<Transport.Transport, ToolFailure | TransportError> =>
  enabled
    ? Layer.unwrap(Effect.map(options, NodeTransport.layerTls))
    : NodeTransport.layerTcp({ timeouts: transportTimeouts(timeouts) })

/**
 * The Transport layer of an SCU: TCP, or TLS with `--tls`.
 *
 * @since 0.1.0
 * @category layers
 */
export const clientLayer = (tls: TlsClientConfig, timeouts: TimeoutsConfig): Layer.Layer<Transport.Transport, ToolFailure | TransportError> =>
  build(tls.enabled, clientTlsOptions(tls, timeouts), timeouts)

/**
 * The Transport layer of an SCP: TCP, or TLS with `--tls`.
 *
 * @since 0.1.0
 * @category layers
 */
export const serverLayer = (tls: TlsServerConfig, timeouts: TimeoutsConfig): Layer.Layer<Transport.Transport, ToolFailure | TransportError> =>
  build(tls.enabled, serverTlsOptions(tls, timeouts), timeouts)
