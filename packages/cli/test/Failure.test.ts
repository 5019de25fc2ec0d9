import { AssociationAborted, AssociationRejected, AssociationTimeout, PresentationContextNotAccepted } from "@dicomnet/association"
import { TransportError, TransportTimeout } from "@dicomnet/transport"
import { describe, expect, it } from "@effect/vitest"
import { ExitCode, explain, formatRejection, formatSeconds, ToolFailure } from "../src/Failure.js"

describe("Exit codes and one-line reasons (wave 2 CLI contract)", () => {
  it("renders an A-ASSOCIATE-RJ with result, source and reason in DCMTK-like wording (PS3.8 Table 9-21)", () => {
    const explained = explain(AssociationRejected.fromRj({ result: 1, source: 1, reason: 7 }))
    expect(explained).toEqual({
      exitCode: ExitCode.Rejected,
      line: "Association rejected: result 1 (rejected-permanent), source 1 (service-user), reason 7 (called AE title not recognized)"
    })
  })

  it("names every reason of PS3.8 Table 9-21 by its source", () => {
    expect(formatRejection(1, 1, 3)).toBe("result 1 (rejected-permanent), source 1 (service-user), reason 3 (calling AE title not recognized)")
    expect(formatRejection(2, 3, 2)).toBe(
      "result 2 (rejected-transient), source 3 (service-provider (presentation related)), reason 2 (local limit exceeded)"
    )
    expect(formatRejection(1, 2, 2)).toBe(
      "result 1 (rejected-permanent), source 2 (service-provider (ACSE related)), reason 2 (protocol version not supported)"
    )
    expect(formatRejection(1, 1, 5)).toContain("reason 5 (reserved)")
  })

  it("maps a refused connection to exit 2 with the address", () => {
    const explained = explain(new TransportError({ reason: "ConnectRefused", message: "connect ECONNREFUSED", address: "127.0.0.1:104" }))
    expect(explained).toEqual({ exitCode: ExitCode.Transport, line: "Connection refused: 127.0.0.1:104" })
  })

  it("maps a TLS failure to exit 2 and keeps the reason", () => {
    const explained = explain(new TransportError({ reason: "Tls", message: "self-signed certificate", address: "h:1" }))
    expect(explained).toEqual({ exitCode: ExitCode.Transport, line: "TLS failure with h:1: self-signed certificate" })
  })

  it("names the timer of a timeout: the wait for the A-ASSOCIATE-AC is ARTIM", () => {
    expect(explain(new AssociationTimeout({ timer: "associate", millis: 30_000 }))).toEqual({
      exitCode: ExitCode.Timeout,
      line: "Timeout: no A-ASSOCIATE-AC within 30 s (ARTIM)"
    })
    expect(explain(new AssociationTimeout({ timer: "release", millis: 1500 })).line).toBe("Timeout: no A-RELEASE-RP within 1.5 s (release)")
    expect(explain(new TransportTimeout({ timer: "connect", millis: 2000, address: "10.0.0.1:104" })).line).toBe(
      "Timeout: no connection to 10.0.0.1:104 within 2 s (connect)"
    )
    expect(explain({ _tag: "DimseTimeout", service: "C-ECHO", messageId: 1, millis: 5000 })).toEqual({
      exitCode: ExitCode.Timeout,
      line: "Timeout: no C-ECHO-RSP within 5 s (DIMSE)"
    })
  })

  it("maps aborts to exit 4, naming who aborted (PS3.8 Table 9-26)", () => {
    expect(explain(new AssociationAborted({ source: "peer-provider", reason: 2, description: "" }))).toEqual({
      exitCode: ExitCode.Aborted,
      line: "Association aborted by the peer: source 2 (service-provider), reason 2 (unexpected PDU)"
    })
    expect(explain(new AssociationAborted({ source: "peer-user", reason: 0, description: "" })).line).toBe(
      "Association aborted by the peer: source 0 (service-user)"
    )
  })

  it("maps a non-success DIMSE status to exit 6 with its meaning", () => {
    const explained = explain({ _tag: "DimseFailure", status: 0x0110, comment: "disk full", service: "C-ECHO" })
    expect(explained.exitCode).toBe(ExitCode.DimseFailure)
    expect(explained.line).toBe("C-ECHO failed with status Failure: processing failure (0x0110): disk full")
  })

  it("maps an unaccepted Verification context to exit 3", () => {
    const explained = explain(new PresentationContextNotAccepted({ sopClassUid: "1.2.840.10008.1.1", transferSyntax: undefined }))
    expect(explained).toEqual({ exitCode: ExitCode.Rejected, line: "No acceptable presentation context for 1.2.840.10008.1.1" })
  })

  it("passes a tool's own failure through and treats anything else as an internal error (70)", () => {
    expect(explain(new ToolFailure({ exitCode: ExitCode.Usage, line: "Cannot read --tls-cert x: ENOENT" }))).toEqual({
      exitCode: ExitCode.Usage,
      line: "Cannot read --tls-cert x: ENOENT"
    })
    expect(explain(new Error("boom")).exitCode).toBe(ExitCode.Internal)
  })

  it("formats milliseconds as seconds", () => {
    expect(formatSeconds(30_000)).toBe("30 s")
    expect(formatSeconds(250)).toBe("0.25 s")
  })
})
