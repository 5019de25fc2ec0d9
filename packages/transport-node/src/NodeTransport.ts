/**
 * TCP and TLS transports on Node's `node:net` / `node:tls` (used directly rather than through
 * `NodeSocket` for TCP no-delay, RST on destroy, pull-based reads and the TLS peer certificate).
 * TCP no-delay is on by default on both connected and accepted sockets.
 *
 * @since 0.1.0
 */
import * as Net from "node:net"
import * as Tls from "node:tls"
import { Connection, Timeouts, Transport, TransportError, TransportTimeout } from "@dicomnet/transport"
import { Effect, FiberSet, Layer, Queue, type Scope } from "effect"
import { adopt, formatAddress, peerCertificate, toTransportError } from "./internal/socket.js"

/**
 * TCP options: default timers for every connection, and TCP no-delay (default true).
 *
 * @since 0.1.0
 * @category models
 */
export interface TcpOptions {
  readonly timeouts?: Timeouts.Timeouts | undefined
  readonly noDelay?: boolean | undefined
}

/**
 * TLS options (one identity for both roles, as a DICOM node is usually both SCU and SCP).
 * - `key`/`cert`: our certificate (required to listen; presented as client certificate when set).
 * - `ca`: trusted CAs for verifying the peer (default: Node's root store).
 * - `clientCertificate`: when listening, "none" (default), "optional" (verified if presented) or
 *   "required" (mutual TLS).
 * - `rejectUnauthorized`: when connecting, verify the server's certificate (default true).
 * - `servername`: SNI / expected server host name (default: the connect host).
 * - `ciphers`, `minVersion` (default "TLSv1.2"), `maxVersion`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TlsOptions extends TcpOptions {
  readonly key?: string | Buffer | undefined
  readonly cert?: string | Buffer | undefined
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined
  readonly clientCertificate?: "none" | "optional" | "required" | undefined
  readonly rejectUnauthorized?: boolean | undefined
  readonly servername?: string | undefined
  readonly ciphers?: string | undefined
  readonly minVersion?: Tls.SecureVersion | undefined
  readonly maxVersion?: Tls.SecureVersion | undefined
}

const ignore = () => {}

/** Connects, bounded by the connect timer: a plain `setTimeout` inside the callback (no timer fiber per connect). */
const connectRaw = (host: string, port: number, noDelay: boolean, address: string, millis: number) =>
  Effect.callback<Net.Socket, TransportError | TransportTimeout>((resume) => {
    const socket = Net.connect({ host, port, allowHalfOpen: true, noDelay })
    socket.on("error", ignore) // errors after this point are observed by `adopt`
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer)
      socket.off("connect", onConnect)
      socket.off("error", onError)
    }
    const onConnect = () => {
      cleanup()
      socket.setNoDelay(noDelay)
      resume(Effect.succeed(socket))
    }
    const onError = (cause: Error) => {
      cleanup()
      resume(Effect.fail(toTransportError(cause, address)))
    }
    const timer = Number.isFinite(millis)
      ? setTimeout(() => {
        cleanup()
        socket.destroy()
        resume(Effect.fail(new TransportTimeout({ timer: "connect", millis, address })))
      }, millis)
      : undefined
    socket.once("connect", onConnect)
    socket.once("error", onError)
    return Effect.sync(() => {
      cleanup()
      socket.destroy()
    })
  })

const handshake = (secure: Tls.TLSSocket, event: "secureConnect" | "secure", address: string) =>
  Effect.callback<Tls.TLSSocket, TransportError>((resume) => {
    const cleanup = () => {
      secure.off(event, onSecure)
      secure.off("error", onError)
      secure.off("close", onClose)
    }
    const onSecure = () => {
      cleanup()
      resume(Effect.succeed(secure))
    }
    const onError = (cause: Error) => {
      cleanup()
      resume(Effect.fail(toTransportError(cause, address, true)))
    }
    const onClose = () => {
      cleanup()
      resume(Effect.fail(new TransportError({ reason: "Tls", message: "connection closed during the TLS handshake", address })))
    }
    secure.once(event, onSecure)
    secure.once("error", onError)
    secure.once("close", onClose)
    return Effect.sync(() => {
      cleanup()
      secure.destroy()
    })
  })

const withTimer = <A>(
  effect: Effect.Effect<A, TransportError>,
  timer: "connect" | "tlsHandshake",
  millis: number,
  address: string
): Effect.Effect<A, TransportError | TransportTimeout> =>
  Number.isFinite(millis)
    ? Effect.timeoutOrElse(effect, {
      duration: millis,
      orElse: () => Effect.fail(new TransportTimeout({ timer, millis, address }))
    })
    : effect

const caList = (ca: TlsOptions["ca"]): string | Buffer | Array<string | Buffer> | undefined =>
  ca === undefined ? undefined : typeof ca === "string" || Buffer.isBuffer(ca) ? ca : [...ca]

/** Node TLS options with `undefined` members left out (exactOptionalPropertyTypes). */
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T

const make = (options: TcpOptions, tls: TlsOptions | undefined): Transport.TransportShape => {
  const noDelay = options.noDelay ?? true
  const contextOptions = tls === undefined ? undefined : defined({
    key: tls.key,
    cert: tls.cert,
    ca: caList(tls.ca),
    ciphers: tls.ciphers,
    minVersion: tls.minVersion ?? "TLSv1.2",
    maxVersion: tls.maxVersion
  })
  // Built once, so a bad key or certificate fails when the layer is built.
  const secureContext = contextOptions === undefined ? undefined : Tls.createSecureContext(contextOptions)

  const connect = (connectOptions: Transport.ConnectOptions) => {
    const address = formatAddress(connectOptions.host, connectOptions.port)
    const timeouts = Timeouts.resolve(options.timeouts, connectOptions.timeouts)
    const open = Effect.gen(function*() {
      const raw = yield* connectRaw(connectOptions.host, connectOptions.port, noDelay, address, timeouts.connect)
      if (tls === undefined || secureContext === undefined) return adopt(raw, raw, timeouts)
      const servername = connectOptions.servername ?? tls.servername ?? connectOptions.host
      const secure = Tls.connect(defined({
        socket: raw,
        secureContext,
        servername: Net.isIP(servername) === 0 ? servername : undefined,
        checkServerIdentity: Net.isIP(servername) === 0
          ? undefined
          : (_host: string, cert: Tls.PeerCertificate) => Tls.checkServerIdentity(servername, cert),
        rejectUnauthorized: tls.rejectUnauthorized ?? true
      }))
      secure.on("error", ignore)
      yield* withTimer(handshake(secure, "secureConnect", address), "tlsHandshake", timeouts.tlsHandshake, address).pipe(
        Effect.onError(() => Effect.sync(() => raw.destroy()))
      )
      return adopt(secure, raw, timeouts, peerCertificate(secure))
    })
    return Effect.acquireRelease(open, (c) => c.finalize).pipe(Effect.map((c): Connection.Connection => c))
  }

  // Decides on an accepted socket (already past the TLS handshake when TLS is on).
  const accept = (socket: Net.Socket, timeouts: Timeouts.Resolved): Effect.Effect<Connection.Owned, TransportError> => {
    if (tls === undefined || !(socket instanceof Tls.TLSSocket)) return Effect.succeed(adopt(socket, socket, timeouts))
    // tls.Server wraps the accepted TCP socket; we keep it to reset (RST) on destroy.
    const raw = (socket as unknown as { readonly _parent?: Net.Socket })._parent ?? socket
    const certificate = peerCertificate(socket)
    // Verified here rather than by tls.Server, which would end the connection quietly (FIN, no
    // alert) under TLS 1.3: a reset makes the rejection visible to the client as a failure.
    const mode = tls.clientCertificate ?? "none"
    if ((mode === "required" || (mode === "optional" && certificate !== undefined)) && !socket.authorized) {
      return Effect.sync(() => (raw.destroyed ? undefined : raw.resetAndDestroy())).pipe(
        Effect.andThen(Effect.fail(new TransportError({
          reason: "Tls",
          message: `client certificate rejected: ${String(socket.authorizationError ?? "none presented")}`,
          address: formatAddress(raw.remoteAddress, raw.remotePort)
        })))
      )
    }
    return Effect.succeed(adopt(socket, raw, timeouts, certificate))
  }

  const listen = <R>(
    listenOptions: Transport.ListenOptions,
    handle: (connection: Connection.Connection) => Effect.Effect<void, never, R>
  ): Effect.Effect<Transport.Listener, TransportError, Scope.Scope | R> =>
    Effect.gen(function*() {
      const timeouts = Timeouts.resolve(options.timeouts, listenOptions.timeouts)
      const pending = yield* Queue.unbounded<Net.Socket>()
      const bindAddress = formatAddress(listenOptions.host, listenOptions.port)
      const server = yield* Effect.acquireRelease(
        Effect.callback<Net.Server, TransportError>((resume) => {
          const mode = tls?.clientCertificate ?? "none"
          const server = secureContext === undefined
            ? Net.createServer({ allowHalfOpen: true, noDelay })
            : Tls.createServer({
              ...contextOptions,
              allowHalfOpen: true,
              noDelay,
              requestCert: mode !== "none",
              rejectUnauthorized: false, // checked in `accept`
              handshakeTimeout: Number.isFinite(timeouts.tlsHandshake) ? timeouts.tlsHandshake : 0
            })
          const enqueue = (socket: Net.Socket) => {
            if (!Queue.offerUnsafe(pending, socket)) socket.destroy()
          }
          server.on("connection", (raw: Net.Socket) => {
            raw.on("error", ignore)
            raw.setNoDelay(noDelay)
            if (secureContext === undefined) enqueue(raw)
          })
          if (secureContext !== undefined) {
            server.on("secureConnection", (socket: Tls.TLSSocket) => {
              socket.on("error", ignore)
              enqueue(socket)
            })
            // failed handshakes (bad or missing client certificate, version, timeout) stay local
            server.on("tlsClientError", ignore)
          }
          const onError = (cause: Error) => {
            server.off("listening", onListening)
            resume(Effect.fail(toTransportError(cause, bindAddress)))
          }
          const onListening = () => {
            server.off("error", onError)
            server.on("error", ignore)
            resume(Effect.succeed(server))
          }
          server.once("error", onError)
          server.once("listening", onListening)
          server.listen(defined({ host: listenOptions.host, port: listenOptions.port, backlog: listenOptions.backlog }))
          return Effect.sync(() => server.close())
        }),
        (server) =>
          Effect.gen(function*() {
            server.close()
            for (const raw of yield* Queue.clear(pending)) raw.destroy()
            yield* Queue.shutdown(pending)
          })
      )
      const handlers = yield* FiberSet.make()
      yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
        const socket = yield* Queue.take(pending)
        yield* FiberSet.run(handlers, accept(socket, timeouts).pipe(
          Effect.matchEffect({
            onFailure: (error) => Effect.logDebug("dicomnet transport: connection not accepted", error),
            onSuccess: (connection) => Connection.runHandler(connection, handle)
          })
        ))
      })))
      const info = server.address()
      return {
        address: typeof info === "object" && info !== null
          ? { host: info.address, port: info.port }
          : { host: listenOptions.host, port: listenOptions.port }
      }
    })

  return { connect, listen }
}

/**
 * Creates a plain TCP transport.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTcp = (options?: TcpOptions): Transport.TransportShape => make(options ?? {}, undefined)

/**
 * Creates a TLS transport (see `TlsOptions`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTls = (options: TlsOptions): Transport.TransportShape => make(options, options)

/**
 * Provides `Transport` over plain TCP.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTcp = (options?: TcpOptions): Layer.Layer<Transport.Transport> =>
  Layer.sync(Transport.Transport, () => makeTcp(options))

/**
 * Provides `Transport` over TLS; building the layer fails if the key, certificate or CA is invalid.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTls = (options: TlsOptions): Layer.Layer<Transport.Transport, TransportError> =>
  Layer.effect(
    Transport.Transport,
    Effect.try({
      try: () => makeTls(options),
      catch: (cause) => toTransportError(cause, "tls-configuration", true)
    })
  )
