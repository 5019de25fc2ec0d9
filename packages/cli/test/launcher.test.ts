/**
 * The `dicomnet` launcher (bin/dicomnet.js): the tool runs in the process that was started (execve, same id) with
 * V8's young generation set to 1 MiB semi-spaces, the old generation's growing factor to 2, V8's gc exposed, Maglev as
 * the highest tier for a tool that does one job (not for the servers) and, on a machine with 2 processors or fewer,
 * one V8 worker thread, each unless the user gave it; on a Node.js older than 22 it says what
 * it needs instead of failing without a word. The tools come from one bundled file (dist/dicomnet.mjs), not from
 * the packages' hundreds of modules.
 */
import { spawnSync } from "node:child_process"
import * as Net from "node:net"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { V8Settings } from "@dicomnet/cli"
import { Dcmtk } from "@dicomnet/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Binary from "./support/binary.js"

/** The command line of a running storescp started with `env` and `nodeArgs` (read from /proc by the id that was spawned), and its own arguments. */
const commandLine = async (env: Readonly<Record<string, string>>, nodeArgs: ReadonlyArray<string> = []) => {
  const port = await Dcmtk.freePort()
  const tool = ["storescp", String(port), "--bind", "127.0.0.1", "--ignore"]
  const server = Binary.start(tool, env, nodeArgs)
  try {
    await Dcmtk.waitForPort(port, 15_000)
    return { args: readFileSync(`/proc/${server.pid}/cmdline`, "utf8").split("\0").filter((a) => a !== ""), tool }
  } finally {
    const stopped = await server.stop()
    expect(stopped.code).toBe(0)
  }
}

/** This machine's settings (V8Settings.test.ts pins the list itself). */
const settings = V8Settings.flags()

describe("the dicomnet launcher", () => {
  it("replaces itself with Node started with the V8 settings: same process id, the tool's arguments kept", async () => {
    const { args, tool } = await commandLine({})
    expect(args).toEqual([process.execPath, ...settings, Binary.bin, ...tool])
    expect(args.slice(1, 3)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=100"])
  })

  it("keeps a --max-semi-space-size the user set in NODE_OPTIONS and adds only the others", async () => {
    const { args, tool } = await commandLine({ NODE_OPTIONS: "--max-semi-space-size=3" })
    expect(args).toEqual([process.execPath, ...settings.filter((f) => !f.startsWith("--max-semi-space-size=")), Binary.bin, ...tool])
  })

  it("starts no second time when the user gave them all on Node's command line (underscores or dashes, gc turned off)", async () => {
    const given = ["--max_semi_space_size=4", "--heap-growing-percent=50", "--no-expose-gc", "--v8-pool-size=2"]
    const { args, tool } = await commandLine({}, given)
    expect(args).toEqual([process.execPath, ...given, Binary.bin, ...tool])
  })
})

describe("the dicomnet launcher and a tool that does one job", () => {
  it("echoscu runs with Maglev as the highest tier (--max-opt=2) besides the other settings", async () => {
    // A peer that accepts and never answers keeps echoscu waiting for the A-ASSOCIATE-AC while we read its command line.
    const peer = Net.createServer(() => {}).listen(0, "127.0.0.1")
    await new Promise((resolve) => peer.once("listening", resolve))
    const port = (peer.address() as Net.AddressInfo).port
    const tool = ["echoscu", "127.0.0.1", String(port), "--acse-timeout", "20"]
    const client = Binary.start(tool)
    try {
      let args: Array<string> = []
      // Until the launcher has replaced itself (its own command line has no V8 settings yet).
      for (let i = 0; i < 100 && !args.includes("--expose-gc"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        args = readFileSync(`/proc/${client.pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "")
      }
      expect(args).toEqual([process.execPath, ...V8Settings.flags(undefined, "job"), Binary.bin, ...tool])
      expect(args).toContain("--max-opt=2")
    } finally {
      await client.stop("SIGKILL")
      peer.close()
    }
  })
})

describe("the dicomnet launcher's modules", () => {
  it("loads the tools from the bundle: besides Node's own modules, only itself, dist/V8Settings.js and dist/dicomnet.mjs", () => {
    // A module hook (given through NODE_OPTIONS, so it survives the execve) writes each file it loads to stderr.
    const dir = mkdtempSync(join(tmpdir(), "dicomnet-launcher-"))
    const hook = join(dir, "hook.mjs")
    const hookSource = [
      'import { registerHooks } from "node:module"',
      'registerHooks({ load: (url, context, next) => { if (url.startsWith("file:")) process.stderr.write("loaded " + url + "\\n"); return next(url, context) } })'
    ]
    writeFileSync(hook, `${hookSource.join("\n")}\n`)
    const child = spawnSync(process.execPath, [Binary.bin, "echoscu", "--help"], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` } })
    rmSync(dir, { recursive: true })
    expect(child.status).toBe(0)
    expect(child.stdout).toContain("dicomnet echoscu ")
    const loaded = child.stderr.split("\n").filter((line) => line.startsWith("loaded ")).map((line) => fileURLToPath(line.slice("loaded ".length)))
    const cli = Binary.bin.replace(/bin\/dicomnet\.js$/, "")
    // The launcher and its settings load twice: before the execve and after it.
    const launcher = [Binary.bin, `${cli}dist/V8Settings.js`]
    expect(loaded).toEqual([...launcher, ...launcher, `${cli}dist/dicomnet.mjs`])
  })
})

describe("the dicomnet launcher on an old Node.js", () => {
  it("says which Node.js it needs and exits 1 (Node 20's module loader fails on the tools otherwise)", async () => {
    // Node 20 seen through process.versions (the test itself runs on the pinned Node 24).
    const old = 'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"20.20.2"}})'
    const child = spawnSync(process.execPath, ["--import", old, Binary.bin, "--version"], { encoding: "utf8" })
    expect(child.status).toBe(1)
    expect(child.stdout).toBe("")
    expect(child.stderr).toBe(`dicomnet needs Node.js 22 or later (24 LTS recommended); this is 20.20.2 (${process.execPath})\n`)
  })
})
