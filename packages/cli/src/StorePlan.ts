/**
 * How storescu sends a set of files: presentation contexts from what the files are (SOP class and transfer
 * syntax, with uncompressed fallbacks), files grouped by study so that a study travels on one association,
 * studies spread over the workers (largest first, each to the least loaded worker), and each worker's studies
 * cut into associations of at most 128 presentation contexts (PS3.8 §9.3.2.2: odd ids 1..255).
 *
 * @since 0.1.0
 */
import { TransferSyntax } from "@dicomnet/data"

/**
 * What the plan needs to know of a file.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlannedFile {
  readonly path: string
  readonly size: number
  readonly sopClassUid: string
  readonly transferSyntaxUid: string
  readonly studyInstanceUid: string
}

/**
 * A presentation context to propose.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContextProposal {
  readonly abstractSyntax: string
  readonly transferSyntaxes: ReadonlyArray<string>
}

/**
 * One association's worth of files and the contexts to propose for them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Batch<F extends PlannedFile> {
  readonly files: ReadonlyArray<F>
  readonly contexts: ReadonlyArray<ContextProposal>
}

/**
 * The most presentation contexts one A-ASSOCIATE-RQ can carry.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_CONTEXTS = 128

const uncompressed = new Set(TransferSyntax.uncompressed)

/** Uncompressed files of a class share one context: their own syntaxes first, then Explicit and Implicit VR LE. */
const UNCOMPRESSED_KEY = "uncompressed"

const keyOf = (file: PlannedFile): string =>
  `${file.sopClassUid}|${uncompressed.has(file.transferSyntaxUid) ? UNCOMPRESSED_KEY : file.transferSyntaxUid}`

/**
 * The contexts for a set of files: per SOP class, one context for its uncompressed files (their transfer syntaxes,
 * most frequent first, then Explicit and Implicit VR Little Endian as fallbacks, which the sender transcodes to),
 * and one per compressed transfer syntax (sent as is).
 *
 * @since 0.1.0
 * @category planning
 */
export const contextsFor = (files: Iterable<PlannedFile>): ReadonlyArray<ContextProposal> => {
  const groups = new Map<string, { abstractSyntax: string; counts: Map<string, number>; compressed: boolean }>()
  for (const f of files) {
    const key = keyOf(f)
    let g = groups.get(key)
    if (g === undefined) {
      g = { abstractSyntax: f.sopClassUid, counts: new Map(), compressed: !uncompressed.has(f.transferSyntaxUid) }
      groups.set(key, g)
    }
    g.counts.set(f.transferSyntaxUid, (g.counts.get(f.transferSyntaxUid) ?? 0) + 1)
  }
  const out: Array<ContextProposal> = []
  for (const g of groups.values()) {
    if (g.compressed) {
      out.push({ abstractSyntax: g.abstractSyntax, transferSyntaxes: [...g.counts.keys()] })
      continue
    }
    const own = [...g.counts.entries()].sort((a, b) => b[1] - a[1]).map(([ts]) => ts)
    const syntaxes = [...own]
    for (const fallback of [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]) {
      if (!syntaxes.includes(fallback)) syntaxes.push(fallback)
    }
    out.push({ abstractSyntax: g.abstractSyntax, transferSyntaxes: syntaxes })
  }
  return out
}

/**
 * The files of one study (or of no study: files without Study Instance UID each form their own group).
 *
 * @since 0.1.0
 * @category models
 */
export interface StudyGroup<F extends PlannedFile> {
  readonly studyInstanceUid: string
  readonly files: ReadonlyArray<F>
  readonly bytes: number
}

/**
 * Groups files by Study Instance UID, in the order studies first appear.
 *
 * @since 0.1.0
 * @category planning
 */
export const byStudy = <F extends PlannedFile>(files: ReadonlyArray<F>): ReadonlyArray<StudyGroup<F>> => {
  const groups = new Map<string, { files: Array<F>; bytes: number }>()
  let loose = 0
  for (const f of files) {
    const key = f.studyInstanceUid === "" ? `\0${loose++}` : f.studyInstanceUid
    let g = groups.get(key)
    if (g === undefined) {
      g = { files: [], bytes: 0 }
      groups.set(key, g)
    }
    g.files.push(f)
    g.bytes += f.size
  }
  return [...groups.entries()].map(([key, g]) => ({ studyInstanceUid: key.startsWith("\0") ? "" : key, files: g.files, bytes: g.bytes }))
}

/**
 * Spreads studies over `workers` (longest processing time first): the largest study goes to the least loaded
 * worker, and so on. Returns one list of studies per worker (some empty when there are fewer studies).
 *
 * @since 0.1.0
 * @category planning
 */
export const distribute = <F extends PlannedFile>(
  studies: ReadonlyArray<StudyGroup<F>>,
  workers: number
): ReadonlyArray<ReadonlyArray<StudyGroup<F>>> => {
  const lanes = Array.from({ length: Math.max(1, workers) }, () => ({ studies: [] as Array<StudyGroup<F>>, bytes: 0 }))
  const sorted = [...studies].sort((a, b) => b.bytes - a.bytes || b.files.length - a.files.length)
  for (const study of sorted) {
    let best = lanes[0] as (typeof lanes)[number]
    for (const lane of lanes) if (lane.bytes < best.bytes) best = lane
    best.studies.push(study)
    best.bytes += study.bytes
  }
  return lanes.map((l) => l.studies)
}

/**
 * Cuts a worker's studies into associations: studies are added while the contexts they need stay within
 * `maxContexts`; a study that alone needs more is cut by files.
 *
 * @since 0.1.0
 * @category planning
 */
export const batches = <F extends PlannedFile>(
  studies: ReadonlyArray<StudyGroup<F>>,
  maxContexts: number = MAX_CONTEXTS
): ReadonlyArray<Batch<F>> => {
  const out: Array<Batch<F>> = []
  let files: Array<F> = []
  let keys = new Set<string>()
  const flush = () => {
    if (files.length > 0) out.push({ files, contexts: contextsFor(files) })
    files = []
    keys = new Set()
  }
  for (const study of studies) {
    const studyKeys = new Set(study.files.map(keyOf))
    const union = new Set([...keys, ...studyKeys])
    if (union.size <= maxContexts) {
      files.push(...study.files)
      keys = union
      continue
    }
    flush()
    if (studyKeys.size <= maxContexts) {
      files.push(...study.files)
      keys = studyKeys
      continue
    }
    for (const f of study.files) {
      const key = keyOf(f)
      if (!keys.has(key) && keys.size >= maxContexts) flush()
      files.push(f)
      keys.add(key)
    }
  }
  flush()
  return out
}

/**
 * The whole plan: per worker, its associations in order.
 *
 * @since 0.1.0
 * @category planning
 */
export const plan = <F extends PlannedFile>(files: ReadonlyArray<F>, workers: number, maxContexts: number = MAX_CONTEXTS): ReadonlyArray<ReadonlyArray<Batch<F>>> =>
  distribute(byStudy(files), workers).map((studies) => batches(studies, maxContexts))
