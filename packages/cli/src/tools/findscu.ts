/**
 * `dicomnet findscu HOST PORT -k KEY=VALUE...`: the Query SCU (DCMTK findscu): a C-FIND in the patient root,
 * study root or modality worklist model, each match printed as it arrives (or all of them as one JSON array in
 * the DICOM JSON model with `--json`).
 *
 * @since 0.1.0
 */
import { Association, Find } from "@dicomnet/client"
import type { Transport } from "@dicomnet/transport"
import type { DataError, Dataset } from "@dicomnet/data"
import { Dictionary, Json, Tag } from "@dicomnet/data"
import { Console, Effect, Result, type Scope, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, ToolFailure } from "../Failure.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Query from "../Query.js"
import * as Tls from "../Tls.js"

/**
 * The findscu arguments and flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  host: Options.peerHost,
  port: Options.peerPort,
  model: Query.model,
  level: Query.level,
  keys: Query.keys,
  json: Flag.Boolean("json").pipe(Flag.withDescription("Print the matches as one JSON array (DICOM JSON model, PS3.18 F.2)"), Flag.withDefault(false)),
  aet: Options.aet,
  aec: Options.aec,
  maxPdu: Options.maxPdu,
  timeouts: Options.timeouts,
  tls: Options.tlsClient,
  ...Options.logging
} as const

/**
 * The parsed findscu configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

/**
 * A data set the tool could not encode or decode becomes a one-line failure (exit 6); other errors pass.
 *
 * @since 0.1.0
 * @category errors
 */
export const dataErrorToFailure = <E>(error: E): Exclude<E, DataError.DataDecodeError | DataError.DataEncodeError> | ToolFailure => {
  const tagged = error as { readonly _tag?: unknown; readonly message?: unknown }
  if (tagged._tag === "DataDecodeError" || tagged._tag === "DataEncodeError") {
    return new ToolFailure({ exitCode: ExitCode.DimseFailure, line: `Identifier error: ${String(tagged.message)}` })
  }
  return error as Exclude<E, DataError.DataDecodeError | DataError.DataEncodeError>
}

/** The connection part of a query tool's configuration. */
export type Peer = Options.Peer

const valueText = (v: unknown): string => {
  if (v === null) return ""
  if (typeof v === "object" && v !== null && "Alphabetic" in v) return String((v as { Alphabetic: unknown }).Alphabetic)
  if (typeof v === "object") return "(item)"
  return String(v)
}

/**
 * A match as text, one attribute a line: "(0010,0010) PN PatientName          DOE^JOHN".
 *
 * @since 0.1.0
 * @category formatting
 */
export const render = (ds: Dataset.Dataset, indent = "  "): ReadonlyArray<string> => {
  const json = Json.toJson(ds)
  const lines: Array<string> = []
  for (const [key, attribute] of Object.entries(json)) {
    const tag = Number.parseInt(key, 16)
    const keyword = Dictionary.lookup(tag)?.keyword ?? "?"
    const head = `${indent}${Tag.toString(tag)} ${attribute.vr} ${keyword.padEnd(32)}`
    if (attribute.vr === "SQ") {
      const items = ds.sequence(tag) ?? []
      lines.push(`${head} ${items.length} item(s)`)
      items.forEach((item, i) => {
        lines.push(`${indent}  item ${i + 1}:`)
        lines.push(...render(item, `${indent}    `))
      })
      continue
    }
    lines.push(`${head} ${(attribute.Value ?? []).map(valueText).join("\\")}`.trimEnd())
  }
  return lines
}

/**
 * Opens an association for one presentation context of `sopClassUid` (logging it like the other tools).
 *
 * @since 0.1.0
 * @category running
 */
export const open = (
  c: Peer,
  sopClassUid: string,
  extra: ReadonlyArray<Association.ContextRequest> = []
): Effect.Effect<Association.Association, Association.RequestError, Scope.Scope | Transport.Transport> =>
  Effect.gen(function*() {
    yield* Effect.logInfo(`Requesting association with ${c.host}:${c.port} (calling ${c.aet}, called ${c.aec}) for ${Query.nameOf(sopClassUid)}`)
    const association = yield* Association.request({ ...Options.requestTo(c), contexts: [{ abstractSyntax: sopClassUid }, ...extra] })
    yield* Effect.logInfo(`Association accepted (${association.negotiated.acceptedContexts.size} context(s))`)
    return association
  })

/**
 * Runs findscu; returns the matches.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    const sopClassUid = Query.sopClassOf(c.model, "find") as string
    const level = Query.levelOf(c.model, c.level)
    const identifier = Query.identifier(c.model, level, c.keys, true)
    if (Result.isFailure(identifier)) return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: identifier.failure })
    const association = yield* open(c, sopClassUid)
    const matches: Array<Dataset.Dataset> = []
    const stream = Find.find(association, {
      model: c.model,
      level: c.model === "worklist" ? undefined : level,
      keys: identifier.success
    }).pipe(Stream.mapError(dataErrorToFailure))
    yield* Stream.runForEach(stream, (ds) =>
      Effect.gen(function*() {
        matches.push(ds)
        if (!c.json) {
          yield* Console.log(`Match ${matches.length}:`)
          for (const line of render(ds)) yield* Console.log(line)
        }
      }))
    yield* association.release
    yield* Effect.logInfo(`C-FIND done: ${matches.length} match(es); association released`)
    if (c.json) yield* Console.log(JSON.stringify(matches.map(Json.toJson), null, 2))
    else if (matches.length === 0) yield* Console.log("No match")
    return matches
  }).pipe(
    Effect.scoped,
    Effect.provide(Tls.clientLayer(c.tls, c.timeouts)),
    Effect.provide(Logging.layer(c))
  )

/**
 * Builds the findscu command around a handler (tests pass one that records the parsed configuration).
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("findscu", config, handler).pipe(
    Command.withShortDescription("Query SCU: C-FIND against HOST PORT"),
    Command.withDescription(
      "Query SCU: send a C-FIND (patient root, study root or modality worklist) and print each match; keys by " +
        "keyword or gggg,eeee, an empty value asks for the attribute to be returned. Without -k, a useful set " +
        "of return keys for the level is asked for."
    ),
    Command.withExamples([
      { command: "dicomnet findscu pacs 104 --aec PACS", description: "Every study (default return keys)" },
      { command: "dicomnet findscu pacs 104 -k PatientName='DOE^*' -k StudyDate=20240101-", description: "Studies of DOE since 2024" },
      { command: "dicomnet findscu pacs 104 --level SERIES -k StudyInstanceUID=1.2.3 -k Modality= --json", description: "Series of a study as DICOM JSON" },
      { command: "dicomnet findscu pacs 104 --model patient -k 0010,0020=12345", description: "A patient by ID (patient root)" },
      { command: "dicomnet findscu ris 104 --model worklist -k ScheduledProcedureStepSequence[0].Modality=CT", description: "Modality worklist for CT" }
    ])
  )

/**
 * The findscu command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))
