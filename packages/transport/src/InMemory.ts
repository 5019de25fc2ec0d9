/**
 * The in-memory transport: connections are pairs of bounded byte pipes, listeners live in a
 * registry private to one transport instance, and every wait is a fiber wait, so it runs under
 * `TestClock`. Backpressure is real: a pipe holds at most `capacity` chunks, a writer beyond
 * that waits (and trips the write timer if the peer never reads).
 *
 * @since 0.1.0
 */
import { type Array as Arr, type Cause, Deferred, Effect, FiberSet, Queue, type Scope } from "effect"
import * as Connection from "./Connection.js"
import * as Timeouts from "./Timeouts.js"
import type { ConnectOptions, Listener, ListenOptions, TransportShape } from "./Transport.js"
import { TransportError, TransportTimeout } from "./TransportError.js"

/**
 * In-memory transport options: `capacity` chunks per direction (default 16) and default timers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly capacity?: number | undefined
  readonly timeouts?: Timeouts.Timeouts | undefined
}

/**
 * The in-memory transport, plus `listenStalled`: a listener that is registered but never accepts,
 * so connecting to it waits until the connect timer fires.
 *
 * @since 0.1.0
 * @category models
 */
export interface InMemoryTransport extends TransportShape {
  readonly listenStalled: (options: ListenOptions) => Effect.Effect<Listener, TransportError, Scope.Scope>
}

type Pipe = Queue.Queue<Uint8Array, TransportError | Cause.Done>

interface Pending {
  readonly server: Connection.Owned
  readonly accepted: Deferred.Deferred<void, TransportError>
}

interface Registered {
  readonly backlog: Queue.Queue<Pending>
  readonly timeouts: Timeouts.Resolved
}

const side = (inbox: Pipe, outbox: Pipe, localAddress: string, remoteAddress: string): Connection.Primitives => {
  let ended = false
  let destroyed = false
  const closedError = (message: string) => new TransportError({ reason: "Closed", message, address: remoteAddress })
  // What fits in the pipe goes in at once (`undefined`); the rest waits for the peer to read.
  const tryWrite = (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>): Effect.Effect<void, TransportError> | undefined => {
    if (destroyed || ended) return Effect.fail(closedError(destroyed ? "connection destroyed" : "connection closed"))
    const waiting = Queue.offerAllUnsafe(outbox, chunks)
    if (waiting.length === 0) return undefined
    return Effect.flatMap(Queue.offerAll(outbox, waiting), (rest) =>
      rest.length === 0
        ? Effect.void
        : Effect.fail(new TransportError({ reason: "Reset", message: "peer reset the connection", address: remoteAddress })))
  }
  return {
    remoteAddress,
    localAddress,
    pull: Effect.suspend(() =>
      destroyed ? Effect.fail(closedError("connection destroyed locally")) : Queue.takeAll(inbox)
    ).pipe(
      // A take blocked while we destroy our side is resumed by the queue shutdown.
      Effect.catchCause((cause) => destroyed ? Effect.fail(closedError("connection destroyed locally")) : Effect.failCause(cause))
    ),
    write: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Effect.suspend(() => tryWrite(chunks) ?? Effect.void),
    tryWrite,
    close: Effect.suspend(() => {
      if (ended || destroyed) return Effect.void
      ended = true
      return Effect.asVoid(Queue.end(outbox))
    }),
    // After a graceful close: the peer's further writes fail, but its input just ends.
    release: Effect.suspend(() => {
      if (destroyed) return Effect.void
      destroyed = true
      return Effect.asVoid(Queue.shutdown(inbox))
    }),
    destroy: Effect.suspend(() => {
      if (destroyed) return Effect.void
      destroyed = true
      return Effect.all([
        Queue.shutdown(inbox),
        Effect.ignore(Queue.clear(outbox)),
        Queue.fail(outbox, new TransportError({ reason: "Reset", message: "peer reset the connection", address: localAddress }))
      ], { discard: true })
    })
  }
}

/**
 * Creates an in-memory transport with its own listener registry.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<InMemoryTransport> =>
  Effect.sync(() => {
    const capacity = options?.capacity ?? 16
    const registry = new Map<string, Registered>()
    let nextPort = 49152
    let nextClientPort = 32768

    const register = (listenOptions: ListenOptions) =>
      Effect.gen(function*() {
        let port = listenOptions.port
        if (port === 0) {
          while (registry.has(`${listenOptions.host}:${nextPort}`)) nextPort++
          port = nextPort++
        }
        const key = `${listenOptions.host}:${port}`
        if (registry.has(key)) {
          return yield* new TransportError({ reason: "AddressInUse", message: `address in use: ${key}`, address: key })
        }
        const backlog = yield* Queue.bounded<Pending>(Math.max(1, listenOptions.backlog ?? 128))
        const timeouts = Timeouts.resolve(options?.timeouts, listenOptions.timeouts)
        registry.set(key, { backlog, timeouts })
        yield* Effect.addFinalizer(() =>
          Effect.gen(function*() {
            registry.delete(key)
            const pending = yield* Queue.clear(backlog)
            yield* Queue.shutdown(backlog)
            for (const p of pending) yield* p.server.destroy
          })
        )
        const listener: Listener = { address: { host: listenOptions.host, port } }
        return { listener, backlog }
      })

    const connect = (connectOptions: ConnectOptions) => {
      const key = `${connectOptions.host}:${connectOptions.port}`
      const timeouts = Timeouts.resolve(options?.timeouts, connectOptions.timeouts)
      const open = Effect.gen(function*() {
        const registered = registry.get(key)
        if (registered === undefined) {
          return yield* new TransportError({ reason: "ConnectRefused", message: `connection refused: ${key}`, address: key })
        }
        const toServer: Pipe = yield* Queue.bounded<Uint8Array, TransportError | Cause.Done>(capacity)
        const toClient: Pipe = yield* Queue.bounded<Uint8Array, TransportError | Cause.Done>(capacity)
        const clientAddress = `${connectOptions.host === "localhost" ? "127.0.0.1" : connectOptions.host}:${nextClientPort++}`
        const client = Connection.make(side(toClient, toServer, clientAddress, key), timeouts)
        const server = Connection.make(side(toServer, toClient, key, clientAddress), registered.timeouts)
        const accepted = yield* Deferred.make<void, TransportError>()
        return yield* Effect.gen(function*() {
          yield* Queue.offer(registered.backlog, { server, accepted })
          yield* Deferred.await(accepted)
          return client
        }).pipe(
          Effect.timeoutOrElse({
            duration: timeouts.connect,
            orElse: () => Effect.fail(new TransportTimeout({ timer: "connect", millis: timeouts.connect, address: key }))
          }),
          Effect.onError(() =>
            Effect.all([
              Deferred.fail(accepted, new TransportError({ reason: "Closed", message: "connect abandoned", address: key })),
              server.destroy,
              client.destroy
            ], { discard: true })
          )
        )
      })
      return Effect.acquireRelease(open, (c) => c.finalize).pipe(Effect.map((c): Connection.Connection => c))
    }

    const listen = <R>(
      listenOptions: ListenOptions,
      handle: (connection: Connection.Connection) => Effect.Effect<void, never, R>
    ): Effect.Effect<Listener, TransportError, Scope.Scope | R> =>
      Effect.gen(function*() {
        const { listener, backlog } = yield* register(listenOptions)
        const handlers = yield* FiberSet.make()
        yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
          const pending = yield* Queue.take(backlog)
          const won = yield* Deferred.succeed(pending.accepted, undefined)
          if (won) yield* FiberSet.run(handlers, Connection.runHandler(pending.server, handle))
        })))
        return listener
      })

    const listenStalled = (listenOptions: ListenOptions) => Effect.map(register(listenOptions), (r) => r.listener)

    return { connect, listen, listenStalled }
  })
