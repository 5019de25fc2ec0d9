/**
 * dicomnet through its library API, in its own process so its peak RSS is its own:
 *   node dist/agents/dicomnet.js scp PORT                 DicomServer answering C-ECHO until SIGTERM
 *   node dist/agents/dicomnet.js qrscp PORT AET DIR       DicomServer answering C-FIND (Patient and Study Root) over
 *                                   the Part 10 files under DIR, indexed once at start (QueryRetrieve.fromArchive)
 *   node dist/agents/dicomnet.js echo PORT REPEAT         REPEAT C-ECHOs on one association
 *   node dist/agents/dicomnet.js associations PORT COUNT  COUNT x (associate, C-ECHO, release)
 *   node dist/agents/dicomnet.js find PORT AET STUDY SERIES COUNT
 *                                   COUNT IMAGE-level C-FINDs (Study Root) on one association (Find.findAll)
 * The clients print one JSON line: {"seconds": <time of the measured loop>, "cpuSeconds": <this process's CPU
 * meanwhile>, "count": <operations>, "warmUp": <operations of the untimed warm-up, which the SCP served too>}.
 * An untimed warm-up runs first (`warmUp`: 1,000 echoes on their own association, 500 associations, 2 queries)
 * so that the figure is not the JIT's first second.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Association, Echo, Find } from "@dicomnet/client"
import { SopClass, TransferSyntax } from "@dicomnet/data"
import { DicomServer, QueryRetrieve } from "@dicomnet/server"
import { NodeTransport } from "@dicomnet/transport-node"
import { Effect, FileSystem, References, Result } from "effect"

const args = process.argv.slice(2)
const [mode, portArg] = args
const port = Number(portArg)
const count = Number((mode === "find" ? args[5] : mode === "qrscp" ? "1" : args[2]) ?? "1")
const host = "127.0.0.1"
const options = { host, port, contexts: [{ abstractSyntax: SopClass.Verification }] }

const oneAssociation = (echoes: number) =>
  Effect.scoped(Effect.flatMap(Association.request(options), (a) => Effect.repeat(Echo.echo(a), { times: echoes - 1 })))

/**
 * The untimed warm-up before each measured loop (on the same SCP, so both ends are warm): the JIT compiles the
 * hot paths during the first few thousand operations; without it a 500-echo run measures mostly cold code.
 */
const warmUp = { echoes: 1000, associations: 500, queries: 2 } as const

/** Runs `effect`, returns its wall seconds and this process's CPU seconds (user + system) meanwhile. */
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = performance.now()
    const cpu = process.cpuUsage()
    yield* effect
    const used = process.cpuUsage(cpu)
    return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 }
  })

/** The archive index of every Part 10 file under `dir` (read once, like dcmqrscp's database). */
const indexOf = (dir: string): QueryRetrieve.Archive.Archive => {
  const instances: Array<QueryRetrieve.Archive.Instance> = []
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    const path = join(dir, name)
    let bytes: Uint8Array
    try {
      bytes = readFileSync(path)
    } catch {
      continue // a directory
    }
    const instance = QueryRetrieve.Archive.instanceOf(path, bytes)
    if (Result.isSuccess(instance) && instance.success.sopInstanceUid !== "") instances.push(instance.success)
  }
  return QueryRetrieve.Archive.make(instances)
}

const program = (() => {
  switch (mode) {
    case "scp":
      return Effect.gen(function* () {
        yield* DicomServer.make({ host, port })
        return yield* Effect.never
      }).pipe(Effect.scoped)
    case "qrscp": {
      const [, , aeTitle, dir] = args
      // C-FIND only: the file system is never used (it serves C-MOVE/C-GET, not offered here).
      const source = QueryRetrieve.fromArchive(indexOf(dir ?? "."), FileSystem.makeNoop({}))
      const syntaxes = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
      return Effect.gen(function* () {
        yield* DicomServer.make({
          host,
          port,
          ...(aeTitle === undefined ? {} : { aeTitle }),
          acceptance: { contexts: [SopClass.Verification, ...QueryRetrieve.sopClasses.find].map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: syntaxes })) },
          handlers: { queryRetrieve: { find: source.find } }
        })
        return yield* Effect.never
      }).pipe(Effect.scoped)
    }
    case "echo":
      return Effect.gen(function* () {
        yield* oneAssociation(warmUp.echoes)
        const t = yield* timed(oneAssociation(count))
        console.log(JSON.stringify({ ...t, count, warmUp: warmUp.echoes }))
      })
    case "associations":
      return Effect.gen(function* () {
        yield* Effect.repeat(oneAssociation(1), { times: warmUp.associations - 1 })
        const t = yield* timed(Effect.repeat(oneAssociation(1), { times: count - 1 }))
        console.log(JSON.stringify({ ...t, count, warmUp: warmUp.associations }))
      })
    case "find": {
      const [, , calledAeTitle, study, series] = args
      const query = {
        model: "study" as const,
        level: "IMAGE" as const,
        keys: { StudyInstanceUID: study ?? "", SeriesInstanceUID: series ?? "", SOPInstanceUID: null, InstanceNumber: null }
      }
      return Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({
            host,
            port,
            ...(calledAeTitle === undefined ? {} : { calledAeTitle }),
            contexts: [{ abstractSyntax: Find.sopClassOf("study") }]
          })
          yield* Effect.repeat(Find.findAll(association, query), { times: warmUp.queries - 1 })
          let matches = 0
          const t = yield* timed(
            Effect.repeat(
              Effect.map(Find.findAll(association, query), (found) => {
                matches += found.length
              }),
              { times: count - 1 }
            )
          )
          console.log(JSON.stringify({ ...t, count: matches, warmUp: (matches / count) * warmUp.queries }))
        })
      )
    }
    default:
      return Effect.die(new Error(`unknown mode ${mode}`))
  }
})()

if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(count) || count < 1) {
  console.error("usage: dicomnet.js scp|echo|associations PORT [COUNT] | qrscp PORT AET DIR | find PORT AET STUDY SERIES COUNT")
  process.exit(1)
}

Effect.runPromise(
  program.pipe(Effect.provide(NodeTransport.layerTcp()), Effect.provideService(References.MinimumLogLevel, "Warn"))
).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(String(e))
    process.exit(1)
  }
)
