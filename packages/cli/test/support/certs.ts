/** A throw-away PKI made with openssl: a CA, a server certificate for 127.0.0.1/localhost, a client certificate. */
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"

/** Paths of the generated PEM files. */
export interface Pki {
  readonly ca: string
  readonly serverCert: string
  readonly serverKey: string
  readonly clientCert: string
  readonly clientKey: string
}

const openssl = (args: ReadonlyArray<string>, cwd: string) => execFileSync("openssl", args, { cwd, stdio: "pipe" })

const issue = (dir: string, name: string, subject: string, extensions: string) => {
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir)
  writeFileSync(join(dir, `${name}.ext`), extensions)
  openssl([
    "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
    "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.pem`
  ], dir)
}

/** Generates the PKI in `dir` (needs openssl on the PATH). */
export const generate = (dir: string): Pki => {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=dicomnet test CA"], dir)
  issue(dir, "server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
  issue(dir, "client", "/CN=dicomnet test client", "extendedKeyUsage=clientAuth\n")
  return {
    ca: join(dir, "ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key")
  }
}
