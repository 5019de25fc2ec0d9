/**
 * `dicomnet demo`: the whole stack in one process, on this machine, with nothing to install: a receiver (our
 * storescp) on a free local port with a temporary output directory, synthetic CT studies (synth), sent with the
 * progress display over two associations (storescu --threads 2), queried back at STUDY and SERIES level
 * (findscu against the receiver, which answers C-FIND over what it stored), a summary, and clean-up.
 *
 * @since 0.1.0
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Find } from "@dicomnet/client"
import { type Dataset, SopClass } from "@dicomnet/data"
import { Synth } from "@dicomnet/synth"
import { Clock, Console, Effect, Option, Result, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, ToolFailure } from "../Failure.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"
import * as Progress from "../Progress.js"
import * as Query from "../Query.js"
import * as Tls from "../Tls.js"
import * as Findscu from "./findscu.js"
import * as Storescp from "./storescp.js"
import * as Storescu from "./storescu.js"

/**
 * The demo flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  studies: Flag.Int("studies").pipe(Flag.withMetavar("N"), Flag.withDescription("Studies (patients) to make, one per association (default 2)"), Flag.withDefault(2)),
  series: Flag.Int("series").pipe(Flag.withMetavar("N"), Flag.withDescription("Series in the study (default 2)"), Flag.withDefault(2)),
  instances: Flag.Int("instances").pipe(Flag.withMetavar("N"), Flag.withDescription("Instances per series (default 12)"), Flag.withDefault(12)),
  threads: Flag.Int("threads").pipe(Flag.withMetavar("N"), Flag.withDescription("Associations in parallel for the send (default 2)"), Flag.withDefault(2)),
  keep: Flag.Boolean("keep").pipe(Flag.withDescription("Keep the temporary directory (its path is printed)"), Flag.withDefault(false)),
  quiet: Flag.Boolean("quiet").pipe(Flag.withAlias("q"), Flag.withDescription("No progress display"), Flag.withDefault(false)),
  ...Options.logging
} as const

/**
 * The parsed demo configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

const AE = { scp: "DEMO-SCP", scu: "DEMO-SCU" } as const

const noTimeouts = { connect: Option.none(), acse: Option.some(30), dimse: Option.some(60), release: Option.some(10), idle: Option.none() }
const noTls = {
  enabled: false,
  cert: Option.none(),
  key: Option.none(),
  ca: Option.none(),
  minVersion: "TLSv1.2" as const,
  ciphers: Option.none(),
  verifyPeer: true,
  servername: Option.none()
}

const column = (ds: Dataset.Dataset, keyword: string): string => ds.string(keyword) ?? ds.personName(keyword)?.alphabetic ?? ""

/** Rows as an aligned table. */
const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): ReadonlyArray<string> => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => `    ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)]
}

/**
 * Runs the demo; fails (non-zero exit) when a step does not do what it should.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const work = mkdtempSync(join(tmpdir(), "dicomnet-demo-"))
    yield* Effect.addFinalizer(() =>
      c.keep ? Console.log(`(kept ${work})`) : Effect.sync(() => rmSync(work, { recursive: true, force: true }))
    )
    const source = join(work, "study")
    const received = join(work, "received")
    yield* Console.log("dicomnet demo: a receiver, a synthetic study, a send with progress, a query back.\n")

    // 1. The receiver: our storescp, in this process, on a free port; it also answers C-FIND over what it stored.
    const listening = yield* Storescp.listen(
      {
        port: 0,
        bind: "127.0.0.1",
        out: Option.some(received),
        layout: "study",
        onCollision: "overwrite",
        fsync: false,
        ignore: false,
        aet: AE.scp,
        requireCalledAet: true,
        allowCalling: [],
        sopClasses: [],
        transferSyntaxes: [],
        maxAssociations: 16,
        execOnReception: Option.none(),
        execOnEostudy: Option.none(),
        eostudyTimeout: 5,
        maxPdu: 262144,
        asyncWindow: Options.ASYNC_WINDOW_DEFAULT,
        timeouts: { acse: Option.some(30), release: Option.none(), idle: Option.none() },
        verbose: c.verbose,
        debug: c.debug
      },
      { queryDirectory: received }
    )
    yield* Console.log(`1. storescp  listening on 127.0.0.1:${listening.port} as ${AE.scp}, storing into ${received} (Study/Series folders)`)

    // 2. A synthetic CT study.
    const options: Synth.SynthOptions = {
      modality: "CT",
      seed: "dicomnet demo",
      patients: c.studies,
      seriesPerStudy: c.series,
      instancesPerSeries: c.instances,
      rows: 256,
      columns: 256
    }
    const checked = Synth.validate(options)
    if (Result.isFailure(checked)) return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: `Invalid demo option ${checked.failure.message}` })
    const written = yield* Synth.writeTo(source, options).pipe(
      Effect.mapError((e) => new ToolFailure({ exitCode: ExitCode.Internal, line: `synth: ${e.message}` }))
    )
    yield* Console.log(
      `2. synth     ${c.studies} CT ${c.studies === 1 ? "study" : "studies"} of ${c.series} series x ${c.instances} slices of 256x256: ` +
        `${written.files} files, ${Progress.megabytes(written.bytes)}`
    )

    // 3. Send it with storescu, progress on stderr.
    yield* Console.log(`3. storescu  sending to ${AE.scp}, ${c.threads} associations in parallel, one study per association`)
    const summary = yield* Storescu.run({
      host: "127.0.0.1",
      port: listening.port,
      paths: [source],
      recursive: true,
      threads: c.threads,
      asyncWindow: Options.ASYNC_WINDOW_DEFAULT,
      retries: 1,
      retryDelay: 0.5,
      retryFrom: Option.none(),
      summary: Option.none(),
      log: Option.none(),
      quiet: c.quiet,
      warningsAsFailures: true,
      aet: AE.scu,
      aec: AE.scp,
      maxPdu: 262144,
      timeouts: noTimeouts,
      tls: noTls,
      verbose: c.verbose,
      debug: c.debug
    })
    if (summary === undefined) return yield* new ToolFailure({ exitCode: ExitCode.Internal, line: "demo: nothing was sent" })

    // 4. Query it back: STUDY level, then its SERIES.
    const peer = { host: "127.0.0.1", port: listening.port, aet: AE.scu, aec: AE.scp, maxPdu: 262144, timeouts: noTimeouts, tls: noTls }
    const query = (level: Query.Level, keys: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const identifier = Query.identifier("study", level, keys, true)
        if (Result.isFailure(identifier)) return yield* new ToolFailure({ exitCode: ExitCode.Internal, line: identifier.failure })
        const association = yield* Findscu.open(peer, SopClass.StudyRootFind)
        const matches = yield* Stream.runCollect(
          Find.find(association, { model: "study", level, keys: identifier.success }).pipe(Stream.mapError(Findscu.dataErrorToFailure))
        )
        yield* association.release
        return matches
      }).pipe(Effect.scoped)
    const studies = yield* query("STUDY", [])
    yield* Console.log(`4. findscu   C-FIND at STUDY level: ${studies.length} match(es)`)
    for (const line of table(
      ["PatientName", "PatientID", "StudyDate", "StudyDescription", "Instances"],
      studies.map((s) => [column(s, "PatientName"), column(s, "PatientID"), column(s, "StudyDate"), column(s, "StudyDescription"), column(s, "NumberOfStudyRelatedInstances")])
    )) yield* Console.log(line)
    const study = studies[0]?.uid("StudyInstanceUID")
    if (study === undefined) return yield* new ToolFailure({ exitCode: ExitCode.DimseFailure, line: "demo: the study was not found by C-FIND" })
    const series = [...(yield* query("SERIES", [`StudyInstanceUID=${study}`]))].sort(
      (a, b) => Number(column(a, "SeriesNumber")) - Number(column(b, "SeriesNumber"))
    )
    yield* Console.log(`   findscu   C-FIND at SERIES level in the first study: ${series.length} match(es)`)
    for (const line of table(
      ["SeriesNumber", "Modality", "SeriesDescription", "Instances"],
      series.map((s) => [column(s, "SeriesNumber"), column(s, "Modality"), column(s, "SeriesDescription"), column(s, "NumberOfSeriesRelatedInstances")])
    )) yield* Console.log(line)

    // 5. Summary.
    const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
    const ok = summary.failed === 0 && studies.length === c.studies && series.length === c.series
    yield* Console.log(
      `\n5. summary   ${summary.succeeded}/${summary.total} files stored (${Progress.megabytes(summary.timings.bytesSent)}, ` +
        `${summary.timings.filesPerSecond} files/s, ${summary.timings.megabytesPerSecond} MB/s over ${summary.timings.associations} association(s)), ` +
        `found ${studies.length} stud${studies.length === 1 ? "y" : "ies"}, ${series.length} series in the first; ${ok ? "all good" : "MISMATCH"} in ${seconds.toFixed(1)} s`
    )
    if (!ok) {
      return yield* new ToolFailure({ exitCode: ExitCode.DimseFailure, line: `demo: expected ${c.studies} studies and ${c.series} series, found ${studies.length} and ${series.length}` })
    }
  }).pipe(
    Effect.scoped,
    Effect.provide(Tls.serverLayer({ ...noTls, requireClientCert: false, verifyPeer: false }, noTimeouts)),
    Effect.provide(Logging.layer(c))
  )

/**
 * Builds the demo command around a handler.
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("demo", config, handler).pipe(
    Command.withShortDescription("The whole stack in one process: receive, synthesize, send with progress, query back"),
    Command.withDescription(
      "Starts a receiver (storescp) on a free local port with a temporary directory, writes a synthetic CT study " +
        "(synth), sends it over two associations with the progress display (storescu --threads 2), queries it back " +
        "at STUDY and SERIES level (findscu), prints a summary and cleans up. Exit 0 when everything arrived and was found."
    ),
    Command.withExamples([
      { command: "npx dicomnet demo", description: "Run it" },
      { command: "npx dicomnet demo --series 4 --instances 50 --threads 4 --keep", description: "Bigger, keeping the files" }
    ])
  )

/**
 * The demo command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))
