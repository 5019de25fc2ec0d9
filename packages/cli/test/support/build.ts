/**
 * Vitest global setup: `tsc -b packages/cli` from the repository root, then the package's `bundle` script, so the
 * end-to-end tests spawn a fresh `dist/dicomnet.mjs` (what the launcher runs). Type errors are tsc's business
 * (`npx tsc -b packages/cli`), not the tests': the build still emits, and the tests only require the bundle to
 * exist and to be newer than the sources.
 */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const root = resolve(packageDir, "../..")

const newestSource = (dir: string): number => {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

export default function setup(): void {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
  try {
    execFileSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, stdio: "pipe" })
  } catch (error) {
    const output = String((error as { stdout?: unknown }).stdout ?? "")
    process.stderr.write(`[cli globalSetup] tsc -b packages/cli reported errors (tests run on what was emitted):\n${output}\n`)
  }
  const bin = join(packageDir, "dist", "bin.js")
  if (!existsSync(bin)) throw new Error(`${bin} was not built`)
  const buildInfo = join(packageDir, "dist", ".tsbuildinfo")
  if (!existsSync(buildInfo) || statSync(buildInfo).mtimeMs + 1 < newestSource(join(packageDir, "src"))) {
    throw new Error("packages/cli/dist is older than packages/cli/src: the build did not emit")
  }
  execFileSync("npm", ["run", "--silent", "bundle"], { cwd: packageDir, stdio: "pipe" })
  const bundle = join(packageDir, "dist", "dicomnet.mjs")
  if (!existsSync(bundle) || statSync(bundle).mtimeMs + 1 < statSync(bin).mtimeMs) {
    throw new Error(`${bundle} is older than ${bin}: the bundle was not written`)
  }
}
