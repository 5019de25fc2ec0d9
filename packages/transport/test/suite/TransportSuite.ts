/**
 * The behaviours every Transport must have, as one suite run over each implementation
 * (in-memory here; TCP and TLS in @dicomnet/transport-node).
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, type Layer, Scope, Stream } from "effect"
import type { Connection } from "../../src/Connection.js"
import { Transport } from "../../src/Transport.js"

export interface SuiteOptions {
  /** Implementation name shown in the test titles. */
  readonly name: string
  /** A fresh transport layer per test. */
  readonly layer: () => Layer.Layer<Transport, unknown>
  /** Host to listen on and connect to. */
  readonly host: string
  /** Real clock (sockets) or TestClock (in-memory). */
  readonly live: boolean
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
export const text = (data: Uint8Array): string => new TextDecoder().decode(data)

export const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  let n = 0
  for (const c of chunks) n += c.length
  const out = new Uint8Array(n)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.length
  }
  return out
}

/** Reads a connection's input to its end. */
export const readAll = (connection: Connection) => Effect.map(Stream.runCollect(connection.input), concat)

/** Server handler: writes back every chunk, then (when the input ends) returns. */
export const echo = (connection: Connection): Effect.Effect<void> =>
  Stream.runForEach(connection.input, (chunk) => connection.write([chunk])).pipe(Effect.ignore)

/** A deterministic payload: chunk `i` has `(i * 37) % 4096 + 1` bytes of `(i + j) & 0xff`. */
export const pattern = (count: number): Array<Uint8Array> =>
  Array.from({ length: count }, (_, i) => {
    const chunk = new Uint8Array(((i * 37) % 4096) + 1)
    for (let j = 0; j < chunk.length; j++) chunk[j] = (i + j) & 0xff
    return chunk
  })

export const transportSuite = (options: SuiteOptions): void => {
  const test = options.live ? it.live : it.effect
  const host = options.host
  const run = <A, E>(body: Effect.Effect<A, E, Transport | Scope.Scope>) =>
    Effect.scoped(body).pipe(Effect.provide(options.layer()))

  describe(`Transport over ${options.name}`, () => {
    test("delivers bytes both ways; the client's half-close ends the server's input", () =>
      run(Effect.gen(function*() {
        const transport = yield* Transport
        const listener = yield* transport.listen({ host, port: 0 }, echo)
        expect(listener.address.port).toBeGreaterThan(0)
        const connection = yield* transport.connect({ host, port: listener.address.port })
        yield* connection.write([bytes("hello "), bytes("world")])
        yield* connection.close
        // the echo only returns once the server's input has ended, so the client's input ends too
        expect(text(yield* readAll(connection))).toBe("hello world")
      })))

    test("keeps 600 chunks of varying sizes in order", () =>
      run(Effect.gen(function*() {
        const transport = yield* Transport
        const listener = yield* transport.listen({ host, port: 0 }, echo)
        const connection = yield* transport.connect({ host, port: listener.address.port })
        const chunks = pattern(600)
        const reader = yield* Effect.forkChild(readAll(connection))
        for (let i = 0; i < chunks.length; i += 10) yield* connection.write(chunks.slice(i, i + 10))
        yield* connection.close
        const received = yield* Fiber.join(reader)
        const sent = concat(chunks)
        expect(received.length).toBe(sent.length)
        expect(Buffer.from(received).equals(Buffer.from(sent))).toBe(true)
      })))

    test("after the client's half-close the server still answers on the same connection", () =>
      run(Effect.gen(function*() {
        const transport = yield* Transport
        const listener = yield* transport.listen({ host, port: 0 }, (connection) =>
          readAll(connection).pipe(
            Effect.flatMap((all) => connection.write([bytes(`got ${all.length} bytes`)])),
            Effect.ignore
          ))
        const connection = yield* transport.connect({ host, port: listener.address.port })
        yield* connection.write([new Uint8Array(1000), new Uint8Array(234)])
        yield* connection.close
        expect(text(yield* readAll(connection))).toBe("got 1234 bytes")
      })))

    test("a server-side destroy fails the client's input with reason Reset", () =>
      run(Effect.gen(function*() {
        const transport = yield* Transport
        const listener = yield* transport.listen({ host, port: 0 }, (connection) =>
          Stream.runHead(connection.input).pipe(Effect.ignore, Effect.andThen(connection.destroy)))
        const connection = yield* transport.connect({ host, port: listener.address.port })
        yield* connection.write([bytes("x")])
        const error = yield* Effect.flip(readAll(connection))
        assert(error._tag === "TransportError")
        expect(error.reason).toBe("Reset")
      })))

    test("a client-side destroy fails the server's input with reason Reset", () =>
      run(Effect.gen(function*() {
        const transport = yield* Transport
        const seen = yield* Deferred.make<string>()
        const started = yield* Deferred.make<void>()
        const listener = yield* transport.listen({ host, port: 0 }, (connection) =>
          connection.input.pipe(
            Stream.tap(() => Deferred.succeed(started, undefined)),
            Stream.runDrain,
            Effect.flip,
            Effect.flatMap((e) => Deferred.succeed(seen, e._tag === "TransportError" ? e.reason : e.timer)),
            Effect.ignore
          ))
        const connection = yield* transport.connect({ host, port: listener.address.port })
        yield* connection.write([bytes("partial")])
        yield* Deferred.await(started) // the server is reading this connection
        yield* connection.destroy
        expect(yield* Deferred.await(seen)).toBe("Reset")
      })))

    test("serves 25 concurrent connections, each with its own bytes", () =>
      run(Effect.gen(function*() {
        const transport = yield* Transport
        const listener = yield* transport.listen({ host, port: 0 }, echo)
        const replies = yield* Effect.forEach(Array.from({ length: 25 }, (_, i) => i), (i) =>
          Effect.scoped(Effect.gen(function*() {
            const connection = yield* transport.connect({ host, port: listener.address.port })
            yield* connection.write([bytes(`client ${i} `), bytes("says hi")])
            yield* connection.close
            return text(yield* readAll(connection))
          })), { concurrency: "unbounded" })
        expect(replies).toEqual(Array.from({ length: 25 }, (_, i) => `client ${i} says hi`))
      })))

    test("stops accepting when the listener's scope closes: connecting is then refused (ConnectRefused)", () =>
      run(Effect.gen(function*() {
        const transport = yield* Transport
        const scope = yield* Scope.make()
        const listener = yield* transport.listen({ host, port: 0 }, echo).pipe(Scope.provide(scope))
        const port = listener.address.port
        yield* Effect.scoped(Effect.gen(function*() {
          const connection = yield* transport.connect({ host, port })
          yield* connection.write([bytes("ping")])
          yield* connection.close
          expect(text(yield* readAll(connection))).toBe("ping")
        }))
        yield* Scope.close(scope, Exit.void)
        const error = yield* Effect.flip(Effect.scoped(transport.connect({ host, port })))
        assert(error._tag === "TransportError")
        expect(error.reason).toBe("ConnectRefused")
      })))

    test("a listener on an address in use fails with reason AddressInUse", () =>
      run(Effect.gen(function*() {
        const transport = yield* Transport
        const listener = yield* transport.listen({ host, port: 0 }, echo)
        const error = yield* Effect.flip(transport.listen({ host, port: listener.address.port }, echo))
        expect(error.reason).toBe("AddressInUse")
      })))
  })
}
