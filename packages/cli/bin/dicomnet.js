#!/usr/bin/env node
// Launcher kept outside dist/ so npm can link it before the first build.
//
// The tools run with these V8 settings (src/V8Settings.ts; figures: packages/cli/README.md, "Memory and garbage
// collection"):
// - a small young generation (1 MiB semi-spaces, V8's default is 8-16): the socket reads and file chunks of a
//   transfer are freed by the next scavenge instead of being promoted and waiting for a full collection;
// - a fixed old-generation growing factor of 2 (`--heap-growing-percent=100`; V8 picks 1.1-4 by itself, and
//   under a steady transfer it lets the heap grow to 3-4 times what is live): a 256 MiB object is received with
//   ~40 % less CPU, and an SCP under a stream of associations stays at ~165 instead of ~245 MB.
// - V8's `gc` exposed (`--expose-gc`): @dicomnet/transport's Scavenge asks for a young collection after every 4 MiB
//   of socket reads and file steps, which V8 does not count when it schedules its own; a storescp receiving the
//   256 MiB object peaks at 91-102 instead of 107-132 MiB RSS, with less CPU.
// - for a tool that does one job and ends (every tool but storescp and echoscp), Maglev as the highest optimising
//   tier (`--max-opt=2`, no TurboFan): such a run is too short for TurboFan to pay back its compilations; storescu
//   sending 500 CT takes ~10 % less CPU and peaks 6-10 MiB lower (fewer of Node's code pages touched). A server
//   keeps TurboFan: warm, it answers C-ECHO ~25 % faster.
// - on a machine with 2 processors or fewer, one V8 worker thread instead of four (`--v8-pool-size=1`): the
//   garbage collector's helpers then do not compete with the main threads of the sender and the receiver
//   (DCMTK storescu -> storescp, 500 CT: storescp's CPU -11 %; C-ECHO and associations between our agents +5-20 %).
// V8 takes these only at start, so the launcher replaces itself (execve: same process id, stdio and environment)
// with Node started with those it was not given (command line or NODE_OPTIONS: yours win), unless the platform has
// no execve (Windows).
const major = Number(process.versions.node.split(".")[0])
if (major < 22) {
  process.stderr.write(`dicomnet needs Node.js 22 or later (24 LTS recommended); this is ${process.versions.node} (${process.execPath})\n`)
  process.exit(1)
}
// The settings (src/V8Settings.ts) that neither Node's arguments nor NODE_OPTIONS give already.
const { missing: missingOf, lifetimeOf } = await import("../dist/V8Settings.js")
const missing = missingOf([...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)], undefined, lifetimeOf(process.argv.slice(2)))
if (missing.length > 0 && typeof process.execve === "function") {
  try {
    process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env)
  } catch {
    // Not replaced (e.g. not permitted): run as we are.
  }
}
// Node's on-disk code cache for the modules loaded next (~25-35 % less start-up: loading `effect` 200 -> 150 ms);
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, NODE_COMPILE_CACHE=DIR moves it (default: the temporary directory).
const { enableCompileCache } = await import("node:module")
enableCompileCache?.()
// The tools as one file (dist/bin.js and what it imports, bundled by `npm run bundle`): `echoscu --help` takes
// 0.17-0.19 instead of 0.42-0.50 s, and a tool ~22 MiB less memory, than when Node resolved and loaded the ~410
// modules of `effect` and the packages that a tool imports.
await import("../dist/dicomnet.mjs")
