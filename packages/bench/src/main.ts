/**
 * The benchmark suite: `npm run bench` (root) or `npm run bench -w @dicomnet/bench` — builds, then runs
 * every measurement on 127.0.0.1 and writes results/report.{md,svg,json}. Options: see Options.ts / --help.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Corpus from "./Corpus.js"
import * as Goals from "./Goals.js"
import * as Machine from "./Machine.js"
import * as Options from "./Options.js"
import * as Report from "./Report.js"
import * as Suite from "./Suite.js"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const repoDir = join(packageDir, "..", "..")

const main = async (): Promise<void> => {
  const options = Options.parse(process.argv.slice(2), packageDir)
  const started = performance.now()
  const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`)
  const machine = Machine.describe(repoDir)
  log(`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGib} GiB, Node ${machine.node}, DCMTK ${machine.dcmtk}, dcmjs-dimse ${machine.dcmjsDimse}`)
  const needsCorpus = options.only.includes("store") || options.only.includes("find")
  const corpus = needsCorpus
    ? Corpus.prepare(options.cacheDir, { images: options.images, bigMib: options.bigMib, tiny: options.tiny }, log)
    : undefined
  const workDir = mkdtempSync(join(tmpdir(), "dicomnet-bench-"))
  const cleanup = () => rmSync(workDir, { recursive: true, force: true })
  process.once("SIGINT", () => {
    cleanup()
    process.exit(130)
  })
  try {
    const figures = await Suite.run({ options, workDir, log }, corpus)
    const memoryGoal = Goals.memory(figures)
    const report: Report.Report = {
      machine,
      settings: {
        runs: options.runs,
        quick: options.quick,
        "dcmjs-dimse runs": options.dcmjsRuns,
        "C-ECHO repeat": options.repeat,
        associations: options.associations,
        "CT images": options.images,
        "big object MiB": options.bigMib,
        "tiny objects": options.tiny,
        "C-FIND queries": options.findRepeat,
        "TCP MiB": options.tcpBytes / 2 ** 20
      },
      figures,
      goals: Goals.evaluate(figures),
      ...(memoryGoal === undefined ? {} : { memoryGoal }),
      totalSeconds: (performance.now() - started) / 1000,
      loadAverageAtEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100
    }
    const paths = Report.write(options.outDir, report)
    console.log(`\n${Report.markdown(report)}`)
    log(`wrote ${paths.join(", ")}`)
  } finally {
    cleanup()
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    process.exit(1)
  }
)
