/**
 * An association pool: `withAssociation(options, use)` reuses an idle association to the same peer
 * (AE titles, host, port and the same set of presentation contexts) instead of negotiating a new one.
 * At most `maxPerPeer` associations per peer are open at once (further users wait); an idle
 * association is released after `idleTimeout`; an association that broke (ended, aborted, timed out)
 * is discarded, never reused. Closing the pool's scope releases every idle association.
 *
 * @since 0.1.0
 */
import type { Transport } from "@dicomnet/transport"
import { Duration, Effect, Exit, Fiber, Metric, type Scope, Semaphore } from "effect"
import * as Scopes from "effect/Scope"
import { type Association, type RequestError, type RequestOptions, request } from "./Association.js"

/** Pool options. @category options */
export interface PoolOptions {
  /** How long an unused association stays open (default 60 s). */
  readonly idleTimeout?: Duration.Input | undefined
  /** At most this many associations per peer at once (default 4). */
  readonly maxPerPeer?: number | undefined
}

/** What happens to pooled associations, by `event`: opened, reused, discarded (broken), idle_released, closed (pool closed). @category metrics */
export const poolAssociationsTotal = Metric.counter("dicomnet_pool_associations_total", {
  description: "pooled DICOM associations by event",
  incremental: true
})

type PoolEvent = "opened" | "reused" | "discarded" | "idle_released" | "closed"
const counters: Record<PoolEvent, Metric.Metric<number, Metric.CounterState<number>>> = {
  opened: Metric.withAttributes(poolAssociationsTotal, { event: "opened" }),
  reused: Metric.withAttributes(poolAssociationsTotal, { event: "reused" }),
  discarded: Metric.withAttributes(poolAssociationsTotal, { event: "discarded" }),
  idle_released: Metric.withAttributes(poolAssociationsTotal, { event: "idle_released" }),
  closed: Metric.withAttributes(poolAssociationsTotal, { event: "closed" })
}
const count = (event: PoolEvent) => Metric.update(counters[event], 1)

/** Defaults of `PoolOptions`. @category constants */
export const defaults = { idleTimeout: "60 seconds", maxPerPeer: 4 } as const

/** A pool of associations. @category models */
export interface Pool {
  /**
   * Runs `use` with an association to the peer of `options`: an idle one when there is one, else a new
   * one. Afterwards the association goes back to the pool, unless it broke (it is then discarded).
   */
  readonly withAssociation: <A, E, R>(
    options: RequestOptions,
    use: (association: Association) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | RequestError, R>
  /** Associations open now (idle and in use), over all peers. */
  readonly size: Effect.Effect<number>
  /** Idle associations now, over all peers. */
  readonly idle: Effect.Effect<number>
}

interface Entry {
  readonly association: Association
  readonly scope: Scopes.Closeable
  /** Set once the association has ended (watched by a fiber). */
  ended: boolean
  timer: Fiber.Fiber<void> | undefined
}

interface Peer {
  readonly permits: Semaphore.Semaphore
  readonly idle: Array<Entry>
}

/**
 * The pool key of an association request: AE titles, host, port and the set of contexts (in any order).
 * Other options (timeouts, handlers, user identity, ...) are those of the request that opened the association.
 * @category getters
 */
export const peerKey = (options: RequestOptions): string => {
  const contexts = options.contexts
    .map((c) => JSON.stringify([c.abstractSyntax, c.transferSyntaxes ?? null, c.scuRole ?? null, c.scpRole ?? null]))
    .sort()
  return JSON.stringify([options.callingAeTitle ?? "", options.calledAeTitle ?? "", options.host, options.port, contexts])
}

// Failures after which the association must not be reused: it ended, or the peer's state is unknown.
const brokenTags = new Set([
  "AssociationAborted",
  "AssociationTimeout",
  "AssociationRejected",
  "TransportError",
  "TransportTimeout",
  "DimseTimeout",
  "SessionClosed"
])

const breaks = <A, E>(exit: Exit.Exit<A, E>): boolean => {
  if (Exit.isSuccess(exit)) return false
  for (const reason of exit.cause.reasons) {
    if (reason._tag !== "Fail") return true // a defect or an interruption mid-operation
    const error = reason.error
    if (typeof error === "object" && error !== null && "_tag" in error && brokenTags.has(String(error._tag))) return true
  }
  return false
}

/**
 * Makes a pool in the current scope (its idle associations are released when the scope closes).
 * @category constructors
 */
export const make = (options: PoolOptions = {}): Effect.Effect<Pool, never, Scope.Scope | Transport.Transport> =>
  Effect.gen(function* () {
    const idleTimeout = Duration.fromInputUnsafe(options.idleTimeout ?? defaults.idleTimeout)
    const maxPerPeer = Math.max(1, options.maxPerPeer ?? defaults.maxPerPeer)
    const poolScope = yield* Effect.scope
    const context = yield* Effect.context<Transport.Transport>()
    const peers = new Map<string, Peer>()
    const open = new Set<Entry>()

    const peerOf = (key: string): Peer => {
      let peer = peers.get(key)
      if (peer === undefined) {
        peer = { permits: Semaphore.makeUnsafe(maxPerPeer), idle: [] }
        peers.set(key, peer)
      }
      return peer
    }

    /** Ends an entry: release on success, abort otherwise (the association's own finalizer decides). */
    const close = (entry: Entry, exit: Exit.Exit<unknown, unknown>) =>
      Effect.suspend(() => {
        open.delete(entry)
        const timer = entry.timer
        entry.timer = undefined
        return Effect.andThen(timer === undefined ? Effect.void : Fiber.interrupt(timer), Scopes.close(entry.scope, exit))
      })

    const remove = (peer: Peer, entry: Entry) => {
      const i = peer.idle.indexOf(entry)
      if (i >= 0) peer.idle.splice(i, 1)
    }

    const acquire = (peer: Peer, requestOptions: RequestOptions): Effect.Effect<Entry, RequestError> =>
      Effect.gen(function* () {
        for (;;) {
          const entry = peer.idle.pop()
          if (entry === undefined) break
          if (entry.timer !== undefined) yield* Fiber.interrupt(entry.timer)
          entry.timer = undefined
          if (!entry.ended) {
            yield* count("reused")
            return entry
          }
          yield* close(entry, Exit.void)
          yield* count("discarded")
        }
        const scope = yield* Scopes.fork(poolScope)
        const association = yield* request(requestOptions).pipe(
          Scopes.provide(scope),
          Effect.provideContext(context),
          Effect.onError((cause) => Scopes.close(scope, Exit.failCause(cause)))
        )
        const entry: Entry = { association, scope, ended: false, timer: undefined }
        open.add(entry)
        yield* count("opened")
        // Watch for the end of the association (peer release or abort, ARTIM, ...): an ended one leaves the pool.
        yield* Effect.forkIn(
          Effect.andThen(association.awaitClose, () =>
            Effect.suspend(() => {
              entry.ended = true
              if (!peer.idle.includes(entry)) return Effect.void
              remove(peer, entry)
              return Effect.andThen(close(entry, Exit.void), count("discarded"))
            })
          ),
          scope
        )
        return entry
      })

    const giveBack = (peer: Peer, entry: Entry, exit: Exit.Exit<unknown, unknown>) =>
      Effect.gen(function* () {
        if (entry.ended || breaks(exit)) {
          yield* count("discarded")
          return yield* close(entry, Exit.isFailure(exit) ? exit : Exit.void)
        }
        peer.idle.push(entry)
        entry.timer = yield* Effect.forkIn(
          Effect.andThen(Effect.sleep(idleTimeout), () =>
            Effect.suspend(() => {
              entry.timer = undefined
              remove(peer, entry)
              return Effect.andThen(count("idle_released"), close(entry, Exit.void))
            })
          ),
          poolScope
        )
      })

    const withAssociation = <A, E, R>(
      requestOptions: RequestOptions,
      use: (association: Association) => Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | RequestError, R> => {
      const peer = peerOf(peerKey(requestOptions))
      return peer.permits.withPermit(
        Effect.acquireUseRelease(
          acquire(peer, requestOptions),
          (entry) => use(entry.association),
          (entry, exit) => giveBack(peer, entry, exit)
        )
      )
    }

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const all = [...open]
        for (const peer of peers.values()) peer.idle.length = 0
        return Effect.forEach(all, (entry) => Effect.andThen(count("closed"), close(entry, Exit.void)), { discard: true })
      })
    )

    return {
      withAssociation,
      size: Effect.sync(() => open.size),
      idle: Effect.sync(() => {
        let n = 0
        for (const peer of peers.values()) n += peer.idle.length
        return n
      })
    }
  })
