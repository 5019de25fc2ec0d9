/**
 * The data sets of the C-STORE and C-FIND figures, generated once by @dicomnet/synth into a cache directory
 * (regenerated only when the sizes change): CT images split into 4 parts (one per parallel association),
 * one big object, and many tiny objects.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { basename, join } from "node:path"
import { Synth } from "@dicomnet/synth"
import { Result } from "effect"

/** One generated set of files. */
export interface FileSet {
  /** The directory holding everything (parts are subdirectories). */
  readonly dir: string
  /** One directory per part (files split round-robin). */
  readonly parts: ReadonlyArray<string>
  readonly files: number
  readonly bytes: number
  readonly studyInstanceUid: string
  readonly seriesInstanceUid: string
}

/** The three sets (for C-FIND: the tiny set is one series). */
export interface Corpus {
  readonly ct: FileSet
  readonly big: FileSet
  readonly tiny: FileSet
}

/** How much to generate. */
export interface CorpusSizes {
  readonly images: number
  readonly bigMib: number
  readonly tiny: number
}

const seed = "dicomnet-bench"

const writeSet = (dir: string, options: Synth.SynthOptions, parts: number, log: (line: string) => void): FileSet => {
  // The marker sits beside the directory: SCUs scan the directory and must find DICOM files only.
  const marker = `${dir}.json`
  const key = JSON.stringify({ options, parts })
  if (existsSync(marker)) {
    const cached = JSON.parse(readFileSync(marker, "utf8")) as FileSet & { readonly key: string }
    if (cached.key === key) return cached
  }
  rmSync(dir, { recursive: true, force: true })
  const partDirs = Array.from({ length: parts }, (_, i) => join(dir, `part-${i}`))
  for (const p of partDirs) mkdirSync(p, { recursive: true })
  const plan = Synth.manifest(options)
  if (Result.isFailure(plan)) throw new Error(`synth: ${plan.failure.message}`)
  const series = plan.success[0]?.studies[0]?.series[0]
  const study = plan.success[0]?.studies[0]
  if (series === undefined || study === undefined) throw new Error("synth: empty plan")
  const total = plan.success.reduce(
    (n, p) => n + p.studies.reduce((m, st) => m + st.series.reduce((k, se) => k + se.instances.length, 0), 0),
    0
  )
  const started = performance.now()
  let files = 0
  let bytes = 0
  for (const file of Synth.generate(options)) {
    // Contiguous parts: with one study per part, each part is one study (files come study by study).
    const target = partDirs[Math.floor((files * parts) / total)] ?? dir
    writeFileSync(join(target, basename(file.path)), file.bytes)
    files++
    bytes += file.bytes.byteLength
  }
  const set: FileSet = {
    dir,
    parts: partDirs,
    files,
    bytes,
    studyInstanceUid: study.studyInstanceUid,
    seriesInstanceUid: series.seriesInstanceUid
  }
  writeFileSync(marker, JSON.stringify({ ...set, key }))
  log(`generated ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${dir} (${((performance.now() - started) / 1000).toFixed(1)} s)`)
  return set
}

/** Generates (or finds in the cache) the CT, big and tiny sets. */
export const prepare = (cacheDir: string, sizes: CorpusSizes, log: (line: string) => void): Corpus => {
  // A square 16-bit image of `bigMib` MiB of pixel data.
  const side = Math.min(65535, Math.round(Math.sqrt((sizes.bigMib * 2 ** 20) / 2)))
  return {
    // Four studies, one per part: the 4-association case sends one study per association.
    ct: writeSet(
      join(cacheDir, `ct-${sizes.images}`),
      { modality: "CT", seed, studiesPerPatient: 4, instancesPerSeries: Math.max(1, Math.round(sizes.images / 4)), layout: "flat" },
      4,
      log
    ),
    big: writeSet(join(cacheDir, `big-${sizes.bigMib}mib`), { modality: "CT", seed, instancesPerSeries: 1, rows: side, columns: side, layout: "flat" }, 1, log),
    // 24 x 24 x 16 bits = 1152 bytes of pixels plus ~1 KB of attributes: about 2 KB per object.
    tiny: writeSet(join(cacheDir, `tiny-${sizes.tiny}`), { modality: "CT", seed, instancesPerSeries: sizes.tiny, rows: 24, columns: 24, layout: "flat" }, 4, log)
  }
}
