/**
 * Our client against DCMTK 3.6.7's storescp (which answers C-ECHO), over TCP and TLS. DCMTK must be
 * installed: these tests fail (never skip) without it.
 */
import { Association, Echo } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { Dcmtk } from "@dicomnet/testkit"
import type { Transport } from "@dicomnet/transport"
import { NodeTransport } from "@dicomnet/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import * as Certificates from "./support/Certificates.js"

const verification = [{ abstractSyntax: SopClass.Verification }]
const storageCt = "1.2.840.10008.5.1.4.1.1.2"

/** Runs `body` against a storescp started with `args` on a free port; stops it afterwards. */
const withStorescp = <A, E>(
  args: ReadonlyArray<string>,
  transport: Layer.Layer<Transport.Transport, unknown>,
  body: (port: number, peer: Dcmtk.Peer) => Effect.Effect<A, E, Transport.Transport>
) =>
  Effect.acquireUseRelease(
    Effect.promise(async () => {
      const dir = Dcmtk.tempDir("dicomnet-storescp-")
      const port = await Dcmtk.freePort()
      const peer = Dcmtk.start("storescp", ["-aet", "STORESCP", "-od", dir.path, ...args, String(port)])
      await Dcmtk.waitForPort(port)
      return { port, peer, dir }
    }),
    ({ port, peer }) => body(port, peer).pipe(Effect.provide(transport)),
    ({ peer, dir }) => Effect.promise(() => peer.stop().then(() => dir.cleanup()))
  )

describe("Association · interop with DCMTK storescp", () => {
  it.live("C-ECHO against storescp over TCP succeeds and the association is released", () =>
    withStorescp([], NodeTransport.layerTcp(), (port) =>
      Effect.gen(function* () {
        const closed = yield* Effect.scoped(
          Effect.gen(function* () {
            const association = yield* Association.request({
              host: "127.0.0.1",
              port,
              calledAeTitle: "STORESCP",
              contexts: verification,
              timeouts: { artim: "10 seconds", dimse: "10 seconds" }
            })
            expect(association.negotiated.acceptedContexts.size).toBe(1)
            expect(association.peer.implementationClassUid.length).toBeGreaterThan(0)
            const first = yield* Echo.echo(association)
            const second = yield* Echo.echo(association)
            expect([first.status, second.status]).toEqual([0, 0])
            yield* association.release
            return yield* association.awaitClose
          })
        )
        expect(closed._tag).toBe("Released")
      })
    )
  )

  it.live("an association without Verification is accepted by storescp, and C-ECHO fails with PresentationContextNotAccepted", () =>
    withStorescp([], NodeTransport.layerTcp(), (port) =>
      Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host: "127.0.0.1", port, calledAeTitle: "STORESCP", contexts: [{ abstractSyntax: storageCt }] })
          const error = yield* Effect.flip(Echo.echo(association))
          expect(error._tag).toBe("PresentationContextNotAccepted")
        })
      )
    )
  )

  describe("over TLS", () => {
    let dir: { readonly path: string; readonly cleanup: () => void }
    let pki: Certificates.Pki
    beforeAll(() => {
      dir = Dcmtk.tempDir("dicomnet-tls-")
      pki = Certificates.make(dir.path)
    })
    afterAll(() => dir.cleanup())

    it.live("C-ECHO against storescp +tls succeeds (server certificate verified against our CA)", () =>
      withStorescp(
        ["+tls", pki.serverKey, pki.serverCert, "-ic"],
        NodeTransport.layerTls({ ca: pki.read(pki.caCert) }),
        (port) =>
          Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({
                host: "127.0.0.1",
                port,
                servername: "localhost",
                calledAeTitle: "STORESCP",
                contexts: verification,
                timeouts: { artim: "10 seconds", dimse: "10 seconds" }
              })
              expect((yield* Echo.echo(association)).status).toBe(0)
            })
          )
      )
    )

    it.live("a storescp certificate that our CA did not sign is refused (TransportError Tls)", () =>
      withStorescp(["+tls", pki.serverKey, pki.serverCert, "-ic"], NodeTransport.layerTls({ ca: pki.read(pki.clientCert) }), (port) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(
            Effect.scoped(Association.request({ host: "127.0.0.1", port, servername: "localhost", contexts: verification }))
          )
          expect(error).toMatchObject({ _tag: "TransportError", reason: "Tls" })
        })
      )
    )
  })
})
