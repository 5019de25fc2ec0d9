/**
 * The fuzz script: runs as many iterations as asked against one target or all, with the wall-time
 * (> 1 s) and memory (> 256 MiB) oracles on, and prints every finding with its replay seed.
 *
 *   npx tsc -b packages/testkit        # the script runs against dist/
 *   node packages/testkit/bench/fuzz.ts --iterations 100000 --seed 1 --target pdu.framer
 *   node packages/testkit/bench/fuzz.ts --seconds 30                     # every target, 30 s each
 *   node packages/testkit/bench/fuzz.ts --target data.decode.deflated --replay 0x1a2b3c4d
 *   (or: npm run fuzz -w @dicomnet/testkit -- --iterations 5000)
 *
 * Exit code 1 when anything was found.
 */
import { Fuzz } from "@dicomnet/testkit"

const args = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const number = (name: string, fallback: number): number => {
  const v = option(name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`--${name} ${v} is not a number`)
  return n
}

if (args.includes("--help") || args.includes("--list")) {
  console.log("usage: node bench/fuzz.ts [--target NAME] [--heavy] [--iterations N] [--seed S] [--seconds T] [--replay SEED]\ntargets:")
  for (const t of Fuzz.targets) console.log(`  ${t.name.padEnd(24)} ${t.description}`)
  for (const t of Fuzz.heavyTargets) console.log(`  ${t.name.padEnd(24)} (heavy: run when named or with --heavy) ${t.description}`)
  process.exit(0)
}

const targetName = option("target")
// "all" (the default) is every CI target; heavy ones (deflate bombs) run when named or with --heavy.
const pool = args.includes("--heavy") ? [...Fuzz.targets, ...Fuzz.heavyTargets] : Fuzz.targets
const selected =
  targetName === undefined || targetName === "all"
    ? pool
    : [...pool.filter((t) => t.name === targetName || t.name.startsWith(`${targetName}.`)), ...Fuzz.heavyTargets.filter((t) => t.name === targetName && !pool.includes(t))]
if (selected.length === 0) {
  console.error(`unknown target ${targetName}; --list shows them`)
  process.exit(2)
}

const memoryProbe = (): number => {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

const replaySeed = option("replay")
if (replaySeed !== undefined) {
  const seed = Number(replaySeed) >>> 0
  let found = false
  for (const t of selected) {
    const r = Fuzz.replay(t, seed, { slowMs: 1000, memoryProbe })
    console.log(`${t.name} seed 0x${seed.toString(16).padStart(8, "0")}: ${r.label}`)
    console.log(`  outcome: ${JSON.stringify(r.outcome)}`)
    console.log(`  bytes:   ${Fuzz.hex(r.input, 2048)}`)
    if (r.finding !== undefined) {
      found = true
      console.log(Fuzz.format(r.finding))
    }
  }
  process.exit(found ? 1 : 0)
}

const iterations = number("iterations", option("seconds") === undefined ? 10000 : Number.MAX_SAFE_INTEGER)
const seed = number("seed", 1) >>> 0
const seconds = option("seconds") === undefined ? undefined : number("seconds", 30)

let total = 0
const rows: Array<string> = []
for (const t of selected) {
  const report = Fuzz.run(t, {
    iterations,
    seed,
    slowMs: 1000,
    memoryProbe,
    maxFindings: 50,
    timeBudgetMs: seconds === undefined ? undefined : seconds * 1000,
    onFinding: (f) => console.log(Fuzz.format(f))
  })
  total += report.findings.length
  const rate = report.iterations / (report.elapsedMs / 1000)
  rows.push(
    `${t.name.padEnd(24)} ${String(report.iterations).padStart(9)} it  ${rate.toFixed(0).padStart(7)} it/s  ` +
      `${String(report.values).padStart(8)} values ${String(report.failures).padStart(8)} typed failures  ` +
      `slowest ${report.slowestMs.toFixed(1)} ms (seed 0x${report.slowestSeed.toString(16).padStart(8, "0")})  findings ${report.findings.length}`
  )
  console.log(rows[rows.length - 1])
}
console.log(`\nseed ${seed}: ${total} finding(s)`)
for (const row of rows) console.log(row)
process.exit(total > 0 ? 1 : 0)
