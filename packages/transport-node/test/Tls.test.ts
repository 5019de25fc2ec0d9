import * as Net from "node:net"
import { assert, describe, expect, it } from "@effect/vitest"
import { Transport } from "@dicomnet/transport"
import { Deferred, Effect, Stream } from "effect"
import { afterAll } from "vitest"
import { bytes, readAll, text, transportSuite } from "../../transport/test/suite/TransportSuite.js"
import { layerTls, type TlsOptions } from "../src/NodeTransport.js"
import { generateCertificates } from "./certificates.js"

const certs = generateCertificates()
afterAll(() => certs.cleanup())

/** Mutual TLS: both ends present a certificate signed by the test CA and require the peer's. */
const mutual: TlsOptions = {
  key: certs.serverKey,
  cert: certs.serverCert,
  ca: certs.ca,
  clientCertificate: "required"
}
const server = (extra: Partial<TlsOptions> = {}) => layerTls({ ...mutual, ...extra })
const client = (extra: Partial<TlsOptions> = {}) =>
  layerTls({ key: certs.clientKey, cert: certs.clientCert, ca: certs.ca, ...extra })

transportSuite({ name: "TLS (mutual, loopback)", layer: () => server(), host: "127.0.0.1", live: true })

/** Listens with `serverLayer`'s transport and connects with `clientLayer`'s. */
const across = <A, E>(
  serverOptions: Partial<TlsOptions>,
  clientOptions: Partial<TlsOptions>,
  body: (port: number, connect: Transport.TransportShape["connect"], accepted: Deferred.Deferred<string>) => Effect.Effect<A, E, import("effect").Scope.Scope>
) =>
  Effect.gen(function*() {
    const current = Effect.gen(function*() {
      return yield* Transport.Transport
    })
    const serverTransport = yield* Effect.provide(current, server(serverOptions))
    const clientTransport = yield* Effect.provide(current, client(clientOptions))
    const accepted = yield* Deferred.make<string>()
    const listener = yield* serverTransport.listen({ host: "127.0.0.1", port: 0 }, (connection) =>
      Deferred.succeed(accepted, connection.peerCertificate?.subject ?? "no certificate").pipe(
        Effect.andThen(Stream.runForEach(connection.input, (chunk) => connection.write([chunk]))),
        Effect.ignore
      ))
    return yield* body(listener.address.port, clientTransport.connect, accepted)
  })

describe("TLS transport · certificates and versions", () => {
  it.live("mutual TLS: each side sees the other's certificate", () =>
    across({}, {}, (port, connect, accepted) =>
      Effect.gen(function*() {
        const connection = yield* connect({ host: "127.0.0.1", port })
        expect(connection.peerCertificate?.subject).toBe("CN=localhost,O=dicomnet")
        expect(connection.peerCertificate?.issuer).toBe("CN=dicomnet test CA")
        expect(connection.peerCertificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
        yield* connection.write([bytes("over TLS")])
        yield* connection.close
        expect(text(yield* readAll(connection))).toBe("over TLS")
        expect(yield* Deferred.await(accepted)).toBe("CN=storescu,O=dicomnet")
      })))

  it.live("the servername option verifies the server certificate against a DNS name", () =>
    across({}, {}, (port, connect) =>
      Effect.gen(function*() {
        const connection = yield* connect({ host: "127.0.0.1", port, servername: "localhost" })
        expect(connection.peerCertificate?.subject).toBe("CN=localhost,O=dicomnet")
      })))

  it.live("a server certificate for another name is rejected with reason Tls", () =>
    across({}, {}, (port, connect) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(connect({ host: "127.0.0.1", port, servername: "pacs.example.org" }))
        assert(error._tag === "TransportError")
        expect(error.reason).toBe("Tls")
      })))

  it.live("a client without a certificate is rejected when the server requires one", () =>
    across({}, { key: undefined, cert: undefined }, (port, connect, accepted) =>
      Effect.gen(function*() {
        // TLS 1.3 finishes the client's handshake before the server checks: the failure may come
        // from connect or from the first read; either way it is a TransportError and no handler runs.
        const error = yield* Effect.flip(Effect.gen(function*() {
          const connection = yield* connect({ host: "127.0.0.1", port })
          yield* connection.write([bytes("hello?")])
          return yield* readAll(connection)
        }))
        assert(error._tag === "TransportError")
        expect(["Tls", "Reset"]).toContain(error.reason)
        expect(yield* Deferred.isDone(accepted)).toBe(false)
      })))

  it.live("a client certificate not signed by a trusted CA is rejected", () =>
    across({}, { key: certs.rogueKey, cert: certs.rogueCert }, (port, connect, accepted) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Effect.gen(function*() {
          const connection = yield* connect({ host: "127.0.0.1", port })
          yield* connection.write([bytes("hello?")])
          return yield* readAll(connection)
        }))
        assert(error._tag === "TransportError")
        expect(["Tls", "Reset"]).toContain(error.reason)
        expect(yield* Deferred.isDone(accepted)).toBe(false)
      })))

  it.live("an optional client certificate may be absent", () =>
    across({ clientCertificate: "optional" }, { key: undefined, cert: undefined }, (port, connect, accepted) =>
      Effect.gen(function*() {
        const connection = yield* connect({ host: "127.0.0.1", port })
        yield* connection.write([bytes("anonymous")])
        yield* connection.close
        expect(text(yield* readAll(connection))).toBe("anonymous")
        expect(yield* Deferred.await(accepted)).toBe("no certificate")
      })))

  it.live("a client limited to TLS 1.2 is rejected by a server whose minimum is TLS 1.3", () =>
    across({ minVersion: "TLSv1.3" }, { maxVersion: "TLSv1.2" }, (port, connect, accepted) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(connect({ host: "127.0.0.1", port }))
        assert(error._tag === "TransportError")
        expect(error.reason).toBe("Tls")
        expect(yield* Deferred.isDone(accepted)).toBe(false)
      })))

  it.live("a client below the default minimum (TLS 1.2) is rejected", () =>
    Effect.gen(function*() {
      // the client end is plain node:tls here, since our own layer refuses to go below TLS 1.2
      const transport = yield* Transport.Transport
      const listener = yield* transport.listen({ host: "127.0.0.1", port: 0 }, () => Effect.void)
      const outcome = yield* Effect.promise(() =>
        new Promise<string>((resolve) => {
          const tls = require("node:tls") as typeof import("node:tls")
          const socket = tls.connect({
            host: "127.0.0.1",
            port: listener.address.port,
            ca: certs.ca,
            minVersion: "TLSv1",
            maxVersion: "TLSv1.1",
            ciphers: "DEFAULT:@SECLEVEL=0"
          })
          socket.on("secureConnect", () => resolve("connected"))
          socket.on("error", () => resolve("rejected"))
        })
      )
      expect(outcome).toBe("rejected")
    }).pipe(Effect.provide(server({ clientCertificate: "none" }))))

  it.live("a server that never answers the TLS handshake trips TransportTimeout tlsHandshake", () =>
    Effect.gen(function*() {
      const silent = Net.createServer(() => {}) // accepts, never speaks TLS
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))),
        () => Effect.sync(() => silent.close())
      )
      silent.on("connection", (s) => s.on("error", () => {}))
      const info = silent.address()
      const port = typeof info === "object" && info !== null ? info.port : 0
      const transport = yield* Transport.Transport
      const error = yield* Effect.flip(transport.connect({ host: "127.0.0.1", port, timeouts: { tlsHandshake: "300 millis" } }))
      assert(error._tag === "TransportTimeout")
      expect(error.timer).toBe("tlsHandshake")
    }).pipe(Effect.provide(client())))
})
