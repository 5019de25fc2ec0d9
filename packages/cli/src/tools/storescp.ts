/**
 * `dicomnet storescp PORT --out DIR`: the Storage SCP (DCMTK storescp). Accepts every storage SOP class (DICOS
 * included) and C-ECHO, writes each instance as a Part 10 file (`--layout flat|study|patient`, file name = SOP
 * Instance UID + .dcm, complete or absent), runs DCMTK-style hooks, and with `-v` shows the associations and
 * totals as they go. Stops gracefully on SIGINT/SIGTERM.
 *
 * @since 0.1.0
 */
import { mkdirSync } from "node:fs"
import { basename, dirname } from "node:path"
import { SopClass, TransferSyntax, Uid } from "@dicomnet/data"
import { DicomServer } from "@dicomnet/server"
import type { Transport, TransportError } from "@dicomnet/transport"
import { Clock, Effect, type FileSystem, LogLevel, Option, type Path, References, Schedule, type Scope, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, ToolFailure } from "../Failure.js"
import { interruptExitCode } from "../internal/Interrupt.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Progress from "../Progress.js"
import * as Reception from "../Reception.js"
import * as Receiver from "../Receiver.js"
import * as Tls from "../Tls.js"
import * as StoreBinding from "../internal/StoreBinding.js"
import { logEvent, SHUTDOWN_DEADLINE_SECONDS } from "./echoscp.js"

const uidList = (name: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withMetavar("UID|KEYWORD[,...]"),
    Flag.withDescription(description),
    Flag.atLeast(0),
    Flag.mapTryCatch(
      (values) => {
        const uids: Array<string> = []
        for (const value of values) {
          for (const raw of value.split(",")) {
            const text = raw.trim()
            if (text === "") continue
            const uid = Uid.lookup(text) !== undefined || Uid.isValid(text) ? text : Uid.byKeyword(text)?.uid
            if (uid === undefined) throw new Error(`'${text}' is neither a UID nor a known keyword`)
            uids.push(uid)
          }
        }
        return uids
      },
      (error) => `UIDs or keywords, comma separated (${error instanceof Error ? error.message : String(error)})`
    )
  )

/**
 * The storescp arguments and flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  port: Options.listenPort,
  out: Flag.String("out").pipe(Flag.withMetavar("DIR"), Flag.withDescription("Output directory (made if missing); required unless --ignore"), Flag.optional),
  layout: Flag.Literals("layout", ["flat", "study", "patient"] as const).pipe(
    Flag.withDescription("flat: DIR/SOP.dcm; study: DIR/Study/Series/SOP.dcm; patient: DIR/Patient/Study/Series/SOP.dcm (default flat)"),
    Flag.withDefault("flat" as const)
  ),
  onCollision: Flag.Literals("on-collision", ["overwrite", "keep", "rename"] as const).pipe(
    Flag.withDescription("When the file exists: overwrite it, keep it (drop the new copy), or rename the new one _1, _2... (default overwrite)"),
    Flag.withDefault("overwrite" as const)
  ),
  fsync: Flag.Boolean("fsync").pipe(Flag.withDescription("Flush every file (and its directory) to disk before answering success"), Flag.withDefault(false)),
  ignore: Flag.Boolean("ignore").pipe(Flag.withDescription("Receive and drop the data sets (answer success, write nothing)"), Flag.withDefault(false)),
  bind: Flag.String("bind").pipe(Flag.withMetavar("ADDRESS"), Flag.withDescription("Address to listen on (default 0.0.0.0)"), Flag.withDefault("0.0.0.0")),
  aet: Options.aet,
  requireCalledAet: Flag.Boolean("require-called-aet").pipe(
    Flag.withDescription("Reject associations whose called AE title is not --aet (reason 7)"),
    Flag.withDefault(false)
  ),
  allowCalling: Flag.String("allow-calling").pipe(
    Flag.withMetavar("AET[,AET...]"),
    Flag.withDescription("Accept only these calling AE titles (others rejected, reason 3); repeatable"),
    Flag.atLeast(0),
    Flag.map((values) => values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== ""))
  ),
  sopClasses: uidList("sop-classes", "Accept only these SOP classes (default: every storage SOP class, DICOS included)"),
  transferSyntaxes: uidList(
    "transfer-syntaxes",
    "Accepted transfer syntaxes in order of preference (default: Explicit VR LE, Implicit VR LE, Deflated, Explicit VR BE, then every compressed one)"
  ),
  maxAssociations: Flag.Int("max-associations").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("Associations served at once; more are rejected (transient, local limit exceeded) (default 64)"),
    Flag.withDefault(64),
    Flag.filterMap((n) => (Number.isInteger(n) && n >= 1 ? Option.some(n) : Option.none()), () => "a positive integer")
  ),
  execOnReception: Flag.String("exec-on-reception").pipe(
    Flag.withMetavar("CMD"),
    Flag.withDescription("Run CMD (sh -c) after each stored file; #p directory, #f file name, #a calling AE, #c called AE, #r remote host"),
    Flag.optional
  ),
  execOnEostudy: Flag.String("exec-on-eostudy").pipe(
    Flag.withMetavar("CMD"),
    Flag.withDescription("Run CMD once a study received nothing for --eostudy-timeout seconds; #p is the study's directory"),
    Flag.optional
  ),
  eostudyTimeout: Flag.Finite("eostudy-timeout").pipe(
    Flag.withMetavar("SECONDS"),
    Flag.withDescription("Idle gap that ends a study for --exec-on-eostudy (default 5)"),
    Flag.withDefault(5),
    Flag.filterMap((s) => (s > 0 && s <= 86_400 ? Option.some(s) : Option.none()), () => "a positive number of seconds")
  ),
  asyncWindow: Options.asyncWindow(
    "C-STOREs performed at once on an association whose requestor proposes an asynchronous operations window " +
      "(PS3.7 D.3.3.3; the smaller of both is used); 1 answers none: one at a time"
  ),
  maxPdu: Options.maxPdu,
  timeouts: Options.serverTimeouts,
  tls: Options.tlsServer,
  ...Options.logging
} as const

/**
 * The parsed storescp configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

/**
 * The transfer syntaxes accepted by default, in order of preference.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTransferSyntaxes: ReadonlyArray<string> = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  ...TransferSyntax.all.map((t) => t.uid).filter((uid) => !TransferSyntax.uncompressed.includes(uid))
]

/**
 * Counters of a running receiver.
 *
 * @since 0.1.0
 * @category models
 */
export interface Totals {
  received: number
  failed: number
  bytes: number
  readonly startedAt: number
}

/**
 * An association in progress, as the live view shows it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Current {
  readonly peer: string
  readonly callingAeTitle: string
  files: number
  bytes: number
}

/**
 * A listening receiver: its address and counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface Listening {
  readonly host: string
  readonly port: number
  readonly totals: Totals
  /** The associations in progress, by peer. */
  readonly current: ReadonlyMap<string, Current>
}

/** What listen needs (the flags, or the demo's choice). */
export type ListenConfig = Pick<
  Config,
  | "port" | "out" | "layout" | "onCollision" | "fsync" | "ignore" | "bind" | "aet" | "requireCalledAet" | "allowCalling"
  | "sopClasses" | "transferSyntaxes" | "maxAssociations" | "execOnReception" | "execOnEostudy" | "eostudyTimeout" | "maxPdu" | "asyncWindow"
  | "timeouts" | "verbose" | "debug"
>

/**
 * Starts the receiver in the current scope (the demo runs it in-process): the server with the storage
 * handler, hooks, and lifecycle logging.
 *
 * @since 0.1.0
 * @category running
 */
export const listen = (
  c: ListenConfig,
  extra: StoreBinding.Extra = {}
): Effect.Effect<Listening, TransportError | ToolFailure, Scope.Scope | Transport.Transport | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    if (!c.ignore && Option.isNone(c.out)) {
      return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: "dicomnet storescp: --out DIR is required (or --ignore)" })
    }
    const out = c.ignore ? undefined : Option.getOrUndefined(c.out)
    if (out !== undefined) {
      yield* Effect.try({
        try: () => mkdirSync(out, { recursive: true }),
        catch: (e) => new ToolFailure({ exitCode: ExitCode.Usage, line: `Cannot create --out ${out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` })
      })
    }
    const scope = yield* Effect.scope
    const totals: Totals = { received: 0, failed: 0, bytes: 0, startedAt: yield* Clock.currentTimeMillis }
    const current = new Map<string, Current>()
    const eostudy = Option.isSome(c.execOnEostudy)
      ? yield* Reception.endOfStudy(`${Math.round(c.eostudyTimeout * 1000)} millis`, (study, values) =>
        Effect.andThen(
          Effect.logInfo(`End of study ${study}: running --exec-on-eostudy`),
          Reception.runHook("--exec-on-eostudy", Reception.expandHook(c.execOnEostudy.pipe(Option.getOrElse(() => "")), values))
        ))
      : undefined
    const writer: Receiver.WriterOptions = { out, layout: c.layout, collision: c.onCollision, fsync: c.fsync }
    /** What follows a successful reception: hooks and end of study (only when a file was written). */
    const afterStored = (incoming: StoreBinding.IncomingStore, received: Receiver.Received, path: string): Effect.Effect<void> =>
      Effect.gen(function*() {
        const values: Reception.HookValues = { p: dirname(path), f: basename(path), a: incoming.callingAeTitle, c: incoming.calledAeTitle, r: incoming.remoteHost }
        if (Option.isSome(c.execOnReception)) {
          yield* Effect.forkIn(Reception.runHook("--exec-on-reception", Reception.expandHook(c.execOnReception.value, values)), scope)
        }
        const study = received.placement.studyInstanceUid
        if (eostudy !== undefined && study !== undefined && study !== "") {
          const studyDir = c.layout === "flat" ? dirname(path) : dirname(dirname(path))
          yield* eostudy.touch(study, { ...values, p: studyDir })
        }
      })
    const hooks = Option.isSome(c.execOnReception) || eostudy !== undefined
    // Per object: no Effect.gen, the Info line built only when Info is shown, the hooks only when configured.
    const onStored = (incoming: StoreBinding.IncomingStore, received: Receiver.Received): Effect.Effect<number> => {
      totals.bytes += received.bytes
      const association = current.get(incoming.peer)
      if (association !== undefined && received.status === 0) {
        association.files++
        association.bytes += received.bytes
      }
      if (received.status !== 0) {
        totals.failed++
        return Effect.as(
          Effect.logWarning(
            `C-STORE of ${incoming.sopInstanceUid} from ${incoming.callingAeTitle} failed: ${received.reason ?? "error"} (status 0x${received.status.toString(16).toUpperCase()})`
          ),
          received.status
        )
      }
      totals.received++
      const path = received.path
      const logged = Effect.withFiber((fiber) =>
        LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), "Info")
          ? Effect.void
          : Effect.logInfo(
            path === undefined
              ? `Received ${incoming.sopInstanceUid} (${Uid.nameOf(incoming.sopClassUid)}) from ${incoming.callingAeTitle}${received.reason === undefined ? "" : `: ${received.reason}`}`
              : `Stored ${path} (${Uid.nameOf(incoming.sopClassUid)}) from ${incoming.callingAeTitle}`
          )
      )
      return Effect.as(hooks && path !== undefined ? Effect.andThen(logged, afterStored(incoming, received, path)) : logged, 0)
    }
    const onStore = (incoming: StoreBinding.IncomingStore): Effect.Effect<number> =>
      Effect.flatMap(Receiver.receive(writer, incoming), (received) => onStored(incoming, received))
    const sopClasses = c.sopClasses.length > 0 ? c.sopClasses : SopClass.storage
    const transferSyntaxes = c.transferSyntaxes.length > 0 ? c.transferSyntaxes : defaultTransferSyntaxes
    const server = yield* DicomServer.make({
      host: c.bind,
      port: c.port,
      aeTitle: c.aet,
      requireCalledAeTitle: c.requireCalledAet,
      ...(c.allowCalling.length > 0 ? { allowedCallingAeTitles: c.allowCalling } : {}),
      maxAssociations: c.maxAssociations,
      maxPduLength: c.maxPdu,
      timeouts: Options.toTimeoutMillis(c.timeouts),
      ...(yield* StoreBinding.serverOptions(sopClasses, transferSyntaxes, onStore, { ...extra, asyncWindow: c.asyncWindow }))
    })
    yield* Effect.addFinalizer(() => Effect.andThen(Effect.logInfo("Shutting down"), server.shutdown(`${SHUTDOWN_DEADLINE_SECONDS} seconds`)))
    const events = yield* server.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (event) => {
      if (event._tag === "AssociationAccepted") current.set(event.peer, { peer: event.peer, callingAeTitle: event.callingAeTitle, files: 0, bytes: 0 })
      else if (event._tag === "AssociationReleased" || event._tag === "AssociationAborted") current.delete(event.peer)
      return event._tag === "AssociationAccepted"
        ? Effect.logInfo(
          `Association accepted from ${event.peer} (calling ${event.callingAeTitle}, called ${event.calledAeTitle}): ` +
            `${event.contexts.length} presentation context(s)`
        )
        : logEvent(event)
    }))
    return { host: server.address.host, port: server.address.port, totals, current }
  })

/**
 * The verbose live view: "Associations: 2 active (MOD1 from 10.0.0.5:41234: 12 files, 6.3 MB; ...); received
 * 120 files (63.1 MB), 30.2 files/s; 0 failed".
 *
 * @since 0.1.0
 * @category formatting
 */
export const liveLine = (current: Iterable<Current>, totals: Totals, now: number): string => {
  const seconds = Math.max(0.001, (now - totals.startedAt) / 1000)
  const list = [...current]
  const shown = list.slice(0, 4).map((a) => `${a.callingAeTitle} from ${a.peer}: ${a.files} files, ${Progress.megabytes(a.bytes)}`)
  const more = list.length > shown.length ? `; +${list.length - shown.length} more` : ""
  return `Associations: ${list.length} active${list.length === 0 ? "" : ` (${shown.join("; ")}${more})`}; ` +
    `received ${totals.received} files (${Progress.megabytes(totals.bytes)}), ${(totals.received / seconds).toFixed(1)} files/s; ${totals.failed} failed`
}

/**
 * Runs storescp until interrupted.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    const listening = yield* listen(c)
    yield* Effect.sync(() => {
      interruptExitCode.current = 0
    })
    yield* Effect.logInfo(
      `Listening on ${listening.host}:${listening.port} as ${c.aet}${c.tls.enabled ? " (TLS)" : ""}, ` +
        (c.ignore ? "ignoring data sets" : `storing into ${Option.getOrElse(c.out, () => "")} (layout ${c.layout})`)
    )
    if (c.verbose || c.debug) {
      // The live view: associations and totals every 2 s while something changes.
      let last = ""
      yield* Effect.forkScoped(
        Effect.gen(function*() {
          const line = liveLine(listening.current.values(), listening.totals, yield* Clock.currentTimeMillis)
          const key = line.replace(/, [\d.]+ files\/s/, "")
          if (key !== last) {
            last = key
            yield* Effect.logInfo(line)
          }
        }).pipe(Effect.repeat(Schedule.spaced("2 seconds")))
      )
    }
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    Effect.provide(Tls.serverLayer(c.tls, c.timeouts)),
    Effect.provide(Logging.layer(c))
  )

/**
 * Builds the storescp command around a handler (tests pass one that records the parsed configuration).
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("storescp", config, handler).pipe(
    Command.withShortDescription("Storage SCP: receive DICOM files on PORT into --out DIR"),
    Command.withDescription(
      "Storage SCP: accept every storage SOP class (DICOS included) and C-ECHO on PORT, write each instance as " +
        "a Part 10 file named by its SOP Instance UID (complete or absent: written to a temporary name, renamed " +
        "into place), answer success only once the file is on disk. Stops gracefully on SIGINT/SIGTERM."
    ),
    Command.withExamples([
      { command: "dicomnet storescp 11112 --out /data/incoming -v", description: "Receive into a flat directory, showing associations and totals" },
      { command: "dicomnet storescp 11112 --out /data --layout study --fsync", description: "Study/Series folders, durable before success" },
      { command: "dicomnet storescp 104 --out /data --layout patient --aet ARCHIVE --require-called-aet", description: "Patient/Study/Series, only for ARCHIVE" },
      { command: "dicomnet storescp 11112 --out /in --exec-on-eostudy 'process-study #p' --eostudy-timeout 10", description: "A hook per finished study" },
      { command: "dicomnet storescp 11112 --ignore", description: "Accept and drop (a sink for load tests)" }
    ])
  )

/**
 * The storescp command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))
