import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { requestTo, toTimeoutMillis, validateAeTitle } from "../src/Options.js"
import { transportTimeouts } from "../src/Tls.js"

describe("PS3.5 Table 6.2-1 · AE title (VR AE) validation", () => {
  it("accepts 1 to 16 printable characters and trims insignificant spaces", () => {
    expect(validateAeTitle("STORESCP")).toEqual({ _tag: "Valid", aeTitle: "STORESCP" })
    expect(validateAeTitle("  A B  ")).toEqual({ _tag: "Valid", aeTitle: "A B" })
    expect(validateAeTitle("ABCDEFGHIJKLMNOP")).toEqual({ _tag: "Valid", aeTitle: "ABCDEFGHIJKLMNOP" })
  })

  it("rejects an empty or all-space title", () => {
    expect(validateAeTitle("   ")._tag).toBe("Invalid")
  })

  it("rejects a title longer than 16 characters, saying how long it is", () => {
    expect(validateAeTitle("ABCDEFGHIJKLMNOPQ")).toEqual({
      _tag: "Invalid",
      reason: "it is 17 characters long, at most 16 allowed"
    })
  })

  it("rejects a backslash and control or non-ASCII characters", () => {
    expect(validateAeTitle("A\\B")).toMatchObject({ _tag: "Invalid", reason: expect.stringContaining("backslash") })
    expect(validateAeTitle("A\tB")._tag).toBe("Invalid")
    expect(validateAeTitle("ÄRZTE")._tag).toBe("Invalid")
  })
})

describe("Timer flags (seconds) -> client and transport timers (milliseconds)", () => {
  it("maps the ACSE timeout to ARTIM and leaves unset timers out", () => {
    const timeouts = {
      connect: Option.some(2),
      acse: Option.some(30),
      dimse: Option.none(),
      release: Option.some(0.5),
      idle: Option.none()
    }
    expect(toTimeoutMillis(timeouts)).toEqual({ connect: 2000, artim: 30_000, release: 500 })
    expect(transportTimeouts(timeouts)).toEqual({ connect: 2000, tlsHandshake: 2000 })
  })
})

describe("SCU flags -> the association request every SCU tool makes", () => {
  const tls = { enabled: true, cert: Option.none(), key: Option.none(), ca: Option.none(), minVersion: "TLSv1.2", ciphers: Option.none(), verifyPeer: true } as const
  const timeouts = { connect: Option.some(5), acse: Option.some(30), dimse: Option.none(), release: Option.none(), idle: Option.none() }

  it("--aet is the calling AE title, --aec the called one; --max-pdu, the timers, --tls-servername when given", () => {
    const peer = { host: "pacs", port: 104, aet: "US", aec: "THEM", maxPdu: 16384, timeouts, tls: { ...tls, servername: Option.some("pacs.example") } }
    expect(requestTo(peer)).toEqual({
      host: "pacs",
      port: 104,
      callingAeTitle: "US",
      calledAeTitle: "THEM",
      maxPduLength: 16384,
      timeouts: toTimeoutMillis(timeouts),
      servername: "pacs.example"
    })
    expect(requestTo({ ...peer, tls: { ...tls, servername: Option.none() } })).not.toHaveProperty("servername")
  })
})
