/**
 * Synthetic DICOM studies for tests, demos and load: CT, MR and DX images with smooth anatomical phantoms, and
 * DICOS (NEMA IIC 1) CT, DX and Threat Detection Reports for security screening. Output is deterministic for a
 * seed (same seed, same bytes; UIDs under 2.25 derived from it), hierarchically coherent (patient, study, series,
 * instance), and every file is a valid Part 10 file in the chosen uncompressed transfer syntax.
 *
 * @since 0.1.0
 */
import { Dataset, type DataError, Element, Part10, Tags, TransferSyntax, Uid } from "@dicomnet/data"
import { Data, Effect, FileSystem, Path, type PlatformError, Result } from "effect"
import * as Phantom from "./internal/phantom.js"
import { type Rng, rng, uid } from "./internal/random.js"

/**
 * What to generate: clinical CT, MR, DX, or DICOS (security screening) CT, DX and Threat Detection Reports.
 *
 * @since 0.1.0
 * @category models
 */
export type Modality = "CT" | "MR" | "DX" | "DICOS-CT" | "DICOS-DX" | "DICOS-TDR"

/**
 * Every modality, in a stable order.
 *
 * @since 0.1.0
 * @category constants
 */
export const modalities: ReadonlyArray<Modality> = ["CT", "MR", "DX", "DICOS-CT", "DICOS-DX", "DICOS-TDR"]

/**
 * Options of the generator; every field has a default (see `defaults`).
 *
 * @since 0.1.0
 * @category models
 */
export interface SynthOptions {
  /** Default "CT". "DICOS-TDR" makes, per series, a DICOS CT series plus a TDR series whose report references it. */
  readonly modality?: Modality
  /** Same seed, same bytes (default 1). */
  readonly seed?: number | string
  readonly patients?: number
  readonly studiesPerPatient?: number
  readonly seriesPerStudy?: number
  readonly instancesPerSeries?: number
  /** Image size; defaults per modality (CT 512, MR 256, DX 1024, DICOS-CT 512, DICOS-DX 1024). */
  readonly rows?: number
  readonly columns?: number
  /** One of the four uncompressed transfer syntaxes, as a UID or keyword (default Explicit VR Little Endian). */
  readonly transferSyntax?: string
  /** "hierarchical": PatientID/StudyUID/SeriesUID/SOPInstanceUID.dcm (default); "flat": SOPInstanceUID.dcm. */
  readonly layout?: "hierarchical" | "flat"
}

/**
 * Options with every default applied and the transfer syntax resolved to its UID.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedOptions {
  readonly modality: Modality
  readonly seed: string
  readonly patients: number
  readonly studiesPerPatient: number
  readonly seriesPerStudy: number
  readonly instancesPerSeries: number
  readonly rows: number
  readonly columns: number
  readonly transferSyntax: string
  readonly layout: "hierarchical" | "flat"
}

/**
 * Default image size per modality.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSize: Readonly<Record<Modality, { readonly rows: number; readonly columns: number }>> = {
  CT: { rows: 512, columns: 512 },
  MR: { rows: 256, columns: 256 },
  DX: { rows: 1024, columns: 1024 },
  "DICOS-CT": { rows: 512, columns: 512 },
  "DICOS-DX": { rows: 1024, columns: 1024 },
  "DICOS-TDR": { rows: 512, columns: 512 }
}

/**
 * The defaults: one patient, one study, one CT series of 10 slices of 512x512 in Explicit VR Little Endian, seed 1.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  modality: "CT",
  seed: 1,
  patients: 1,
  studiesPerPatient: 1,
  seriesPerStudy: 1,
  instancesPerSeries: 10,
  transferSyntax: TransferSyntax.ExplicitVRLittleEndian,
  layout: "hierarchical"
} as const satisfies SynthOptions

/**
 * Options the generator cannot honour (a count below 1, an unknown transfer syntax...).
 *
 * @since 0.1.0
 * @category errors
 */
export class SynthError extends Data.TaggedError("SynthError")<{ readonly option: string; readonly reason: string }> {
  /** "rows: must be an integer from 1 to 65535". */
  override get message(): string {
    return `${this.option}: ${this.reason}`
  }
}

/**
 * One generated instance as a data set, with the File Meta Information it is written with and its relative path.
 *
 * @since 0.1.0
 * @category models
 */
export interface SynthInstance {
  readonly path: string
  readonly meta: Part10.MetaOptions
  readonly dataset: Dataset.Dataset
}

/**
 * One generated Part 10 file.
 *
 * @since 0.1.0
 * @category models
 */
export interface SynthFile {
  readonly path: string
  readonly bytes: Uint8Array
  readonly sopClassUid: string
  readonly sopInstanceUid: string
}

/**
 * The identifiers of what will be generated (no pixels): patients, their studies, series and instances.
 *
 * @since 0.1.0
 * @category models
 */
export interface PatientPlan {
  readonly patientId: string
  readonly patientName: string
  readonly studies: ReadonlyArray<StudyPlan>
}

/**
 * A study in the plan.
 *
 * @since 0.1.0
 * @category models
 */
export interface StudyPlan {
  readonly studyInstanceUid: string
  readonly studyId: string
  readonly accessionNumber: string
  readonly studyDate: string
  readonly studyTime: string
  readonly series: ReadonlyArray<SeriesPlan>
}

/**
 * A series in the plan.
 *
 * @since 0.1.0
 * @category models
 */
export interface SeriesPlan {
  readonly seriesInstanceUid: string
  readonly seriesNumber: number
  /** The DICOM Modality (0008,0060) value: CT, MR, DX or TDR. */
  readonly modality: string
  readonly sopClassUid: string
  readonly instances: ReadonlyArray<InstancePlan>
}

/**
 * An instance in the plan.
 *
 * @since 0.1.0
 * @category models
 */
export interface InstancePlan {
  readonly sopInstanceUid: string
  readonly instanceNumber: number
  readonly path: string
}

const count = (name: string, value: number | undefined, fallback: number, max: number): Result.Result<number, SynthError> => {
  const v = value ?? fallback
  return Number.isInteger(v) && v >= 1 && v <= max
    ? Result.succeed(v)
    : Result.fail(new SynthError({ option: name, reason: `must be an integer from 1 to ${max}, got ${v}` }))
}

const resolveTransferSyntax = (s: string): string | undefined => {
  const uid = TransferSyntax.info(s) !== undefined ? s : Uid.byKeyword(s)?.uid
  return uid !== undefined && TransferSyntax.uncompressed.includes(uid) ? uid : undefined
}

/**
 * Applies the defaults and checks the options (use it on user input before generate/study/manifest).
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (options: SynthOptions = {}): Result.Result<ResolvedOptions, SynthError> => {
  const modality = options.modality ?? defaults.modality
  if (!modalities.includes(modality)) {
    return Result.fail(new SynthError({ option: "modality", reason: `must be one of ${modalities.join(", ")}, got ${String(modality)}` }))
  }
  const transferSyntax = resolveTransferSyntax(options.transferSyntax ?? defaults.transferSyntax)
  if (transferSyntax === undefined) {
    return Result.fail(
      new SynthError({ option: "transferSyntax", reason: `must be one of the uncompressed transfer syntaxes (${TransferSyntax.uncompressed.join(", ")}), got ${options.transferSyntax}` })
    )
  }
  const layout = options.layout ?? defaults.layout
  if (layout !== "hierarchical" && layout !== "flat") return Result.fail(new SynthError({ option: "layout", reason: `must be "hierarchical" or "flat"` }))
  const size = defaultSize[modality]
  const checks = [
    count("patients", options.patients, defaults.patients, 100_000),
    count("studiesPerPatient", options.studiesPerPatient, defaults.studiesPerPatient, 10_000),
    count("seriesPerStudy", options.seriesPerStudy, defaults.seriesPerStudy, 10_000),
    count("instancesPerSeries", options.instancesPerSeries, defaults.instancesPerSeries, 100_000),
    count("rows", options.rows, size.rows, 65535),
    count("columns", options.columns, size.columns, 65535)
  ] as const
  for (const c of checks) if (Result.isFailure(c)) return Result.fail(c.failure)
  const [patients, studiesPerPatient, seriesPerStudy, instancesPerSeries, rows, columns] = checks.map((c) => (Result.isSuccess(c) ? c.success : 0))
  return Result.succeed({
    modality,
    seed: String(options.seed ?? defaults.seed),
    patients: patients ?? 1,
    studiesPerPatient: studiesPerPatient ?? 1,
    seriesPerStudy: seriesPerStudy ?? 1,
    instancesPerSeries: instancesPerSeries ?? 1,
    rows: rows ?? 1,
    columns: columns ?? 1,
    transferSyntax,
    layout
  })
}

const resolveOrThrow = (options: SynthOptions): ResolvedOptions => {
  const r = validate(options)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

// ---------------------------------------------------------------------------------------------------------------
// Identities: everything is derived from the seed and the position, never from a clock or a global generator.

const familyNames = ["SMITH", "JONES", "GARCIA", "MILLER", "DAVIS", "MARTIN", "LEE", "WALKER", "HALL", "YOUNG", "KING", "WRIGHT", "LOPEZ", "HILL", "SCOTT", "GREEN", "ADAMS", "BAKER", "NELSON", "CARTER"]
const givenNames = ["ALEX", "SAM", "JORDAN", "TAYLOR", "MORGAN", "CASEY", "JAMIE", "ROBIN", "AVERY", "RILEY", "QUINN", "DREW", "KAI", "NOA", "ELI", "MIA"]

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

/** YYYYMMDD, `days` after 1 January of `year` (UTC arithmetic on a fixed date: no clock is read). */
const dateAfter = (year: number, days: number): string => {
  const d = new Date(Date.UTC(year, 0, 1) + days * 86_400_000)
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`
}

/** HHMMSS from seconds after midnight. */
const timeOf = (seconds: number): string => {
  const s = Math.floor(seconds) % 86_400
  return `${pad(Math.floor(s / 3600), 2)}${pad(Math.floor(s / 60) % 60, 2)}${pad(s % 60, 2)}`
}

const isDicos = (m: Modality): boolean => m.startsWith("DICOS")

interface Patient {
  readonly index: number
  readonly id: string
  readonly name: string
  readonly birthDate: string
  readonly sex: string
  readonly ooiSize: ReadonlyArray<number>
}

interface Study {
  readonly patient: Patient
  readonly index: number
  readonly uid: string
  readonly id: string
  readonly accession: string
  readonly date: string
  readonly time: number
  readonly frameOfReferenceUid: string
}

/** A series: `kind` is the image modality, or "TDR" for the report series that follows a DICOS CT series. */
interface Series {
  readonly study: Study
  readonly index: number
  readonly kind: Modality | "TDR"
  readonly uid: string
  readonly number: number
  readonly label: string
}

const patientOf = (o: ResolvedOptions, p: number): Patient => {
  const r = rng(`${o.seed}/patient/${p}`)
  const tag = pad(rng(`${o.seed}/id`).int(1_000_000), 6)
  const dicos = isDicos(o.modality)
  return {
    index: p,
    id: `${dicos ? "OOI" : "SYN"}${tag}-${p + 1}`,
    name: dicos ? "" : `${r.pick(familyNames)}^${r.pick(givenNames)}`,
    birthDate: dicos ? "" : dateAfter(1935 + r.int(70), r.int(365)),
    sex: dicos ? "" : r.pick(["F", "M", "O"] as const),
    ooiSize: [r.range(500, 800), r.range(350, 500), r.range(200, 300)].map((x) => Math.round(x))
  }
}

/** Studies and below depend on what is drawn: a different modality, size or slice count makes different UIDs. */
const contentKey = (o: ResolvedOptions): string => `${o.seed}/${o.modality}/${o.rows}x${o.columns}x${o.instancesPerSeries}`

const studyOf = (o: ResolvedOptions, patient: Patient, s: number): Study => {
  const key = `${contentKey(o)}/study/${patient.index}/${s}`
  const r = rng(key)
  return {
    patient,
    index: s,
    uid: uid(key),
    id: String(s + 1),
    accession: `A${pad(r.int(100_000_000), 8)}`,
    date: dateAfter(2019 + r.int(6), r.int(365)),
    time: 7 * 3600 + r.int(11 * 3600),
    frameOfReferenceUid: uid(`${key}/frame-of-reference`)
  }
}

/** The series of a study: one per seriesPerStudy, and for DICOS-TDR a report series after each CT series. */
const seriesOf = (o: ResolvedOptions, study: Study): ReadonlyArray<Series> => {
  const out: Array<Series> = []
  for (let k = 0; k < o.seriesPerStudy; k++) {
    const label = `${contentKey(o)}/series/${study.patient.index}/${study.index}/${k}`
    const image: Modality = o.modality === "DICOS-TDR" ? "DICOS-CT" : o.modality
    out.push({ study, index: k, kind: image, uid: uid(label), number: out.length + 1, label })
    if (o.modality === "DICOS-TDR") out.push({ study, index: k, kind: "TDR", uid: uid(`${label}/tdr`), number: out.length + 1, label })
  }
  return out
}

const sopClassOf = (kind: Modality | "TDR"): string => {
  switch (kind) {
    case "CT":
      return Uid.Uids.CTImageStorage
    case "MR":
      return Uid.Uids.MRImageStorage
    case "DX":
      return Uid.Uids.DigitalXRayImageStorageForPresentation
    case "DICOS-CT":
    case "DICOS-TDR":
      return Uid.Uids.DICOSCTImageStorage
    case "DICOS-DX":
      return Uid.Uids.DICOSDigitalXRayImageStorageForPresentation
    case "TDR":
      return Uid.Uids.DICOSThreatDetectionReportStorage
  }
}

const modalityCode = (kind: Modality | "TDR"): string =>
  kind === "TDR" ? "TDR" : kind === "MR" ? "MR" : kind === "DX" || kind === "DICOS-DX" ? "DX" : "CT"

const instanceCount = (o: ResolvedOptions, series: Series): number => (series.kind === "TDR" ? 1 : o.instancesPerSeries)

const instanceUid = (series: Series, i: number): string => uid(`${series.label}/${series.kind === "TDR" ? "tdr" : "image"}/${i}`)

const pathOf = (o: ResolvedOptions, series: Series, sopInstanceUid: string): string =>
  o.layout === "flat" ? `${sopInstanceUid}.dcm` : `${series.study.patient.id}/${series.study.uid}/${series.uid}/${sopInstanceUid}.dcm`

// ---------------------------------------------------------------------------------------------------------------
// Data sets.

type Fields = Record<string, Dataset.RecordValue>

const ds = (fields: Fields): Dataset.Dataset => {
  const r = Dataset.fromRecord(fields)
  // Every value is generated here from fixed vocabularies: a failure is a bug in this module.
  if (Result.isFailure(r)) throw new Error(`synth: ${r.failure.message}`)
  return r.success
}

const num = (x: number, digits = 3): string => {
  const s = x.toFixed(digits).replace(/\.?0+$/, "")
  return s === "-0" ? "0" : s
}

const description: Record<Modality | "TDR", { readonly study: string; readonly series: string; readonly body: string }> = {
  CT: { study: "CT CHEST WITH CONTRAST", series: "AXIAL 2.5MM", body: "CHEST" },
  MR: { study: "MR BRAIN", series: "AX T1 SE", body: "BRAIN" },
  DX: { study: "DX CHEST 1 VIEW", series: "PA", body: "CHEST" },
  "DICOS-CT": { study: "CHECKED BAGGAGE SCREENING", series: "CT VOLUME", body: "" },
  "DICOS-DX": { study: "CHECKED BAGGAGE SCREENING", series: "DX PROJECTION", body: "" },
  "DICOS-TDR": { study: "CHECKED BAGGAGE SCREENING", series: "CT VOLUME", body: "" },
  TDR: { study: "CHECKED BAGGAGE SCREENING", series: "THREAT DETECTION REPORT", body: "" }
}

const patientFields = (o: ResolvedOptions, p: Patient): Fields => {
  const common: Fields = { PatientName: p.name, PatientID: p.id, PatientBirthDate: p.birthDate, PatientSex: p.sex }
  // DICOS: the "patient" is the Object of Inspection (NEMA IIC 1 OOI module): OOI ID in Patient ID, OOI Type, size.
  return isDicos(o.modality) ? { ...common, OOIType: "BAGGAGE", OOITypeDescriptor: "Checked bag", OOISize: p.ooiSize } : common
}

const studyFields = (o: ResolvedOptions, st: Study): Fields => ({
  StudyInstanceUID: st.uid,
  StudyDate: st.date,
  StudyTime: timeOf(st.time),
  AccessionNumber: st.accession,
  StudyID: st.id,
  StudyDescription: description[o.modality].study,
  ReferringPhysicianName: isDicos(o.modality) ? "" : "REFERRER^SYNTHETIC"
})

const seriesFields = (se: Series): Fields => {
  const body = description[se.kind].body
  return {
    SeriesInstanceUID: se.uid,
    SeriesNumber: String(se.number),
    Modality: modalityCode(se.kind),
    SeriesDescription: description[se.kind].series,
    SeriesDate: se.study.date,
    SeriesTime: timeOf(se.study.time + 60 * se.number),
    ...(body === "" ? {} : { BodyPartExamined: body })
  }
}

const equipmentFields = (se: Series): Fields => ({
  Manufacturer: "dicomnet synth",
  ManufacturerModelName: `SYNTHETIC ${modalityCode(se.kind)}`,
  StationName: "SYNTH",
  SoftwareVersions: "0.1.0",
  InstitutionName: "dicomnet"
})

interface Geometry {
  readonly thickness: number
  readonly fov: number
}

const geometry = (kind: Modality): Geometry =>
  kind === "MR" ? { thickness: 5, fov: 240 } : kind === "DICOS-CT" || kind === "DICOS-TDR" ? { thickness: 2, fov: 800 } : { thickness: 2.5, fov: 350 }

/** Pixel data and the image modules of one image instance. */
const imageFields = (o: ResolvedOptions, se: Series, i: number, r: Rng): { readonly fields: Fields; readonly pixels: Uint8Array } => {
  const n = o.instancesPerSeries
  const z01 = (i + 0.5) / n
  const kind = se.kind === "TDR" ? "DICOS-CT" : se.kind
  const v = Phantom.variation(rng(`${se.label}/anatomy`))
  let scene: Phantom.Scene
  switch (kind) {
    case "CT":
      scene = Phantom.chestCT(z01, v)
      break
    case "MR":
      scene = Phantom.brainMR(z01, v)
      break
    case "DX":
      scene = Phantom.chestDX(v)
      break
    case "DICOS-DX":
      scene = Phantom.bagDX(Phantom.bag(rng(`${se.label}/bag`)).items)
      break
    default:
      scene = Phantom.bagCT(Phantom.bag(rng(`${se.label}/bag`)).items, z01)
  }
  const pixels = Phantom.render(scene, o.rows, o.columns, r)
  const bitsStored = kind === "MR" ? 16 : 12
  const projection = kind === "DX" || kind === "DICOS-DX"
  const g = geometry(kind)
  const spacing = g.fov / Math.max(o.rows, o.columns)
  const time = timeOf(se.study.time + 60 * se.number + i)
  const fields: Fields = {
    InstanceNumber: String(i + 1),
    AcquisitionNumber: "1",
    ContentDate: se.study.date,
    ContentTime: time,
    AcquisitionDate: se.study.date,
    AcquisitionTime: time,
    ImageType: projection ? ["ORIGINAL", "PRIMARY"] : ["ORIGINAL", "PRIMARY", "AXIAL"],
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    Rows: o.rows,
    Columns: o.columns,
    BitsAllocated: 16,
    BitsStored: bitsStored,
    HighBit: bitsStored - 1,
    PixelRepresentation: 0,
    PixelSpacing: [num(spacing, 6), num(spacing, 6)],
    BurnedInAnnotation: "NO",
    LossyImageCompression: "00"
  }
  if (projection) {
    Object.assign(fields, {
      PresentationIntentType: "FOR PRESENTATION",
      ImagerPixelSpacing: [num(spacing, 6), num(spacing, 6)],
      PatientOrientation: ["L", "F"],
      ViewPosition: kind === "DX" ? "PA" : "",
      KVP: kind === "DX" ? "110" : "160",
      PixelIntensityRelationship: "LOG",
      PixelIntensityRelationshipSign: 1,
      RescaleIntercept: "0",
      RescaleSlope: "1",
      RescaleType: "US",
      WindowCenter: "2048",
      WindowWidth: "4096"
    })
  } else {
    const z = i * g.thickness
    Object.assign(fields, {
      FrameOfReferenceUID: se.study.frameOfReferenceUid,
      PositionReferenceIndicator: "",
      ImagePositionPatient: [num(-g.fov / 2 + spacing / 2), num(-g.fov / 2 + spacing / 2), num(z)],
      ImageOrientationPatient: ["1", "0", "0", "0", "1", "0"],
      SliceThickness: num(g.thickness),
      SliceLocation: num(z)
    })
    if (kind === "MR") {
      Object.assign(fields, {
        ScanningSequence: "SE",
        SequenceVariant: "NONE",
        ScanOptions: "",
        MRAcquisitionType: "2D",
        RepetitionTime: "500",
        EchoTime: "15",
        EchoTrainLength: "1",
        MagneticFieldStrength: "1.5",
        ImagingFrequency: "63.87",
        ImagedNucleus: "1H",
        WindowCenter: "450",
        WindowWidth: "900"
      })
    } else {
      Object.assign(fields, {
        KVP: "120",
        ConvolutionKernel: "STANDARD",
        RescaleIntercept: "-1024",
        RescaleSlope: "1",
        RescaleType: "HU",
        WindowCenter: kind === "CT" ? "40" : "500",
        WindowWidth: kind === "CT" ? "400" : "3000"
      })
    }
  }
  return { fields, pixels }
}

/** The Threat Detection Report of a DICOS CT series: one potential threat object, referencing the slices it is in. */
const reportFields = (o: ResolvedOptions, se: Series): Fields => {
  const found = Phantom.bag(rng(`${se.label}/bag`))
  const image: Series = { ...se, kind: "DICOS-CT", uid: uid(se.label) }
  const n = o.instancesPerSeries
  const t = found.threat
  const first = Math.max(0, Math.min(n - 1, Math.floor(found.threatZ[0] * n)))
  const last = Math.max(first, Math.min(n - 1, Math.ceil(found.threatZ[1] * n) - 1))
  const referenced: Array<Fields> = []
  for (let i = first; i <= last; i++) {
    referenced.push({ ReferencedSOPClassUID: Uid.Uids.DICOSCTImageStorage, ReferencedSOPInstanceUID: instanceUid(image, i) })
  }
  const [cx, cy, rx, ry] = t.kind === "ellipse" ? [t.cx, t.cy, t.rx, t.ry] : [(t.x0 + t.x1) / 2, (t.y0 + t.y1) / 2, (t.x1 - t.x0) / 2, (t.y1 - t.y0) / 2]
  const toColumn = (x: number) => Math.round(((x + 1) / 2) * o.columns)
  const toRow = (y: number) => Math.round(((y + 1) / 2) * o.rows)
  const r = rng(`${se.label}/tdr`)
  const time = se.study.time + 60 * se.number
  const dt = `${se.study.date}${timeOf(time)}`
  return {
    InstanceNumber: "1",
    ContentDate: se.study.date,
    ContentTime: timeOf(time),
    TDRType: "MACHINE",
    AlarmDecision: "ALARM",
    AlarmDecisionTime: dt,
    ThreatDetectionAlgorithmAndVersion: ["DICOMNET SYNTH ATD", "0.1.0"],
    NumberOfTotalObjects: 1,
    NumberOfAlarmObjects: 1,
    TotalProcessingTime: Math.round(r.range(800, 3000)) / 1000,
    ReferencedSeriesSequence: [{ SeriesInstanceUID: image.uid, ReferencedInstanceSequence: referenced }],
    ThreatSequence: [
      {
        PotentialThreatObjectID: 1,
        PTORepresentationSequence: [
          {
            ReferencedInstanceSequence: referenced,
            ThreatROIVoxelSequence: [
              {
                ThreatROIBase: [toColumn(cx - rx), toRow(cy - ry), first],
                ThreatROIExtents: [Math.max(1, toColumn(cx + rx) - toColumn(cx - rx)), Math.max(1, toRow(cy + ry) - toRow(cy - ry)), last - first + 1]
              }
            ]
          }
        ],
        ATDAssessmentSequence: [
          {
            ThreatCategory: "EXPLOSIVE",
            ThreatCategoryDescription: "Dense organic mass (synthetic)",
            ATDAbilityAssessment: "NO_INTERFERENCE",
            ATDAssessmentFlag: "THREAT",
            ATDAssessmentProbability: Math.round(r.range(0.6, 0.99) * 100) / 100
          }
        ]
      }
    ]
  }
}

const instanceOf = (o: ResolvedOptions, se: Series, i: number): SynthInstance => {
  const sopClassUid = sopClassOf(se.kind)
  const sopInstanceUid = instanceUid(se, i)
  const st = se.study
  const fields: Fields = {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: st.date,
    InstanceCreationTime: timeOf(st.time + 60 * se.number + i),
    ...(isDicos(o.modality) ? { DICOSVersion: "V02A" } : {}),
    ...patientFields(o, st.patient),
    ...studyFields(o, st),
    ...seriesFields(se),
    ...equipmentFields(se)
  }
  let dataset: Dataset.Dataset
  if (se.kind === "TDR") {
    dataset = ds({ ...fields, ...reportFields(o, se) })
  } else {
    const image = imageFields(o, se, i, rng(`${se.label}/noise/${i}`))
    dataset = ds({ ...fields, ...image.fields }).with(Element.bytes(Tags.PixelData, "OW", image.pixels))
  }
  return {
    path: pathOf(o, se, sopInstanceUid),
    meta: { mediaStorageSopClassUid: sopClassUid, mediaStorageSopInstanceUid: sopInstanceUid, transferSyntaxUid: o.transferSyntax, sourceApplicationEntityTitle: "DICOMNET_SYNTH" },
    dataset
  }
}

function* instancesOf(o: ResolvedOptions): Generator<SynthInstance> {
  for (let p = 0; p < o.patients; p++) {
    const patient = patientOf(o, p)
    for (let s = 0; s < o.studiesPerPatient; s++) {
      const st = studyOf(o, patient, s)
      for (const se of seriesOf(o, st)) {
        for (let i = 0; i < instanceCount(o, se); i++) yield instanceOf(o, se, i)
      }
    }
  }
}

const encode = (instance: SynthInstance): Result.Result<SynthFile, DataError.DataEncodeError> => {
  const bytes = Part10.encodeFile(instance.meta, instance.dataset)
  if (Result.isFailure(bytes)) return Result.fail(bytes.failure)
  return Result.succeed({
    path: instance.path,
    bytes: bytes.success,
    sopClassUid: instance.meta.mediaStorageSopClassUid,
    sopInstanceUid: instance.meta.mediaStorageSopInstanceUid
  })
}

/**
 * The instances as data sets, generated lazily one at a time (throws SynthError for options `validate` rejects).
 *
 * @since 0.1.0
 * @category generators
 */
export const study = (options: SynthOptions = {}): Iterable<SynthInstance> => {
  const o = resolveOrThrow(options)
  return { [Symbol.iterator]: () => instancesOf(o) }
}

/**
 * The instances as Part 10 files, generated lazily one at a time (throws SynthError for options `validate` rejects).
 *
 * @since 0.1.0
 * @category generators
 */
export const generate = (options: SynthOptions = {}): Iterable<SynthFile> => {
  const o = resolveOrThrow(options)
  return {
    *[Symbol.iterator]() {
      for (const instance of instancesOf(o)) {
        const file = encode(instance)
        // Values are bounded by construction: an encode failure is a bug here, not a user error.
        if (Result.isFailure(file)) throw new Error(`synth: ${file.failure.message}`)
        yield file.success
      }
    }
  }
}

/**
 * The patients, studies, series and instances (UIDs, numbers, paths) that generate would produce, without pixels.
 *
 * @since 0.1.0
 * @category generators
 */
export const manifest = (options: SynthOptions = {}): Result.Result<ReadonlyArray<PatientPlan>, SynthError> => {
  const v = validate(options)
  if (Result.isFailure(v)) return Result.fail(v.failure)
  const o = v.success
  const patients: Array<PatientPlan> = []
  for (let p = 0; p < o.patients; p++) {
    const patient = patientOf(o, p)
    const studies: Array<StudyPlan> = []
    for (let s = 0; s < o.studiesPerPatient; s++) {
      const st = studyOf(o, patient, s)
      studies.push({
        studyInstanceUid: st.uid,
        studyId: st.id,
        accessionNumber: st.accession,
        studyDate: st.date,
        studyTime: timeOf(st.time),
        series: seriesOf(o, st).map((se) => ({
          seriesInstanceUid: se.uid,
          seriesNumber: se.number,
          modality: modalityCode(se.kind),
          sopClassUid: sopClassOf(se.kind),
          instances: Array.from({ length: instanceCount(o, se) }, (_, i) => {
            const sopInstanceUid = instanceUid(se, i)
            return { sopInstanceUid, instanceNumber: i + 1, path: pathOf(o, se, sopInstanceUid) }
          })
        }))
      })
    }
    patients.push({ patientId: patient.id, patientName: patient.name, studies })
  }
  return Result.succeed(patients)
}

/**
 * What writeTo wrote.
 *
 * @since 0.1.0
 * @category models
 */
export interface WriteSummary {
  readonly files: number
  readonly bytes: number
}

/**
 * Writes the files under `dir` (directories made as needed) with effect's FileSystem and Path services.
 *
 * @since 0.1.0
 * @category writing
 */
export const writeTo = (
  dir: string,
  options: SynthOptions = {}
): Effect.Effect<WriteSummary, SynthError | DataError.DataEncodeError | PlatformError.PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const o = yield* Effect.fromResult(validate(options))
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const made = new Set<string>()
    let files = 0
    let bytes = 0
    for (const instance of instancesOf(o)) {
      const file = yield* Effect.fromResult(encode(instance))
      const target = path.join(dir, ...file.path.split("/"))
      const parent = path.dirname(target)
      if (!made.has(parent)) {
        yield* fs.makeDirectory(parent, { recursive: true })
        made.add(parent)
      }
      yield* fs.writeFile(target, file.bytes)
      files++
      bytes += file.bytes.length
    }
    return { files, bytes }
  })

/**
 * The SOP classes the generator writes.
 *
 * @since 0.1.0
 * @category constants
 */
export const sopClasses: ReadonlyArray<string> = [
  Uid.Uids.CTImageStorage,
  Uid.Uids.MRImageStorage,
  Uid.Uids.DigitalXRayImageStorageForPresentation,
  Uid.Uids.DICOSCTImageStorage,
  Uid.Uids.DICOSDigitalXRayImageStorageForPresentation,
  Uid.Uids.DICOSThreatDetectionReportStorage
]
