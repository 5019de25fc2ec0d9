/**
 * The `Transport` service: open connections to peers and accept connections from them.
 * Implementations: `layerInMemory` here (pure, TestClock-friendly), `NodeTransport.layerTcp` and
 * `NodeTransport.layerTls` in `@dicomnet/transport-node`.
 *
 * @since 0.1.0
 */
import { Context, type Effect, Layer, type Scope } from "effect"
import type { Connection } from "./Connection.js"
import * as InMemory from "./InMemory.js"
import type { Timeouts } from "./Timeouts.js"
import type { TransportError, TransportTimeout } from "./TransportError.js"

/**
 * Where and how to connect. `timeouts` override the layer's timers for this connection;
 * `servername` is the TLS SNI / certificate host name (TLS transports only; default `host`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions {
  readonly host: string
  readonly port: number
  readonly timeouts?: Timeouts | undefined
  readonly servername?: string | undefined
}

/**
 * Where to listen (`port: 0` picks a free port; see `Listener.address`). `timeouts` apply to
 * the accepted connections (`readIdle`, `write`, `tlsHandshake`). `backlog` is the queue of
 * connections not yet accepted.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListenOptions {
  readonly host: string
  readonly port: number
  readonly timeouts?: Timeouts | undefined
  readonly backlog?: number | undefined
}

/**
 * A listening endpoint; it stops accepting and its connections are destroyed when its scope closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Listener {
  readonly address: { readonly host: string; readonly port: number }
}

/**
 * The service shape.
 * - `connect`: opens a connection, closed (gracefully, then destroyed) when the scope closes.
 * - `listen`: binds and starts accepting; each connection runs `handle` in its own fiber, and the
 *   connection is ended when `handle` ends (see `Connection.runHandler`).
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportShape {
  readonly connect: (options: ConnectOptions) => Effect.Effect<Connection, TransportError | TransportTimeout, Scope.Scope>
  readonly listen: <R>(
    options: ListenOptions,
    handle: (connection: Connection) => Effect.Effect<void, never, R>
  ) => Effect.Effect<Listener, TransportError, Scope.Scope | R>
}

/**
 * The transport service tag.
 *
 * @since 0.1.0
 * @category services
 */
export class Transport extends Context.Service<Transport, TransportShape>()("@dicomnet/transport/Transport") {}

/**
 * An in-memory transport: listeners are registered by "host:port" in a registry private to this
 * layer instance; connections are bounded byte pipes (see `InMemory.make`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInMemory = (options?: InMemory.Options): Layer.Layer<Transport> =>
  Layer.effect(Transport, InMemory.make(options))
