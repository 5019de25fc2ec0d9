/**
 * Test certificates made with `openssl` at test time: a CA, a server certificate for localhost /
 * 127.0.0.1 and a client certificate, all signed by the CA (RSA 2048, SHA-256: what DCMTK's
 * BCP 195 profile accepts).
 */
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

/** The files of a test PKI. */
export interface Pki {
  readonly dir: string
  readonly caCert: string
  readonly serverKey: string
  readonly serverCert: string
  readonly clientKey: string
  readonly clientCert: string
  /** Reads a PEM file made here. */
  readonly read: (path: string) => string
}

const openssl = (dir: string, args: ReadonlyArray<string>) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" })

const leaf = (dir: string, name: string, subject: string, extensions: string) => {
  openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject])
  writeFileSync(join(dir, `${name}.ext`), extensions)
  openssl(dir, [
    "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", `${name}.pem`, "-days", "2", "-sha256", "-extfile", `${name}.ext`
  ])
}

/** Makes the CA, server and client certificates in `dir`. */
export const make = (dir: string): Pki => {
  openssl(dir, [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
    "-subj", "/CN=dicomnet test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"
  ])
  leaf(dir, "server", "/CN=localhost", "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
  leaf(dir, "client", "/CN=dicomnet-client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
  return {
    dir,
    caCert: join(dir, "ca.pem"),
    serverKey: join(dir, "server.key"),
    serverCert: join(dir, "server.pem"),
    clientKey: join(dir, "client.key"),
    clientCert: join(dir, "client.pem"),
    read: (path) => readFileSync(path, "utf8")
  }
}
