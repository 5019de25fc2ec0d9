/**
 * DCMTK 3.6.x as a role: echoscu, storescu and findscu as SCUs; storescp (C-ECHO, C-STORE) as SCP;
 * dcmqrscp as the C-FIND archive every role queries. Every process runs with TCP_NODELAY=1 (Proc).
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Proc from "../Proc.js"
import { check, fromProcesses, maxRss, NotAvailable, once, type Role, startupSeconds } from "../Role.js"

const which = (tool: string): string | undefined => {
  try {
    return execFileSync("which", [tool], { encoding: "utf8" }).trim() || undefined
  } catch {
    return undefined
  }
}

const tool = (name: string): string => {
  const path = which(name)
  if (path === undefined) throw new NotAvailable(`DCMTK ${name} is not installed`)
  return path
}

/** "3.6.7" from `storescu --version`, or undefined when DCMTK is missing. */
export const version = (): string | undefined => {
  const path = which("storescu")
  if (path === undefined) return undefined
  try {
    const out = execFileSync(path, ["--version"], { encoding: "utf8" })
    return /v(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? out.split("\n")[0]
  } catch {
    return undefined
  }
}

const startup = {
  echoscu: once(() => startupSeconds({ file: tool("echoscu"), args: ["--version"] })),
  storescu: once(() => startupSeconds({ file: tool("storescu"), args: ["--version"] })),
  findscu: once(() => startupSeconds({ file: tool("findscu"), args: ["--version"] }))
}

const host = "127.0.0.1"

/** Arguments of findscu for an IMAGE-level query in one series (study root). */
const findArgs = (port: number, input: { readonly calledAeTitle: string; readonly studyInstanceUid: string; readonly seriesInstanceUid: string }) => [
  "-S",
  "-aec", input.calledAeTitle,
  "-k", "QueryRetrieveLevel=IMAGE",
  "-k", `StudyInstanceUID=${input.studyInstanceUid}`,
  "-k", `SeriesInstanceUID=${input.seriesInstanceUid}`,
  "-k", "SOPInstanceUID",
  "-k", "InstanceNumber",
  host, String(port)
]

/** DCMTK as SCU and SCP. */
export const role: Role = {
  name: "DCMTK",
  startScp: (spec, port) => {
    const storescp = tool("storescp")
    if (spec.service === "echo") return Proc.start({ file: storescp, args: ["--ignore", String(port)] }, port)
    const args = spec.mode === "ignore" ? ["--ignore"] : ["-od", spec.outDir]
    if (spec.maxPdu !== undefined) args.push("-pdu", String(spec.maxPdu))
    // storescp serves one association at a time unless it forks one process per association.
    if (spec.concurrent) args.push("--fork")
    return Proc.start({ file: storescp, args: [...args, String(port)] }, port, { forks: spec.concurrent })
  },
  echo: async (port, repeat, timeoutMs) => {
    const finished = check(
      "echoscu",
      await Proc.run({ file: tool("echoscu"), args: ["--repeat", String(repeat), host, String(port)] }, { timeoutMs })
    )
    return fromProcesses([finished], await startup.echoscu(), true)
  },
  associations: async (port, count, timeoutMs) => {
    // echoscu has no loop over associations: one process per association. Its start-up is NOT subtracted
    // here (it is of the same order as the association itself, so the difference would be noise): the
    // figure is what a shell loop of echoscu achieves, fork/exec included.
    const deadline = Date.now() + timeoutMs
    const all: Array<Proc.Finished> = []
    const started = performance.now()
    for (let i = 0; i < count; i++) {
      all.push(check("echoscu", await Proc.run({ file: tool("echoscu"), args: [host, String(port)] }, { timeoutMs: Math.max(1_000, deadline - Date.now()) })))
    }
    const wall = (performance.now() - started) / 1000
    // No SCU CPU: a process of ~20 ms falls between the 20 ms polls of /proc.
    return { seconds: wall, wallSeconds: wall, peakRssKb: maxRss(all.map((f) => f.peakRssKb)) }
  },
  store: async (port, input) => {
    const storescu = tool("storescu")
    const pdu = input.maxPdu === undefined ? [] : ["-pdu", String(input.maxPdu)]
    const finished = await Promise.all(
      input.dirs.map((dir) => Proc.run({ file: storescu, args: ["+sd", "+r", ...pdu, host, String(port), dir] }, { timeoutMs: input.timeoutMs }))
    )
    for (const f of finished) check("storescu", f)
    return fromProcesses(finished, await startup.storescu(), true)
  },
  find: async (port, input) => {
    const finished = check(
      "findscu",
      // -q: without it findscu prints every response (330,000 lines for 10,000 matches), which is not the protocol's time.
      await Proc.run({ file: tool("findscu"), args: ["-q", "--repeat", String(input.repeat), ...findArgs(port, input)] }, { timeoutMs: input.timeoutMs })
    )
    return fromProcesses([finished], await startup.findscu(), true)
  }
}

/** A dcmqrscp archive holding `dirs` (stored with storescu), answering C-FIND as `aeTitle`. */
export const startArchive = async (
  workDir: string,
  aeTitle: string,
  dirs: ReadonlyArray<string>,
  timeoutMs: number
): Promise<{ readonly server: Proc.Server; readonly matches: (input: { readonly studyInstanceUid: string; readonly seriesInstanceUid: string }) => Promise<number> }> => {
  const db = join(workDir, "db")
  mkdirSync(db, { recursive: true })
  const config = join(workDir, "dcmqrscp.cfg")
  writeFileSync(
    config,
    [
      "NetworkTCPPort = 0",
      "MaxPDUSize = 131072",
      "MaxAssociations = 16",
      "HostTable BEGIN",
      "HostTable END",
      "VendorTable BEGIN",
      "VendorTable END",
      "AETable BEGIN",
      `${aeTitle} ${db} RW (10, 1024mb) ANY`,
      "AETable END",
      ""
    ].join("\n")
  )
  const port = await Proc.freePort()
  // Default (forking) mode: dcmqrscp 3.6.7 crashes with a segmentation fault after each association in
  // --single-process mode. Its peak RSS is the largest of the parent and its per-association children.
  const server = await Proc.start({ file: tool("dcmqrscp"), args: ["-c", config, String(port)] }, port, { forks: true })
  try {
    for (const dir of dirs) {
      check("storescu into dcmqrscp", await Proc.run({ file: tool("storescu"), args: ["-aec", aeTitle, "+sd", "+r", host, String(port), dir] }, { timeoutMs }))
    }
  } catch (e) {
    await server.stop()
    throw e
  }
  return {
    server,
    // Counts the matches once with -v (each pending response is logged), to check the query itself.
    matches: async (input) => {
      const finished = check(
        "findscu -v",
        await Proc.run({ file: tool("findscu"), args: ["-v", ...findArgs(port, { ...input, calledAeTitle: aeTitle })] }, { timeoutMs })
      )
      return (finished.stdout + finished.stderr).split("\n").filter((l) => /Find Response: \d+ \(Pending/.test(l)).length
    }
  }
}
