/**
 * The live-server harness of the fault suite: a real DicomServer over NodeTransport.layerTcp on
 * 127.0.0.1 (free port) with short timers, its lifecycle events collected, and the checks every
 * case ends with (the server still answers C-ECHO; no association is left behind).
 */
import { Association, Echo } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { DicomServer, type LifecycleEvent } from "@dicomnet/server"
import type { HostilePeer } from "@dicomnet/testkit"
import type { Transport, TransportError } from "@dicomnet/transport"
import { NodeTransport } from "@dicomnet/transport-node"
import { Cause, Effect, Layer, Logger, type LogLevel, References, Schedule, type Scope, Stream } from "effect"

export const host = "127.0.0.1"

/** Short server timers so every fault ends within seconds. */
export const timeouts = { artim: "1 second", release: "2 seconds", readIdle: "3 seconds", write: "3 seconds" } as const

/** Client timers for the checks. */
export const clientTimeouts = { connect: "3 seconds", artim: "3 seconds", dimse: "5 seconds", release: "3 seconds" } as const

/** A running server under test. */
export interface Live {
  readonly server: DicomServer.DicomServerShape
  readonly target: HostilePeer.Target
  readonly events: Array<LifecycleEvent.LifecycleEvent>
  /** Log lines the server wrote (message and annotations, rendered as text). */
  readonly logs: Array<string>
  /** Resolves once `count` events with `tag` were seen (bounded by `timeoutMs`; fails the test when not reached). */
  readonly awaitEvents: (tag: LifecycleEvent.LifecycleEvent["_tag"], count: number, timeoutMs?: number) => Effect.Effect<void>
}

/** Captures every log line (from `level` up) as text, so tests can assert on what is and is not logged. */
const capturing = (logs: Array<string>, level: LogLevel.LogLevel) =>
  Layer.mergeAll(
    Logger.layer([
      Logger.make(({ message, fiber, cause }) => {
        const annotations = fiber.getRef(References.CurrentLogAnnotations)
        const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
        logs.push(`${text} ${JSON.stringify(annotations)}${cause.reasons.length > 0 ? ` ${Cause.pretty(cause)}` : ""}`)
      })
    ]),
    Layer.succeed(References.MinimumLogLevel, level)
  )

/** Runs `body` against a fresh server with `options` (timers default to `timeouts`); logs are captured from `logLevel` (default Info). */
export const withServer = <A, E>(
  options: Omit<DicomServer.ServerOptions, "host" | "port">,
  body: (live: Live) => Effect.Effect<A, E, Transport.Transport | Scope.Scope>,
  logLevel: LogLevel.LogLevel = "Info"
): Effect.Effect<A, E | TransportError> => {
  const logs: Array<string> = []
  return Effect.gen(function* () {
    const server = yield* DicomServer.make({ host, port: 0, ...options, timeouts: { ...timeouts, ...options.timeouts } })
    const events: Array<LifecycleEvent.LifecycleEvent> = []
    const waiters = new Set<() => void>()
    const stream = yield* server.subscribe
    yield* Effect.forkScoped(
      Stream.runForEach(stream, (e) =>
        Effect.sync(() => {
          events.push(e)
          for (const w of waiters) w()
        })
      )
    )
    const awaitEvents = (tag: LifecycleEvent.LifecycleEvent["_tag"], count: number, timeoutMs = 10_000) =>
      Effect.callback<void>((resume) => {
        const check = () => {
          if (events.filter((e) => e._tag === tag).length >= count) {
            waiters.delete(check)
            resume(Effect.void)
          }
        }
        waiters.add(check)
        check()
        return Effect.sync(() => waiters.delete(check))
      }).pipe(
        Effect.timeoutOrElse({
          duration: timeoutMs,
          orElse: () => Effect.die(new Error(`expected ${count} ${tag} events within ${timeoutMs} ms, saw ${events.map((e) => e._tag).join(",")}`))
        })
      )
    return yield* body({ server, target: { host, port: server.address.port }, events, logs, awaitEvents })
  }).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeTransport.layerTcp(), capturing(logs, logLevel))))
}

/** One association with one C-ECHO: the status (0 = the server still serves). */
export const echo = (port: number, callingAeTitle = "CHECKER") =>
  Effect.scoped(
    Effect.flatMap(
      Association.request({ host, port, callingAeTitle, contexts: [{ abstractSyntax: SopClass.Verification }], timeouts: clientTimeouts }),
      Echo.echo
    )
  ).pipe(Effect.map((r) => r.status))

/**
 * The number of associations still counted once the server has had up to `timeoutMs` to finish
 * its clean-up (the count drops just after the lifecycle event is published): 0 unless something leaked.
 */
export const remainingAssociations = (server: DicomServer.DicomServerShape, timeoutMs = 5000) =>
  server.activeAssociations.pipe(
    Effect.repeat({ until: (n) => n === 0, schedule: Schedule.spaced("5 millis") }),
    Effect.timeoutOrElse({ duration: timeoutMs, orElse: () => server.activeAssociations })
  )

/** Prints a case's observed outcome when FAULTS_VERBOSE is set (how SECURITY.md's table was filled). */
export const note = (name: string, outcome: unknown) =>
  Effect.sync(() => {
    if (process.env["FAULTS_VERBOSE"] !== undefined) console.log(`[fault] ${name}: ${JSON.stringify(outcome)}`)
  })
