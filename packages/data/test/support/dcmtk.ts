// Runs DCMTK's file tools for the interop tests (TCP_NODELAY=1 in their environment, as for every DCMTK process)
// and reads dcmdump's listing back into comparable lines.
import { execFile, execFileSync } from "node:child_process"
import type { Dataset } from "../../src/Dataset.js"
import type { Element } from "../../src/Element.js"
import * as Tag from "../../src/Tag.js"
import * as VRs from "../../src/VR.js"

/** Fails (never skips) when a tool is missing. */
export const requireTool = (tool: string): void => {
  try {
    execFileSync("which", [tool], { encoding: "utf8" })
  } catch {
    throw new Error(`DCMTK tool '${tool}' is not installed (apt-get install -y dcmtk)`)
  }
}

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs a tool; stdout is read as ISO 8859-1 so that raw text bytes survive for comparison. */
export const run = (tool: string, args: ReadonlyArray<string>): Promise<Run> =>
  new Promise((resolve, reject) => {
    requireTool(tool)
    execFile(
      tool,
      [...args],
      { env: { ...process.env, TCP_NODELAY: "1" }, encoding: "latin1", timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        if (error !== null && typeof error.code !== "number") reject(error)
        else resolve({ code, stdout, stderr })
      }
    )
  })

/** One element as dcmdump lists it: tag, VR and the printed value (items as "ITEM"). */
export interface Line {
  readonly tag: string
  readonly vr: string
  readonly value: string
}

// dcmdump prints "??" as the VR of an element of unknown VR read in implicit VR: that is our UN.
const lineRe = /^\s*\(([0-9a-f]{4}),([0-9a-f]{4})\) (\w\w|\?\?) (.*?)\s*#\s*(\d+|u\/l),/

/** Parses the data set part of `dcmdump -Un +L` output. */
export const parseDump = (stdout: string): ReadonlyArray<Line> => {
  const start = stdout.indexOf("# Dicom-Data-Set")
  const out: Array<Line> = []
  for (const raw of stdout.slice(start === -1 ? 0 : start).split("\n")) {
    const m = lineRe.exec(raw)
    if (m === null) continue
    const tag = `(${m[1]},${m[2]})`
    const vr = m[3] === "??" ? "UN" : (m[3] ?? "")
    let value = (m[4] ?? "").trim()
    if (tag === "(fffe,e00d)" || tag === "(fffe,e0dd)") continue
    if (tag === "(fffe,e000)") {
      out.push({ tag, vr: "na", value: "ITEM" })
      continue
    }
    if (vr === "SQ") value = "SQ"
    else if (value === "(no value available)") value = ""
    else if (value.startsWith("[") && value.endsWith("]")) value = value.slice(1, -1)
    out.push({ tag, vr, value })
  }
  return out
}

const hex = (bytes: Uint8Array, width: number, le: boolean): string => {
  const parts: Array<string> = []
  for (let i = 0; i + width <= bytes.length; i += width) {
    let v = 0
    for (let k = 0; k < width; k++) v = v * 256 + (bytes[le ? i + width - 1 - k : i + k] ?? 0)
    parts.push(v.toString(16).padStart(width * 2, "0"))
  }
  return parts.join("\\")
}

const renderElement = (ds: Dataset, e: Element, out: Array<Line>): void => {
  const tag = Tag.toString(e.tag).toLowerCase()
  if (e._tag === "Sequence") {
    out.push({ tag, vr: "SQ", value: "SQ" })
    for (const item of e.items) {
      out.push({ tag: "(fffe,e000)", vr: "na", value: "ITEM" })
      for (const x of item.elements()) renderElement(item, x, out)
    }
    return
  }
  if (e._tag === "Fragments") {
    out.push({ tag, vr: e.vr, value: "FRAGMENTS" })
    return
  }
  const info = VRs.info(e.vr)
  let value: string
  if (e.bytes.length === 0) value = ""
  else if (info.kind === "string") value = (ds.strings(e.tag) ?? []).join("\\")
  else if (e.vr === "AT")
    value = (ds.numbers(e.tag) ?? []).map((t) => Tag.toString(t).toLowerCase()).join("\\")
  else if (e.vr === "OB" || e.vr === "UN") value = hex(e.bytes, 1, true)
  else if (e.vr === "OW") value = hex(e.bytes, 2, e.littleEndian !== false)
  else value = (ds.numbers(e.tag) ?? []).map(String).join("\\")
  out.push({ tag, vr: e.vr, value })
}

/** Our decoded data set rendered the way dcmdump lists it. */
export const render = (ds: Dataset): ReadonlyArray<Line> => {
  const out: Array<Line> = []
  for (const e of ds.elements()) renderElement(ds, e, out)
  return out
}
