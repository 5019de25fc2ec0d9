/**
 * `dicomnet echoscu HOST PORT`: the Verification SCU (DCMTK echoscu). Requests an association with the
 * Verification context, sends one C-ECHO (or `--repeat N` on the same association), releases.
 *
 * @since 0.1.0
 */
import { Association, Echo } from "@dicomnet/client"
import type { Negotiation } from "@dicomnet/association"
import { SopClass, Uid } from "@dicomnet/data"
import { Status } from "@dicomnet/dimse"
import { Clock, Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Tls from "../Tls.js"

/**
 * The echoscu arguments and flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  host: Options.peerHost,
  port: Options.peerPort,
  aet: Options.aet,
  aec: Options.aec,
  repeat: Flag.Int("repeat").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("Send N C-ECHO requests on the same association (default 1)"),
    Flag.withDefault(1),
    Flag.filterMap(
      (n) => (Number.isInteger(n) && n >= 1 ? Option.some(n) : Option.none()),
      () => "a positive integer"
    )
  ),
  abort: Flag.Boolean("abort").pipe(
    Flag.withDescription("End with A-ABORT instead of releasing the association (DCMTK --abort)"),
    Flag.withDefault(false)
  ),
  maxPdu: Options.maxPdu,
  timeouts: Options.timeouts,
  tls: Options.tlsClient,
  ...Options.logging
} as const

/**
 * The parsed echoscu configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

const named = (uid: string): string => {
  const name = Uid.nameOf(uid)
  return name === uid ? uid : name
}

/**
 * "Association accepted: Verification SOP Class with Explicit VR Little Endian; peer max PDU 16384, OFFIS_DCMTK_367".
 *
 * @since 0.1.0
 * @category logging
 */
export const describeAccepted = (negotiated: Negotiation.Negotiated): string => {
  const contexts = [...negotiated.acceptedContexts.values()].map((c) => `${named(c.abstractSyntax)} with ${named(c.transferSyntax)}`)
  const implementation = negotiated.peerImplementationVersionName ?? negotiated.peerImplementationClassUid
  return `Association accepted: ${contexts.join(", ")}; peer max PDU ${negotiated.peerMaxPduLength === 0 ? "unlimited" : negotiated.peerMaxPduLength}, ${implementation}`
}

/**
 * Runs echoscu: association, C-ECHO (N times), release; fails with the typed error of the first failure.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    yield* Effect.logInfo(`Requesting association with ${c.host}:${c.port} (calling ${c.aet}, called ${c.aec})`)
    const association = yield* Association.request({ ...Options.requestTo(c), contexts: [{ abstractSyntax: SopClass.Verification }] })
    yield* Effect.logInfo(describeAccepted(association.negotiated))
    const first = yield* Clock.currentTimeMillis
    // One line per echo with -v; with --repeat, per-echo lines move to -d and -v prints the summary.
    const log = c.repeat === 1 ? Effect.logInfo : Effect.logDebug
    for (let i = 1; i <= c.repeat; i++) {
      yield* log(`Sending C-ECHO request${c.repeat > 1 ? ` ${i}/${c.repeat}` : ""}`)
      const response = yield* Echo.echo(association)
      yield* log(`Received C-ECHO response: ${Status.describe(response.status, "C-ECHO")}`)
    }
    const done = yield* Clock.currentTimeMillis
    if (c.abort) {
      yield* association.abort
      yield* Effect.logInfo("Association aborted (--abort)")
    } else {
      // Release explicitly (not in the scope's finalizer) so that a missing A-RELEASE-RP is a timeout exit.
      yield* association.release
      yield* Effect.logInfo("Association released")
    }
    return { repeat: c.repeat, echoMillis: done - first, totalMillis: done - started }
  }).pipe(
    Effect.scoped,
    Effect.tap((summary) =>
      Effect.gen(function*() {
        if (summary.repeat === 1) return
        const rate = summary.echoMillis > 0 ? ` (${(summary.repeat * 1000 / summary.echoMillis).toFixed(1)} round trips/s)` : ""
        yield* Console.log(
          `${summary.repeat} C-ECHO requests succeeded` +
            (c.verbose || c.debug ? ` in ${(summary.echoMillis / 1000).toFixed(3)} s${rate}` : "")
        )
      })
    ),
    Effect.provide(Tls.clientLayer(c.tls, c.timeouts)),
    Effect.provide(Logging.layer(c))
  )

/**
 * Builds the echoscu command around a handler (tests pass one that records the parsed configuration).
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("echoscu", config, handler).pipe(
    Command.withShortDescription("Verification SCU: send C-ECHO to HOST PORT"),
    Command.withDescription(
      "Verification SCU: open an association with HOST:PORT, send C-ECHO, release. " +
        "Exit 0 when the peer answered Success; otherwise one line on stderr names the reason."
    ),
    Command.withExamples([
      { command: "dicomnet echoscu localhost 104", description: "Verify a local SCP (AE titles DICOMNET -> ANY-SCP)" },
      { command: "dicomnet echoscu pacs 11112 --aet MYSCU --aec PACS -v", description: "With AE titles, saying what happens" },
      { command: "dicomnet echoscu pacs 11112 --repeat 100 -v", description: "100 echoes on one association, with the round-trip rate" },
      { command: "dicomnet echoscu pacs 2762 --tls --tls-ca ca.pem", description: "Over TLS, verifying the server against ca.pem" },
      { command: "dicomnet echoscu pacs 104 -d", description: "Debug: dump every PDU sent and received" }
    ])
  )

/**
 * The echoscu command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))

