/**
 * `dicomnet synth --out DIR`: writes a synthetic study (CT, MR, DX or DICOS CT/DX/TDR) as Part 10 files with
 * `@dicomnet/synth`, seed-deterministic, in any uncompressed transfer syntax.
 *
 * @since 0.1.0
 */
import { Synth } from "@dicomnet/synth"
import { Clock, Console, Effect, Option, Result } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, ToolFailure } from "../Failure.js"
import * as Logging from "../Logging.js"
import * as Options from "../Options.js"

const positive = (name: string, description: string) =>
  Flag.Int(name).pipe(
    Flag.withMetavar("N"),
    Flag.withDescription(description),
    Flag.filterMap((n) => (Number.isInteger(n) && n >= 1 ? Option.some(n) : Option.none()), () => "a positive integer"),
    Flag.optional
  )

/**
 * The synth flags.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  out: Flag.String("out").pipe(Flag.withMetavar("DIR"), Flag.withDescription("Directory to write into (made if missing)")),
  patients: positive("patients", "Patients (default 1)"),
  studies: positive("studies", "Studies per patient (default 1)"),
  series: positive("series", "Series per study (default 1)"),
  instances: positive("instances", "Instances per series (default 10)"),
  modality: Flag.Literals("modality", Synth.modalities).pipe(
    Flag.withDescription("CT, MR, DX, DICOS-CT, DICOS-DX or DICOS-TDR (default CT)"),
    Flag.withDefault("CT" as const)
  ),
  rows: positive("rows", "Image rows (default per modality: CT 512, MR 256, DX 1024)"),
  columns: positive("columns", "Image columns (default per modality)"),
  transferSyntax: Flag.String("transfer-syntax").pipe(
    Flag.withMetavar("UID|KEYWORD"),
    Flag.withDescription("Uncompressed transfer syntax, UID or keyword (default ExplicitVRLittleEndian)"),
    Flag.optional
  ),
  seed: Flag.String("seed").pipe(Flag.withMetavar("S"), Flag.withDescription("Seed: same seed, same bytes (default 1)"), Flag.optional),
  flat: Flag.Boolean("flat").pipe(
    Flag.withDescription("Write SOPInstanceUID.dcm files directly under --out (default PatientID/Study/Series folders)"),
    Flag.withDefault(false)
  ),
  ...Options.logging
} as const

/**
 * The parsed synth configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Command.Command.Config.Infer<typeof config>

/**
 * The generator options for a configuration.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toSynthOptions = (c: Config): Synth.SynthOptions => ({
  modality: c.modality,
  layout: c.flat ? "flat" : "hierarchical",
  ...(Option.isSome(c.patients) ? { patients: c.patients.value } : {}),
  ...(Option.isSome(c.studies) ? { studiesPerPatient: c.studies.value } : {}),
  ...(Option.isSome(c.series) ? { seriesPerStudy: c.series.value } : {}),
  ...(Option.isSome(c.instances) ? { instancesPerSeries: c.instances.value } : {}),
  ...(Option.isSome(c.rows) ? { rows: c.rows.value } : {}),
  ...(Option.isSome(c.columns) ? { columns: c.columns.value } : {}),
  ...(Option.isSome(c.transferSyntax) ? { transferSyntax: c.transferSyntax.value } : {}),
  ...(Option.isSome(c.seed) ? { seed: c.seed.value } : {})
})

/**
 * Validates the options (exit 1 with the reason), writes the files, prints "N files, X MB in DIR".
 *
 * @since 0.1.0
 * @category running
 */
export const run = (c: Config) =>
  Effect.gen(function*() {
    const options = toSynthOptions(c)
    const checked = Synth.validate(options)
    if (Result.isFailure(checked)) {
      return yield* new ToolFailure({ exitCode: ExitCode.Usage, line: `Invalid synth option ${checked.failure.message}` })
    }
    const o = checked.success
    yield* Effect.logInfo(
      `Generating ${o.patients * o.studiesPerPatient} ${o.modality} stud${o.patients * o.studiesPerPatient === 1 ? "y" : "ies"} ` +
        `(${o.seriesPerStudy} series x ${o.instancesPerSeries} instances, ${o.rows}x${o.columns}, seed ${o.seed}) into ${c.out}`
    )
    const started = yield* Clock.currentTimeMillis
    const written = yield* Synth.writeTo(c.out, options).pipe(
      Effect.mapError((e) =>
        new ToolFailure({
          exitCode: e._tag === "SynthError" ? ExitCode.Usage : ExitCode.Internal,
          line: `synth: ${e.message}`
        })
      )
    )
    const millis = (yield* Clock.currentTimeMillis) - started
    yield* Console.log(`${written.files} files, ${(written.bytes / 1e6).toFixed(1)} MB written to ${c.out} in ${(millis / 1000).toFixed(1)} s`)
    return written
  }).pipe(Effect.provide(Logging.layer(c)))

/**
 * Builds the synth command around a handler (tests pass one that records the parsed configuration).
 *
 * @since 0.1.0
 * @category commands
 */
export const make = <E, R>(handler: (config: Config) => Effect.Effect<void, E, R>) =>
  Command.make("synth", config, handler).pipe(
    Command.withShortDescription("Write synthetic DICOM studies (CT, MR, DX, DICOS) as Part 10 files"),
    Command.withDescription(
      "Write seed-deterministic synthetic studies as Part 10 files: clinical CT, MR, DX or security-screening " +
        "DICOS CT, DX and Threat Detection Reports, in any uncompressed transfer syntax."
    ),
    Command.withExamples([
      { command: "dicomnet synth --out /tmp/ct", description: "One CT series of 10 slices, 512x512" },
      { command: "dicomnet synth --out /tmp/mr --modality MR --studies 3 --series 2 --instances 20", description: "3 MR studies" },
      { command: "dicomnet synth --out /tmp/bag --modality DICOS-TDR --seed 42", description: "A DICOS CT scan with its threat report" },
      { command: "dicomnet synth --out /tmp/small --rows 64 --columns 64 --transfer-syntax ImplicitVRLittleEndian", description: "Small images, Implicit VR" }
    ])
  )

/**
 * The synth command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = make((c) => Effect.asVoid(run(c)))
