/**
 * AE title bindings to TLS client certificates over real mutual TLS on 127.0.0.1: a peer that
 * presents another (valid, same-CA) certificate under a bound AE title is rejected RJ 1/1/3.
 */
import { execFileSync } from "node:child_process"
import { X509Certificate } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Association, Echo } from "@dicomnet/client"
import { SopClass } from "@dicomnet/data"
import { AccessControl, DicomServer } from "@dicomnet/server"
import { Dcmtk } from "@dicomnet/testkit"
import { NodeTransport } from "@dicomnet/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Certificates from "./support/Certificates.js"

const verification = [{ abstractSyntax: SopClass.Verification }]

describe("Access control · AE title bound to a TLS client certificate", () => {
  let dir: { readonly path: string; readonly cleanup: () => void }
  let pki: Certificates.Pki
  let intruderKey: string
  let intruderCert: string
  beforeAll(() => {
    dir = Dcmtk.tempDir("dicomnet-acl-tls-")
    pki = Certificates.make(dir.path)
    // A second client certificate from the same CA: valid for TLS, but not the one VIEWER is bound to.
    const openssl = (args: ReadonlyArray<string>) => execFileSync("openssl", args, { cwd: dir.path, stdio: "pipe" })
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", "intruder.key", "-out", "intruder.csr", "-subj", "/CN=intruder"])
    writeFileSync(join(dir.path, "intruder.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    openssl(["x509", "-req", "-in", "intruder.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "intruder.pem", "-days", "2", "-sha256", "-extfile", "intruder.ext"])
    intruderKey = join(dir.path, "intruder.key")
    intruderCert = join(dir.path, "intruder.pem")
  })
  afterAll(() => dir.cleanup())

  const clientAs = (key: string, cert: string) =>
    NodeTransport.layerTls({ key: pki.read(key), cert: pki.read(cert), ca: pki.read(pki.caCert) })

  const associate = (port: number, callingAeTitle: string, key: string, cert: string) =>
    Effect.scoped(
      Effect.flatMap(
        Association.request({ host: "127.0.0.1", port, servername: "localhost", callingAeTitle, contexts: verification, timeouts: { artim: "5 seconds", dimse: "5 seconds" } }),
        Echo.echo
      )
    ).pipe(Effect.provide(clientAs(key, cert)))

  it.live("the bound certificate is served; another certificate under the same AE title is rejected RJ 1/1/3", () =>
    Effect.gen(function* () {
      const fingerprint = new X509Certificate(pki.read(pki.clientCert)).fingerprint256
      const server = yield* DicomServer.make({
        host: "127.0.0.1",
        port: 0,
        accessControl: AccessControl.make({
          rules: [AccessControl.allow({ callingAeTitle: "VIEWER" }), AccessControl.allow({ certificateSubject: "CN=intruder" }, ["echo"])],
          bindings: [{ callingAeTitle: "VIEWER", certificateFingerprint: fingerprint }]
        })
      })
      const port = server.address.port
      expect((yield* associate(port, "VIEWER", pki.clientKey, pki.clientCert)).status).toBe(0)
      const spoofed = yield* Effect.flip(associate(port, "VIEWER", intruderKey, intruderCert))
      expect(spoofed).toMatchObject({ _tag: "AssociationRejected", result: 1, source: 1, reason: 3 })
      // The intruder under its own name gets what the rules give it.
      expect((yield* associate(port, "INTRUDER", intruderKey, intruderCert)).status).toBe(0)
    }).pipe(
      Effect.provide(
        NodeTransport.layerTls({ key: pki.read(pki.serverKey), cert: pki.read(pki.serverCert), ca: pki.read(pki.caCert), clientCertificate: "required" })
      )
    )
  , 30_000)
})
