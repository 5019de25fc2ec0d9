/**
 * Query helpers in the spirit of Evil DICOM's QueryBuilder: patients, a patient's studies, a study's
 * series, a series' instances, and "move these to AE X", as Streams that compose with
 * `Stream.flatMap`. Each helper runs its C-FIND to the end before emitting (results at one level are
 * small), so a nested query never overlaps the one it came from on a synchronous association.
 *
 * @since 0.1.0
 */
import type { Dataset } from "@dicomnet/data"
import { Effect, Stream } from "effect"
import type { Association } from "./Association.js"
import * as Find from "./Find.js"
import * as Move from "./Move.js"

/** Patient Root or Study Root for the study, series and instance helpers (default Study Root). @category options */
export interface ModelOption {
  readonly model?: "patient" | "study" | undefined
}

/** A patient as returned at PATIENT level. @category models */
export interface PatientResult {
  readonly patientId: string | undefined
  readonly patientName: string | undefined
  readonly patientBirthDate: string | undefined
  readonly patientSex: string | undefined
  readonly dataset: Dataset.Dataset
}

/** A study as returned at STUDY level. @category models */
export interface StudyResult {
  readonly studyInstanceUid: string
  readonly patientId: string | undefined
  readonly patientName: string | undefined
  readonly studyDate: string | undefined
  readonly studyTime: string | undefined
  readonly accessionNumber: string | undefined
  readonly studyDescription: string | undefined
  readonly modalitiesInStudy: ReadonlyArray<string>
  readonly dataset: Dataset.Dataset
}

/** A series as returned at SERIES level. @category models */
export interface SeriesResult {
  readonly studyInstanceUid: string
  readonly seriesInstanceUid: string
  readonly modality: string | undefined
  readonly seriesNumber: number | undefined
  readonly seriesDescription: string | undefined
  readonly dataset: Dataset.Dataset
}

/** An instance as returned at IMAGE level. @category models */
export interface InstanceResult {
  readonly studyInstanceUid: string
  readonly seriesInstanceUid: string
  readonly sopInstanceUid: string
  readonly sopClassUid: string | undefined
  readonly instanceNumber: number | undefined
  readonly dataset: Dataset.Dataset
}

/** Study-level filters; each is a matching key (wildcards, date ranges "20240101-20240131"). @category options */
export interface StudyFilter extends ModelOption {
  readonly patientId?: string | undefined
  readonly patientName?: string | undefined
  readonly studyDate?: string | undefined
  readonly accessionNumber?: string | undefined
  readonly studyDescription?: string | undefined
  readonly modalitiesInStudy?: string | undefined
}

const collected = <A, E>(effect: Effect.Effect<ReadonlyArray<A>, E>): Stream.Stream<A, E> =>
  Stream.flatMap(Stream.fromEffect(effect), (all) => Stream.fromIterable(all))

const run = <A>(association: Association, options: Find.FindOptions, f: (d: Dataset.Dataset) => A) =>
  collected(Effect.map(Find.findAll(association, options), (all) => all.map(f)))

/** Patients (Patient Root, PATIENT level) whose ID / name match. @category queries */
export const patients = (
  association: Association,
  filter: { readonly patientId?: string | undefined; readonly patientName?: string | undefined } = {}
): Stream.Stream<PatientResult, Find.FindError> =>
  run(
    association,
    {
      model: "patient",
      level: "PATIENT",
      keys: { PatientID: filter.patientId ?? null, PatientName: filter.patientName ?? null, PatientBirthDate: null, PatientSex: null }
    },
    (d) => ({
      patientId: d.string("PatientID"),
      patientName: d.string("PatientName"),
      patientBirthDate: d.string("PatientBirthDate"),
      patientSex: d.string("PatientSex"),
      dataset: d
    })
  )

/** Studies matching the filter (e.g. a patient's studies: `{ patientId }`). @category queries */
export const studies = (association: Association, filter: StudyFilter = {}): Stream.Stream<StudyResult, Find.FindError> =>
  run(
    association,
    {
      model: filter.model ?? "study",
      level: "STUDY",
      keys: {
        PatientID: filter.patientId ?? null,
        PatientName: filter.patientName ?? null,
        StudyInstanceUID: null,
        StudyDate: filter.studyDate ?? null,
        StudyTime: null,
        AccessionNumber: filter.accessionNumber ?? null,
        StudyDescription: filter.studyDescription ?? null,
        ModalitiesInStudy: filter.modalitiesInStudy ?? null
      }
    },
    (d) => ({
      studyInstanceUid: d.uid("StudyInstanceUID") ?? "",
      patientId: d.string("PatientID"),
      patientName: d.string("PatientName"),
      studyDate: d.string("StudyDate"),
      studyTime: d.string("StudyTime"),
      accessionNumber: d.string("AccessionNumber"),
      studyDescription: d.string("StudyDescription"),
      modalitiesInStudy: d.strings("ModalitiesInStudy") ?? [],
      dataset: d
    })
  )

/** The series of a study (optionally one modality). @category queries */
export const series = (
  association: Association,
  studyInstanceUid: string,
  options: ModelOption & { readonly modality?: string | undefined; readonly patientId?: string | undefined } = {}
): Stream.Stream<SeriesResult, Find.FindError> =>
  run(
    association,
    {
      model: options.model ?? "study",
      level: "SERIES",
      keys: {
        ...(options.model === "patient" ? { PatientID: options.patientId ?? null } : {}),
        StudyInstanceUID: studyInstanceUid,
        SeriesInstanceUID: null,
        Modality: options.modality ?? null,
        SeriesNumber: null,
        SeriesDescription: null
      }
    },
    (d) => ({
      studyInstanceUid: d.uid("StudyInstanceUID") ?? studyInstanceUid,
      seriesInstanceUid: d.uid("SeriesInstanceUID") ?? "",
      modality: d.string("Modality"),
      seriesNumber: d.number("SeriesNumber"),
      seriesDescription: d.string("SeriesDescription"),
      dataset: d
    })
  )

/** The instances of a series. @category queries */
export const instances = (
  association: Association,
  studyInstanceUid: string,
  seriesInstanceUid: string,
  options: ModelOption & { readonly patientId?: string | undefined } = {}
): Stream.Stream<InstanceResult, Find.FindError> =>
  run(
    association,
    {
      model: options.model ?? "study",
      level: "IMAGE",
      keys: {
        ...(options.model === "patient" ? { PatientID: options.patientId ?? null } : {}),
        StudyInstanceUID: studyInstanceUid,
        SeriesInstanceUID: seriesInstanceUid,
        SOPInstanceUID: null,
        SOPClassUID: null,
        InstanceNumber: null
      }
    },
    (d) => ({
      studyInstanceUid: d.uid("StudyInstanceUID") ?? studyInstanceUid,
      seriesInstanceUid: d.uid("SeriesInstanceUID") ?? seriesInstanceUid,
      sopInstanceUid: d.uid("SOPInstanceUID") ?? "",
      sopClassUid: d.uid("SOPClassUID"),
      instanceNumber: d.number("InstanceNumber"),
      dataset: d
    })
  )

/** What to move: a study, a series, or instances (the study / series are looked up when not given). @category options */
export type MoveTarget =
  | { readonly studyUid: string }
  | { readonly seriesUid: string; readonly studyUid?: string | undefined }
  | { readonly sopInstanceUids: ReadonlyArray<string>; readonly studyUid?: string | undefined; readonly seriesUid?: string | undefined }

const lookup = (association: Association, level: "SERIES" | "IMAGE", keys: Find.Keys) =>
  Effect.map(Find.findAll(association, { model: "study", level, keys }), (all) => all[0])

/**
 * C-MOVE of a study, a series or a list of instances to `aeTitle` (Study Root), with progress as a
 * Stream. When the hierarchy above the target is not given, one C-FIND finds it first.
 * @category retrieve
 */
export const moveTo = (association: Association, aeTitle: string, target: MoveTarget): Stream.Stream<Move.Progress, Move.RetrieveError | Find.FindError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      if ("sopInstanceUids" in target) {
        let { studyUid, seriesUid } = target
        if (studyUid === undefined || seriesUid === undefined) {
          const found = yield* lookup(association, "IMAGE", {
            StudyInstanceUID: studyUid ?? null,
            SeriesInstanceUID: seriesUid ?? null,
            SOPInstanceUID: target.sopInstanceUids[0] ?? ""
          })
          studyUid ??= found?.uid("StudyInstanceUID")
          seriesUid ??= found?.uid("SeriesInstanceUID")
        }
        return Move.move(association, {
          model: "study",
          level: "IMAGE",
          keys: { StudyInstanceUID: studyUid ?? "", SeriesInstanceUID: seriesUid ?? "", SOPInstanceUID: [...target.sopInstanceUids] },
          destination: aeTitle
        })
      }
      if ("seriesUid" in target) {
        const studyUid =
          target.studyUid ??
          (yield* lookup(association, "SERIES", { StudyInstanceUID: null, SeriesInstanceUID: target.seriesUid }))?.uid("StudyInstanceUID")
        return Move.move(association, {
          model: "study",
          level: "SERIES",
          keys: { StudyInstanceUID: studyUid ?? "", SeriesInstanceUID: target.seriesUid },
          destination: aeTitle
        })
      }
      return Move.move(association, { model: "study", level: "STUDY", keys: { StudyInstanceUID: target.studyUid }, destination: aeTitle })
    })
  )
