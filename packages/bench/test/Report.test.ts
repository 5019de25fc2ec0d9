import { describe, expect, it } from "@effect/vitest"
import type { Machine } from "../src/Machine.js"
import * as Report from "../src/Report.js"

const machine: Machine = {
  cpu: "Test CPU",
  cores: 2,
  memoryGib: 4,
  kernel: "Linux test",
  node: "v24.0.0",
  dcmtk: "3.6.7",
  dcmjsDimse: "0.3.3",
  dicomnetCommit: "abc1234",
  date: "2026-01-01T00:00:00.000Z",
  loadAverageAtStart: 0.1
}

const figure = Report.withRatios({
  id: "echo",
  title: "C-ECHO round trips on one association",
  unit: "echoes/s",
  operation: "echo",
  rows: [
    { scu: "dicomnet", scp: "dicomnet", status: "ok", values: [900, 1000, 1100], median: 1000, scuCpuUsPerOp: 120.4, scpCpuUsPerOp: 80 },
    { scu: "DCMTK", scp: "DCMTK", status: "ok", values: [4000], median: 4000 },
    { scu: "DCMTK", scp: "dicomnet", status: "n/a", reason: "dicomnet storescp is not available", values: [] }
  ]
})

const report: Report.Report = { machine, settings: { runs: 3 }, figures: [figure], totalSeconds: 12, loadAverageAtEnd: 0.2 }

describe("report writer", () => {
  it("median of odd and even counts", () => {
    expect(Report.median([3, 1, 2])).toBe(2)
    expect(Report.median([4, 1, 3, 2])).toBe(2.5)
  })

  it("ratios are to the DCMTK → DCMTK median of the same figure", () => {
    expect(figure.rows.map((r) => r.ratio)).toEqual([0.25, 1, undefined])
  })

  it("markdown: one table row per pair, n/a cells instead of figures", () => {
    const md = Report.markdown(report)
    expect(md).toContain("| dicomnet → dicomnet | 1,000 | 0.25× | 900 / 1,000 / 1,100 |")
    expect(md).toContain("| DCMTK → dicomnet | n/a (not available) | – |")
    expect(md).toContain("| CPU | Test CPU, 2 cores |")
    expect(md).toContain("| SCU peak RSS (private) | SCP peak RSS (private) | CPU µs per echo, SCU / SCP | note |")
    expect(md).toContain("| 120 / 80.0 |")
    expect(md).toContain("| – / – |")
  })

  it("memory: peak RSS with the private (anonymous) peak beside it, in the rows and the memory target", () => {
    const big = Report.withRatios({
      id: "store-big",
      title: "C-STORE of one 256 MiB object",
      unit: "MB/s",
      rows: [
        { scu: "dicomnet", scp: "dicomnet", status: "ok", values: [600], median: 600, scuPeakRssKb: 129 * 1024, scuPeakAnonKb: 80 * 1024, scpPeakRssKb: 134 * 1024, scpPeakAnonKb: 82 * 1024 },
        { scu: "DCMTK", scp: "DCMTK", status: "ok", values: [760], median: 760, scuPeakRssKb: 15 * 1024 }
      ]
    })
    const md = Report.markdown({ ...report, figures: [big] })
    expect(md).toContain("| dicomnet → dicomnet | 600 | 0.79× | 600 | 129 MiB (80) | 134 MiB (82) |")
    expect(md).toContain("| DCMTK → DCMTK | 760 | 1.00× | 760 | 15 MiB | – |")
    expect(md).toContain("| SCU 129 MiB (private 80 MiB), SCP 134 MiB (private 82 MiB) |")
    // The verdict stays on peak RSS: 129 MiB is over the 100 MB bound.
    expect(md).toMatch(/\| Peak RSS, one big object \(dicomnet → dicomnet\) \|.*\| not met \| – \|/)
  })

  it("svg: a bar left of the 1× line for a slower pair, the n/a text for a missing one", () => {
    const svg = Report.svg(report)
    expect(svg.startsWith("<svg ")).toBe(true)
    expect(svg).toContain("dicomnet → dicomnet: 0.25× DCMTK")
    expect(svg).toContain(">n/a (not available)<")
    expect(svg.trim().endsWith("</svg>")).toBe(true)
  })
})
