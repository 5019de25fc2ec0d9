/**
 * How a tool ends: the exit codes scripts rely on, and the one line on stderr that names the reason of a
 * failure (rejections, aborts and timeouts in DCMTK-like wording, e.g.
 * "Association rejected: result 1 (rejected-permanent), source 1 (service-user), reason 7 (called AE title not recognized)").
 *
 * @since 0.1.0
 */
import { Status } from "@dicomnet/dimse"
import { Data } from "effect"

/**
 * Exit codes (contract shared by every dicomnet tool). `Internal` (70, EX_SOFTWARE) means a bug of ours.
 *
 * @since 0.1.0
 * @category constants
 */
export const ExitCode = {
  Ok: 0,
  Usage: 1,
  Transport: 2,
  Rejected: 3,
  Aborted: 4,
  Timeout: 5,
  DimseFailure: 6,
  Internal: 70
} as const

/**
 * One of the exit codes.
 *
 * @since 0.1.0
 * @category models
 */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * A failure already explained by a tool (bad configuration such as an unreadable certificate file,
 * or a condition the tool itself detects), carrying its exit code and its one line.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolFailure extends Data.TaggedError("ToolFailure")<{
  readonly exitCode: ExitCode
  readonly line: string
}> {
  override get message(): string {
    return this.line
  }
}

/**
 * A failure reduced to what the user sees: the exit code and one line for stderr.
 *
 * @since 0.1.0
 * @category models
 */
export interface Explained {
  readonly exitCode: ExitCode
  readonly line: string
}

/** PS3.8 Table 9-21: A-ASSOCIATE-RJ result. */
const rejectResult: Record<number, string> = { 1: "rejected-permanent", 2: "rejected-transient" }

/** PS3.8 Table 9-21: A-ASSOCIATE-RJ source. */
const rejectSource: Record<number, string> = {
  1: "service-user",
  2: "service-provider (ACSE related)",
  3: "service-provider (presentation related)"
}

/** PS3.8 Table 9-21: A-ASSOCIATE-RJ reason/diag., by source. */
const rejectReason: Record<number, Record<number, string>> = {
  1: {
    1: "no reason given",
    2: "application context name not supported",
    3: "calling AE title not recognized",
    7: "called AE title not recognized"
  },
  2: { 1: "no reason given", 2: "protocol version not supported" },
  3: { 1: "temporary congestion", 2: "local limit exceeded" }
}

/** PS3.8 Table 9-26: A-ABORT reason/diag. when the source is the service-provider. */
const abortReason: Record<number, string> = {
  0: "reason not specified",
  1: "unrecognized PDU",
  2: "unexpected PDU",
  4: "unrecognized PDU parameter",
  5: "unexpected PDU parameter",
  6: "invalid PDU parameter value"
}

/**
 * "result 1 (rejected-permanent), source 1 (service-user), reason 7 (called AE title not recognized)".
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatRejection = (result: number, source: number, reason: number): string =>
  `result ${result} (${rejectResult[result] ?? "reserved"}), source ${source} (${rejectSource[source] ?? "reserved"}), ` +
  `reason ${reason} (${rejectReason[source]?.[reason] ?? "reserved"})`

/**
 * A duration in milliseconds as seconds: 30000 -> "30 s", 1500 -> "1.5 s".
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatSeconds = (millis: number): string => `${Number((millis / 1000).toFixed(3))} s`

type Tagged = { readonly _tag: string } & Record<string, unknown>

const isTagged = (u: unknown): u is Tagged =>
  typeof u === "object" && u !== null && "_tag" in u && typeof (u as { _tag: unknown })._tag === "string"

const num = (u: unknown): number => (typeof u === "number" ? u : Number.NaN)
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const where = (address: unknown): string => (typeof address === "string" && address.length > 0 ? `: ${address}` : "")

const transportLine = (e: Tagged): string => {
  const address = str(e.address)
  const message = str(e.message) ?? ""
  switch (e.reason) {
    case "ConnectRefused":
      return `Connection refused${where(address)}`
    case "Unreachable":
      return `Host unreachable${where(address)}${message === "" ? "" : ` (${message})`}`
    case "AddressInUse":
      return `Address already in use${where(address)}`
    case "Reset":
      return `Connection reset by the peer${where(address)}`
    case "Closed":
      return `Connection closed${where(address)}`
    case "Tls":
      return `TLS failure${address === undefined ? "" : ` with ${address}`}: ${message}`
    default:
      return `Transport error${where(address)}${message === "" ? "" : ` (${message})`}`
  }
}

const timeoutLine = (e: Tagged): string => {
  const after = formatSeconds(num(e.millis))
  const address = str(e.address)
  const peer = address === undefined ? "the peer" : address
  switch (e.timer) {
    case "connect":
      return `Timeout: no connection to ${peer} within ${after} (connect)`
    case "tlsHandshake":
      return `Timeout: TLS handshake with ${peer} not complete within ${after}`
    case "readIdle":
      return `Timeout: nothing received from ${peer} for ${after} (idle)`
    case "write":
      return `Timeout: ${peer} stopped reading for ${after} (write)`
    case "associate":
      return `Timeout: no A-ASSOCIATE-AC within ${after} (ARTIM)`
    case "release":
      return `Timeout: no A-RELEASE-RP within ${after} (release)`
    case "artim":
      return `Timeout: ARTIM expired after ${after}`
    case "dimse":
      return `Timeout: no ${str(e.service) === undefined ? "DIMSE response" : `${str(e.service)}-RSP`} within ${after} (DIMSE)`
    default:
      return `Timeout: ${String(e.timer)} after ${after}`
  }
}

const abortLine = (e: Tagged): string => {
  const reason = num(e.reason)
  const description = str(e.description) ?? ""
  switch (e.source) {
    case "peer-user":
      return "Association aborted by the peer: source 0 (service-user)"
    case "peer-provider":
      return `Association aborted by the peer: source 2 (service-provider), reason ${reason} (${abortReason[reason] ?? "reserved"})`
    case "local-provider":
      return `Association aborted: protocol error by the peer${description === "" ? "" : ` (${description})`}`
    case "transport":
      return `Association aborted: connection lost${description === "" ? "" : ` (${description})`}`
    default:
      return `Association aborted${description === "" ? "" : `: ${description}`}`
  }
}

/**
 * The exit code and the one line for any failure of a tool (typed errors of the client, server and
 * transports, matched by their `_tag`); anything else is an internal error (exit 70).
 *
 * @since 0.1.0
 * @category formatting
 */
export const explain = (error: unknown): Explained => {
  if (!isTagged(error)) return { exitCode: ExitCode.Internal, line: `Internal error: ${String(error)}` }
  switch (error._tag) {
    case "ToolFailure":
      return { exitCode: error.exitCode as ExitCode, line: String(error.line) }
    case "TransportError":
      return { exitCode: ExitCode.Transport, line: transportLine(error) }
    case "AssociationRejected":
      return {
        exitCode: ExitCode.Rejected,
        line: `Association rejected: ${formatRejection(num(error.result), num(error.source), num(error.reason))}`
      }
    case "PresentationContextNotAccepted":
      return {
        exitCode: ExitCode.Rejected,
        line: `No acceptable presentation context for ${String(error.sopClassUid)}` +
          (typeof error.transferSyntax === "string" ? ` with ${error.transferSyntax}` : "")
      }
    case "TooManyPresentationContexts":
      return { exitCode: ExitCode.Usage, line: `Too many presentation contexts: ${num(error.count)} (at most 128)` }
    case "AssociationAborted":
      return { exitCode: ExitCode.Aborted, line: abortLine(error) }
    case "AssociationTimeout":
    case "TransportTimeout":
    case "DimseTimeout":
      return { exitCode: ExitCode.Timeout, line: timeoutLine(error._tag === "DimseTimeout" ? { ...error, timer: "dimse" } : error) }
    case "DimseFailure": {
      const status = num(error.status)
      const comment = str(error.comment)
      const service = str(error.service)
      return {
        exitCode: ExitCode.DimseFailure,
        line: `${service ?? "DIMSE"} failed with status ${Status.describe(status, service as Status.Service | undefined)}${comment === undefined || comment === "" ? "" : `: ${comment}`}`
      }
    }
    default:
      return {
        exitCode: ExitCode.Internal,
        line: `Internal error: ${error._tag}${typeof error.message === "string" && error.message !== "" ? `: ${error.message}` : ""}`
      }
  }
}
