/**
 * The targets of the performance issue (#8) checked against a run: for each figure, dicomnet → dicomnet next to
 * DCMTK → DCMTK in its best measured configuration (the goal: at least as fast, 1.5x for the big object), next to
 * the best dcmjs-dimse row (the goal: at least 10x), and the peak memory of the 256 MiB object (under 100 MB on
 * both ends). The issue's own DCMTK baselines (measured on the same kind of 2-core machine) are quoted beside.
 */
import type { Figure, Row } from "./Report.js"

/** One target of the issue. */
export interface Target {
  readonly label: string
  /** The figures (ids) whose DCMTK → DCMTK and dicomnet → dicomnet rows compete: the best of each is taken. */
  readonly figures: ReadonlyArray<string>
  /** dicomnet → dicomnet must reach `factor` x the best DCMTK → DCMTK. */
  readonly factor: number
  /** The issue's figure for DCMTK (text, as the issue states it). */
  readonly issueBaseline: string
  /** What to keep in mind when reading the verdict (printed under the table). */
  readonly caveat?: string
  /**
   * The issue's DCMTK figure as a number, the bar when the measured DCMTK → DCMTK figure is lower for a reason of the
   * tool rather than of DCMTK (echoscu starts a process per association): the ratio is then taken against it.
   */
  readonly issueFloor?: number
}

/** The issue's targets, in its order. */
export const targets: ReadonlyArray<Target> = [
  { label: "C-STORE CT images (~0.5 MB), 1 association", figures: ["store-ct", "store-ct-pdu"], factor: 1, issueBaseline: "1,161 images/s (16 KB PDU), 1,705/s (128 KB PDU)" },
  { label: "C-STORE CT images (~0.5 MB), 4 associations", figures: ["store-ct-4"], factor: 1, issueBaseline: "–" },
  { label: "C-STORE one big object", figures: ["store-big"], factor: 1.5, issueBaseline: "741 MB/s (256 MiB)" },
  { label: "C-STORE tiny objects", figures: ["store-tiny"], factor: 1, issueBaseline: "2,965 objects/s (2,000 of 2 KB)" },
  { label: "C-ECHO round trips, 1 association", figures: ["echo"], factor: 1, issueBaseline: "9,055 echoes/s" },
  {
    label: "Associations (associate, C-ECHO, release)",
    figures: ["associations"],
    factor: 1,
    issueBaseline: "3,726 associations/s",
    issueFloor: 3726,
    caveat:
      "DCMTK's echoscu makes one association per process, so the measured DCMTK → DCMTK figure includes fork/exec and start-up and is far below the issue's 3,726/s: the ratio and the verdict are taken against the issue's figure."
  },
  { label: "C-FIND matches", figures: ["find"], factor: 1, issueBaseline: "11,720 responses/s (dcmqrscp)" }
]

/** The memory target: the 256 MiB object's peak RSS on both ends, bytes. */
export const bigObjectRssLimitBytes = 100e6

/** A measured value and where it comes from. */
export interface Measured {
  readonly value: number
  /** The figure id (configuration) it was measured in. */
  readonly figure: string
  readonly scu: string
  readonly scp: string
}

/** One target checked against a run; a missing row leaves its field undefined and the verdict "not measured". */
export interface Result {
  readonly label: string
  readonly unit: string
  /** Mean bytes of one object when the unit is MB/s (to show objects/s beside). */
  readonly itemBytes?: number
  readonly factor: number
  readonly issueBaseline: string
  readonly caveat?: string
  readonly dcmtk?: Measured
  readonly dicomnet?: Measured
  /** dicomnet / DCMTK (or / the issue's figure, when that is the bar: see `Target.issueFloor`). */
  readonly ratio?: number
  /** The issue's figure, when it is the bar instead of the measured DCMTK figure. */
  readonly issueBar?: number
  readonly dcmjs?: Measured
  /** dicomnet / the best dcmjs-dimse row (either role). */
  readonly dcmjsRatio?: number
  /** Both parts met: at least `factor` x DCMTK and at least 10x dcmjs-dimse (when measured). */
  readonly verdict: Verdict
  /** The DCMTK part alone (at least `factor` x DCMTK → DCMTK). */
  readonly dcmtkVerdict: Verdict
  /** The dcmjs-dimse part alone (at least 10x its best row). */
  readonly dcmjsVerdict: Verdict
}

/** Whether a target was reached in a run. */
export type Verdict = "met" | "not met" | "not measured"

/** The memory target checked: the largest peak RSS of the dicomnet SCU and SCP for the big object. */
export interface MemoryResult {
  readonly scuKb?: number
  readonly scpKb?: number
  /** Peak private (anonymous) memory of each end: RSS without the file-backed pages (shared code). */
  readonly scuAnonKb?: number
  readonly scpAnonKb?: number
  /** On peak RSS (VmHWM), what the issue's bound is read against. */
  readonly verdict: "met" | "not met" | "not measured"
}

const best = (figures: ReadonlyArray<Figure>, ids: ReadonlyArray<string>, pick: (row: Row) => boolean): Measured | undefined => {
  let found: Measured | undefined
  for (const figure of figures) {
    if (!ids.includes(figure.id)) continue
    for (const row of figure.rows) {
      if (row.status !== "ok" || row.median === undefined || !pick(row)) continue
      if (found === undefined || row.median > found.value) found = { value: row.median, figure: figure.id, scu: row.scu, scp: row.scp }
    }
  }
  return found
}

const isDcmjs = (row: Row): boolean => row.scu.startsWith("dcmjs-dimse") || row.scp.startsWith("dcmjs-dimse")

/** Checks every target against the figures of a run. */
export const evaluate = (figures: ReadonlyArray<Figure>): ReadonlyArray<Result> =>
  targets.flatMap((target): ReadonlyArray<Result> => {
    const first = figures.find((f) => target.figures.includes(f.id))
    if (first === undefined) return []
    const dcmtk = best(figures, target.figures, (r) => r.scu === "DCMTK" && r.scp === "DCMTK")
    const dicomnet = best(figures, target.figures, (r) => r.scu === "dicomnet" && r.scp === "dicomnet")
    const dcmjs = best(figures, target.figures, isDcmjs)
    // The bar: DCMTK's best measured figure, or the issue's own when that is higher for a reason of the tool.
    const bar = dcmtk === undefined ? undefined : Math.max(dcmtk.value, target.issueFloor ?? 0)
    const ratio = bar !== undefined && dicomnet !== undefined && bar > 0 ? dicomnet.value / bar : undefined
    const dcmjsRatio = dcmjs !== undefined && dicomnet !== undefined && dcmjs.value > 0 ? dicomnet.value / dcmjs.value : undefined
    const dcmtkVerdict: Verdict = ratio === undefined ? "not measured" : ratio >= target.factor ? "met" : "not met"
    const dcmjsVerdict: Verdict = dcmjsRatio === undefined ? "not measured" : dcmjsRatio >= 10 ? "met" : "not met"
    const verdict: Verdict = dcmtkVerdict === "not measured" ? "not measured" : dcmtkVerdict === "met" && dcmjsVerdict !== "not met" ? "met" : "not met"
    return [
      {
        label: target.label,
        unit: first.unit,
        ...(first.itemBytes === undefined ? {} : { itemBytes: first.itemBytes }),
        factor: target.factor,
        issueBaseline: target.issueBaseline,
        ...(target.caveat === undefined ? {} : { caveat: target.caveat }),
        ...(dcmtk === undefined ? {} : { dcmtk }),
        ...(dicomnet === undefined ? {} : { dicomnet }),
        ...(ratio === undefined ? {} : { ratio }),
        ...(bar !== undefined && dcmtk !== undefined && bar > dcmtk.value ? { issueBar: bar } : {}),
        ...(dcmjs === undefined ? {} : { dcmjs }),
        ...(dcmjsRatio === undefined ? {} : { dcmjsRatio }),
        verdict,
        dcmtkVerdict,
        dcmjsVerdict
      }
    ]
  })

/** Checks the memory target (the big object, dicomnet → dicomnet), when the figure was measured. */
export const memory = (figures: ReadonlyArray<Figure>): MemoryResult | undefined => {
  const figure = figures.find((f) => f.id === "store-big")
  if (figure === undefined) return undefined
  const row = figure.rows.find((r) => r.scu === "dicomnet" && r.scp === "dicomnet" && r.status === "ok")
  if (row === undefined || row.scuPeakRssKb === undefined || row.scpPeakRssKb === undefined) return { verdict: "not measured" }
  const limitKb = bigObjectRssLimitBytes / 1024
  return {
    scuKb: row.scuPeakRssKb,
    scpKb: row.scpPeakRssKb,
    ...(row.scuPeakAnonKb === undefined ? {} : { scuAnonKb: row.scuPeakAnonKb }),
    ...(row.scpPeakAnonKb === undefined ? {} : { scpAnonKb: row.scpPeakAnonKb }),
    verdict: row.scuPeakRssKb < limitKb && row.scpPeakRssKb < limitKb ? "met" : "not met"
  }
}
