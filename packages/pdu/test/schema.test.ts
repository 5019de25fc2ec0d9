import { assert, describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { readFileSync } from "node:fs"
import { Pdu, PduCodec, PduSchema } from "../src/index.js"

const ok = (schema: Schema.ConstraintDecoder<unknown>, value: unknown): boolean =>
  Result.isSuccess(Schema.decodeUnknownResult(schema)(value))

const message = (value: unknown): string => {
  const r = Pdu.decodeUnknown(value)
  assert(Result.isFailure(r), "expected a Schema failure")
  return r.failure.message
}

const userInformation: Pdu.UserInformation = {
  maxLength: 16384,
  implementationClassUid: "1.2.3",
  roleSelections: [],
  extendedNegotiations: [],
  commonExtendedNegotiations: [],
  unknownItems: []
}

const rq: Pdu.AAssociateRq = {
  _tag: "AAssociateRq",
  protocolVersion: 1,
  calledAeTitle: "STORESCP",
  callingAeTitle: "DICOMNET",
  applicationContextName: "1.2.840.10008.3.1.1.1",
  presentationContexts: [{ presentationContextId: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] }],
  userInformation
}

describe("PS3.5 Table 6.2-1 · AE title", () => {
  it.each(["A", "STORESCP", "SIXTEEN_CHARS_AE", " LEADING", "with space"])("accepts %j", (s) => {
    expect(ok(PduSchema.AeTitle, s)).toBe(true)
  })
  it.each(["", "SEVENTEEN_CHARS_A", "    ", "BACK\\SLASH", "TAB\tX", "NEW\nLINE", "CAFÉ"])("rejects %j", (s) => {
    expect(ok(PduSchema.AeTitle, s)).toBe(false)
  })
})

describe("PS3.5 §9.1 · UID", () => {
  it("accepts digits and dots up to 64 characters", () => {
    expect(ok(PduSchema.Uid, "1.2.840.10008.1.2.4.70")).toBe(true)
    expect(ok(PduSchema.Uid, `1.${"2".repeat(62)}`)).toBe(true)
  })
  it("rejects an empty UID, letters and 65 characters", () => {
    expect(ok(PduSchema.Uid, "")).toBe(false)
    expect(ok(PduSchema.Uid, "1.2.abc")).toBe(false)
    expect(ok(PduSchema.Uid, `1.${"2".repeat(63)}`)).toBe(false)
  })
})

describe("PS3.8 §9.3 · field constraints", () => {
  it("presentation context IDs are odd integers 1..255", () => {
    expect([1, 3, 255].map((n) => ok(PduSchema.PresentationContextId, n))).toEqual([true, true, true])
    expect([0, 2, 257, 1.5, -1].map((n) => ok(PduSchema.PresentationContextId, n))).toEqual([false, false, false, false, false])
  })
  it("the maximum length is an unsigned 32-bit integer", () => {
    expect([0, 16384, 0xffffffff].map((n) => ok(PduSchema.MaxLength, n))).toEqual([true, true, true])
    expect([-1, 2 ** 32, 0.5].map((n) => ok(PduSchema.MaxLength, n))).toEqual([false, false, false])
  })
  it("A-ASSOCIATE-RJ reasons must belong to their source (PS3.8 Table 9-21)", () => {
    expect(Result.isSuccess(Pdu.validate({ _tag: "AAssociateRj", result: 1, source: 1, reason: 7 }))).toBe(true)
    expect(Result.isSuccess(Pdu.validate({ _tag: "AAssociateRj", result: 1, source: 2, reason: 2 }))).toBe(true)
    expect(Result.isFailure(Pdu.validate({ _tag: "AAssociateRj", result: 1, source: 2, reason: 7 }))).toBe(true)
    expect(Result.isFailure(Pdu.validate({ _tag: "AAssociateRj", result: 1, source: 1, reason: 4 }))).toBe(true)
  })
  it("A-ABORT sources are 0..2 and reasons 0..6", () => {
    expect(Result.isSuccess(Pdu.validate({ _tag: "AAbort", source: 2, reason: 6 }))).toBe(true)
    expect(Result.isFailure(Pdu.decodeUnknown({ _tag: "AAbort", source: 3, reason: 0 }))).toBe(true)
    expect(Result.isFailure(Pdu.decodeUnknown({ _tag: "AAbort", source: 2, reason: 7 }))).toBe(true)
  })
  it("an accepted AC presentation context names a transfer syntax; a rejected one may leave it empty", () => {
    expect(ok(PduSchema.PresentationContextAc, { presentationContextId: 1, result: 0, transferSyntax: "1.2.840.10008.1.2" })).toBe(true)
    expect(ok(PduSchema.PresentationContextAc, { presentationContextId: 1, result: 3, transferSyntax: "" })).toBe(true)
    expect(ok(PduSchema.PresentationContextAc, { presentationContextId: 1, result: 0, transferSyntax: "" })).toBe(false)
  })
  it("a passcode comes only with user identity type 2", () => {
    const identity = (userIdentityType: number, secondary: number) => ({
      userIdentityType,
      positiveResponseRequested: false,
      primaryField: Uint8Array.of(1),
      secondaryField: new Uint8Array(secondary)
    })
    expect(ok(PduSchema.UserIdentityRq, identity(2, 4))).toBe(true)
    expect(ok(PduSchema.UserIdentityRq, identity(1, 0))).toBe(true)
    expect(ok(PduSchema.UserIdentityRq, identity(1, 4))).toBe(false)
    expect(ok(PduSchema.UserIdentityRq, identity(2, 0))).toBe(false)
  })
})

describe("Pdu.validate / Pdu.decodeUnknown · readable messages", () => {
  it("names the rule and the path of each issue", () => {
    expect(message({ ...rq, calledAeTitle: "BAD\\AE" })).toBe(
      'an AE title holds only default-repertoire characters (no backslash, no control characters)\n  at ["calledAeTitle"]'
    )
    expect(message({ ...rq, presentationContexts: [{ ...rq.presentationContexts[0], presentationContextId: 2 }] })).toBe(
      'a presentation context ID is an odd integer 1..255, got 2\n  at ["presentationContexts"][0]["presentationContextId"]'
    )
    expect(message({ ...rq, userInformation: { ...userInformation, implementationClassUid: "1.2.x" } })).toBe(
      'a UID holds only digits and dots, got "1.2.x"\n  at ["userInformation"]["implementationClassUid"]'
    )
    expect(message({ _tag: "AAbort", source: 5, reason: 0 })).toBe('Expected 0 | 1 | 2\n  at ["source"]')
  })
  it("reports every issue at once", () => {
    const text = message({ ...rq, calledAeTitle: "", callingAeTitle: "x".repeat(17) })
    expect(text).toContain('at ["calledAeTitle"]')
    expect(text).toContain('at ["callingAeTitle"]')
  })
  it("accepts every PDU captured from DCMTK", () => {
    for (const name of ["echoscu.bin", "storescu-all-user-identity.bin", "findscu.bin", "storescp-ac.bin", "storescp-rj.bin", "storescp-rp.bin", "storescp-abort.bin"]) {
      const bytes = new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))
      const decoded = PduCodec.decode(bytes).pipe(Result.getOrThrow)
      expect(Result.isSuccess(Pdu.validate(decoded))).toBe(true)
    }
  })
})
