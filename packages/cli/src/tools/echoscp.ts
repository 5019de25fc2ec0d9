/**
 * `dicomnet echoscp PORT`: a Verification SCP (the C-ECHO part of DCMTK storescp). Listens until
 * SIGINT/SIGTERM, then shuts down gracefully: new associations are refused, running ones may finish
 * within the shutdown deadline, the rest are aborted.
 *
 * @since 0.1.0
 */
import { Uid } from "@dicomnet/data"
import { DicomServer, type LifecycleEvent } from "@dicomnet/server"
import { Effect, Option, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { formatRejection } from "../Failure.js"
import { interruptExitCode } from "../internal/Interrupt.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Tls from "../Tls.js"

/**
 * How long running associations may take to finish after SIGINT/SIGTERM before they are aborted.
 *
 * @since 0.1.0
 * @category constants
 */
export const SHUTDOWN_DEADLINE_SECONDS = 10

/**
 * The echoscp arguments and flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  port: Options.listenPort,
  bind: Flag.String("bind").pipe(
    Flag.withMetavar("ADDRESS"),
    Flag.withDescription("Address to listen on (default 0.0.0.0, every interface)"),
    Flag.withDefault("0.0.0.0")
  ),
  aet: Options.aet,
  requireCalledAet: Flag.Boolean("require-called-aet").pipe(
    Flag.withDescription("Reject associations whose called AE title is not --aet (reason 7)"),
    Flag.withDefault(false)
  ),
  allowCalling: Flag.String("allow-calling").pipe(
    Flag.withMetavar("AET[,AET...]"),
    Flag.withDescription("Accept only these calling AE titles (others rejected, reason 3); repeatable"),
    Flag.atLeast(0),
    Flag.mapTryCatch(
      (values) => {
        const titles: Array<string> = []
        for (const value of values) {
          for (const raw of value.split(",")) {
            const checked = Options.validateAeTitle(raw)
            if (checked._tag === "Invalid") throw new Error(`'${raw}': ${checked.reason}`)
            titles.push(checked.aeTitle)
          }
        }
        return titles
      },
      (error) => `AE titles of 1 to 16 printable ASCII characters, comma separated (${error instanceof Error ? error.message : String(error)})`
    )
  ),
  maxAssociations: Flag.Int("max-associations").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("Associations served at once; more are rejected (transient, local limit exceeded) (default 64)"),
    Flag.withDefault(64),
    Flag.filterMap((n) => (Number.isInteger(n) && n >= 1 ? Option.some(n) : Option.none()), () => "a positive integer")
  ),
  maxPdu: Options.maxPdu,
  timeouts: Options.serverTimeouts,
  tls: Options.tlsServer,
  ...Options.logging
} as const

/**
 * The parsed echoscp configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

const contextName = (uid: string): string => {
  const name = Uid.nameOf(uid)
  return name === uid ? uid : `${name} (${uid})`
}

/**
 * One Info line per lifecycle event: who (peer and AE titles) and what (contexts, rejection, release, abort).
 *
 * @since 0.1.0
 * @category logging
 */
export const logEvent = (event: LifecycleEvent.LifecycleEvent): Effect.Effect<void> => {
  const who = `${event.peer} (calling ${event.callingAeTitle}, called ${event.calledAeTitle})`
  switch (event._tag) {
    case "AssociationRequested":
      return Effect.logInfo(`Association request from ${who}`)
    case "AssociationAccepted":
      return Effect.logInfo(`Association accepted from ${who}: ${event.contexts.map(contextName).join(", ")}`)
    case "AssociationRejected":
      return Effect.logInfo(`Association rejected from ${who}: ${formatRejection(event.result, event.source, event.reason)}`)
    case "AssociationReleased":
      return Effect.logInfo(`Association released by ${who}`)
    case "AssociationAborted":
      return Effect.logInfo(`Association aborted with ${who}: ${event.reason}`)
  }
}

/**
 * Runs echoscp until interrupted.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    const server = yield* DicomServer.make({
      host: c.bind,
      port: c.port,
      aeTitle: c.aet,
      requireCalledAeTitle: c.requireCalledAet,
      ...(c.allowCalling.length > 0 ? { allowedCallingAeTitles: c.allowCalling } : {}),
      maxAssociations: c.maxAssociations,
      maxPduLength: c.maxPdu,
      timeouts: Options.toTimeoutMillis(c.timeouts)
    })
    // Registered after make: runs first when the scope closes (on SIGINT/SIGTERM).
    yield* Effect.addFinalizer(() =>
      Effect.andThen(
        Effect.logInfo("Shutting down"),
        server.shutdown(`${SHUTDOWN_DEADLINE_SECONDS} seconds`)
      )
    )
    const events = yield* server.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, logEvent))
    // A signal now ends a normal run: the server stops gracefully and exits 0.
    yield* Effect.sync(() => {
      interruptExitCode.current = 0
    })
    yield* Effect.logInfo(
      `Listening on ${server.address.host}:${server.address.port} as ${c.aet}${c.tls.enabled ? " (TLS)" : ""}`
    )
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    Effect.provide(Tls.serverLayer(c.tls, c.timeouts)),
    Effect.provide(Logging.layer(c))
  )

/**
 * Builds the echoscp command around a handler (tests pass one that records the parsed configuration).
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("echoscp", config, handler).pipe(
    Command.withShortDescription("Verification SCP: answer C-ECHO on PORT"),
    Command.withDescription(
      "Verification SCP: listen on PORT and answer C-ECHO until SIGINT/SIGTERM, then stop gracefully " +
        `(running associations get ${SHUTDOWN_DEADLINE_SECONDS} s to finish). With -v, one line per association event.`
    ),
    Command.withExamples([
      { command: "dicomnet echoscp 11112 -v", description: "Answer C-ECHO on port 11112, logging every association" },
      { command: "dicomnet echoscp 11112 --aet ECHO --require-called-aet", description: "Reject associations not addressed to ECHO" },
      { command: "dicomnet echoscp 11112 --allow-calling MODALITY1,MODALITY2", description: "Accept only these calling AE titles" },
      {
        command: "dicomnet echoscp 2762 --tls --tls-cert server.pem --tls-key server.key --tls-ca ca.pem --tls-require-client-cert",
        description: "Over TLS with mutual authentication"
      }
    ])
  )

/**
 * The echoscp command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))
