/**
 * The server against DCMTK 3.6.7's echoscu (TCP and TLS), and our client against our server over
 * real TCP and TLS sockets. DCMTK must be installed: these tests fail (never skip) without it.
 */
import { Association, Echo } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { DicomServer, type LifecycleEvent } from "@dicomnet/server"
import { Dcmtk } from "@dicomnet/testkit"
import type { Transport } from "@dicomnet/transport"
import { NodeTransport } from "@dicomnet/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, Stream } from "effect"
import * as Certificates from "./support/Certificates.js"

const verification = [{ abstractSyntax: SopClass.Verification }]

/** Runs `body` with a server listening on 127.0.0.1 (free port) over `transport`, collecting its events. */
const withServer = <A, E>(
  transport: Layer.Layer<Transport.Transport, unknown>,
  options: Omit<DicomServer.ServerOptions, "host" | "port">,
  body: (port: number, events: Array<LifecycleEvent.LifecycleEvent>) => Effect.Effect<A, E, Transport.Transport>
) =>
  Effect.gen(function* () {
    const server = yield* DicomServer.make({ host: "127.0.0.1", port: 0, ...options })
    const events: Array<LifecycleEvent.LifecycleEvent> = []
    const stream = yield* server.subscribe
    yield* Effect.forkScoped(Stream.runForEach(stream, (e) => Effect.sync(() => events.push(e))))
    return yield* body(server.address.port, events)
  }).pipe(Effect.provide(transport))

const echoscu = (args: ReadonlyArray<string>) => Effect.promise(() => Dcmtk.run("echoscu", args, { timeoutMs: 20_000 }))

describe("DicomServer · interop with DCMTK echoscu over TCP", () => {
  it.live("echoscu -v gets a C-ECHO success from our server and exits 0", () =>
    withServer(NodeTransport.layerTcp(), {}, (port, events) =>
      Effect.gen(function* () {
        const result = yield* echoscu(["-v", "-aet", "ECHOSCU", "-aec", "DICOMNET", "127.0.0.1", String(port)])
        const output = result.stdout + result.stderr
        expect(result.code, output).toBe(0)
        expect(output).toContain("Association Accepted")
        expect(output).toContain("Received Echo Response (Success)")
        yield* Effect.sleep("50 millis")
        expect(events.map((e) => e._tag)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationReleased"])
        expect(events[0]).toMatchObject({ callingAeTitle: "ECHOSCU", calledAeTitle: "DICOMNET" })
      })
    )
  )

  it.live("echoscu -aec WRONG is rejected with 'Called AE Title Not Recognized' when requireCalledAeTitle is set", () =>
    withServer(NodeTransport.layerTcp(), { aeTitle: "ECHOSCP", requireCalledAeTitle: true }, (port) =>
      Effect.gen(function* () {
        const result = yield* echoscu(["-aec", "WRONG", "127.0.0.1", String(port)])
        const output = result.stdout + result.stderr
        expect(result.code, output).not.toBe(0)
        expect(output).toContain("Called AE Title Not Recognized")
        const ok = yield* echoscu(["-aec", "ECHOSCP", "127.0.0.1", String(port)])
        expect(ok.code, ok.stdout + ok.stderr).toBe(0)
      })
    )
  )

  it.live("echoscu with a calling AE title outside the allow-list is rejected with 'Calling AE Title Not Recognized'", () =>
    withServer(NodeTransport.layerTcp(), { allowedCallingAeTitles: ["GOOD"] }, (port) =>
      Effect.gen(function* () {
        const result = yield* echoscu(["-aet", "BAD", "127.0.0.1", String(port)])
        const output = result.stdout + result.stderr
        expect(result.code, output).not.toBe(0)
        expect(output).toContain("Calling AE Title Not Recognized")
      })
    )
  )

  it.live("echoscu beyond maxAssociations is rejected with 'Local Limit Exceeded' (transient)", () =>
    withServer(NodeTransport.layerTcp(), { maxAssociations: 1 }, (port) =>
      Effect.scoped(
        Effect.gen(function* () {
          const held = yield* Association.request({ host: "127.0.0.1", port, contexts: verification })
          const result = yield* echoscu(["127.0.0.1", String(port)])
          const output = result.stdout + result.stderr
          expect(result.code, output).not.toBe(0)
          expect(output).toContain("Local Limit Exceeded")
          expect((yield* Echo.echo(held)).status).toBe(0)
        })
      )
    )
  )
})

describe("DicomServer · our client over real sockets", () => {
  it.live("echo round trip over TCP", () =>
    withServer(NodeTransport.layerTcp(), {}, (port, events) =>
      Effect.gen(function* () {
        const result = yield* Effect.scoped(
          Effect.flatMap(Association.request({ host: "127.0.0.1", port, contexts: verification, timeouts: { artim: "5 seconds", dimse: "5 seconds" } }), Echo.echo)
        )
        expect(result.status).toBe(0)
        yield* Effect.sleep("50 millis")
        expect(events.map((e) => e._tag)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationReleased"])
      })
    )
  )
})

describe("DicomServer · TLS", () => {
  let dir: { readonly path: string; readonly cleanup: () => void }
  let pki: Certificates.Pki
  beforeAll(() => {
    dir = Dcmtk.tempDir("dicomnet-tls-")
    pki = Certificates.make(dir.path)
  })
  afterAll(() => dir.cleanup())

  const serverTls = () =>
    NodeTransport.layerTls({
      key: pki.read(pki.serverKey),
      cert: pki.read(pki.serverCert),
      ca: pki.read(pki.caCert),
      clientCertificate: "required"
    })

  it.live("echoscu +tls with a client certificate gets a C-ECHO success from our server (mutual TLS)", () =>
    withServer(serverTls(), {}, (port) =>
      Effect.gen(function* () {
        const result = yield* echoscu(["-v", "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "127.0.0.1", String(port)])
        const output = result.stdout + result.stderr
        expect(result.code, output).toBe(0)
        expect(output).toContain("Received Echo Response (Success)")
      })
    )
  )

  it.live("echoscu +tla (no client certificate) is refused by our server that requires one", () =>
    withServer(serverTls(), {}, (port, events) =>
      Effect.gen(function* () {
        const result = yield* echoscu(["+tla", "-ic", "127.0.0.1", String(port)])
        expect(result.code, result.stdout + result.stderr).not.toBe(0)
        expect(events).toEqual([])
      })
    )
  )

  it.live("our client echoes our server over mutual TLS", () =>
    withServer(serverTls(), {}, (port, events) =>
      Effect.gen(function* () {
        const clientTls = NodeTransport.layerTls({ key: pki.read(pki.clientKey), cert: pki.read(pki.clientCert), ca: pki.read(pki.caCert) })
        const result = yield* Effect.scoped(
          Effect.flatMap(
            Association.request({ host: "127.0.0.1", port, servername: "localhost", contexts: verification, timeouts: { artim: "5 seconds" } }),
            Echo.echo
          )
        ).pipe(Effect.provide(clientTls))
        expect(result.status).toBe(0)
        yield* Effect.sleep("50 millis")
        expect(events.map((e) => e._tag)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationReleased"])
      })
    )
  )

  it.live("our client without a client certificate cannot associate with our server that requires one", () =>
    withServer(serverTls(), {}, (port, events) =>
      Effect.gen(function* () {
        const anonymous = NodeTransport.layerTls({ ca: pki.read(pki.caCert) })
        const error = yield* Effect.scoped(
          Association.request({ host: "127.0.0.1", port, servername: "localhost", contexts: verification, timeouts: { artim: "5 seconds" } })
        ).pipe(Effect.flip, Effect.provide(anonymous))
        expect(["TransportError", "AssociationAborted"]).toContain(error._tag)
        expect(events).toEqual([])
      })
    )
  )
})
