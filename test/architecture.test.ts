import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

// ARCHITECTURE.md: an arrow means "may import"; downward imports are transitive, nothing imports upward.
const arrows: Record<string, ReadonlyArray<string>> = {
  cli: ["client", "server", "transport-node", "synth"],
  synth: ["data"],
  client: ["association", "dimse", "transport"],
  server: ["association", "dimse", "transport"],
  "transport-node": ["transport"],
  association: ["pdu"],
  dimse: ["pdu", "data"],
  pdu: ["data"],
  data: [],
  transport: []
}

const closure = (name: string, seen = new Set<string>()): Set<string> => {
  for (const next of arrows[name] ?? []) {
    if (!seen.has(next)) {
      seen.add(next)
      closure(next, seen)
    }
  }
  return seen
}

// Dev-only, private packages: not part of the arrows (testkit: tests; bench: the benchmark suite).
const devOnly = new Set(["testkit", "bench"])

const packagesDir = join(import.meta.dirname, "..", "packages")
const packages = readdirSync(packagesDir).filter((d) => statSync(join(packagesDir, d)).isDirectory())
const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8")) as {
    name: string
    private?: boolean
    dependencies?: Record<string, string>
    engines?: Record<string, string>
  }

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

const importedWorkspacePackages = (dir: string): Set<string> => {
  const found = new Set<string>()
  for (const file of sourceFiles(join(packagesDir, dir, "src"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/from\s+"@dicomnet\/([a-z-]+)"/g)) found.add(m[1]!)
  }
  return found
}

describe("ARCHITECTURE.md · package dependency direction", () => {
  it("knows every package in packages/", () => {
    expect(packages.filter((p) => !devOnly.has(p) && !(p in arrows))).toEqual([])
  })

  for (const dir of packages.filter((p) => !devOnly.has(p))) {
    it(`@dicomnet/${dir} depends only on packages below it`, () => {
      const allowed = closure(dir)
      const declared = Object.keys(manifest(dir).dependencies ?? {})
        .filter((d) => d.startsWith("@dicomnet/"))
        .map((d) => d.slice("@dicomnet/".length))
      expect(declared.filter((d) => !allowed.has(d))).toEqual([])
    })

    it(`@dicomnet/${dir} imports only workspace packages it declares`, () => {
      const declared = new Set(
        Object.keys(manifest(dir).dependencies ?? {}).map((d) => d.replace("@dicomnet/", ""))
      )
      expect([...importedWorkspacePackages(dir)].filter((d) => !declared.has(d))).toEqual([])
    })

    it(`@dicomnet/${dir} declares engines node >= 22`, () => {
      expect(manifest(dir).engines?.node).toBe(">=22")
    })
  }

  for (const dev of devOnly) {
    it(`no package lists @dicomnet/${dev} as a dependency (it is dev-only)`, () => {
      const offenders = packages.filter((p) => `@dicomnet/${dev}` in (manifest(p).dependencies ?? {}))
      expect(offenders).toEqual([])
      expect(manifest(dev).private).toBe(true)
    })
  }
})
