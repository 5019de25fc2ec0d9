/**
 * End to end: the built `dicomnet` binary against DCMTK 3.6.7 and against itself, over TCP and TLS, with
 * the exit codes and one-line reasons of the CLI contract.
 */
import { connect, createServer, type Server as NetServer, type Socket } from "node:net"
import { Dcmtk } from "@dicomnet/testkit"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Binary from "./support/binary.js"
import * as Certs from "./support/certs.js"
import * as ScriptedPeer from "./support/scriptedPeer.js"

const startEchoscp = async (args: ReadonlyArray<string>) => {
  const port = await Dcmtk.freePort()
  const server = Binary.start(["echoscp", String(port), "--bind", "127.0.0.1", ...args])
  try {
    await Dcmtk.waitForPort(port, 15_000)
  } catch (error) {
    await server.stop("SIGKILL")
    throw new Error(`echoscp did not start: ${server.output()}`, { cause: error })
  }
  return { port, server }
}

describe("dicomnet echoscu against DCMTK storescp", () => {
  it("verifies the peer: exit 0, nothing on stderr", async () => {
    const port = await Dcmtk.freePort()
    const storescp = Dcmtk.start("storescp", [String(port)])
    try {
      await Dcmtk.waitForPort(port)
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port)])
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
    } finally {
      await storescp.stop()
    }
  })

  it("--repeat 20 -v: 20 echoes on one association and a summary with the rate", async () => {
    const port = await Dcmtk.freePort()
    const storescp = Dcmtk.start("storescp", ["-v", String(port)])
    try {
      await Dcmtk.waitForPort(port)
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "--repeat", "20", "-v"])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^20 C-ECHO requests succeeded in [\d.]+ s \([\d.]+ round trips\/s\)\n$/)
      expect(result.stderr).toContain("I: Requesting association with 127.0.0.1")
      expect(result.stderr).toContain("I: Association accepted: Verification SOP Class with ")
      expect(result.stderr).toContain("I: Association released")
    } finally {
      const out = await storescp.stop()
      // One association for the 20 echoes (storescp -v logs each acknowledged association and each request).
      const log = out.stdout.concat(out.stderr)
      expect(log.match(/Association Acknowledged/g)?.length).toBe(1)
      expect(log.match(/Received Echo Request/g)?.length).toBe(20)
    }
  })

  it("-d dumps every PDU: A-ASSOCIATE-RQ/AC, P-DATA-TF, A-RELEASE-RQ/RP", async () => {
    const port = await Dcmtk.freePort()
    const storescp = Dcmtk.start("storescp", [String(port)])
    try {
      await Dcmtk.waitForPort(port)
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "-d"])
      expect(result.code).toBe(0)
      for (const pdu of ["A-ASSOCIATE-RQ", "A-ASSOCIATE-AC", "P-DATA-TF", "A-RELEASE-RQ", "A-RELEASE-RP"]) {
        expect(result.stderr).toContain(pdu)
      }
    } finally {
      await storescp.stop()
    }
  })
})

describe("dicomnet echoscu · options on the wire (DCMTK storescp as the peer)", () => {
  it("--max-pdu is the Maximum Length Received of the A-ASSOCIATE-RQ (seen in the -d dump)", async () => {
    const port = await Dcmtk.freePort()
    const storescp = Dcmtk.start("storescp", [String(port)])
    try {
      await Dcmtk.waitForPort(port)
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "--max-pdu", "16384", "-d"])
      expect(result.code).toBe(0)
      expect(result.stderr).toMatch(/A-ASSOCIATE-RQ[\s\S]*Maximum Length Received: 16384/)
    } finally {
      await storescp.stop()
    }
  })

  it("--abort ends with an A-ABORT instead of a release, and still exits 0", async () => {
    const port = await Dcmtk.freePort()
    const storescp = Dcmtk.start("storescp", ["-v", String(port)])
    try {
      await Dcmtk.waitForPort(port)
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "--abort", "-d"])
      expect(result.code).toBe(0)
      expect(result.stderr).toContain("A-ABORT")
      expect(result.stderr).not.toContain("A-RELEASE-RQ")
    } finally {
      const out = await storescp.stop()
      expect(out.stdout + out.stderr).toContain("Association Aborted")
    }
  })
})

describe("DCMTK echoscu against dicomnet echoscp", () => {
  it("is answered: exit 0, and echoscp -v logs the association", async () => {
    const { port, server } = await startEchoscp(["-v"])
    try {
      const result = await Dcmtk.run("echoscu", ["-v", "127.0.0.1", String(port)])
      expect(result.code).toBe(0)
      expect(result.stdout + result.stderr).toContain("Received Echo Response (Success)")
    } finally {
      const stopped = await server.stop("SIGINT")
      expect(stopped.code).toBe(0)
      expect(stopped.stderr).toMatch(/Association accepted from 127\.0\.0\.1:\d+ \(calling ECHOSCU, called ANY-SCP\): Verification SOP Class/)
      expect(stopped.stderr).toMatch(/Association released by 127\.0\.0\.1:\d+ \(calling ECHOSCU, called ANY-SCP\)/)
    }
  })
})

describe("dicomnet echoscu against dicomnet echoscp", () => {
  it("over TCP: exit 0; SIGTERM then stops echoscp gracefully with exit 0", async () => {
    const { port, server } = await startEchoscp(["--aet", "ECHO"])
    try {
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "--aec", "ECHO", "--repeat", "3"])
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout).toBe("3 C-ECHO requests succeeded\n")
    } finally {
      const stopped = await server.stop("SIGTERM")
      expect(stopped.code).toBe(0)
    }
  })

  it("called AE title not recognized (--require-called-aet): exit 3 and the A-ASSOCIATE-RJ in one line", async () => {
    const { port, server } = await startEchoscp(["--aet", "ECHO", "--require-called-aet", "-v"])
    try {
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "--aec", "OTHER"])
      expect(result.code).toBe(3)
      expect(result.stderr).toBe(
        "Association rejected: result 1 (rejected-permanent), source 1 (service-user), reason 7 (called AE title not recognized)\n"
      )
    } finally {
      const stopped = await server.stop()
      expect(stopped.stderr).toMatch(
        /Association rejected from 127\.0\.0\.1:\d+ \(calling DICOMNET, called OTHER\): result 1 \(rejected-permanent\), source 1 \(service-user\), reason 7/
      )
    }
  })

  it("calling AE title not allowed (--allow-calling): exit 3, reason 3", async () => {
    const { port, server } = await startEchoscp(["--allow-calling", "MOD1,MOD2"])
    try {
      const denied = await Binary.run(["echoscu", "127.0.0.1", String(port), "--aet", "INTRUDER"])
      expect(denied.code).toBe(3)
      expect(denied.stderr).toBe(
        "Association rejected: result 1 (rejected-permanent), source 1 (service-user), reason 3 (calling AE title not recognized)\n"
      )
      const allowed = await Binary.run(["echoscu", "127.0.0.1", String(port), "--aet", "MOD2"])
      expect(allowed.code).toBe(0)
    } finally {
      await server.stop()
    }
  })

  it("echoscp --max-pdu is what the requestor learns as the peer's max PDU", async () => {
    const { port, server } = await startEchoscp(["--max-pdu", "32768"])
    try {
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "-v"])
      expect(result.code).toBe(0)
      expect(result.stderr).toContain("peer max PDU 32768")
    } finally {
      await server.stop()
    }
  })

  it("echoscp --acse-timeout 1 closes a connection that sends no A-ASSOCIATE-RQ (ARTIM)", async () => {
    const { port, server } = await startEchoscp(["--acse-timeout", "1"])
    try {
      const closed = await new Promise<"closed" | "still open">((resolve) => {
        const socket = connect(port, "127.0.0.1")
        socket.on("error", () => {})
        // Bound: if ARTIM never fires, the test fails with "still open" instead of hanging.
        const bound = setTimeout(() => {
          socket.destroy()
          resolve("still open")
        }, 10_000)
        socket.on("close", () => {
          clearTimeout(bound)
          resolve("closed")
        })
      })
      expect(closed).toBe("closed")
    } finally {
      await server.stop()
    }
  })

  describe("over TLS (certificates made by openssl for this test)", () => {
    let dir: ReturnType<typeof Dcmtk.tempDir>
    let pki: Certs.Pki
    beforeAll(() => {
      dir = Dcmtk.tempDir("dicomnet-cli-tls-")
      pki = Certs.generate(dir.path)
    })
    afterAll(() => dir.cleanup())

    it("echoscu --tls --tls-ca verifies the server certificate and gets its echo: exit 0", async () => {
      const { port, server } = await startEchoscp(["--tls", "--tls-cert", pki.serverCert, "--tls-key", pki.serverKey])
      try {
        const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "--tls", "--tls-ca", pki.ca])
        expect(result.stderr).toBe("")
        expect(result.code).toBe(0)
      } finally {
        await server.stop()
      }
    })

    it("mutual TLS (--tls-require-client-cert) with a client certificate: exit 0", async () => {
      const { port, server } = await startEchoscp([
        "--tls", "--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--tls-ca", pki.ca, "--tls-require-client-cert"
      ])
      try {
        const result = await Binary.run([
          "echoscu", "127.0.0.1", String(port), "--tls", "--tls-ca", pki.ca, "--tls-cert", pki.clientCert, "--tls-key", pki.clientKey
        ])
        expect(result.stderr).toBe("")
        expect(result.code).toBe(0)
      } finally {
        await server.stop()
      }
    })

    it("a server certificate from an unknown CA fails the handshake: exit 2, a TLS failure line", async () => {
      const { port, server } = await startEchoscp(["--tls", "--tls-cert", pki.serverCert, "--tls-key", pki.serverKey])
      try {
        const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "--tls"])
        expect(result.code).toBe(2)
        expect(result.stderr).toMatch(/^TLS failure with 127\.0\.0\.1:\d+: .+\n$/)
      } finally {
        await server.stop()
      }
    })
  })
})

describe("dicomnet echoscu · failures end with their exit code and one line on stderr", () => {
  it("connection refused: exit 2, 'Connection refused: HOST:PORT'", async () => {
    const port = await Dcmtk.freePort()
    const result = await Binary.run(["echoscu", "127.0.0.1", String(port)])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`Connection refused: 127.0.0.1:${port}\n`)
  })

  it("a peer that accepts and never answers: exit 5 after --acse-timeout 1, naming ARTIM", async () => {
    const sockets: Array<Socket> = []
    const silent: NetServer = createServer((socket) => {
      sockets.push(socket)
      socket.on("error", () => {})
    })
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
    const address = silent.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    try {
      // Bounded: Binary.run kills the process after 15 s, so a missing timer fails here instead of hanging.
      const result = await Binary.run(["echoscu", "127.0.0.1", String(port), "--acse-timeout", "1"], 15_000)
      expect(result.signal).toBeNull()
      expect(result.code).toBe(5)
      expect(result.stderr).toBe("Timeout: no A-ASSOCIATE-AC within 1 s (ARTIM)\n")
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it("no C-ECHO-RSP: exit 5 after --dimse-timeout 1, naming the DIMSE timer", async () => {
    const peer = await ScriptedPeer.start({ _tag: "Silent" })
    try {
      const result = await Binary.run(["echoscu", "127.0.0.1", String(peer.port), "--dimse-timeout", "1"], 15_000)
      expect(result.code).toBe(5)
      expect(result.stderr).toBe("Timeout: no C-ECHO-RSP within 1 s (DIMSE)\n")
    } finally {
      await peer.close()
    }
  })

  it("an A-ABORT from the peer: exit 4, naming the source (PS3.8 Table 9-26)", async () => {
    const peer = await ScriptedPeer.start({ _tag: "Abort", source: 2, reason: 2 })
    try {
      const result = await Binary.run(["echoscu", "127.0.0.1", String(peer.port)])
      expect(result.code).toBe(4)
      expect(result.stderr).toBe("Association aborted by the peer: source 2 (service-provider), reason 2 (unexpected PDU)\n")
    } finally {
      await peer.close()
    }
  })

  it("a usage error: exit 1", async () => {
    const result = await Binary.run(["echoscu", "127.0.0.1", "not-a-port"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("dicomnet echoscu --help")
  })
})
