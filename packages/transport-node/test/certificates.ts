/**
 * Test certificates generated with the openssl CLI into a temp dir (never committed):
 * a CA, a node certificate for localhost/127.0.0.1 (server and client use, as a DICOM node is both), a client certificate (CN=storescu) signed by
 * the CA, and a self-signed "rogue" client certificate the CA did not sign.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface Certificates {
  readonly ca: string
  readonly serverKey: string
  readonly serverCert: string
  readonly clientKey: string
  readonly clientCert: string
  readonly rogueKey: string
  readonly rogueCert: string
  readonly cleanup: () => void
}

export const generateCertificates = (): Certificates => {
  const dir = mkdtempSync(join(tmpdir(), "dicomnet-tls-"))
  const openssl = (...args: Array<string>) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" })
  const key = (name: string) => openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`)
  key("ca")
  openssl("req", "-x509", "-new", "-key", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=dicomnet test CA")
  const issue = (name: string, subject: string, ext: string) => {
    key(name)
    openssl("req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", subject)
    writeFileSync(join(dir, `${name}.ext`), ext)
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`)
  }
  issue("server", "/CN=localhost/O=dicomnet", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
  issue("client", "/CN=storescu/O=dicomnet", "extendedKeyUsage=clientAuth\n")
  key("rogue")
  openssl("req", "-x509", "-new", "-key", "rogue.key", "-out", "rogue.crt", "-days", "2", "-subj", "/CN=rogue")
  const read = (file: string) => readFileSync(join(dir, file), "utf8")
  return {
    ca: read("ca.crt"),
    serverKey: read("server.key"),
    serverCert: read("server.crt"),
    clientKey: read("client.key"),
    clientCert: read("client.crt"),
    rogueKey: read("rogue.key"),
    rogueCert: read("rogue.crt"),
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}
