#!/usr/bin/env node
// Launcher kept outside dist/ so npm can link it before the first build.
//
// The tools run with a small young generation (1 MiB semi-spaces, V8's default is 8-16): the socket reads and file
// chunks of a transfer are then freed by the next scavenge instead of being promoted and waiting for a full
// collection, so a 256 MiB transfer peaks at ~120 MB instead of ~200 MB and the receiver spends less time in GC
// (figures: packages/cli/README.md, "Memory and garbage collection"). V8 takes heap sizes only at start, so the
// launcher replaces itself (execve: same process id, stdio and environment) with Node started with the flag, unless
// it was given already (command line or NODE_OPTIONS: yours wins) or the platform has no execve (Windows).
const major = Number(process.versions.node.split(".")[0])
if (major < 22) {
  process.stderr.write(`dicomnet needs Node.js 22 or later (24 LTS recommended); this is ${process.versions.node} (${process.execPath})\n`)
  process.exit(1)
}
const FLAG = "--max-semi-space-size"
const given = process.execArgv.some((a) => a.startsWith(FLAG)) || (process.env.NODE_OPTIONS ?? "").includes(FLAG)
if (!given && typeof process.execve === "function") {
  try {
    process.execve(process.execPath, [process.execPath, `${FLAG}=1`, ...process.execArgv, ...process.argv.slice(1)], process.env)
  } catch {
    // Not replaced (e.g. not permitted): run as we are.
  }
}
// Node's on-disk code cache for the modules loaded next (~25-35 % less start-up: loading `effect` 200 -> 150 ms);
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, NODE_COMPILE_CACHE=DIR moves it (default: the temporary directory).
const { enableCompileCache } = await import("node:module")
enableCompileCache?.()
await import("../dist/bin.js")
