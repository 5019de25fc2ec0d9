/**
 * dicomnet as a role. C-ECHO and C-FIND through the library API (@dicomnet/client Association.request + Echo.echo /
 * Find.findAll, @dicomnet/server DicomServer over NodeTransport.layerTcp, with QueryRetrieve for the C-FIND SCP)
 * in the agent process dist/agents/dicomnet.js;
 * C-STORE and C-FIND through the `dicomnet` binary (storescu, storescp, findscu). A tool the binary does not
 * have yet (`dicomnet TOOL --help` fails) makes its cells "n/a (not available)".
 */
import { existsSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as V8Settings from "@dicomnet/cli/V8Settings"
import * as Proc from "../Proc.js"
import { agentResult, check, fromProcesses, NotAvailable, once, type Role, startupSeconds } from "../Role.js"

const here = dirname(fileURLToPath(import.meta.url))
const agent = join(here, "..", "agents", "dicomnet.js")
/** The launcher of the `dicomnet` binary in the monorepo (it imports ../dist/dicomnet.mjs, the bundled tools). */
export const binary = join(here, "..", "..", "..", "cli", "bin", "dicomnet.js")
const node = process.execPath
/**
 * The V8 settings the `dicomnet` launcher gives the tools (@dicomnet/cli's V8Settings), also given to the library
 * agents: what the README recommends to an application embedding the library.
 */
const agentFlags = V8Settings.flags()
const host = "127.0.0.1"

const cli = (args: ReadonlyArray<string>): Proc.Command => ({ file: node, args: [binary, ...args] })

const helpTexts = new Map<string, Promise<string | undefined>>()

/** The help text of `dicomnet TOOL --help`, or undefined when the binary has no such tool (memoized). */
export const help = (toolName: string): Promise<string | undefined> => {
  let known = helpTexts.get(toolName)
  if (known === undefined) {
    known = existsSync(join(dirname(binary), "..", "dist", "dicomnet.mjs"))
      ? Proc.run(cli([toolName, "--help"]), { timeoutMs: 30_000 }).then((f) =>
          // An unknown subcommand may still print the root help: the tool's own usage line must be there.
          f.code === 0 && !/unknown subcommand/i.test(f.stdout + f.stderr) && f.stdout.includes(`dicomnet ${toolName} `) ? f.stdout : undefined
        )
      : Promise.resolve(undefined)
    helpTexts.set(toolName, known)
  }
  return known
}

/** Whether the binary has the tool. */
export const hasTool = async (toolName: string): Promise<boolean> => (await help(toolName)) !== undefined

/** Whether the tool documents the flag (`--summary`, `--threads`). */
const hasFlag = async (toolName: string, flag: string): Promise<boolean> =>
  new RegExp(`${flag}[ ,]`).test((await help(toolName)) ?? "")

const requireTool = async (toolName: string): Promise<void> => {
  if (!(await hasTool(toolName))) throw new NotAvailable(`dicomnet ${toolName} is not available`)
}

let summaries = 0

/** Start-up of the binary (Node + Effect + the CLI), subtracted from the wall time of CLI clients. */
const startup = once(() => startupSeconds(cli(["--version"])))

/** dicomnet as SCU and SCP. */
export const role: Role = {
  name: "dicomnet",
  startScp: async (spec, port) => {
    if (spec.service === "echo") return Proc.start({ file: node, args: [...agentFlags, agent, "scp", String(port)] }, port)
    await requireTool("storescp")
    const args = ["storescp", String(port), "--out", spec.outDir]
    if (spec.mode === "ignore") args.push("--ignore")
    if (spec.maxPdu !== undefined) args.push("--max-pdu", String(spec.maxPdu))
    return Proc.start(cli(args), port)
  },
  echo: async (port, repeat, timeoutMs) => {
    const finished = check("dicomnet echo agent", await Proc.run({ file: node, args: [...agentFlags, agent, "echo", String(port), String(repeat)] }, { timeoutMs }))
    return agentResult("dicomnet echo agent", finished)
  },
  associations: async (port, count, timeoutMs) => {
    const finished = check(
      "dicomnet associations agent",
      await Proc.run({ file: node, args: [...agentFlags, agent, "associations", String(port), String(count)] }, { timeoutMs })
    )
    return agentResult("dicomnet associations agent", finished)
  },
  store: async (port, input) => {
    await requireTool("storescu")
    const pdu = input.maxPdu === undefined ? [] : ["--max-pdu", String(input.maxPdu)]
    // Parallel associations: one process with --threads (one study per directory) when the tool has it.
    const threads = input.dirs.length > 1 && (await hasFlag("storescu", "--threads"))
    const summary = (await hasFlag("storescu", "--summary")) ? join(tmpdir(), `dicomnet-bench-summary-${process.pid}-${summaries++}.json`) : undefined
    const quiet = (await hasFlag("storescu", "--quiet")) ? ["--quiet"] : []
    const runs: ReadonlyArray<ReadonlyArray<string>> = threads
      ? [["storescu", host, String(port), ...input.dirs, "-r", ...quiet, "--threads", String(input.dirs.length), ...pdu]]
      : input.dirs.map((dir) => ["storescu", host, String(port), dir, "-r", ...quiet, ...pdu])
    const finished = await Promise.all(
      runs.map((args) => Proc.run(cli(summary !== undefined && runs.length === 1 ? [...args, "--summary", summary] : args), { timeoutMs: input.timeoutMs }))
    )
    for (const f of finished) check("dicomnet storescu", f)
    const result = fromProcesses(finished, await startup())
    if (summary === undefined || runs.length !== 1) return result
    // The tool's own timing (scan + send, after start-up) when its --summary has it.
    try {
      const totalMs = (JSON.parse(readFileSync(summary, "utf8")) as { timings?: { totalMs?: unknown } }).timings?.totalMs
      return typeof totalMs === "number" && totalMs > 0 ? { ...result, seconds: totalMs / 1000 } : result
    } catch {
      return result
    } finally {
      rmSync(summary, { force: true })
    }
  },
  find: async (port, input) => {
    // The library (Find.findAll), every query on one association like findscu --repeat.
    const finished = check(
      "dicomnet find agent",
      await Proc.run(
        { file: node, args: [...agentFlags, agent, "find", String(port), input.calledAeTitle, input.studyInstanceUid, input.seriesInstanceUid, String(input.repeat)] },
        { timeoutMs: input.timeoutMs }
      )
    )
    return agentResult("dicomnet find agent", finished)
  }
}

/** The dicomnet Q/R SCP (C-FIND over the Part 10 files under `dir`, indexed once at start) as `aeTitle`. */
export const startQrScp = (port: number, aeTitle: string, dir: string): Promise<Proc.Server> =>
  Proc.start({ file: node, args: [...agentFlags, agent, "qrscp", String(port), aeTitle, dir] }, port)

/** C-FIND through `dicomnet findscu` (one process per query, start-up subtracted). */
export const findCli: Role["find"] = async (port, input) => {
  await requireTool("findscu")
  // One process per query (the tool has no --repeat); start-up subtracted from each. --json to count matches.
  const json = await hasFlag("findscu", "--json")
  const args = [
    "findscu", host, String(port), "--level", "IMAGE", "--aec", input.calledAeTitle,
    "-k", `StudyInstanceUID=${input.studyInstanceUid}`,
    "-k", `SeriesInstanceUID=${input.seriesInstanceUid}`,
    "-k", "SOPInstanceUID=",
    "-k", "InstanceNumber=",
    ...(json ? ["--json"] : [])
  ]
  const all: Array<Proc.Finished> = []
  let matches = 0
  for (let i = 0; i < input.repeat; i++) {
    const finished = check("dicomnet findscu", await Proc.run(cli(args), { timeoutMs: input.timeoutMs }))
    if (json) {
      const parsed = JSON.parse(finished.stdout) as unknown
      matches += Array.isArray(parsed) ? parsed.length : 0
    }
    all.push(finished)
  }
  const s = await startup()
  const wall = all.reduce((sum, f) => sum + f.wallSeconds, 0)
  return {
    ...fromProcesses(all, 0),
    seconds: Math.max(wall - s * all.length, 1e-3),
    wallSeconds: wall,
    ...(json ? { count: matches } : {})
  }
}
