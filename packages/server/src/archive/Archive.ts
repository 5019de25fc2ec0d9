/**
 * A small in-memory query/retrieve index over Part 10 files (enough for tests and a dcmqrscp-like
 * server): each instance keeps its path, UIDs, transfer syntax, where its data set starts, and a copy
 * of its short top-level attributes. Queries follow the Patient Root and Study Root information models
 * (PS3.4 §C.6.1, §C.6.2) with the matching rules of PS3.4 §C.2.2.2.
 *
 * @since 0.1.0
 */
import { type DataError, Dataset, Element, Part10, type Tag } from "@dicomnet/data"
import { Effect, FileSystem, Option, Path, type PlatformError, Result, Semaphore } from "effect"
import * as Matching from "./Matching.js"

/** Query/Retrieve Level (0008,0052) values. @category models */
export type Level = "PATIENT" | "STUDY" | "SERIES" | "IMAGE"

/** The Query/Retrieve information model of a request. @category models */
export type Model = "patient" | "study"

/** One stored instance. @category models */
export interface Instance {
  readonly path: string
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly transferSyntaxUid: string
  /** Byte offset of the data set in the file (after the meta header). */
  readonly datasetOffset: number
  /** Copies of the instance's short top-level attributes (no pixel data, no sequences). */
  readonly attributes: Dataset.Dataset
}

/** The index. @category models */
export interface Archive {
  readonly instances: ReadonlyArray<Instance>
  /** The C-FIND responses to `identifier` at `level` (one identifier per matching entity). */
  readonly find: (level: Level, identifier: Dataset.Dataset, model?: Model) => ReadonlyArray<Dataset.Dataset>
  /** The instances a C-MOVE/C-GET of `identifier` at `level` retrieves. */
  readonly select: (level: Level, identifier: Dataset.Dataset) => ReadonlyArray<Instance>
}

const QueryRetrieveLevel = 0x00080052
const SpecificCharacterSet = 0x00080005

const levels: ReadonlyArray<Level> = ["PATIENT", "STUDY", "SERIES", "IMAGE"]
const rank = (level: Level): number => levels.indexOf(level)

/** Unique key of each level (PS3.4 §C.6.1.1). @category constants */
export const uniqueKey: { readonly [L in Level]: Tag.Tag } = {
  PATIENT: 0x00100020, // Patient ID
  STUDY: 0x0020000d, // Study Instance UID
  SERIES: 0x0020000e, // Series Instance UID
  IMAGE: 0x00080018 // SOP Instance UID
}

// The level of the usual attributes of PS3.4 Tables C.6-1..C.6-4; anything else is IMAGE-level unless in group 0010.
const studyLevel = new Set([
  0x00080020, 0x00080030, 0x00080050, 0x00080051, 0x00080061, 0x00080062, 0x00080063, 0x00080090, 0x00081030, 0x00081032,
  0x00081060, 0x00081080, 0x0020000d, 0x00200010, 0x00201070, 0x00201206, 0x00201208, 0x00101010, 0x00101020, 0x00101030,
  0x00102180, 0x001021b0, 0x00104000
])
const seriesLevel = new Set([
  0x00080021, 0x00080031, 0x00080060, 0x0008103e, 0x00081050, 0x00081070, 0x00180015, 0x00185100, 0x0020000e, 0x00200011,
  0x00200060, 0x00201209, 0x00400244, 0x00400245, 0x00400275
])
const patientLevel = new Set([0x00201200, 0x00201202, 0x00201204])

/** The information-model level an attribute belongs to. @category getters */
export const levelOf = (tag: Tag.Tag): Level => {
  if (studyLevel.has(tag)) return "STUDY"
  if (seriesLevel.has(tag)) return "SERIES"
  if (patientLevel.has(tag) || tag >>> 16 === 0x0010) return "PATIENT"
  return "IMAGE"
}

// Attributes the SCP computes (PS3.4 §C.3.4 "optional keys" Table C.3-4..): counts and summaries.
const computed = new Set([0x00201200, 0x00201202, 0x00201204, 0x00201206, 0x00201208, 0x00201209, 0x00080061, 0x00080062])

const distinct = (instances: ReadonlyArray<Instance>, tag: Tag.Tag): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const i of instances) for (const v of i.attributes.strings(tag) ?? []) if (v !== "") out.add(v)
  return [...out]
}

const computedValue = (tag: Tag.Tag, group: ReadonlyArray<Instance>): ReadonlyArray<string> => {
  switch (tag) {
    case 0x00201200: // Number of Patient Related Studies
      return [String(distinct(group, uniqueKey.STUDY).length)]
    case 0x00201202: // Number of Patient Related Series
    case 0x00201206: // Number of Study Related Series
      return [String(distinct(group, uniqueKey.SERIES).length)]
    case 0x00201204: // Number of Patient Related Instances
    case 0x00201208: // Number of Study Related Instances
    case 0x00201209: // Number of Series Related Instances
      return [String(group.length)]
    case 0x00080061: // Modalities in Study
      return distinct(group, 0x00080060)
    case 0x00080062: // SOP Classes in Study
      return [...new Set(group.map((i) => i.sopClassUid))]
    default:
      return []
  }
}

const computedVr = (tag: Tag.Tag) => (tag === 0x00080061 ? "CS" : tag === 0x00080062 ? "UI" : "IS")

/** The keys used to match instances at `level`: those at or above it, except computed ones. */
const filterKeys = (keys: ReadonlyArray<Matching.Key>, level: Level): ReadonlyArray<Matching.Key> =>
  keys.filter((k) => !computed.has(k.tag) && rank(levelOf(k.tag)) <= rank(level))

const byTag = (a: Element.Element, b: Element.Element): number => a.tag - b.tag

/** Union of ascending lists of instance positions, ascending and without duplicates. */
const unionSorted = (lists: ReadonlyArray<ReadonlyArray<number>>): ReadonlyArray<number> => {
  if (lists.length === 1) return lists[0] ?? []
  const all = new Set<number>()
  for (const list of lists) for (const i of list) all.add(i)
  return [...all].sort((a, b) => a - b)
}

/**
 * Builds an index from instances. Queries decode each attribute of an instance once (the decoded values are
 * kept), and keys matched by plain equality (UIDs, IDs without wildcards) are answered from a value index
 * built on the first query that uses the attribute; every key is still checked with the PS3.4 §C.2.2.2 rules.
 * @category constructors
 */
export const make = (instances: ReadonlyArray<Instance>): Archive => {
  // Decoded values per instance and tag (undefined: absent), filled on first use.
  const decoded: Array<Map<Tag.Tag, ReadonlyArray<string> | undefined>> = instances.map(() => new Map())
  const valuesOf = (i: number, tag: Tag.Tag): ReadonlyArray<string> | undefined => {
    const cache = decoded[i]
    if (cache === undefined) return undefined
    if (cache.has(tag)) return cache.get(tag)
    const values = instances[i]?.attributes.strings(tag)
    cache.set(tag, values)
    return values
  }
  // Positions of the instances holding each value, per attribute (ascending).
  const exact = new Map<Tag.Tag, Map<string, Array<number>>>()
  const exactIndex = (tag: Tag.Tag): Map<string, Array<number>> => {
    let index = exact.get(tag)
    if (index !== undefined) return index
    index = new Map()
    for (let i = 0; i < instances.length; i++) {
      for (const v of valuesOf(i, tag) ?? []) {
        const list = index.get(v)
        if (list === undefined) index.set(v, [i])
        else if (list[list.length - 1] !== i) list.push(i)
      }
    }
    exact.set(tag, index)
    return index
  }
  /** Positions of the instances matching every key (ascending, like `instances`). */
  const matching = (keys: ReadonlyArray<Matching.Key>): ReadonlyArray<number> => {
    // The most selective exact key narrows the candidates; all keys are then checked on them.
    let candidates: ReadonlyArray<number> | undefined
    for (const key of keys) {
      const values = Matching.exactValues(key)
      if (values === undefined) continue
      const index = exactIndex(key.tag)
      const hits = unionSorted(values.map((v) => index.get(v) ?? []))
      if (candidates === undefined || hits.length < candidates.length) candidates = hits
    }
    const out: Array<number> = []
    const check = (i: number): void => {
      for (const key of keys) if (!Matching.matchesValues(key, key.values.length === 0 ? undefined : valuesOf(i, key.tag))) return
      out.push(i)
    }
    if (candidates === undefined) for (let i = 0; i < instances.length; i++) check(i)
    else for (const i of candidates) check(i)
    return out
  }
  const select = (level: Level, identifier: Dataset.Dataset): ReadonlyArray<Instance> =>
    matching(filterKeys(Matching.keysOf(identifier), level)).flatMap((i) => {
      const instance = instances[i]
      return instance === undefined ? [] : [instance]
    })
  const find = (level: Level, identifier: Dataset.Dataset, model: Model = "study"): ReadonlyArray<Dataset.Dataset> => {
    const all = Matching.keysOf(identifier)
    const keys = all.filter((k) => rank(levelOf(k.tag)) <= rank(level) || computed.has(k.tag))
    const matched = matching(filterKeys(all, level))
    const groups = new Map<string, Array<number>>()
    const unique = uniqueKey[level]
    for (const i of matched) {
      const id = valuesOf(i, unique)?.[0] ?? ""
      const group = groups.get(id)
      if (group === undefined) groups.set(id, [i])
      else group.push(i)
    }
    // Unique keys of the level and above are always returned (PS3.4 §C.4.1.2.3; Study Root starts at STUDY).
    const always = levels
      .slice(model === "patient" ? 0 : 1, rank(level) + 1)
      .map((l) => uniqueKey[l])
      .filter((tag) => !identifier.has(tag))
    const levelElement = Element.string(QueryRetrieveLevel, "CS", level)
    const out: Array<Dataset.Dataset> = []
    for (const positions of groups.values()) {
      const first = positions[0]
      const source = first === undefined ? undefined : instances[first]?.attributes
      if (source === undefined) continue
      const elements: Array<Element.Element> = [levelElement]
      let ok = true
      for (const key of keys) {
        if (computed.has(key.tag)) {
          const values = computedValue(
            key.tag,
            positions.flatMap((i) => {
              const instance = instances[i]
              return instance === undefined ? [] : [instance]
            })
          )
          if (key.values.length > 0 && !values.some((v) => Matching.matchValue(key, v))) {
            ok = false
            break
          }
          elements.push(Element.string(key.tag, computedVr(key.tag), values))
          continue
        }
        elements.push(Matching.answer(key, source))
      }
      if (!ok) continue
      for (const tag of always) elements.push(source.get(tag) ?? Element.string(tag, "UI", ""))
      const cs = source.get(SpecificCharacterSet)
      if (cs !== undefined) elements.push(cs)
      // Distinct tags (the level, the keys, the unique keys not asked for, the character set): sorted in place,
      // so that Dataset.make takes the array as it is.
      elements.sort(byTag)
      out.push(Dataset.make(elements, { characterSet: source.characterSet }))
    }
    return out
  }
  return { instances, find, select }
}

const maxKeptLength = 1024

/** An index entry from the bytes of a Part 10 file (short top-level attributes copied, the rest dropped). @category constructors */
export const instanceOf = (path: string, bytes: Uint8Array): Result.Result<Instance, DataError.DataDecodeError> =>
  Result.map(Part10.decodeFile(bytes), ({ meta, dataset }): Instance => {
    const short: Array<Element.Primitive> = []
    let total = 0
    for (const e of dataset.elements()) {
      if (e._tag !== "Primitive" || e.bytes.length > maxKeptLength || e.tag >>> 16 >= 0x7fe0) continue
      short.push(e)
      total += e.bytes.length
    }
    // A copy (a view would keep the whole file in memory), one buffer per instance with a view per element:
    // thousands of instances cost thousands of buffers, not a buffer per attribute.
    const values = new Uint8Array(total)
    let offset = 0
    const kept: Array<Element.Element> = []
    for (const e of short) {
      values.set(e.bytes, offset)
      kept.push(Element.primitive(e.tag, e.vr, values.subarray(offset, offset + e.bytes.length), e.littleEndian !== false))
      offset += e.bytes.length
    }
    const attributes = Dataset.make(kept)
    return {
      path,
      sopClassUid: attributes.uid(0x00080016) ?? meta.mediaStorageSopClassUid ?? "",
      sopInstanceUid: attributes.uid(0x00080018) ?? meta.mediaStorageSopInstanceUid ?? "",
      transferSyntaxUid: meta.transferSyntaxUid,
      datasetOffset: meta.datasetOffset,
      attributes
    }
  })

/**
 * Indexes every DICOM file under `dir` (recursively); files that are not DICOM are skipped.
 * @category constructors
 */
export const fromDirectory = (dir: string): Effect.Effect<Archive, PlatformError.PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const names = yield* fs.readDirectory(dir, { recursive: true })
    const instances: Array<Instance> = []
    for (const name of names.sort()) {
      const full = path.join(dir, name)
      const info = yield* fs.stat(full)
      if (info.type !== "File") continue
      const bytes = yield* fs.readFile(full)
      const instance = instanceOf(full, bytes)
      if (Result.isSuccess(instance) && instance.success.sopInstanceUid !== "") instances.push(instance.success)
      else yield* Effect.logDebug(`archive: skipping ${full} (not a DICOM instance)`)
    }
    return make(instances)
  })

/** A directory's index kept current by `refresh` (see `directoryIndex`). @category models */
export interface DirectoryIndex {
  /**
   * The index of the directory as it is now: lists it, reads only the files that are new or changed (size or
   * modification time) since the last refresh, drops the removed ones. When nothing changed it is the same
   * `Archive` as before (with the decoded values and value indexes its queries built).
   */
  readonly refresh: Effect.Effect<Archive, PlatformError.PlatformError>
}

interface Seen {
  readonly size: bigint
  readonly mtime: number | undefined
  readonly instance: Instance | undefined
}

/**
 * An index of every DICOM file under `dir` (recursively) that a query can bring up to date cheaply: a storage
 * SCP writing into the directory and a C-FIND SCP answering from it see the same files without re-reading
 * the whole directory at each query (a refresh costs a listing and a stat per file; only new or changed files
 * are read). Files that are not DICOM are skipped (and not read again until they change).
 * @category constructors
 */
export const directoryIndex = (dir: string): Effect.Effect<DirectoryIndex, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    let seen = new Map<string, Seen>()
    let current: Archive | undefined
    // One refresh at a time: queries arriving together share the work instead of reading the same files twice.
    const lock = yield* Semaphore.make(1)
    const refresh = lock.withPermit(Effect.gen(function* () {
      const names = (yield* fs.readDirectory(dir, { recursive: true })).sort()
      const next = new Map<string, Seen>()
      let changed = current === undefined
      // The stats run side by side (the thread pool's several workers); the files are then handled in name order.
      const fulls = names.map((name) => path.join(dir, name))
      const infos = yield* Effect.forEach(fulls, (full) => fs.stat(full), { concurrency: 16 })
      for (let n = 0; n < fulls.length; n++) {
        const full = fulls[n]
        const info = infos[n]
        if (full === undefined || info === undefined || info.type !== "File") continue
        const size = BigInt(info.size)
        const mtime = Option.getOrUndefined(info.mtime)?.getTime()
        const before = seen.get(full)
        if (before !== undefined && before.size === size && before.mtime === mtime) {
          next.set(full, before)
          continue
        }
        changed = true
        const instance = instanceOf(full, yield* fs.readFile(full))
        const ok = Result.isSuccess(instance) && instance.success.sopInstanceUid !== ""
        if (!ok) yield* Effect.logDebug(`archive: skipping ${full} (not a DICOM instance)`)
        next.set(full, { size, mtime, instance: ok ? instance.success : undefined })
      }
      if (next.size !== seen.size) changed = true
      seen = next
      if (!changed && current !== undefined) return current
      const instances: Array<Instance> = []
      for (const entry of next.values()) if (entry.instance !== undefined) instances.push(entry.instance)
      const archive = make(instances)
      current = archive
      return archive
    }))
    return { refresh }
  })
