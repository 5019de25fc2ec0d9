/**
 * What findscu, movescu and getscu share: the information model (`--model patient|study|worklist`), the query
 * level (`--level`), the keys (`-k KEY=VALUE`, KEY a keyword or gggg,eeee, sequences as `Seq[0].Key` or
 * `Seq.Key`; an empty value asks for the attribute to be returned), and the identifier they make (PS3.4 C.4).
 *
 * @since 0.1.0
 */
import { Dataset, Dictionary, SopClass, Tag, Uid } from "@dicomnet/data"
import { Result } from "effect"
import { Flag } from "effect/cli"

/**
 * The Query/Retrieve information models (PS3.4 C.6) and the Modality Worklist model (PS3.4 K.6).
 *
 * @since 0.1.0
 * @category models
 */
export type Model = "patient" | "study" | "worklist"

/**
 * The query/retrieve levels (PS3.4 C.3).
 *
 * @since 0.1.0
 * @category models
 */
export type Level = "PATIENT" | "STUDY" | "SERIES" | "IMAGE"

/**
 * `--model` (default study root).
 *
 * @since 0.1.0
 * @category flags
 */
export const model: Flag.Flag<Model> = Flag.Literals("model", ["patient", "study", "worklist"] as const).pipe(
  Flag.withDescription("Information model: patient root, study root or modality worklist (default study)"),
  Flag.withDefault("study" as const)
)

/**
 * `--level` (default STUDY; PATIENT for the patient root model when not given).
 *
 * @since 0.1.0
 * @category flags
 */
export const level: Flag.Flag<Level | undefined> = Flag.Literals("level", ["PATIENT", "STUDY", "SERIES", "IMAGE"] as const).pipe(
  Flag.withDescription("Query/Retrieve Level (0008,0052) (default STUDY)"),
  Flag.optional,
  Flag.map((o) => (o._tag === "Some" ? o.value : undefined))
)

/**
 * `-k KEY=VALUE`, repeatable.
 *
 * @since 0.1.0
 * @category flags
 */
export const keys: Flag.Flag<ReadonlyArray<string>> = Flag.String("key").pipe(
  Flag.withAlias("k"),
  Flag.withMetavar("KEY=VALUE"),
  Flag.withDescription("A matching or return key: keyword or gggg,eeee, '=' and the value (empty: return it); Seq[0].Key for sequences; repeatable"),
  Flag.atLeast(0)
)

/**
 * The SOP class of a model for a service.
 *
 * @since 0.1.0
 * @category models
 */
export const sopClassOf = (m: Model, service: "find" | "move" | "get"): string | undefined => {
  switch (m) {
    case "patient":
      return service === "find" ? SopClass.PatientRootFind : service === "move" ? SopClass.PatientRootMove : SopClass.PatientRootGet
    case "study":
      return service === "find" ? SopClass.StudyRootFind : service === "move" ? SopClass.StudyRootMove : SopClass.StudyRootGet
    case "worklist":
      return service === "find" ? SopClass.ModalityWorklistFind : undefined
  }
}

/**
 * The level when `--level` is absent: PATIENT for the patient root model, else STUDY.
 *
 * @since 0.1.0
 * @category models
 */
export const levelOf = (m: Model, l: Level | undefined): Level => l ?? (m === "patient" ? "PATIENT" : "STUDY")

/** Return keys asked for when no -k names an attribute of the level (so a bare query shows something useful). */
const defaultKeys: Record<Level, ReadonlyArray<string>> = {
  PATIENT: ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "NumberOfPatientRelatedStudies"],
  STUDY: ["PatientName", "PatientID", "StudyInstanceUID", "StudyDate", "StudyTime", "AccessionNumber", "StudyID", "StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedInstances"],
  SERIES: ["StudyInstanceUID", "SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription", "NumberOfSeriesRelatedInstances"],
  IMAGE: ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID", "InstanceNumber"]
}

/** The unique key of each level (PS3.4 C.2.2.1.1), always returned. */
const uniqueKey: Record<Level, string> = {
  PATIENT: "PatientID",
  STUDY: "StudyInstanceUID",
  SERIES: "SeriesInstanceUID",
  IMAGE: "SOPInstanceUID"
}

const worklistDefaults: ReadonlyArray<string> = [
  "PatientName", "PatientID", "AccessionNumber", "StudyInstanceUID", "RequestedProcedureDescription",
  "ScheduledProcedureStepSequence[0].Modality", "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
  "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime"
]

interface Step {
  readonly tag: number
  readonly index: number | undefined
}

const parseStep = (raw: string): Step | string => {
  const m = /^(.+?)(?:\[(\d+)\])?$/.exec(raw.trim())
  const name = m?.[1] ?? raw
  const tag = Tag.parse(name) ?? Dictionary.tagOf(name)
  if (tag === undefined) return `unknown attribute '${name}' (a keyword such as PatientName, or gggg,eeee)`
  return { tag, index: m?.[2] === undefined ? undefined : Number(m[2]) }
}

/**
 * Parses "KEY=VALUE" (or "KEY" alone: a return key) into its attribute path and value.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseKey = (text: string): Result.Result<{ readonly path: ReadonlyArray<Step>; readonly value: string }, string> => {
  const eq = text.indexOf("=")
  const key = eq === -1 ? text : text.slice(0, eq)
  const value = eq === -1 ? "" : text.slice(eq + 1)
  // Tags like "0010,0010" contain no dots; keywords never do: split the path on dots.
  const steps: Array<Step> = []
  for (const part of key.split(".")) {
    const step = parseStep(part)
    if (typeof step === "string") return Result.fail(`-k ${text}: ${step}`)
    steps.push(step)
  }
  if (steps.length === 0) return Result.fail(`-k ${text}: no attribute`)
  return Result.succeed({ path: steps, value })
}

const isReturnKey = (text: string): boolean => !text.includes("=") || text.endsWith("=")

type Node = Map<number, { value: string | null } | { items: Array<Node> }>

const hexKey = (tag: number): string => Tag.toHex(tag)

const numericVrs = new Set(["US", "UL", "SS", "SL", "FL", "FD", "UV", "SV"])

const toRecord = (node: Node): Dataset.DatasetRecord => {
  const out: Record<string, Dataset.RecordValue> = {}
  for (const [tag, v] of node) {
    if ("items" in v) out[hexKey(tag)] = v.items.map(toRecord)
    else if (v.value === null || v.value === "") out[hexKey(tag)] = null
    else {
      const vr = Dictionary.vrOf(tag)
      out[hexKey(tag)] = numericVrs.has(vr) && /^-?\d+(\.\d+)?$/.test(v.value) ? Number(v.value) : v.value
    }
  }
  return out
}

/**
 * The identifier for a query: Query/Retrieve Level (not for worklists), the keys, the level's unique key, and
 * default return keys when `withDefaults` and no return key (a key with an empty value) was given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const identifier = (
  m: Model,
  l: Level,
  keyTexts: ReadonlyArray<string>,
  withDefaults: boolean
): Result.Result<Dataset.Dataset, string> => {
  const root: Node = new Map()
  const texts = [
    ...(withDefaults && !keyTexts.some(isReturnKey) ? (m === "worklist" ? worklistDefaults : defaultKeys[l]) : []),
    ...(m === "worklist" ? [] : [uniqueKey[l]]),
    ...keyTexts
  ]
  for (const text of texts) {
    const parsed = parseKey(text)
    if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
    let node = root
    const path = parsed.success.path
    for (let i = 0; i < path.length; i++) {
      const step = path[i] as Step
      const last = i === path.length - 1
      if (last && step.index === undefined) {
        const existing = node.get(step.tag)
        // A later key with a value overrides an earlier return key; an empty one does not erase a value.
        if (existing === undefined || "items" in existing || parsed.success.value !== "") node.set(step.tag, { value: parsed.success.value })
        continue
      }
      let seq = node.get(step.tag)
      if (seq === undefined || !("items" in seq)) {
        seq = { items: [] }
        node.set(step.tag, seq)
      }
      const index = step.index ?? 0
      while (seq.items.length <= index) seq.items.push(new Map())
      node = seq.items[index] as Node
      if (last) continue
    }
  }
  if (m !== "worklist") root.set(0x00080052, { value: l })
  const made = Dataset.fromRecord(toRecord(root))
  return Result.isFailure(made) ? Result.fail(`cannot build the identifier: ${made.failure.message}`) : Result.succeed(made.success)
}

/**
 * "Study Root Query/Retrieve Information Model - FIND" for a SOP class UID.
 *
 * @since 0.1.0
 * @category formatting
 */
export const nameOf = (uid: string): string => Uid.nameOf(uid)
