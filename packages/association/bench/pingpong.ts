/**
 * Driver-level ping-pong benchmark: a transport connection (in memory or TCP loopback), `Wire.make` and a
 * Driver on both sides, in one process, with a hand-written responder (`takeBatch` + `sendPData`).
 * Reports CPU µs (process.cpuUsage, both sides together, best of 3) per
 * - round trip: the requestor sends one small P-DATA-TF (a command), the responder answers with one;
 * - association: connect, A-ASSOCIATE-RQ/AC, A-RELEASE-RQ/RP, close;
 * - PDU: the requestor streams P-DATA-TF PDUs of 256 bytes / 16 KiB / 256 KiB (one `sendPData` each), the responder takes them.
 * Run from /work/main after `npx tsc -b packages/association packages/transport-node`:
 *   node_modules/.bin/node packages/association/bench/pingpong.ts [mem|tcp|both] [roundTrips] [all|rt|assoc|small|16k|256k]
 * (imports the packages' dist through the workspace links; @dicomnet/transport(-node) are bench-only imports).
 */
import { Negotiation } from "@dicomnet/association"
import { Transport } from "@dicomnet/transport"
import { NodeTransport } from "@dicomnet/transport-node"
import { Deferred, Effect, Fiber, Layer, References, Result } from "effect"
import * as Harness from "./harness.ts"

const verification = "1.2.840.10008.1.1"
const implicitLittle = "1.2.840.10008.1.2"
const maxPdu = 1 << 20

const [which = "both", roundTripsArg = "20000", only = "all"] = process.argv.slice(2)
const roundTrips = Number(roundTripsArg)

const command = [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array(70).fill(1) }]
const answer = [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array(100).fill(2) }]

type Mode = { readonly _tag: "echo" } | { readonly _tag: "associate" } | { readonly _tag: "stream"; readonly pduSize: number }

/** One association; runs `count` operations `repeat` times and returns the best CPU µs per operation. */
const session = (mode: Mode, count: number, repeat: number) =>
  Effect.gen(function* () {
    const rqResult = Negotiation.makeAssociateRq({
      calledAeTitle: "SCP",
      callingAeTitle: "SCU",
      contexts: [{ abstractSyntax: verification, transferSyntaxes: [implicitLittle] }],
      maxPduLength: maxPdu
    })
    if (Result.isFailure(rqResult)) return yield* Effect.die(rqResult.failure)
    const policy: Negotiation.AcceptPolicy = { contexts: [{ abstractSyntax: verification, transferSyntaxes: [implicitLittle] }], maxPduLength: maxPdu }
    // The responder counts what it took; in stream mode it signals every `count` PDUs.
    let taken = 0
    let target = count
    let reached = yield* Deferred.make<void>()
    const listener = yield* Harness.listen(policy, maxPdu, (handle) =>
      Effect.gen(function* () {
        while (true) {
          const batch = yield* handle.takeBatch
          if (batch.length === 0) return
          for (const item of batch) {
            if (item._tag === "ReleaseRequested") {
              yield* handle.releaseResponse
              continue
            }
            if (mode._tag === "echo") yield* handle.sendPData(answer)
            else if (++taken === target) yield* Deferred.succeed(reached, undefined)
          }
        }
      }))
    const client = yield* Harness.connect(listener.address.port, rqResult.success)
    const data = mode._tag === "stream" ? new Uint8Array(mode.pduSize - 12).fill(0x5a) : new Uint8Array(0)
    const pdvs = [{ presentationContextId: 1, isCommand: false, isLast: false, data }]
    // A whole association: connect, A-ASSOCIATE-RQ/AC, A-RELEASE-RQ/RP, close.
    const associateOnce = Effect.scoped(Effect.flatMap(Harness.connect(listener.address.port, rqResult.success), (handle) => handle.release))
    const once = Effect.gen(function* () {
      if (mode._tag === "associate") {
        for (let i = 0; i < count; i++) yield* associateOnce
        return
      }
      if (mode._tag === "echo") {
        for (let i = 0; i < count; i++) {
          yield* client.sendPData(command)
          yield* client.take
        }
        return
      }
      taken = 0
      target = count
      reached = yield* Deferred.make<void>()
      for (let i = 0; i < count; i++) yield* client.sendPData(pdvs)
      yield* Deferred.await(reached)
    })
    yield* once // warm-up
    let best = Number.POSITIVE_INFINITY
    let bestWall = 0
    for (let r = 0; r < repeat; r++) {
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      yield* once
      const wall = performance.now() - t0
      const cpu = process.cpuUsage(c0)
      const perOp = (cpu.user + cpu.system) / count
      if (perOp < best) {
        best = perOp
        bestWall = wall
      }
    }
    const releasing = yield* Effect.forkChild(client.release)
    yield* Fiber.join(releasing)
    return { cpuPerOp: best, perSecond: count / (bestWall / 1000) }
  }).pipe(Effect.scoped)

const report = (label: string, mode: Mode, count: number) =>
  Effect.gen(function* () {
    const { cpuPerOp, perSecond } = yield* session(mode, count, 3)
    const mb = mode._tag === "stream" ? ` ${((perSecond * mode.pduSize) / 1e6).toFixed(0).padStart(6)} MB/s` : ""
    console.log(`${label.padEnd(28)} ${cpuPerOp.toFixed(1).padStart(7)} µs CPU/op ${Math.round(perSecond).toLocaleString("en-US").padStart(9)} op/s${mb}`)
  })

const suite = (name: string) =>
  Effect.gen(function* () {
    if (only === "all" || only === "rt") yield* report(`${name} round trip x ${roundTrips}`, { _tag: "echo" }, roundTrips)
    if (only === "all" || only === "assoc") yield* report(`${name} association x 2000`, { _tag: "associate" }, 2000)
    if (only === "all" || only === "small") yield* report(`${name} 256 B PDU x 100000`, { _tag: "stream", pduSize: 256 }, 100000)
    if (only === "all" || only === "16k") yield* report(`${name} 16 KiB PDU x 20000`, { _tag: "stream", pduSize: 16 * 1024 }, 20000)
    if (only === "all" || only === "256k") yield* report(`${name} 256 KiB PDU x 2000`, { _tag: "stream", pduSize: 256 * 1024 }, 2000)
  })

const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, References.MinimumLogLevel, "Warn")

const program = Effect.gen(function* () {
  if (which === "mem" || which === "both") yield* quiet(suite("mem")).pipe(Effect.provide(Transport.layerInMemory()))
  if (which === "tcp" || which === "both") yield* quiet(suite("tcp")).pipe(Effect.provide(Layer.fresh(NodeTransport.layerTcp())))
})

Effect.runPromise(program).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
