/**
 * The suite's command line: `node dist/main.js [--quick] [--runs N] [--repeat N] ...` (see README.md).
 */
import { join } from "node:path"

/**
 * The measurements that can be selected with --only. "extra" (not in the default run) adds the C-STORE variant
 * with the SCP writing to disk and the mixed pairs of the 128 KiB PDU variant (with "store").
 */
export const figures = ["tcp", "echo", "associations", "store", "find", "extra"] as const

/** The measurements of a run without --only: everything the issue asks for. */
export const defaultFigures: ReadonlyArray<Figure> = ["tcp", "echo", "associations", "store", "find"]

/** One measurement family. */
export type Figure = (typeof figures)[number]

/** Everything the suite needs to know. */
export interface Options {
  readonly quick: boolean
  readonly runs: number
  /** Runs of the rows with dcmjs-dimse on either side (it is ~10-50x slower: one run tells the ratio). */
  readonly dcmjsRuns: number
  /** C-ECHOs on one association. */
  readonly repeat: number
  /** Associations (associate, echo, release) one after the other. */
  readonly associations: number
  /** CT images (~0.5 MB each) of the C-STORE figures. */
  readonly images: number
  /** Size of the single big object, MiB. */
  readonly bigMib: number
  /** Tiny (~2 KB) objects; also the archive of the C-FIND figure. */
  readonly tiny: number
  /** C-FIND queries per run (each returns `tiny` matches). */
  readonly findRepeat: number
  /** Bytes of the raw TCP figure. */
  readonly tcpBytes: number
  /** Limit of each SCU process, ms. */
  readonly timeoutMs: number
  readonly only: ReadonlyArray<Figure>
  readonly outDir: string
  readonly cacheDir: string
}

const quick = {
  runs: 1, dcmjsRuns: 1, repeat: 500, associations: 20, images: 40, bigMib: 16, tiny: 100, findRepeat: 2, tcpBytes: 256 * 2 ** 20, timeoutMs: 60_000
}
const full = {
  runs: 3, dcmjsRuns: 1, repeat: 20_000, associations: 100, images: 500, bigMib: 256, tiny: 2000, findRepeat: 5, tcpBytes: 2 ** 30, timeoutMs: 300_000
}

const usage = `usage: npm run bench -- [options]
  --quick            small counts, one run: a smoke run of about a minute
  --runs N           runs per figure, the median is reported (default 3)
  --dcmjs-runs N     runs of the rows with dcmjs-dimse on either side (default 1: it is 10-50x slower)
  --repeat N         C-ECHOs on one association (default 20000)
  --associations N   associations (associate, C-ECHO, release) in a row (default 100)
  --images N         CT images of ~0.5 MB for C-STORE (default 500)
  --big-mib N        size of the single big object in MiB (default 256)
  --tiny N           ~2 KB objects for C-STORE, also the C-FIND archive (default 2000)
  --find-repeat N    C-FIND queries per run (default 5)
  --tcp-mib N        MiB sent for the raw TCP figure (default 1024)
  --timeout S        limit of each client process in seconds (default 300)
  --only LIST        some of ${figures.join(",")} (default ${defaultFigures.join(",")});
                     extra: C-STORE with the SCP writing to disk, and with "store" the mixed pairs
                     (dicomnet -> DCMTK, DCMTK -> dicomnet) of the 128 KiB PDU variant
  --out DIR          where report.{md,svg,json} go (default packages/bench/results)
  --cache DIR        where generated DICOM files are kept (default packages/bench/.bench/corpus)`

/** Parses argv (without node and the script); exits with the usage on a bad option. */
export const parse = (argv: ReadonlyArray<string>, packageDir: string): Options => {
  const isQuick = argv.includes("--quick")
  const base = isQuick ? quick : full
  const values = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ""
    if (arg === "--quick") continue
    if (arg === "--help" || arg === "-h") {
      console.log(usage)
      process.exit(0)
    }
    const next = argv[i + 1]
    if (!arg.startsWith("--") || next === undefined) {
      console.error(`bench: unexpected argument ${arg}\n${usage}`)
      process.exit(1)
    }
    values.set(arg.slice(2), next)
    i++
  }
  const known = new Set(["runs", "dcmjs-runs", "repeat", "associations", "images", "big-mib", "tiny", "find-repeat", "tcp-mib", "timeout", "only", "out", "cache"])
  for (const key of values.keys()) {
    if (!known.has(key)) {
      console.error(`bench: unknown option --${key}\n${usage}`)
      process.exit(1)
    }
  }
  const int = (key: string, fallback: number): number => {
    const raw = values.get(key)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1) {
      console.error(`bench: --${key} must be a positive integer, got ${raw}`)
      process.exit(1)
    }
    return n
  }
  const onlyRaw = values.get("only")
  const only = onlyRaw === undefined ? [...defaultFigures] : onlyRaw.split(",").map((s) => s.trim())
  const unknown = only.filter((f) => !(figures as ReadonlyArray<string>).includes(f))
  if (unknown.length > 0) {
    console.error(`bench: --only takes ${figures.join(",")}, not ${unknown.join(",")}`)
    process.exit(1)
  }
  return {
    quick: isQuick,
    runs: int("runs", base.runs),
    dcmjsRuns: int("dcmjs-runs", base.dcmjsRuns),
    repeat: int("repeat", base.repeat),
    associations: int("associations", base.associations),
    images: int("images", base.images),
    bigMib: int("big-mib", base.bigMib),
    tiny: int("tiny", base.tiny),
    findRepeat: int("find-repeat", base.findRepeat),
    tcpBytes: values.has("tcp-mib") ? int("tcp-mib", 1) * 2 ** 20 : base.tcpBytes,
    timeoutMs: values.has("timeout") ? int("timeout", 1) * 1000 : base.timeoutMs,
    only: only as ReadonlyArray<Figure>,
    outDir: values.get("out") ?? join(packageDir, "results"),
    cacheDir: values.get("cache") ?? join(packageDir, ".bench", "corpus")
  }
}
