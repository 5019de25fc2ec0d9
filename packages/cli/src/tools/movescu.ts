/**
 * `dicomnet movescu HOST PORT --dest AE -k KEY=VALUE...`: the Retrieve SCU with C-MOVE (DCMTK movescu): asks the
 * peer to send the matching instances to the AE `--dest`, printing a progress line per pending response.
 *
 * @since 0.1.0
 */
import type { Association, PresentationContextNotAccepted } from "@dicomnet/client"
import { type Dataset, DatasetCodec } from "@dicomnet/data"
import { Command as Dimse, Status } from "@dicomnet/dimse"
import { Console, Effect, Option, Result, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, ToolFailure } from "../Failure.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Query from "../Query.js"
import * as Tls from "../Tls.js"
import { open } from "./findscu.js"

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
 * Sub-operation counts of a C-MOVE/C-GET response.
 *
 * @since 0.1.0
 * @category models
 */
export interface Counts {
  readonly remaining: number | undefined
  readonly completed: number
  readonly failed: number
  readonly warning: number
}

/**
 * "3 completed, 0 failed, 0 warning, 7 remaining".
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatCounts = (n: Counts): string =>
  `${n.completed} completed, ${n.failed} failed, ${n.warning} warning${n.remaining === undefined ? "" : `, ${n.remaining} remaining`}`

/**
 * The counts of a C-MOVE-RSP or C-GET-RSP.
 *
 * @since 0.1.0
 * @category getters
 */
export const countsOf = (rsp: { readonly numberOfRemainingSuboperations?: number | undefined; readonly numberOfCompletedSuboperations?: number | undefined; readonly numberOfFailedSuboperations?: number | undefined; readonly numberOfWarningSuboperations?: number | undefined }): Counts => ({
  remaining: rsp.numberOfRemainingSuboperations,
  completed: rsp.numberOfCompletedSuboperations ?? 0,
  failed: rsp.numberOfFailedSuboperations ?? 0,
  warning: rsp.numberOfWarningSuboperations ?? 0
})

/**
 * Sends the C-MOVE and follows its responses; fails (exit 6) when the final status is not success or a
 * sub-operation failed.
 *
 * @since 0.1.0
 * @category running
 */
export const move = (
  association: Association.Association,
  sopClassUid: string,
  destination: string,
  identifier: Dataset.Dataset
): Effect.Effect<{ readonly status: number; readonly counts: Counts }, ToolFailure | Association.OperationError | PresentationContextNotAccepted> =>
  Effect.gen(function*() {
    const context = yield* association.findContext(sopClassUid)
    const encoded = DatasetCodec.encode(identifier, context.transferSyntax)
    if (Result.isFailure(encoded)) return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: `Cannot encode the query: ${encoded.failure.message}` })
    const command = Dimse.cMoveRq({ affectedSopClassUid: sopClassUid, messageId: 0, priority: 0, moveDestination: destination })
    let final: Counts = { remaining: undefined, completed: 0, failed: 0, warning: 0 }
    let finalStatus = 0
    yield* Stream.runForEach(association.request(command, encoded.success, { presentationContextId: context.presentationContextId }), (reply) =>
      Effect.gen(function*() {
        const rsp = reply.command
        const counts = countsOf(rsp as Dimse.CMoveRsp)
        if (Status.isPending(rsp.status)) {
          yield* Console.error(`Moving to ${destination}: ${formatCounts(counts)}`)
          return
        }
        final = counts
        finalStatus = rsp.status
      }))
    if (!Status.isSuccess(finalStatus) && !Status.isWarning(finalStatus)) {
      return yield* new ToolFailure({
        exitCode: ExitCode.DimseFailure,
        line: `C-MOVE failed with status ${Status.describe(finalStatus, "C-MOVE")} (${formatCounts(final)})`
      })
    }
    return { status: finalStatus, counts: final }
  })

/**
 * Runs movescu.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    if (c.model === "worklist") return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: "--model worklist has no C-MOVE (patient or study)" })
    const sopClassUid = Query.sopClassOf(c.model, "move") as string
    const level = Query.levelOf(c.model, c.level)
    const identifier = Query.identifier(c.model, level, c.keys, false)
    if (Result.isFailure(identifier)) return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: identifier.failure })
    const association = yield* open(c, sopClassUid)
    const result = yield* move(association, sopClassUid, c.dest, identifier.success)
    yield* association.release
    yield* Console.log(`C-MOVE to ${c.dest}: ${Status.describe(result.status, "C-MOVE")}; ${formatCounts(result.counts)}`)
    if (result.counts.failed > 0) {
      return yield* new ToolFailure({ exitCode: ExitCode.DimseFailure, line: `${result.counts.failed} sub-operation(s) failed` })
    }
    return result
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
