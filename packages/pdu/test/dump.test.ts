import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { readFileSync } from "node:fs"
import { type Pdu, PduCodec, PduDump } from "../src/index.js"

const fixture = (name: string): Pdu.Pdu =>
  PduCodec.decode(new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))).pipe(Result.getOrThrow)

describe("PduDump.render", () => {
  it("renders echoscu's A-ASSOCIATE-RQ with named UIDs", () => {
    expect(PduDump.render(fixture("echoscu.bin"))).toBe(
      [
        "A-ASSOCIATE-RQ (0x01), PDU length 205",
        "  Protocol Version: 1",
        '  Called AE Title:  "ANY-SCP"',
        '  Calling AE Title: "ECHOSCU"',
        "  Application Context: 1.2.840.10008.3.1.1.1 (DICOM Application Context Name)",
        "  Presentation Context 1 (0x20)",
        "    Abstract Syntax: 1.2.840.10008.1.1 (Verification SOP Class)",
        "    Transfer Syntax: 1.2.840.10008.1.2 (Implicit VR Little Endian)",
        "  User Information (0x50)",
        "    Maximum Length Received: 16384",
        "    Implementation Class UID: 1.2.276.0.7230010.3.0.3.6.7",
        "    Implementation Version Name: OFFIS_DCMTK_367"
      ].join("\n")
    )
  })

  it("renders presentation context results of an A-ASSOCIATE-AC", () => {
    const text = PduDump.render({ ...(fixture("storescp-ac.bin") as Pdu.AAssociateAc), presentationContexts: [
      { presentationContextId: 1, result: 0, transferSyntax: "1.2.840.10008.1.2.1" },
      { presentationContextId: 3, result: 3, transferSyntax: "" }
    ] })
    expect(text).toContain("  Presentation Context 1 (0x21): acceptance (0)\n    Transfer Syntax: 1.2.840.10008.1.2.1 (Explicit VR Little Endian)")
    expect(text).toContain("  Presentation Context 3 (0x21): abstract syntax not supported (3)")
  })

  it("shows the username of a user identity but never the passcode", () => {
    const text = PduDump.render(fixture("storescu-all-user-identity.bin"))
    expect(text).toContain("    User Identity: type 2 (username and passcode), positive response requested\n      Primary Field: alice")
    expect(text).toContain("Secondary Field: 6 bytes (hidden)")
    expect(text).not.toContain("secret")
  })

  it("summarises each PDV of a P-DATA-TF", () => {
    const text = PduDump.render({
      _tag: "PDataTf",
      pdvs: [
        { presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array(74) },
        { presentationContextId: 1, isCommand: false, isLast: false, data: new Uint8Array(16372) }
      ]
    })
    expect(text).toBe(
      [
        "P-DATA-TF (0x04), 2 PDVs, PDU length 16458",
        "  PDV: context 1, command, last, 74 bytes",
        "  PDV: context 1, data set, more, 16372 bytes"
      ].join("\n")
    )
  })

  it("names rejection and abort reasons (PS3.8 Tables 9-21 and 9-26)", () => {
    expect(PduDump.render({ _tag: "AAssociateRj", result: 1, source: 1, reason: 7 })).toBe(
      "A-ASSOCIATE-RJ (0x03)\n  Result: 1 (rejected-permanent)\n  Source: 1 (DICOM UL service-user)\n  Reason: 7 (called-AE-title-not-recognized)"
    )
    expect(PduDump.render({ _tag: "AAbort", source: 2, reason: 1 })).toBe(
      "A-ABORT (0x07)\n  Source: 2 (DICOM UL service-provider)\n  Reason: 1 (unrecognized-PDU)"
    )
    expect(PduDump.render({ _tag: "AReleaseRq" })).toBe("A-RELEASE-RQ (0x05)")
  })

  it("lists kept unknown user-information sub-items", () => {
    const rq = fixture("echoscu.bin") as Pdu.AAssociateRq
    const text = PduDump.render({ ...rq, userInformation: { ...rq.userInformation, unknownItems: [{ itemType: 0x60, data: Uint8Array.of(1, 2) }] } })
    expect(text).toContain("    Unknown Sub-item 0x60: 2 bytes [01 02]")
  })
})
