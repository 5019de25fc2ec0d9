/**
 * `dicomnet movescu HOST PORT --dest AE -k KEY=VALUE...`: the Retrieve SCU with C-MOVE (DCMTK movescu): asks the
 * peer to send the matching instances to the AE `--dest`, printing a progress line per pending response.
 *
 * @since 0.1.0
 */
import { Move } from "@dicomnet/client"
import { Status } from "@dicomnet/dimse"
import { Console, Effect, Option, Result, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, ToolFailure } from "../Failure.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Query from "../Query.js"
import * as Tls from "../Tls.js"
import { dataErrorToFailure, open } from "./findscu.js"

/**
 * The movescu arguments and flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  host: Options.peerHost,
  port: Options.peerPort,
  dest: Flag.String("dest").pipe(
    Flag.withMetavar("AETITLE"),
    Flag.withDescription("Move Destination: the AE title the peer sends the instances to (it must know its address)"),
    Flag.filterMap((raw) => {
      const checked = Options.validateAeTitle(raw)
      return checked._tag === "Valid" ? Option.some(checked.aeTitle) : Option.none()
    }, () => "an AE title of 1 to 16 printable ASCII characters")
  ),
  model: Query.model,
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
 * The parsed movescu configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

/**
 * "3 completed, 0 failed, 0 warning, 7 remaining".
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatCounts = (n: Move.Progress): string =>
  `${n.completed} completed, ${n.failed} failed, ${n.warning} warning${n.remaining === undefined ? "" : `, ${n.remaining} remaining`}`

/**
 * Runs movescu.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    if (c.model === "worklist") return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: "--model worklist has no C-MOVE (patient or study)" })
    const model = c.model
    const sopClassUid = Move.sopClassOf(model)
    const level = Query.levelOf(model, c.level)
    const identifier = Query.identifier(model, level, c.keys, false)
    if (Result.isFailure(identifier)) return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: identifier.failure })
    const association = yield* open(c, sopClassUid)
    let last: Move.Progress | undefined
    yield* Stream.runForEach(
      Move.move(association, { model, level, keys: identifier.success, destination: c.dest }).pipe(Stream.mapError(dataErrorToFailure)),
      (progress) => {
        last = progress
        return progress.final ? Effect.void : Console.error(`Moving to ${c.dest}: ${formatCounts(progress)}`)
      }
    )
    yield* association.release
    if (last === undefined) return yield* Effect.die(new Error("C-MOVE: no final response"))
    yield* Console.log(`C-MOVE to ${c.dest}: ${Status.describe(last.status, "C-MOVE")}; ${formatCounts(last)}`)
    if (last.failed > 0 || !Status.isSuccess(last.status)) {
      return yield* new ToolFailure({
        exitCode: ExitCode.DimseFailure,
        line: `C-MOVE to ${c.dest} incomplete: ${formatCounts(last)}` +
          (last.failedSopInstanceUids.length > 0 ? ` (failed: ${last.failedSopInstanceUids.slice(0, 3).join(", ")}${last.failedSopInstanceUids.length > 3 ? ", ..." : ""})` : "")
      })
    }
    return last
  }).pipe(
    Effect.scoped,
    Effect.provide(Tls.clientLayer(c.tls, c.timeouts)),
    Effect.provide(Logging.layer(c))
  )

/**
 * Builds the movescu command around a handler.
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("movescu", config, handler).pipe(
    Command.withShortDescription("Retrieve SCU: C-MOVE from HOST PORT to --dest AE"),
    Command.withDescription(
      "Retrieve SCU (C-MOVE): ask HOST:PORT to send what matches the keys to the AE --dest (which the peer must " +
        "know), with a progress line per pending response. Exit 0 when every sub-operation succeeded."
    ),
    Command.withExamples([
      { command: "dicomnet movescu pacs 104 --aec PACS --dest MYSTORE -k StudyInstanceUID=1.2.3", description: "Move a study to MYSTORE" },
      { command: "dicomnet movescu pacs 104 --dest WS1 --level SERIES -k StudyInstanceUID=1.2.3 -k SeriesInstanceUID=1.2.3.4", description: "One series" },
      { command: "dicomnet movescu pacs 104 --dest WS1 --model patient --level PATIENT -k PatientID=12345", description: "Everything of a patient" }
    ])
  )

/**
 * The movescu command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))
