/**
 * dcmjs-dimse 0.3.x as a role (the Node.js comparison): its Client (C-ECHO, C-STORE, C-FIND) and Server
 * (C-ECHO, C-STORE) in the agent process dist/agents/dcmjs.js, one process per SCU run or SCP.
 */
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Proc from "../Proc.js"
import { agentReport, agentResult, check, maxRss, NotAvailable, type Role } from "../Role.js"

const agent = join(dirname(fileURLToPath(import.meta.url)), "..", "agents", "dcmjs.js")
const node = process.execPath

/** The installed dcmjs-dimse version, or undefined when it is not installed. */
export const version = (): string | undefined => {
  try {
    return (createRequire(import.meta.url)("dcmjs-dimse/package.json") as { version: string }).version
  } catch {
    return undefined
  }
}

const requireInstalled = () => {
  if (version() === undefined) throw new NotAvailable("dcmjs-dimse is not installed")
}

const client = async (what: string, args: ReadonlyArray<string>, timeoutMs: number) => {
  requireInstalled()
  const finished = check(what, await Proc.run({ file: node, args: [agent, ...args] }, { timeoutMs }))
  return { finished, report: agentReport(what, finished), result: agentResult(what, finished) }
}

/** dcmjs-dimse as SCU and SCP. */
export const role: Role = {
  name: "dcmjs-dimse",
  startScp: async (spec, port) => {
    requireInstalled()
    const args =
      spec.service === "echo"
        ? ["scp", String(port)]
        : spec.mode === "ignore"
          ? ["scp", String(port), "ignore", ...(spec.maxPdu === undefined ? [] : [String(spec.maxPdu)])]
          : ["scp", String(port), "disk", spec.outDir, ...(spec.maxPdu === undefined ? [] : [String(spec.maxPdu)])]
    return Proc.start({ file: node, args: [agent, ...args] }, port)
  },
  echo: async (port, repeat, timeoutMs) => {
    return (await client("dcmjs-dimse echo", ["echo", String(port), String(repeat)], timeoutMs)).result
  },
  associations: async (port, count, timeoutMs) => {
    return (await client("dcmjs-dimse associations", ["associations", String(port), String(count)], timeoutMs)).result
  },
  store: async (port, input) => {
    // dcmjs-dimse has no max PDU option for its client: the variant runs with its default.
    const all = await Promise.all(input.dirs.map((dir) => client("dcmjs-dimse store", ["store", String(port), dir], input.timeoutMs)))
    return {
      seconds: Math.max(...all.map((r) => r.report.seconds)),
      wallSeconds: Math.max(...all.map((r) => r.finished.wallSeconds)),
      peakRssKb: maxRss(all.map((r) => r.finished.peakRssKb)),
      cpuSeconds: all.reduce((sum, r) => sum + (r.report.cpuSeconds ?? 0), 0)
    }
  },
  find: async (port, input) => {
    const { result } = await client(
      "dcmjs-dimse find",
      ["find", String(port), input.calledAeTitle, input.studyInstanceUid, input.seriesInstanceUid, String(input.repeat)],
      input.timeoutMs
    )
    return result
  }
}
