/**
 * Option definitions shared by every dicomnet tool (DCMTK muscle memory: `--aet`, `--aec`, `--max-pdu`,
 * timeouts in seconds, TLS, `-v`/`-d`), their validation, and their mapping onto the client, server and
 * transport options. Later tools (storescu, storescp, findscu, movescu, getscu) reuse these groups.
 *
 * @since 0.1.0
 */
import type { Association } from "@dicomnet/client"
import { Option } from "effect"
import { Argument, Flag } from "effect/cli"

/** Length limit of an AE title (PS3.5 Table 6.2-1, VR AE). */
const AE_TITLE_MAX = 16

/**
 * Checks an AE title against PS3.5 (VR AE): 1 to 16 characters of the default repertoire, no backslash,
 * no control characters, not only spaces. Returns the trimmed title or the reason it is not valid.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateAeTitle = (raw: string): { readonly _tag: "Valid"; readonly aeTitle: string } | {
  readonly _tag: "Invalid"
  readonly reason: string
} => {
  const aeTitle = raw.trim() // leading and trailing spaces are not significant (PS3.5 §6.2)
  if (aeTitle.length === 0) return { _tag: "Invalid", reason: "it is empty" }
  if (aeTitle.length > AE_TITLE_MAX) {
    return { _tag: "Invalid", reason: `it is ${aeTitle.length} characters long, at most 16 allowed` }
  }
  for (let i = 0; i < aeTitle.length; i++) {
    const c = aeTitle.charCodeAt(i)
    if (c === 0x5c) return { _tag: "Invalid", reason: "it contains a backslash" }
    if (c < 0x20 || c > 0x7e) return { _tag: "Invalid", reason: "it contains a character that is not printable ASCII" }
  }
  return { _tag: "Valid", aeTitle }
}

const aeTitleFlag = (name: string, fallback: string, description: string): Flag.Flag<string> =>
  Flag.String(name).pipe(
    Flag.withMetavar("AETITLE"),
    Flag.withDescription(`${description} (default ${fallback})`),
    Flag.withDefault(fallback),
    Flag.filterMap(
      (raw) => {
        const checked = validateAeTitle(raw)
        return checked._tag === "Valid" ? Option.some(checked.aeTitle) : Option.none()
      },
      (raw) => {
        const checked = validateAeTitle(raw)
        return `an AE title of 1 to 16 printable ASCII characters without backslash (${checked._tag === "Invalid" ? checked.reason : "invalid"})`
      }
    )
  )

const integerIn = (min: number, max: number) => (n: number): Option.Option<number> =>
  Number.isInteger(n) && n >= min && n <= max ? Option.some(n) : Option.none()

/**
 * Positional TCP port of a peer (1..65535).
 *
 * @since 0.1.0
 * @category arguments
 */
export const peerPort: Argument.Argument<number> = Argument.Int("port").pipe(
  Argument.withDescription("TCP port of the peer (1..65535)"),
  Argument.filterMap(integerIn(1, 65535), () => "a TCP port, 1..65535")
)

/**
 * Positional TCP port to listen on (0 picks a free port, printed with -v).
 *
 * @since 0.1.0
 * @category arguments
 */
export const listenPort: Argument.Argument<number> = Argument.Int("port").pipe(
  Argument.withDescription("TCP port to listen on (1..65535; 0 picks a free one)"),
  Argument.filterMap(integerIn(0, 65535), () => "a TCP port, 0..65535")
)

/**
 * Positional host name or address of a peer.
 *
 * @since 0.1.0
 * @category arguments
 */
export const peerHost: Argument.Argument<string> = Argument.String("host").pipe(
  Argument.withDescription("Host name or IP address of the peer"),
  Argument.filterMap(
    (raw) => (raw.trim().length > 0 ? Option.some(raw.trim()) : Option.none()),
    () => "a host name or IP address"
  )
)

/** Our AE title, `--aet` (default DICOMNET). @category flags */
export const aet: Flag.Flag<string> = aeTitleFlag("aet", "DICOMNET", "Our AE title")

/** The peer's AE title, `--aec` (default ANY-SCP). @category flags */
export const aec: Flag.Flag<string> = aeTitleFlag("aec", "ANY-SCP", "The called (peer's) AE title")

/** The max PDU length we offer / accept as receiver (PS3.8 §D.1): 4096..4294967295 bytes; 0 = unlimited. */
const MAX_PDU_DEFAULT = 262144

/**
 * `--max-pdu BYTES`: the largest P-DATA-TF PDU we are willing to receive (default 262144).
 *
 * @since 0.1.0
 * @category flags
 */
export const maxPdu: Flag.Flag<number> = Flag.Int("max-pdu").pipe(
  Flag.withMetavar("BYTES"),
  Flag.withDescription(`Maximum PDU length we receive, 4096..4294967295 or 0 for unlimited (default ${MAX_PDU_DEFAULT})`),
  Flag.withDefault(MAX_PDU_DEFAULT),
  Flag.filterMap(
    (n) => (n === 0 || (Number.isInteger(n) && n >= 4096 && n <= 0xffffffff) ? Option.some(n) : Option.none()),
    () => "a PDU length, 4096..4294967295 (or 0 for unlimited)"
  )
)

const seconds = (name: string, description: string, fallback?: number): Flag.Flag<Option.Option<number>> => {
  const base = Flag.Finite(name).pipe(
    Flag.withMetavar("SECONDS"),
    Flag.withDescription(fallback === undefined ? description : `${description} (default ${fallback})`),
    Flag.filterMap(
      (s) => (s > 0 && s <= 2_147_483 ? Option.some(s) : Option.none()),
      () => "a positive number of seconds"
    )
  )
  return fallback === undefined ? Flag.optional(base) : base.pipe(Flag.withDefault(fallback), Flag.map(Option.some))
}

/** Default ARTIM timeout in seconds (DCMTK uses 30 s for -ta). */
export const ARTIM_DEFAULT_SECONDS = 30

/**
 * The timer flags, in seconds: connect, ACSE (ARTIM), DIMSE, release, idle.
 *
 * @since 0.1.0
 * @category flags
 */
export const timeouts = {
  connect: seconds("connect-timeout", "Timeout for the TCP connection (and TLS handshake)"),
  acse: seconds("acse-timeout", "ARTIM: timeout waiting for A-ASSOCIATE-AC/RJ and other ACSE messages", ARTIM_DEFAULT_SECONDS),
  dimse: seconds("dimse-timeout", "Timeout waiting for a DIMSE response (default: unlimited)"),
  release: seconds("release-timeout", "Timeout waiting for A-RELEASE-RP"),
  idle: seconds("idle-timeout", "Abort when the peer sends nothing for this long")
} as const

/**
 * The timer flags of an SCP: ACSE (ARTIM), release, idle (an SCP neither connects nor waits for DIMSE
 * responses).
 *
 * @since 0.1.0
 * @category flags
 */
export const serverTimeouts = {
  acse: seconds("acse-timeout", "ARTIM: timeout waiting for the A-ASSOCIATE-RQ and other ACSE messages", ARTIM_DEFAULT_SECONDS),
  release: timeouts.release,
  idle: timeouts.idle
} as const

/**
 * The parsed timer flags (seconds; `None` or absent means the library default).
 *
 * @since 0.1.0
 * @category models
 */
export interface TimeoutsConfig {
  readonly connect?: Option.Option<number>
  readonly acse: Option.Option<number>
  readonly dimse?: Option.Option<number>
  readonly release: Option.Option<number>
  readonly idle: Option.Option<number>
}

const toMillis = (s: Option.Option<number> | undefined): number | undefined =>
  s !== undefined && Option.isSome(s) ? Math.round(s.value * 1000) : undefined

/**
 * The timers in milliseconds, keyed as the client and server options name them (unset ones left out).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toTimeoutMillis = (config: TimeoutsConfig): {
  readonly connect?: number
  readonly artim?: number
  readonly dimse?: number
  readonly release?: number
  readonly readIdle?: number
} => {
  const out: Record<string, number> = {}
  const set = (key: string, value: number | undefined) => {
    if (value !== undefined) out[key] = value
  }
  set("connect", toMillis(config.connect))
  set("artim", toMillis(config.acse))
  set("dimse", toMillis(config.dimse))
  set("release", toMillis(config.release))
  set("readIdle", toMillis(config.idle))
  return out
}

const file = (name: string, description: string): Flag.Flag<Option.Option<string>> =>
  Flag.String(name).pipe(Flag.withMetavar("FILE"), Flag.withDescription(description), Flag.optional)

const tlsCommon = {
  enabled: Flag.Boolean("tls").pipe(Flag.withDescription("Use TLS (DICOM PS3.15 secure transport)"), Flag.withDefault(false)),
  cert: file("tls-cert", "Our certificate, PEM (required with --tls for echoscp)"),
  key: file("tls-key", "Our private key, PEM"),
  ca: file("tls-ca", "Trusted CA certificates, PEM (default: the system's root store)"),
  minVersion: Flag.Literals("tls-min-version", ["TLSv1.2", "TLSv1.3"]).pipe(
    Flag.withDescription("Lowest TLS version accepted (default TLSv1.2)"),
    Flag.withDefault("TLSv1.2")
  ),
  ciphers: Flag.String("tls-ciphers").pipe(
    Flag.withMetavar("LIST"),
    Flag.withDescription("OpenSSL cipher list for TLS 1.2"),
    Flag.optional
  )
} as const

/**
 * TLS flags of an SCU (client): `--tls-verify-peer` is on by default (`--no-tls-verify-peer` turns it off).
 *
 * @since 0.1.0
 * @category flags
 */
export const tlsClient = {
  ...tlsCommon,
  verifyPeer: Flag.Boolean("tls-verify-peer").pipe(
    Flag.withDescription("Verify the server certificate (default on; --no-tls-verify-peer to skip)"),
    Flag.withDefault(true)
  ),
  servername: Flag.String("tls-servername").pipe(
    Flag.withMetavar("NAME"),
    Flag.withDescription("Server name for SNI and certificate check (default: HOST)"),
    Flag.optional
  )
} as const

/**
 * TLS flags of an SCP (server): client certificates are ignored unless `--tls-verify-peer` (verify when
 * presented) or `--tls-require-client-cert` (mutual TLS).
 *
 * @since 0.1.0
 * @category flags
 */
export const tlsServer = {
  ...tlsCommon,
  verifyPeer: Flag.Boolean("tls-verify-peer").pipe(
    Flag.withDescription("Verify a client certificate when one is presented"),
    Flag.withDefault(false)
  ),
  requireClientCert: Flag.Boolean("tls-require-client-cert").pipe(
    Flag.withDescription("Require a valid client certificate (mutual TLS)"),
    Flag.withDefault(false)
  )
} as const

/**
 * `-v`/`--verbose` and `-d`/`--debug`.
 *
 * @since 0.1.0
 * @category flags
 */
export const logging = {
  verbose: Flag.Boolean("verbose").pipe(
    Flag.withAlias("v"),
    Flag.withDescription("Say what happens: association, contexts, statuses"),
    Flag.withDefault(false)
  ),
  debug: Flag.Boolean("debug").pipe(
    Flag.withAlias("d"),
    Flag.withDescription("Debug output, including a dump of every PDU"),
    Flag.withDefault(false)
  )
} as const

/**
 * The parsed logging flags.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoggingConfig {
  readonly verbose: boolean
  readonly debug: boolean
}

/**
 * The parsed TLS flags common to both roles.
 *
 * @since 0.1.0
 * @category models
 */
export interface TlsCommonConfig {
  readonly enabled: boolean
  readonly cert: Option.Option<string>
  readonly key: Option.Option<string>
  readonly ca: Option.Option<string>
  readonly minVersion: "TLSv1.2" | "TLSv1.3"
  readonly ciphers: Option.Option<string>
}

/** Parsed SCU TLS flags. @category models */
export interface TlsClientConfig extends TlsCommonConfig {
  readonly verifyPeer: boolean
  readonly servername: Option.Option<string>
}

/** Parsed SCP TLS flags. @category models */
export interface TlsServerConfig extends TlsCommonConfig {
  readonly verifyPeer: boolean
  readonly requireClientCert: boolean
}

/**
 * C-STOREs in flight at once on one association by default, when both sides agree on an asynchronous operations
 * window (storescu proposes it, storescp accepts it).
 *
 * @since 0.1.0
 * @category constants
 */
export const ASYNC_WINDOW_DEFAULT = 8

/**
 * `--async-window N` (1..65535, default `ASYNC_WINDOW_DEFAULT`): the asynchronous operations window (PS3.7
 * D.3.3.3) of storescu and storescp, each with its own description.
 *
 * @since 0.1.0
 * @category flags
 */
export const asyncWindow = (description: string): Flag.Flag<number> =>
  Flag.Int("async-window").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription(`${description} (default ${ASYNC_WINDOW_DEFAULT})`),
    Flag.withDefault(ASYNC_WINDOW_DEFAULT),
    Flag.filterMap((n) => (Number.isInteger(n) && n >= 1 && n <= 65535 ? Option.some(n) : Option.none()), () => "an integer from 1 to 65535")
  )

/**
 * Where an SCU tool connects and how: the peer's address and AE titles, our max PDU, the timers and TLS flags.
 *
 * @since 0.1.0
 * @category models
 */
export interface Peer {
  readonly host: string
  readonly port: number
  readonly aet: string
  readonly aec: string
  readonly maxPdu: number
  readonly timeouts: TimeoutsConfig
  readonly tls: TlsClientConfig
}

/**
 * The part of an association request every SCU tool makes the same way from its flags: address, AE titles (ours
 * `--aet`, theirs `--aec`), `--max-pdu`, the timers and the TLS server name; the tool adds its contexts.
 *
 * @since 0.1.0
 * @category conversions
 */
export const requestTo = (peer: Peer): Omit<Association.RequestOptions, "contexts"> => ({
  host: peer.host,
  port: peer.port,
  callingAeTitle: peer.aet,
  calledAeTitle: peer.aec,
  maxPduLength: peer.maxPdu,
  timeouts: toTimeoutMillis(peer.timeouts),
  ...(Option.isSome(peer.tls.servername) ? { servername: peer.tls.servername.value } : {})
})
