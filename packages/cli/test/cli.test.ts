import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { parseEchoscp, parseEchoscu, runCli } from "./support/capture.js"

describe("dicomnet echoscu · arguments and options (DCMTK order: HOST PORT)", () => {
  it.effect("parses HOST PORT and applies the contract's defaults", () =>
    Effect.gen(function*() {
      const { parsed, exit } = yield* parseEchoscu(["pacs.example.org", "104"])
      assert.isTrue(Exit.isSuccess(exit))
      expect(parsed).toMatchObject({
        host: "pacs.example.org",
        port: 104,
        aet: "DICOMNET",
        aec: "ANY-SCP",
        repeat: 1,
        maxPdu: 262144,
        verbose: false,
        debug: false
      })
      expect(parsed?.timeouts.acse).toEqual(Option.some(30))
      expect(parsed?.timeouts.dimse).toEqual(Option.none())
      expect(parsed?.tls).toMatchObject({ enabled: false, verifyPeer: true, minVersion: "TLSv1.2" })
    }))

  it.effect("reads every option: AE titles, repeat, max PDU, timers in seconds, TLS", () =>
    Effect.gen(function*() {
      const { parsed } = yield* parseEchoscu([
        "10.0.0.5", "11112", "--aet", "MYSCU", "--aec", "PACS", "--repeat", "5", "--max-pdu", "16384",
        "--connect-timeout", "2", "--acse-timeout", "0.5", "--dimse-timeout", "10", "--release-timeout", "3",
        "--idle-timeout", "60", "--tls", "--tls-ca", "ca.pem", "--tls-cert", "c.pem", "--tls-key", "c.key",
        "--tls-min-version", "TLSv1.3", "--tls-servername", "pacs.local", "--no-tls-verify-peer"
      ])
      expect(parsed).toMatchObject({ host: "10.0.0.5", port: 11112, aet: "MYSCU", aec: "PACS", repeat: 5, maxPdu: 16384 })
      expect(parsed?.timeouts).toEqual({
        connect: Option.some(2),
        acse: Option.some(0.5),
        dimse: Option.some(10),
        release: Option.some(3),
        idle: Option.some(60)
      })
      expect(parsed?.tls).toEqual({
        enabled: true,
        ca: Option.some("ca.pem"),
        cert: Option.some("c.pem"),
        key: Option.some("c.key"),
        minVersion: "TLSv1.3",
        ciphers: Option.none(),
        servername: Option.some("pacs.local"),
        verifyPeer: false
      })
    }))

  it.effect("-v is --verbose and -d is --debug (the built-in --version has no -v alias)", () =>
    Effect.gen(function*() {
      const verbose = yield* parseEchoscu(["h", "104", "-v"])
      expect(verbose.parsed).toMatchObject({ verbose: true, debug: false })
      expect(verbose.stdout).not.toContain("0.1.0")
      const debug = yield* parseEchoscu(["h", "104", "-d"])
      expect(debug.parsed).toMatchObject({ verbose: false, debug: true })
    }))

  it.effect("rejects an AE title longer than 16 characters with a message that says why", () =>
    Effect.gen(function*() {
      const { parsed, exit, stderr } = yield* parseEchoscu(["h", "104", "--aec", "THIS-TITLE-IS-TOO-LONG"])
      assert.isTrue(Exit.isFailure(exit))
      expect(parsed).toBeUndefined()
      expect(stderr).toContain("--aec")
      expect(stderr).toContain("22 characters long, at most 16 allowed")
    }))

  it.effect("rejects a port outside 1..65535, a non-positive timer and a zero repeat", () =>
    Effect.gen(function*() {
      for (const args of [["h", "70000"], ["h", "0"], ["h", "104", "--acse-timeout", "0"], ["h", "104", "--repeat", "0"], ["h", "104", "--max-pdu", "100"]]) {
        const { parsed, exit } = yield* parseEchoscu(args)
        assert.isTrue(Exit.isFailure(exit), args.join(" "))
        expect(parsed).toBeUndefined()
      }
    }))
})

describe("dicomnet echoscp · arguments and options", () => {
  it.effect("parses PORT with the defaults: any called AE title, any calling AE title", () =>
    Effect.gen(function*() {
      const { parsed } = yield* parseEchoscp(["11112"])
      expect(parsed).toMatchObject({
        port: 11112,
        bind: "0.0.0.0",
        aet: "DICOMNET",
        requireCalledAet: false,
        allowCalling: [],
        maxAssociations: 64,
        maxPdu: 262144
      })
      expect(parsed?.tls).toMatchObject({ enabled: false, verifyPeer: false, requireClientCert: false })
      expect(parsed?.timeouts).toEqual({ acse: Option.some(30), release: Option.none(), idle: Option.none() })
    }))

  it.effect("--allow-calling takes a comma-separated list and may be repeated", () =>
    Effect.gen(function*() {
      const { parsed } = yield* parseEchoscp([
        "11112", "--aet", "ECHO", "--require-called-aet", "--allow-calling", "MOD1,MOD2", "--allow-calling", "WS"
      ])
      expect(parsed).toMatchObject({ aet: "ECHO", requireCalledAet: true, allowCalling: ["MOD1", "MOD2", "WS"] })
    }))

  it.effect("rejects an invalid AE title in --allow-calling", () =>
    Effect.gen(function*() {
      const { exit, stderr } = yield* parseEchoscp(["11112", "--allow-calling", "OK,BAD\\TITLE"])
      assert.isTrue(Exit.isFailure(exit))
      expect(stderr).toContain("backslash")
    }))
})

describe("dicomnet · help, version and usage errors", () => {
  it.effect("--help of the root lists the tools with examples and the exit codes", () =>
    Effect.gen(function*() {
      const { exitCode, stdout } = yield* runCli(["--help"])
      expect(exitCode).toBe(0)
      expect(stdout).toContain("echoscu")
      expect(stdout).toContain("echoscp")
      expect(stdout).toContain("EXAMPLES")
      expect(stdout).toContain("3 association rejected")
    }))

  it.effect("echoscu --help documents every contract option and shows examples", () =>
    Effect.gen(function*() {
      const { exitCode, stdout } = yield* runCli(["echoscu", "--help"])
      expect(exitCode).toBe(0)
      for (const option of [
        "--aet", "--aec", "--repeat", "--max-pdu", "--connect-timeout", "--acse-timeout", "--dimse-timeout",
        "--release-timeout", "--idle-timeout", "--tls", "--tls-cert", "--tls-key", "--tls-ca", "--tls-verify-peer",
        "--tls-min-version", "--tls-ciphers", "--tls-servername", "--verbose, -v", "--debug, -d"
      ]) expect(stdout).toContain(option)
      expect(stdout).toContain("dicomnet echoscu pacs 11112 --repeat 100 -v")
    }))

  it.effect("echoscp --help documents its options", () =>
    Effect.gen(function*() {
      const { exitCode, stdout } = yield* runCli(["echoscp", "--help"])
      expect(exitCode).toBe(0)
      for (const option of ["--aet", "--require-called-aet", "--allow-calling", "--tls-require-client-cert", "--max-pdu"]) {
        expect(stdout).toContain(option)
      }
    }))

  it.effect("--version prints the version", () =>
    Effect.gen(function*() {
      const { exitCode, stdout } = yield* runCli(["--version"])
      expect(exitCode).toBe(0)
      expect(stdout).toContain("0.1.0")
    }))

  it.effect("a usage error exits 1 with the error and a hint on stderr, without the whole help", () =>
    Effect.gen(function*() {
      const { exitCode, stderr, stdout } = yield* runCli(["echoscu", "localhost"])
      expect(exitCode).toBe(1)
      expect(stderr).toContain("Missing required argument: port")
      expect(stderr).toContain("dicomnet echoscu --help")
      expect(stdout).toBe("")
    }))

  it.effect("an unknown option exits 1", () =>
    Effect.gen(function*() {
      const { exitCode, stderr } = yield* runCli(["echoscu", "h", "104", "--no-such-option"])
      expect(exitCode).toBe(1)
      expect(stderr).toContain("--no-such-option")
    }))

  it.effect("an unreadable --tls-cert is a usage error naming the file", () =>
    Effect.gen(function*() {
      const { exitCode, stderr } = yield* runCli(["echoscp", "0", "--tls", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/c.key"])
      expect(exitCode).toBe(1)
      expect(stderr).toBe("Cannot read --tls-cert /nonexistent/c.pem: ENOENT")
    }))
})
