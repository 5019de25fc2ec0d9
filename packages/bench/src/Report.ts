/**
 * The suite's results and their three renderings: report.md (tables), report.svg (a hand-written diverging
 * bar chart of the ratios to DCMTK on a log2 scale) and report.json (everything, for tooling).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Goals from "./Goals.js"
import type { Machine } from "./Machine.js"

/** One SCU → SCP pair in one figure. */
export interface Row {
  readonly scu: string
  readonly scp: string
  readonly status: "ok" | "n/a" | "failed"
  /** Why a row is n/a or failed. */
  readonly reason?: string
  /** The figure of each run, in the figure's unit. */
  readonly values: ReadonlyArray<number>
  readonly median?: number
  /** The median of the measured seconds (what the figure is computed from). */
  readonly seconds?: number
  /** The median wall-clock seconds of the SCU process(es), start-up included. */
  readonly wallSeconds?: number
  readonly scuPeakRssKb?: number
  readonly scpPeakRssKb?: number
  /** Peak private (anonymous) resident memory, KiB: RSS without file-backed pages (sampled every 5-20 ms). */
  readonly scuPeakAnonKb?: number
  readonly scpPeakAnonKb?: number
  /** Median CPU µs (user + system) per operation of the SCU: its measured work only (see Role.ScuResult.cpuSeconds). */
  readonly scuCpuUsPerOp?: number
  /** Median CPU µs per operation of the SCP process (forked children included), read before and after each run. */
  readonly scpCpuUsPerOp?: number
  /** median / the DCMTK → DCMTK median of the same figure. */
  readonly ratio?: number
}

/** One measurement with its rows. */
export interface Figure {
  readonly id: string
  readonly title: string
  readonly unit: string
  readonly note?: string
  /** Mean bytes of one object (C-STORE figures): MB/s divided by it gives objects/s. */
  readonly itemBytes?: number
  /** What one operation of the CPU column is (echo, association, object, match, MB). */
  readonly operation?: string
  readonly rows: ReadonlyArray<Row>
}

/** A whole run of the suite. */
export interface Report {
  readonly machine: Machine
  readonly settings: Record<string, number | string | boolean>
  readonly figures: ReadonlyArray<Figure>
  readonly totalSeconds: number
  /** 1-minute load average when the suite ended. */
  readonly loadAverageAtEnd: number
  /** The issue's targets checked against the figures (computed from `figures` when absent). */
  readonly goals?: ReadonlyArray<Goals.Result>
  readonly memoryGoal?: Goals.MemoryResult
}

/** The middle value (mean of the two middle ones for an even count). */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
}

/** Adds the ratio to the DCMTK → DCMTK row of the same figure to every measured row. */
export const withRatios = (figure: Figure): Figure => {
  const base = figure.rows.find((r) => r.scu === "DCMTK" && r.scp === "DCMTK" && r.status === "ok")?.median
  return {
    ...figure,
    rows: figure.rows.map((r) => (base !== undefined && base > 0 && r.median !== undefined ? { ...r, ratio: r.median / base } : r))
  }
}

/** A figure for humans: 3 significant digits, thousands separated. */
export const formatValue = (v: number): string =>
  v >= 100 ? Math.round(v).toLocaleString("en-US") : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2)

const formatRss = (kb: number | undefined): string => (kb === undefined ? "–" : `${Math.round(kb / 1024)} MiB`)

/** Peak RSS with the peak private (anonymous) memory in parentheses: "129 MiB (80)". */
const formatMemory = (rssKb: number | undefined, anonKb: number | undefined): string =>
  anonKb === undefined || rssKb === undefined ? formatRss(rssKb) : `${formatRss(rssKb)} (${Math.round(anonKb / 1024)})`

const formatCpu = (us: number | undefined): string => (us === undefined ? "–" : formatValue(us))

const formatRatio = (r: number | undefined): string => (r === undefined ? "–" : r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`)

const cell = (row: Row): string =>
  row.status === "ok" && row.median !== undefined
    ? formatValue(row.median)
    : row.status === "n/a"
      ? "n/a (not available)"
      : "failed"

const escapeMd = (s: string): string => s.replaceAll("|", "\\|").replaceAll("\n", " ")

/** The configuration a target's value was measured in, when the target spans several figures. */
const configurations: Record<string, string> = { "store-ct": "default PDU", "store-ct-pdu": "PDU 128 KiB" }

const measured = (m: Goals.Measured | undefined, result: Goals.Result, spans: boolean): string => {
  if (m === undefined) return "–"
  const perObject = result.unit === "MB/s" && result.itemBytes !== undefined && result.itemBytes > 0 ? ` (${formatValue((m.value * 1e6) / result.itemBytes)} objects/s)` : ""
  const where = spans ? `, ${configurations[m.figure] ?? m.figure}` : ""
  return `${formatValue(m.value)} ${result.unit}${perObject}${where}`
}

const verdictCell = (v: Goals.Verdict): string => (v === "met" ? "**met**" : v)

/** The "Targets of the issue" table (markdown lines). */
export const goalsTable = (goals: ReadonlyArray<Goals.Result>, memory: Goals.MemoryResult | undefined): ReadonlyArray<string> => {
  if (goals.length === 0 && memory === undefined) return []
  const lines = [
    "## Targets of the issue (#8)",
    "",
    "dicomnet → dicomnet against DCMTK → DCMTK in its best measured configuration (for CT images: the better of its",
    "default 16 KiB PDU and 128 KiB PDUs), and against the best dcmjs-dimse row (as SCU or SCP). The issue's own DCMTK",
    "figures (its baselines, measured on the same kind of 2-core machine) are quoted for comparison with this run's.",
    "",
    "| figure | target | DCMTK → DCMTK (best) | dicomnet → dicomnet | × DCMTK | best dcmjs-dimse | × dcmjs-dimse | issue's DCMTK figure | vs DCMTK | vs dcmjs-dimse |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
  ]
  for (const g of goals) {
    const target = `≥ ${g.factor}× DCMTK, ≥ 10× dcmjs-dimse`
    const spans = g.dcmtk?.figure !== g.dicomnet?.figure || Object.hasOwn(configurations, g.dcmtk?.figure ?? "")
    lines.push(
      `| ${g.label} | ${target} | ${measured(g.dcmtk, g, spans)}${g.issueBar === undefined ? "" : ` (the bar: the issue's ${formatValue(g.issueBar)})`} | ${measured(g.dicomnet, g, spans)} | ${formatRatio(g.ratio)} | ${measured(g.dcmjs, g, false)} | ${formatRatio(g.dcmjsRatio)} | ${g.issueBaseline} | ${verdictCell(g.dcmtkVerdict)} | ${verdictCell(g.dcmjsVerdict)} |`
    )
  }
  if (memory !== undefined) {
    const private_ = (kb: number | undefined) => (kb === undefined ? "" : ` (private ${formatRss(kb)})`)
    const both = memory.scuKb === undefined || memory.scpKb === undefined
      ? "–"
      : `SCU ${formatRss(memory.scuKb)}${private_(memory.scuAnonKb)}, SCP ${formatRss(memory.scpKb)}${private_(memory.scpAnonKb)}`
    lines.push(`| Peak RSS, one big object (dicomnet → dicomnet) | < ${Goals.bigObjectRssLimitBytes / 1e6} MB on both ends | – | ${both} | – | – | – | dcmjs-dimse: 1.7 GB SCU, 2.1 GB SCP | ${verdictCell(memory.verdict)} | – |`)
  }
  lines.push("")
  for (const g of goals) if (g.caveat !== undefined) lines.push(`- ${g.label}: ${g.caveat}`)
  if (memory?.scuAnonKb !== undefined) {
    lines.push(
      "- Peak RSS: the verdict reads the bound against the kernel's peak RSS (VmHWM), which counts the file-backed pages a " +
        "process touched, such as Node's own executable code (~35-50 MiB, shared with every other Node process). " +
        "\"private\" is the largest RssAnon seen (anonymous memory: heap, buffers), sampled every 5-20 ms, so it may " +
        "miss the very top by a few MiB."
    )
  }
  if (goals.some((g) => g.caveat !== undefined) || memory?.scuAnonKb !== undefined) lines.push("")
  return lines
}

/** report.md: the machine, the settings, and one table per figure. */
export const markdown = (report: Report): string => {
  const m = report.machine
  const lines = [
    "# dicomnet benchmark: side by side with DCMTK and dcmjs-dimse",
    "",
    `Measured ${m.date} on loopback (127.0.0.1) in ${Math.round(report.totalSeconds)} s.`,
    "",
    "| machine | |",
    "| --- | --- |",
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memoryGib} GiB |`,
    `| kernel | ${m.kernel} |`,
    `| Node.js | ${m.node} |`,
    `| DCMTK | ${m.dcmtk} (every process with TCP_NODELAY=1) |`,
    `| dcmjs-dimse | ${m.dcmjsDimse} |`,
    `| dicomnet | ${m.dicomnetCommit} |`,
    `| load average (1 min) | ${m.loadAverageAtStart} at start, ${report.loadAverageAtEnd} at end (above ~0.5 other processes shared the cores: figures are noisier) |`,
    "",
    `Settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
    "",
    "Each figure is the median of the runs (all runs listed). **× DCMTK** is the median divided by the DCMTK → DCMTK",
    "median of the same table: above 1 is faster than DCMTK, below 1 slower. Peak RSS is the largest VmHWM of the",
    "SCU process(es) and of the SCP process over the runs; in parentheses the largest private (anonymous) memory",
    "sampled meanwhile, MiB (RSS without file-backed pages such as the executable's code). Times of CLI clients exclude the process start-up",
    "(measured with `--version` and subtracted); library agents time their own loop after an untimed warm-up",
    "(1,000 echoes, 500 associations, 2 queries), so that the JIT has compiled the hot paths. **CPU µs per",
    "operation** (user + system) is less sensitive to other load than the rates: the SCP's is read from /proc",
    "before and after each run (forked children included; it covers an agent's warm-up too, divided accordingly),",
    "the SCU's is the agents' own for their timed loop, or a DCMTK tool's whole process when it ran ≥ 0.25 s (polled",
    "every 5 ms); Node CLIs' is not shown (their start-up would dominate). See README.md.",
    "",
    ...goalsTable(report.goals ?? Goals.evaluate(report.figures), report.memoryGoal ?? Goals.memory(report.figures))
  ]
  for (const figure of report.figures) {
    lines.push(`## ${figure.title}`, "")
    if (figure.note !== undefined) lines.push(figure.note, "")
    lines.push(
      `| SCU → SCP | ${figure.unit} | × DCMTK | runs | SCU peak RSS (private) | SCP peak RSS (private) | CPU µs per ${figure.operation ?? "operation"}, SCU / SCP | note |`,
      "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |"
    )
    for (const row of figure.rows) {
      const runs = row.values.map(formatValue).join(" / ")
      const note = row.status === "ok" ? (row.wallSeconds !== undefined && row.seconds !== undefined ? `${row.seconds.toFixed(2)} s (wall ${row.wallSeconds.toFixed(2)} s)` : "") : (row.reason ?? "")
      lines.push(
        `| ${row.scu} → ${row.scp} | ${cell(row)} | ${formatRatio(row.ratio)} | ${runs || "–"} | ${formatMemory(row.scuPeakRssKb, row.scuPeakAnonKb)} | ${formatMemory(row.scpPeakRssKb, row.scpPeakAnonKb)} | ${formatCpu(row.scuCpuUsPerOp)} / ${formatCpu(row.scpCpuUsPerOp)} | ${escapeMd(note)} |`
      )
    }
    lines.push("")
  }
  return lines.join("\n")
}

const escapeXml = (s: string): string => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")

const palette: Record<string, string> = {
  "dicomnet → dicomnet": "#2563eb",
  "dicomnet → DCMTK": "#60a5fa",
  "DCMTK → dicomnet": "#1e3a8a",
  "dcmjs-dimse → DCMTK": "#f59e0b",
  "DCMTK → dcmjs-dimse": "#b45309",
  "dcmjs-dimse → dcmjs-dimse": "#fcd34d"
}

/** report.svg: per figure, one bar per pair: log2(ratio to DCMTK → DCMTK), left slower, right faster. */
export const svg = (report: Report): string => {
  const width = 980
  const labelWidth = 330
  const chartLeft = labelWidth + 10
  const chartWidth = width - chartLeft - 70
  const rowHeight = 18
  const ratios = report.figures.flatMap((f) => f.rows.flatMap((r) => (r.ratio !== undefined && r.ratio > 0 ? [Math.log2(r.ratio)] : [])))
  // From 1/4x..4x up to 1/64x..64x; a ratio beyond is drawn to the edge, its label still exact.
  const span = Math.min(6, Math.max(2, Math.ceil(Math.max(0, ...ratios.map(Math.abs)))))
  const x = (log2: number) => chartLeft + ((Math.max(-span, Math.min(span, log2)) + span) / (2 * span)) * chartWidth
  const parts: Array<string> = []
  let y = 58
  for (const figure of report.figures) {
    parts.push(`<text x="10" y="${y + 13}" font-weight="bold">${escapeXml(figure.title)}</text>`)
    y += rowHeight + 2
    for (const row of figure.rows) {
      if (row.scu === "DCMTK" && row.scp === "DCMTK") continue
      const name = `${row.scu} → ${row.scp}`
      parts.push(`<text x="24" y="${y + 13}">${escapeXml(name)}</text>`)
      if (row.ratio !== undefined && row.ratio > 0) {
        const v = Math.log2(row.ratio)
        const x0 = x(0)
        const x1 = x(v)
        const left = Math.min(x0, x1)
        parts.push(
          `<rect x="${left.toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowHeight - 6}" fill="${palette[name] ?? "#6b7280"}"><title>${escapeXml(`${name}: ${formatRatio(row.ratio)} DCMTK`)}</title></rect>`,
          `<text x="${(v >= 0 ? Math.max(x0, x1) + 4 : Math.min(x0, x1) - 4).toFixed(1)}" y="${y + 13}" text-anchor="${v >= 0 ? "start" : "end"}" font-size="11">${formatRatio(row.ratio)}</text>`
        )
      } else {
        parts.push(`<text x="${chartLeft}" y="${y + 13}" fill="#9ca3af" font-size="11">${row.status === "ok" ? "no DCMTK → DCMTK baseline" : escapeXml(cell(row))}</text>`)
      }
      y += rowHeight
    }
    y += 8
  }
  const height = y + 20
  const ticks: Array<string> = []
  for (let t = -span; t <= span; t++) {
    const tx = x(t).toFixed(1)
    const label = t >= 0 ? `${2 ** t}×` : `1/${2 ** -t}×`
    ticks.push(
      `<line x1="${tx}" y1="44" x2="${tx}" y2="${height - 16}" stroke="${t === 0 ? "#111827" : "#e5e7eb"}" stroke-width="${t === 0 ? 1.5 : 1}"/>`,
      `<text x="${tx}" y="40" text-anchor="middle" font-size="11" fill="#374151">${label}</text>`
    )
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Ratios to DCMTK" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    "<title>dicomnet benchmark: each pair's figure as a ratio to DCMTK → DCMTK</title>",
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Ratio to DCMTK → DCMTK (log scale; right of the line is faster than DCMTK)</text>`,
    ...ticks,
    ...parts,
    `<text x="10" y="${height - 4}" font-size="10" fill="#6b7280">${escapeXml(`${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}, DCMTK ${report.machine.dcmtk}, ${report.machine.date}`)}</text>`,
    "</svg>",
    ""
  ].join("\n")
}

/** Writes report.md, report.svg and report.json into `dir`; returns their paths. */
export const write = (dir: string, report: Report): ReadonlyArray<string> => {
  mkdirSync(dir, { recursive: true })
  const files = [
    [join(dir, "report.md"), markdown(report)],
    [join(dir, "report.svg"), svg(report)],
    [join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`]
  ] as const
  for (const [path, text] of files) writeFileSync(path, text)
  return files.map(([path]) => path)
}
