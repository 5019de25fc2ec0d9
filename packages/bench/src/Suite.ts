/**
 * The measurements: raw TCP, C-ECHO round trips, associations, C-STORE (one and four associations, PDU 128 KiB,
 * to disk, one big object, tiny objects) and C-FIND, for every SCU → SCP pair of the roles. A pair whose role
 * lacks the tool gives an "n/a" row, a pair that breaks a "failed" row: the suite itself goes on.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Corpus, FileSet } from "./Corpus.js"
import type { Options } from "./Options.js"
import * as Proc from "./Proc.js"
import { type Figure, median, type Row, withRatios } from "./Report.js"
import { agentReport, check, NotAvailable, type Role, type ScuResult } from "./Role.js"
import * as Dcmjs from "./roles/dcmjs.js"
import * as Dcmtk from "./roles/dcmtk.js"
import * as Dicomnet from "./roles/dicomnet.js"

/** Every SCU → SCP pair, DCMTK → DCMTK (the baseline) first after dicomnet → dicomnet. */
const allPairs: ReadonlyArray<readonly [Role, Role]> = [
  [Dicomnet.role, Dicomnet.role],
  [Dcmtk.role, Dcmtk.role],
  [Dicomnet.role, Dcmtk.role],
  [Dcmtk.role, Dicomnet.role],
  [Dcmjs.role, Dcmtk.role],
  [Dcmtk.role, Dcmjs.role],
  [Dcmjs.role, Dcmjs.role]
]

/** The pairs of dicomnet and DCMTK only (variants dcmjs-dimse has no option for). */
const corePairs = allPairs.slice(0, 4)

/** The variant that only places DCMTK's best configuration: dicomnet → dicomnet and DCMTK → DCMTK. */
const basePairs = allPairs.slice(0, 2)

/** C-STORE: dcmjs-dimse as SCU and as SCP against DCMTK (dcmjs-dimse → dcmjs-dimse only for C-ECHO: time). */
const storePairs = allPairs.slice(0, 6)

/** What the suite needs while it runs. */
export interface Context {
  readonly options: Options
  readonly workDir: string
  readonly log: (line: string) => void
}

/** A started SCP, or the archive shared by several rows (its `stop` only reads the peak RSS). */
type ScpFactory = (port: number) => Promise<Proc.Server>

interface RowSpec {
  readonly scu: string
  readonly scp: string
  readonly startScp: ScpFactory
  /** Runs of this row (default: the `--runs` option). */
  readonly runs?: number
  /** Operations of one run (echoes, associations, objects, matches): the CPU per operation divides by it. */
  readonly operations?: number
  readonly beforeRun?: () => void
  readonly run: (port: number) => Promise<ScuResult>
  readonly value: (result: ScuResult) => number
  /** An error message when a run's result is wrong (files missing, matches missing). */
  readonly verify?: (result: ScuResult) => string | undefined
}

/** Runs of a pair: dcmjs-dimse rows (10-50x slower) run `--dcmjs-runs` times, the others `--runs` times. */
const runsOf = (ctx: Context, scu: string, scp: string): number =>
  scu.startsWith("dcmjs-dimse") || scp.startsWith("dcmjs-dimse") ? Math.min(ctx.options.dcmjsRuns, ctx.options.runs) : ctx.options.runs

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]?.slice(0, 240) ?? ""

const measureRow = async (ctx: Context, spec: RowSpec): Promise<Row> => {
  const label = `${spec.scu} → ${spec.scp}`
  let server: Proc.Server
  try {
    server = await spec.startScp(await Proc.freePort())
  } catch (e) {
    ctx.log(`  ${label}: ${e instanceof NotAvailable ? "n/a" : "failed"}: ${reasonOf(e)}`)
    return { scu: spec.scu, scp: spec.scp, status: e instanceof NotAvailable ? "n/a" : "failed", reason: reasonOf(e), values: [] }
  }
  const results: Array<ScuResult> = []
  const scuCpu: Array<number> = []
  const scpCpu: Array<number> = []
  let error: unknown
  try {
    for (let i = 0; i < (spec.runs ?? ctx.options.runs); i++) {
      spec.beforeRun?.()
      const cpuBefore = server.cpuSeconds()
      const result = await spec.run(server.port)
      const cpuAfter = server.cpuSeconds()
      // CPU per operation: the SCP's covers the agent's untimed warm-up as well (the same operations).
      const ops = spec.operations
      if (ops !== undefined && ops > 0) {
        if (result.cpuSeconds !== undefined) scuCpu.push((result.cpuSeconds / ops) * 1e6)
        if (cpuBefore !== undefined && cpuAfter !== undefined) scpCpu.push(((cpuAfter - cpuBefore) / (ops + (result.warmUpOperations ?? 0))) * 1e6)
      }
      const wrong = spec.verify?.(result)
      if (wrong !== undefined) throw new Error(wrong)
      if (!server.alive()) throw new Error(`the SCP exited: ${server.output().trim().split("\n").slice(-2).join(" | ")}`)
      results.push(result)
    }
  } catch (e) {
    error = e
  }
  const { peakAnonKb: scpPeakAnonKb, peakRssKb: scpPeakRssKb } = await server.stop()
  if (error !== undefined) {
    ctx.log(`  ${label}: ${error instanceof NotAvailable ? "n/a" : "failed"}: ${reasonOf(error)}`)
    return {
      scu: spec.scu,
      scp: spec.scp,
      status: error instanceof NotAvailable ? "n/a" : "failed",
      reason: reasonOf(error),
      values: results.map(spec.value)
    }
  }
  const values = results.map(spec.value)
  const scuRss = results.flatMap((r) => (r.peakRssKb === undefined ? [] : [r.peakRssKb]))
  const scuAnon = results.flatMap((r) => (r.peakAnonKb === undefined ? [] : [r.peakAnonKb]))
  const row: Row = {
    scu: spec.scu,
    scp: spec.scp,
    status: "ok",
    values,
    median: median(values),
    seconds: median(results.map((r) => r.seconds)),
    wallSeconds: median(results.map((r) => r.wallSeconds)),
    ...(scuRss.length > 0 ? { scuPeakRssKb: Math.max(...scuRss) } : {}),
    ...(scuCpu.length > 0 ? { scuCpuUsPerOp: median(scuCpu) } : {}),
    ...(scpCpu.length > 0 ? { scpCpuUsPerOp: median(scpCpu) } : {}),
    ...(scpPeakRssKb === undefined ? {} : { scpPeakRssKb }),
    ...(scuAnon.length > 0 ? { scuPeakAnonKb: Math.max(...scuAnon) } : {}),
    ...(scpPeakAnonKb === undefined ? {} : { scpPeakAnonKb })
  }
  ctx.log(`  ${label}: ${values.map((v) => v.toPrecision(4)).join(" / ")}`)
  return row
}

const figure = async (
  ctx: Context,
  head: Omit<Figure, "rows">,
  specs: ReadonlyArray<RowSpec>
): Promise<Figure> => {
  ctx.log(head.title)
  const rows: Array<Row> = []
  for (const spec of specs) rows.push(await measureRow(ctx, { ...spec, runs: spec.runs ?? runsOf(ctx, spec.scu, spec.scp) }))
  return withRatios({ ...head, rows })
}

const countFiles = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : e.isFile() && !e.name.startsWith(".") ? 1 : 0),
    0
  )

const freshDir = (dir: string): void => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
}

const agentsDir = join(dirname(fileURLToPath(import.meta.url)), "agents")

/** 1. Raw loopback TCP: node:net, 64 KiB writes. */
const tcp = (ctx: Context): Promise<Figure> =>
  figure(
    ctx,
    {
      id: "tcp",
      title: `Raw loopback TCP, ${(ctx.options.tcpBytes / 2 ** 20).toFixed(0)} MiB in 64 KiB writes (node:net): the physical limit`,
      unit: "MB/s",
      operation: "MB"
    },
    [
      {
        scu: "node:net",
        scp: "node:net",
        startScp: (port) => Proc.start({ file: process.execPath, args: [join(agentsDir, "tcp.js"), "sink", String(port)] }, port),
        operations: ctx.options.tcpBytes / 1e6,
        run: async (port) => {
          const finished = check(
            "tcp source",
            await Proc.run({ file: process.execPath, args: [join(agentsDir, "tcp.js"), "source", String(port), String(ctx.options.tcpBytes)] }, { timeoutMs: ctx.options.timeoutMs })
          )
          const report = agentReport("tcp source", finished)
          return { seconds: report.seconds, wallSeconds: finished.wallSeconds, peakRssKb: finished.peakRssKb }
        },
        value: (r) => ctx.options.tcpBytes / r.seconds / 1e6
      }
    ]
  )

/** C-ECHOs of the rows with dcmjs-dimse on either side. */
const dcmjsEchoes = (ctx: Context): number => Math.min(ctx.options.repeat, 1000)

/** 2a. C-ECHO round trips on one association. */
const echo = (ctx: Context): Promise<Figure> =>
  figure(
    ctx,
    {
      id: "echo",
      title: `C-ECHO round trips on one association (${ctx.options.repeat} echoes)`,
      unit: "echoes/s",
      operation: "echo",
      note: `Rows with dcmjs-dimse send ${dcmjsEchoes(ctx)} echoes (it is 5-20x slower: a few seconds of measurement either way). The dicomnet and dcmjs-dimse agents run an untimed warm-up first.`
    },
    allPairs.map(([scu, scp]) => {
      const repeat = scu.name === "dcmjs-dimse" || scp.name === "dcmjs-dimse" ? dcmjsEchoes(ctx) : ctx.options.repeat
      return {
        scu: scu.name,
        scp: scp.name,
        startScp: (port: number) => scp.startScp({ service: "echo" }, port),
        operations: repeat,
        run: (port: number) => scu.echo(port, repeat, ctx.options.timeoutMs),
        value: (r: ScuResult) => repeat / r.seconds
      }
    })
  )

/** 2b. Associations: associate, one C-ECHO, release, one after the other. */
const associations = (ctx: Context): Promise<Figure> =>
  figure(
    ctx,
    {
      id: "associations",
      title: `Associations in a row: associate, C-ECHO, release (${ctx.options.associations} associations)`,
      unit: "associations/s",
      operation: "association",
      note: "DCMTK echoscu makes one association per process: its figure includes fork/exec and start-up of echoscu (`echoscu --version` alone takes ~20 ms here); dicomnet and dcmjs-dimse loop inside one process."
    },
    allPairs.map(([scu, scp]) => ({
      scu: scu.name,
      scp: scp.name,
      startScp: (port) => scp.startScp({ service: "echo" }, port),
      operations: ctx.options.associations,
      run: (port) => scu.associations(port, ctx.options.associations, ctx.options.timeoutMs),
      value: (r) => ctx.options.associations / r.seconds
    }))
  )

interface StoreCase {
  readonly id: string
  readonly title: string
  readonly unit: "MB/s" | "objects/s"
  readonly set: FileSet
  readonly parallel: boolean
  readonly maxPdu: number | undefined
  readonly mode: "ignore" | "disk"
  readonly pairs: ReadonlyArray<readonly [Role, Role]>
  readonly note?: string
}

/** 3. One C-STORE case for its pairs. */
const store = (ctx: Context, c: StoreCase, tcpLimit: number | undefined): Promise<Figure> => {
  const outDir = join(ctx.workDir, `store-${c.id}`)
  const limit = tcpLimit === undefined ? "" : ` Raw loopback TCP on this machine: ${Math.round(tcpLimit)} MB/s.`
  return figure(
    ctx,
    {
      id: c.id,
      title: c.title,
      unit: c.unit,
      operation: "object",
      note: `${c.note ?? ""}${limit}`.trim(),
      ...(c.set.files > 1 ? { itemBytes: c.set.bytes / c.set.files } : {})
    },
    c.pairs.map(([scu, scp]) => ({
      scu: scu.name,
      scp: scp.name,
      startScp: (port) => {
        freshDir(outDir)
        return scp.startScp({ service: "store", mode: c.mode, outDir, maxPdu: c.maxPdu, concurrent: c.parallel }, port)
      },
      beforeRun: () => freshDir(outDir),
      operations: c.set.files,
      run: (port) => scu.store(port, { dirs: c.parallel ? c.set.parts : [c.set.dir], maxPdu: c.maxPdu, timeoutMs: ctx.options.timeoutMs }),
      value: (r) => (c.unit === "MB/s" ? c.set.bytes / r.seconds / 1e6 : c.set.files / r.seconds),
      verify: () => {
        if (c.mode !== "disk") return undefined
        const stored = countFiles(outDir)
        return stored === c.set.files ? undefined : `the SCP stored ${stored} of ${c.set.files} files`
      }
    }))
  )
}

/** A server shared by several rows: stopping a row only reads the peak RSS so far (parent and forked children). */
const sharedServer = (server: Proc.Server): Proc.Server => ({
  ...server,
  stop: async () => ({ peakRssKb: server.peakRss(), peakAnonKb: server.peakAnon() })
})

/** 4. C-FIND at IMAGE level against two archives holding the tiny set: DCMTK dcmqrscp and the dicomnet Q/R SCP. */
const find = async (ctx: Context, set: FileSet): Promise<Figure> => {
  const aeTitle = "BENCHQR"
  const head = {
    id: "find",
    title: `C-FIND matches at IMAGE level (${ctx.options.findRepeat} queries of ${set.files} matches each)`,
    unit: "matches/s",
    operation: "match",
    note:
      "SCPs: DCMTK dcmqrscp (its database filled by storescu; forking a child per association) and dicomnet (`DicomServer` with `QueryRetrieve.fromArchive` over the same files, indexed once at start), each started once and shared by its rows. SCUs: findscu -q --repeat (start-up subtracted), the dicomnet library (Find.findAll, all queries on one association after 2 untimed ones), dcmjs-dimse (all queries on one association); with `--only ...,extra` also `dicomnet findscu` (CLI: one query per run, start-up subtracted)."
  }
  ctx.log(head.title)
  const query = { studyInstanceUid: set.studyInstanceUid, seriesInstanceUid: set.seriesInstanceUid }
  const closers: Array<() => Promise<unknown>> = []
  const scps = new Map<string, () => Promise<Proc.Server>>()
  try {
    const dcmtk = await Dcmtk.startArchive(join(ctx.workDir, "archive"), aeTitle, set.parts, ctx.options.timeoutMs).then(
      (archive) => {
        closers.push(archive.server.stop)
        return { archive, error: undefined }
      },
      (error: unknown) => ({ archive: undefined, error })
    )
    if (dcmtk.archive !== undefined) {
      const counted = await dcmtk.archive.matches(query)
      if (counted !== set.files) ctx.log(`  warning: findscu -v counted ${counted} matches from dcmqrscp, expected ${set.files}`)
    } else ctx.log(`  dcmqrscp archive: failed: ${reasonOf(dcmtk.error)}`)
    const dcmtkServer = dcmtk.archive?.server
    scps.set("DCMTK", async () => {
      if (dcmtkServer === undefined) throw new Error(`dcmqrscp archive: ${reasonOf(dcmtk.error)}`)
      return sharedServer(dcmtkServer)
    })
    const ours = await Dicomnet.startQrScp(await Proc.freePort(), aeTitle, set.dir).then(
      (server) => {
        closers.push(server.stop)
        return { server, error: undefined }
      },
      (error: unknown) => ({ server: undefined, error })
    )
    scps.set("dicomnet", async () => {
      if (ours.server === undefined) throw ours.error
      return sharedServer(ours.server)
    })
    // The CLI row sends one query per run: each query is a whole process (~1 s of start-up).
    const specs: ReadonlyArray<{ readonly scu: string; readonly scp: string; readonly find: Role["find"]; readonly repeat: number }> = [
      { scu: "dicomnet", scp: "dicomnet", find: Dicomnet.role.find, repeat: ctx.options.findRepeat },
      { scu: "DCMTK", scp: "DCMTK", find: Dcmtk.role.find, repeat: ctx.options.findRepeat },
      { scu: "dicomnet", scp: "DCMTK", find: Dicomnet.role.find, repeat: ctx.options.findRepeat },
      { scu: "DCMTK", scp: "dicomnet", find: Dcmtk.role.find, repeat: ctx.options.findRepeat },
      { scu: "dcmjs-dimse", scp: "DCMTK", find: Dcmjs.role.find, repeat: ctx.options.findRepeat },
      // One query per process, start-up (~0.5-1 s, ±0.2 s) subtracted: only meaningful for big queries, an extra.
      ...(ctx.options.only.includes("extra") ? [{ scu: "dicomnet findscu (CLI)", scp: "DCMTK", find: Dicomnet.findCli, repeat: 1 }] : [])
    ]
    const rows: Array<Row> = []
    for (const spec of specs) {
      const expected = set.files * spec.repeat
      const startScp = scps.get(spec.scp)
      if (startScp === undefined) continue
      rows.push(
        await measureRow(ctx, {
          scu: spec.scu,
          scp: spec.scp,
          runs: runsOf(ctx, spec.scu, spec.scp),
          operations: expected,
          startScp,
          run: (port) => spec.find(port, { ...query, calledAeTitle: aeTitle, repeat: spec.repeat, timeoutMs: ctx.options.timeoutMs }),
          value: (r) => expected / r.seconds,
          verify: (r) => (r.count === undefined || r.count === expected ? undefined : `${r.count} matches, expected ${expected}`)
        })
      )
    }
    return withRatios({ ...head, rows })
  } finally {
    for (const close of closers) await close()
  }
}

const ctTitleOf = (ct: FileSet): string => `${ct.files} CT images (${(ct.bytes / 1e6).toFixed(0)} MB)`

/** The extra C-STORE variant (--only ...,extra): the SCP writes every object to disk. */
const diskCase = (ct: FileSet): StoreCase => ({
  id: "store-ct-disk",
  title: `C-STORE of ${ctTitleOf(ct)} on one association, SCP writes every object to disk`,
  unit: "MB/s",
  set: ct,
  parallel: false,
  maxPdu: undefined,
  mode: "disk",
  pairs: storePairs,
  note: "storescp -od DIR, dicomnet storescp --out DIR; every run checks the number of files written."
})

/** Runs the selected measurements in order. */
export const run = async (ctx: Context, corpus: Corpus | undefined): Promise<ReadonlyArray<Figure>> => {
  const only = new Set(ctx.options.only)
  const figures: Array<Figure> = []
  let tcpLimit: number | undefined
  if (only.has("tcp")) {
    const f = await tcp(ctx)
    tcpLimit = f.rows[0]?.median
    figures.push(f)
  }
  if (only.has("echo")) figures.push(await echo(ctx))
  if (only.has("associations")) figures.push(await associations(ctx))
  if (only.has("store") && corpus !== undefined) {
    const { ct, big, tiny } = corpus
    const ctTitle = ctTitleOf(ct)
    const cases: ReadonlyArray<StoreCase> = [
      { id: "store-ct", title: `C-STORE of ${ctTitle} on one association, SCP discards`, unit: "MB/s", set: ct, parallel: false, maxPdu: undefined, mode: "ignore", pairs: storePairs, note: "Each tool's default max PDU (DCMTK 16 KiB, dicomnet 256 KiB)." },
      { id: "store-ct-4", title: `C-STORE of ${ctTitle} on 4 associations at once (one study each), SCP discards`, unit: "MB/s", set: ct, parallel: true, maxPdu: undefined, mode: "ignore", pairs: storePairs, note: "DCMTK and dcmjs-dimse: 4 SCU processes; dicomnet: one storescu with --threads 4. DCMTK storescp runs with --fork (SCP peak RSS: its largest process)." },
      { id: "store-ct-pdu", title: `C-STORE of ${ctTitle} on one association, max PDU 128 KiB on both sides, SCP discards`, unit: "MB/s", set: ct, parallel: false, maxPdu: 131072, mode: "ignore", pairs: only.has("extra") ? corePairs : basePairs, note: "DCMTK's best configuration for CT images (the issue's 1,705 images/s). The mixed pairs run with `--only ...,extra`." },
      { id: "store-big", title: `C-STORE of one ${(big.bytes / 2 ** 20).toFixed(0)} MiB object, SCP discards`, unit: "MB/s", set: big, parallel: false, maxPdu: undefined, mode: "ignore", pairs: storePairs },
      { id: "store-tiny", title: `C-STORE of ${tiny.files} tiny objects (${(tiny.bytes / tiny.files / 1e3).toFixed(1)} KB each) on one association, SCP discards`, unit: "objects/s", set: tiny, parallel: false, maxPdu: undefined, mode: "ignore", pairs: storePairs }
    ]
    for (const c of cases) figures.push(await store(ctx, c, tcpLimit))
  }
  if (only.has("extra") && corpus !== undefined) figures.push(await store(ctx, diskCase(corpus.ct), tcpLimit))
  if (only.has("find") && corpus !== undefined) figures.push(await find(ctx, corpus.tiny))
  return figures
}
