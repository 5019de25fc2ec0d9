/**
 * dicomnet through its library API, in its own process so its peak RSS is its own:
 *   node dist/agents/dicomnet.js scp PORT                 DicomServer answering C-ECHO until SIGTERM
 *   node dist/agents/dicomnet.js echo PORT REPEAT         REPEAT C-ECHOs on one association
 *   node dist/agents/dicomnet.js associations PORT COUNT  COUNT x (associate, C-ECHO, release)
 *   node dist/agents/dicomnet.js find PORT AET STUDY SERIES COUNT
 *                                   COUNT IMAGE-level C-FINDs (Study Root) on one association (Find.findAll)
 * The clients print one JSON line: {"seconds": <time of the measured loop>, "count": <operations>}.
 * A short warm-up (not timed) runs first so that the figure is not the JIT's first minute.
 */
import { Association, Echo, Find } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { DicomServer } from "@dicomnet/server"
import { NodeTransport } from "@dicomnet/transport-node"
import { Effect, References } from "effect"

const args = process.argv.slice(2)
const [mode, portArg] = args
const port = Number(portArg)
const count = Number((mode === "find" ? args[5] : args[2]) ?? "1")
const host = "127.0.0.1"
const options = { host, port, contexts: [{ abstractSyntax: SopClass.Verification }] }

const oneAssociation = (echoes: number) =>
  Effect.scoped(Effect.flatMap(Association.request(options), (a) => Effect.repeat(Echo.echo(a), { times: echoes - 1 })))

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = performance.now()
    yield* effect
    return (performance.now() - started) / 1000
  })

const program = (() => {
  switch (mode) {
    case "scp":
      return Effect.gen(function* () {
        yield* DicomServer.make({ host, port })
        return yield* Effect.never
      }).pipe(Effect.scoped)
    case "echo":
      return Effect.gen(function* () {
        yield* oneAssociation(Math.min(count, 100))
        const seconds = yield* timed(oneAssociation(count))
        console.log(JSON.stringify({ seconds, count }))
      })
    case "associations":
      return Effect.gen(function* () {
        yield* Effect.repeat(oneAssociation(1), { times: Math.min(count, 10) - 1 })
        const seconds = yield* timed(Effect.repeat(oneAssociation(1), { times: count - 1 }))
        console.log(JSON.stringify({ seconds, count }))
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
          yield* Find.findAll(association, query)
          let matches = 0
          const seconds = yield* timed(
            Effect.repeat(
              Effect.map(Find.findAll(association, query), (found) => {
                matches += found.length
              }),
              { times: count - 1 }
            )
          )
          console.log(JSON.stringify({ seconds, count: matches }))
        })
      )
    }
    default:
      return Effect.die(new Error(`unknown mode ${mode}`))
  }
})()

if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(count) || count < 1) {
  console.error("usage: dicomnet.js scp|echo|associations PORT [COUNT] | find PORT AET STUDY SERIES COUNT")
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
