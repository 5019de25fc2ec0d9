/**
 * `dicomnet getscu HOST PORT --out DIR -k KEY=VALUE...`: the Retrieve SCU with C-GET (DCMTK getscu): the peer
 * sends the matching instances back on the same association (C-STORE sub-operations, SCP role negotiated),
 * written like storescp writes them (`--layout flat|study|patient`), with a progress line per pending response.
 *
 * @since 0.1.0
 */
import { mkdirSync } from "node:fs"
import { Association, Get, type Move } from "@dicomnet/client"
import { Status } from "@dicomnet/dimse"
import { Console, Effect, Result, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, ToolFailure } from "../Failure.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Query from "../Query.js"
import * as Receiver from "../Receiver.js"
import * as Tls from "../Tls.js"
import { dataErrorToFailure } from "./findscu.js"
import { formatCounts } from "./movescu.js"

/**
 * The getscu arguments and flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  host: Options.peerHost,
  port: Options.peerPort,
  out: Flag.String("out").pipe(Flag.withMetavar("DIR"), Flag.withDescription("Directory the retrieved instances are written to (made if missing)")),
  layout: Flag.Literals("layout", ["flat", "study", "patient"] as const).pipe(
    Flag.withDescription("flat: DIR/SOP.dcm; study: DIR/Study/Series/SOP.dcm; patient: DIR/Patient/Study/Series/SOP.dcm (default flat)"),
    Flag.withDefault("flat" as const)
  ),
  model: Flag.Literals("model", ["patient", "study"] as const).pipe(
    Flag.withDescription("Information model: patient root or study root (default study)"),
    Flag.withDefault("study" as const)
  ),
  level: Query.level,
  keys: Query.keys,
  aet: Options.aet,
  aec: Options.aec,
  maxPdu: Options.maxPdu,
  timeouts: Options.timeouts,
  tls: Options.tlsClient,
  ...Options.logging
} as const

/**
 * The parsed getscu configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

/**
 * Runs getscu; returns the final progress.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    const level = Query.levelOf(c.model, c.level)
    const identifier = Query.identifier(c.model, level, c.keys, false)
    if (Result.isFailure(identifier)) return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: identifier.failure })
    yield* Effect.try({
      try: () => mkdirSync(c.out, { recursive: true }),
      catch: (e) => new ToolFailure({ exitCode: ExitCode.Usage, line: `Cannot create --out ${c.out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` })
    })
    const writer: Receiver.WriterOptions = { out: c.out, layout: c.layout, collision: "overwrite", fsync: false }
    let stored = 0
    const store: Get.StoreHandler = (request) =>
      Effect.gen(function*() {
        const received = yield* Receiver.receive(writer, request)
        if (received.status === 0) {
          stored++
          yield* Effect.logInfo(`Stored ${received.path ?? request.sopInstanceUid} (from ${request.callingAeTitle})`)
        } else yield* Effect.logWarning(`C-STORE sub-operation for ${request.sopInstanceUid} failed: ${received.reason ?? "error"}`)
        return received.status
      })
    yield* Effect.logInfo(`Requesting association with ${c.host}:${c.port} (calling ${c.aet}, called ${c.aec}) for C-GET`)
    const association = yield* Association.request({ ...Options.requestTo(c), contexts: Get.contexts({ model: c.model }), handlers: { store } })
    let last: Move.Progress | undefined
    yield* Stream.runForEach(
      Get.get(association, { model: c.model, level, keys: identifier.success }).pipe(Stream.mapError(dataErrorToFailure)),
      (progress) => {
        last = progress
        return progress.final ? Effect.void : Console.error(`Retrieving: ${formatCounts(progress)}`)
      }
    )
    yield* association.release
    if (last === undefined) return yield* Effect.die(new Error("C-GET: no final response"))
    yield* Console.log(`C-GET: ${Status.describe(last.status, "C-GET")}; ${formatCounts(last)}; ${stored} file(s) written to ${c.out}`)
    if (last.failed > 0 || !Status.isSuccess(last.status)) {
      return yield* new ToolFailure({ exitCode: ExitCode.DimseFailure, line: `C-GET incomplete: ${formatCounts(last)}` })
    }
    return last
  }).pipe(
    Effect.scoped,
    Effect.provide(Tls.clientLayer(c.tls, c.timeouts)),
    Effect.provide(Logging.layer(c))
  )

/**
 * Builds the getscu command around a handler.
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("getscu", config, handler).pipe(
    Command.withShortDescription("Retrieve SCU: C-GET from HOST PORT into --out DIR"),
    Command.withDescription(
      "Retrieve SCU (C-GET): the peer sends what matches the keys back on the same association (no AE " +
        "configuration needed on the peer); each instance is written to --out like storescp writes it."
    ),
    Command.withExamples([
      { command: "dicomnet getscu pacs 104 --aec PACS --out /tmp/study -k StudyInstanceUID=1.2.3", description: "Get a study" },
      { command: "dicomnet getscu pacs 104 --out /tmp/s --layout study --level SERIES -k StudyInstanceUID=1.2.3 -k SeriesInstanceUID=1.2.3.4", description: "One series into Study/Series folders" }
    ])
  )

/**
 * The getscu command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))
