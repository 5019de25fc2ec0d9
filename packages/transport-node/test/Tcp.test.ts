import { type ChildProcess, spawn } from "node:child_process"
import * as Net from "node:net"
import { assert, describe, expect, it } from "@effect/vitest"
import { Transport } from "@dicomnet/transport"
import { Deferred, Effect, Stream } from "effect"
import { afterAll } from "vitest"
import { bytes, concat, echo, readAll, transportSuite } from "../../transport/test/suite/TransportSuite.js"
import { layerTcp } from "../src/NodeTransport.js"

transportSuite({ name: "TCP (node:net, loopback)", layer: () => layerTcp(), host: "127.0.0.1", live: true })

const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) child.kill()
})

/**
 * A loopback listener whose accept queue is full and which never accepts: python listens with
 * backlog 0 and we fill its queue, so the kernel drops further SYNs and a connect hangs.
 */
const stuckListener = Effect.promise(() =>
  new Promise<number>((resolve, reject) => {
    const child = spawn("python3", ["-c", [
      "import socket,sys,time",
      "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0)",
      "print(s.getsockname()[1], flush=True)",
      "time.sleep(60)"
    ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] })
    children.push(child)
    child.on("error", reject)
    child.stdout?.once("data", (data: Buffer) => resolve(Number(data.toString().trim())))
  })
)

const fill = (port: number) =>
  Effect.acquireRelease(
    Effect.sync(() => Array.from({ length: 4 }, () => Net.connect({ host: "127.0.0.1", port }).on("error", () => {}))),
    (sockets) =>
      Effect.sync(() => {
        for (const s of sockets) s.destroy()
      })
  )

describe("TCP transport · timers", () => {
  it.live("connect to a listener that never accepts fails with TransportTimeout connect", () =>
    Effect.gen(function*() {
      const port = yield* stuckListener
      yield* fill(port)
      const transport = yield* Transport.Transport
      const error = yield* Effect.flip(Effect.scoped(
        transport.connect({ host: "127.0.0.1", port, timeouts: { connect: "300 millis" } })
      ))
      assert(error._tag === "TransportTimeout")
      expect(error.timer).toBe("connect")
    }).pipe(Effect.provide(layerTcp())))

  it.live("a write to a peer that never reads fails with TransportTimeout write once the socket buffers are full", () =>
    Effect.gen(function*() {
      const transport = yield* Transport.Transport
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, () => Effect.never)
      const connection = yield* transport.connect({
        host: "127.0.0.1",
        port: listener.address.port,
        timeouts: { write: "300 millis" }
      })
      const chunk = new Uint8Array(256 * 1024)
      let written = 0
      // bounded: 4 GiB would be far beyond any loopback socket buffer
      const error = yield* Effect.flip(Effect.repeat(
        Effect.tap(connection.write([chunk]), () => Effect.sync(() => written++)),
        { times: 16384 }
      ))
      assert(error._tag === "TransportTimeout")
      expect(error.timer).toBe("write")
      expect(written).toBeGreaterThan(0)
    }).pipe(Effect.provide(layerTcp())))

  it.live("the read idle timer fails the input with TransportTimeout readIdle when the peer is silent", () =>
    Effect.gen(function*() {
      const transport = yield* Transport.Transport
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, () => Effect.never)
      const connection = yield* transport.connect({ host: "127.0.0.1", port: listener.address.port })
      const error = yield* Effect.flip(Stream.runDrain(connection.input))
      assert(error._tag === "TransportTimeout")
      expect(error.timer).toBe("readIdle")
    }).pipe(Effect.provide(layerTcp({ timeouts: { readIdle: "200 millis" } }))))

  it.live("connecting to a closed port fails with reason ConnectRefused", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const server = Net.createServer().listen(0, "127.0.0.1", () => {
            const info = server.address()
            server.close(() => resolve(typeof info === "object" && info !== null ? info.port : 0))
          })
        })
      )
      const transport = yield* Transport.Transport
      const error = yield* Effect.flip(Effect.scoped(transport.connect({ host: "127.0.0.1", port })))
      assert(error._tag === "TransportError")
      expect(error.reason).toBe("ConnectRefused")
      expect(error.address).toBe(`127.0.0.1:${port}`)
    }).pipe(Effect.provide(layerTcp())))

  it.live("connection addresses are the loopback endpoints", () =>
    Effect.gen(function*() {
      const transport = yield* Transport.Transport
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, (c) => c.write([bytes(c.remoteAddress)]).pipe(Effect.ignore))
      const connection = yield* transport.connect({ host: "127.0.0.1", port: listener.address.port })
      expect(connection.remoteAddress).toBe(`127.0.0.1:${listener.address.port}`)
      const seen = new TextDecoder().decode((yield* Stream.runCollect(connection.input))[0])
      expect(seen).toBe(connection.localAddress)
    }).pipe(Effect.provide(layerTcp())))
})

describe("TCP transport · write batches", () => {
  it.live("batches of small and large chunks written in one tick (one corked writev) arrive byte-exact and in order", () =>
    Effect.gen(function*() {
      const transport = yield* Transport.Transport
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, echo)
      const connection = yield* transport.connect({ host: "127.0.0.1", port: listener.address.port })
      const chunk = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (seed + i) & 0xff)
      const small = [chunk(12, 1), chunk(100, 2), chunk(7, 3)]
      const large = [chunk(12, 4), chunk(40000, 5), chunk(12, 6), chunk(30000, 7)]
      yield* connection.write(small)
      yield* connection.write(large)
      yield* connection.write(small)
      yield* connection.close
      const received = yield* readAll(connection)
      expect(Buffer.from(received).equals(Buffer.from(concat([...small, ...large, ...small])))).toBe(true)
    }).pipe(Effect.provide(layerTcp())))
})

describe("TCP transport · young collections", () => {
  it.live("the chunks a connection reads are reported to Scavenge: 10 MiB read, 2 or 3 minor collections of an exposed gc", () =>
    Effect.gen(function*() {
      // Exposed for this test only (vitest runs without --expose-gc); what the process-wide counter held from
      // earlier tests (less than 4 MiB) may add one.
      const calls: Array<unknown> = []
      const global = globalThis as { gc?: unknown }
      yield* Effect.acquireRelease(Effect.sync(() => (global.gc = (options: unknown) => void calls.push(options))), () => Effect.sync(() => delete global.gc))
      const transport = yield* Transport.Transport
      const received = yield* Deferred.make<void>()
      let bytesRead = 0
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, (c) =>
        Stream.runForEach(c.input, (chunk) => Effect.sync(() => (bytesRead += chunk.byteLength))).pipe(Effect.andThen(Deferred.succeed(received, undefined)), Effect.ignore))
      const connection = yield* transport.connect({ host: "127.0.0.1", port: listener.address.port })
      const chunk = new Uint8Array(256 * 1024)
      // Writes are not reported (a sender may reuse its buffers): only the listener's reads count.
      for (let i = 0; i < 40; i++) yield* connection.write([chunk])
      yield* connection.close
      yield* Deferred.await(received)
      expect(bytesRead).toBe(10 * 1024 * 1024)
      expect(calls.length === 2 || calls.length === 3).toBe(true)
      expect(new Set(calls.map((c) => JSON.stringify(c)))).toEqual(new Set(['{"type":"minor"}']))
    }).pipe(Effect.provide(layerTcp())))
})
