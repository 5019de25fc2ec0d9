/**
 * Effect Schemas for every PDU and item of PS3.8 §9.3 (and the PS3.7 Annex D user-information
 * sub-items), carrying the standard's constraints. The binary codec does not run them (hot path);
 * `Pdu.validate` and `Pdu.decodeUnknown` do.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type * as P from "./Pdu.js"

const isDefaultRepertoire = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x5c) return false
  }
  return true
}

/** PS3.5 Table 6.2-1 AE: 1-16 characters of the default repertoire, no backslash or control characters, not all spaces. @category schemas */
export const AeTitle = Schema.String.check(
  Schema.makeFilter((s: string) =>
    s.length === 0 || s.length > 16
      ? `an AE title has 1 to 16 characters, got ${s.length}`
      : !isDefaultRepertoire(s)
        ? "an AE title holds only default-repertoire characters (no backslash, no control characters)"
        : s.trim().length === 0
          ? "an AE title is not all spaces"
          : true
  )
).annotate({ identifier: "AeTitle" })

/** PS3.5 §9.1 UID: 1-64 characters, digits and dots. @category schemas */
export const Uid = Schema.String.check(
  Schema.makeFilter((s: string) =>
    s.length === 0 || s.length > 64
      ? `a UID has 1 to 64 characters, got ${s.length}`
      : /^[0-9.]+$/.test(s)
        ? true
        : `a UID holds only digits and dots, got "${s}"`
  )
).annotate({ identifier: "Uid" })

const uint = (bits: 8 | 16 | 32, identifier: string) =>
  Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 2 ** bits - 1 })).annotate({ identifier })

/** PS3.8 §9.3.2.2 presentation context ID: an odd integer 1..255. @category schemas */
export const PresentationContextId = Schema.Number.check(
  Schema.makeFilter((n: number) =>
    Number.isInteger(n) && n >= 1 && n <= 255 && n % 2 === 1 ? true : `a presentation context ID is an odd integer 1..255, got ${n}`
  )
).annotate({ identifier: "PresentationContextId" })

/** PS3.8 §D.1 maximum length: an unsigned 32-bit integer (0 = unlimited). @category schemas */
export const MaxLength = uint(32, "MaxLength")

/** A byte field of an item (its length fits the 16-bit item length). @category schemas */
const Bytes16 = Schema.Uint8Array.check(
  Schema.makeFilter((b: Uint8Array) => (b.length <= 0xfff0 ? true : `an item field holds at most 65520 bytes, got ${b.length}`))
)

/** PS3.8 §9.3.5.1 presentation data value. @category schemas */
export const Pdv = Schema.Struct({
  presentationContextId: PresentationContextId,
  isCommand: Schema.Boolean,
  isLast: Schema.Boolean,
  data: Schema.Uint8Array
}).annotate({ identifier: "Pdv" })

/** PS3.8 §9.3.2.2 presentation context item (RQ). @category schemas */
export const PresentationContextRq = Schema.Struct({
  presentationContextId: PresentationContextId,
  abstractSyntax: Uid,
  transferSyntaxes: Schema.Array(Uid).check(Schema.isMinLength(1))
}).annotate({ identifier: "PresentationContextRq" })

/** PS3.8 §9.3.3.2 result values. @category schemas */
export const PresentationContextResult = Schema.Literals([0, 1, 2, 3, 4])

/** PS3.8 §9.3.3.2 presentation context item (AC): the transfer syntax may be empty unless accepted. @category schemas */
export const PresentationContextAc = Schema.Struct({
  presentationContextId: PresentationContextId,
  result: PresentationContextResult,
  transferSyntax: Schema.String
})
  .check(
    Schema.makeFilter((pc: { readonly result: number; readonly transferSyntax: string }) =>
      pc.result === 0 && !/^[0-9.]{1,64}$/.test(pc.transferSyntax)
        ? { path: ["transferSyntax"], issue: "an accepted presentation context names a valid transfer syntax UID" }
        : pc.transferSyntax.length > 64 || !/^[0-9.]*$/.test(pc.transferSyntax)
          ? { path: ["transferSyntax"], issue: "a transfer syntax is empty or a UID" }
          : true
    )
  )
  .annotate({ identifier: "PresentationContextAc" })

/** PS3.7 §D.3.3.4 SCP/SCU role selection. @category schemas */
export const RoleSelection = Schema.Struct({ sopClassUid: Uid, scuRole: Schema.Boolean, scpRole: Schema.Boolean })

/** PS3.7 §D.3.3.3 asynchronous operations window. @category schemas */
export const AsyncOperationsWindow = Schema.Struct({
  maxOperationsInvoked: uint(16, "MaxOperationsInvoked"),
  maxOperationsPerformed: uint(16, "MaxOperationsPerformed")
})

/** PS3.7 §D.3.3.5 SOP class extended negotiation. @category schemas */
export const SopClassExtendedNegotiation = Schema.Struct({ sopClassUid: Uid, serviceClassApplicationInformation: Bytes16 })

/** PS3.7 §D.3.3.6 SOP class common extended negotiation. @category schemas */
export const SopClassCommonExtendedNegotiation = Schema.Struct({
  sopClassUid: Uid,
  serviceClassUid: Uid,
  relatedGeneralSopClassUids: Schema.Array(Uid)
})

/** PS3.7 §D.3.3.7 user identity types. @category schemas */
export const UserIdentityType = Schema.Literals([1, 2, 3, 4, 5])

/** PS3.7 §D.3.3.7.1 user identity (RQ): a passcode (secondary field) only with type 2. @category schemas */
export const UserIdentityRq = Schema.Struct({
  userIdentityType: UserIdentityType,
  positiveResponseRequested: Schema.Boolean,
  primaryField: Bytes16.check(Schema.makeFilter((b: Uint8Array) => (b.length > 0 ? true : "the primary field is not empty"))),
  secondaryField: Bytes16
}).check(
  Schema.makeFilter((u: { readonly userIdentityType: number; readonly secondaryField: Uint8Array }) =>
    u.userIdentityType !== 2 && u.secondaryField.length > 0
      ? { path: ["secondaryField"], issue: "a secondary field (passcode) is sent only with user identity type 2" }
      : u.userIdentityType === 2 && u.secondaryField.length === 0
        ? { path: ["secondaryField"], issue: "user identity type 2 requires a passcode" }
        : true
  )
)

/** PS3.7 §D.3.3.7.2 user identity (AC). @category schemas */
export const UserIdentityAc = Schema.Struct({ serverResponse: Bytes16 })

/** A kept unknown user-information sub-item (its type is not one this codec knows). @category schemas */
export const UnknownItem = Schema.Struct({
  itemType: uint(8, "ItemType").check(
    Schema.makeFilter((t: number) => (t < 0x51 || t > 0x59 ? true : `item type 0x${t.toString(16)} is a known sub-item`))
  ),
  data: Bytes16
})

/** 1-16 characters of the default repertoire (implementation version name, PS3.7 §D.3.3.2). @category schemas */
export const ImplementationVersionName = Schema.String.check(
  Schema.makeFilter((s: string) =>
    s.length >= 1 && s.length <= 16 && isDefaultRepertoire(s) ? true : "an implementation version name has 1 to 16 default-repertoire characters"
  )
)

/** PS3.8 §9.3.2.3 user information item. @category schemas */
export const UserInformation = Schema.Struct({
  maxLength: MaxLength,
  implementationClassUid: Uid,
  implementationVersionName: Schema.optional(ImplementationVersionName),
  asyncOperationsWindow: Schema.optional(AsyncOperationsWindow),
  roleSelections: Schema.Array(RoleSelection),
  extendedNegotiations: Schema.Array(SopClassExtendedNegotiation),
  commonExtendedNegotiations: Schema.Array(SopClassCommonExtendedNegotiation),
  userIdentity: Schema.optional(UserIdentityRq),
  userIdentityAc: Schema.optional(UserIdentityAc),
  unknownItems: Schema.Array(UnknownItem)
}).annotate({ identifier: "UserInformation" })

const ProtocolVersion = uint(16, "ProtocolVersion")

/** PS3.8 §9.3.2 A-ASSOCIATE-RQ. @category schemas */
export const AAssociateRq = Schema.TaggedStruct("AAssociateRq", {
  protocolVersion: ProtocolVersion,
  calledAeTitle: AeTitle,
  callingAeTitle: AeTitle,
  applicationContextName: Uid,
  presentationContexts: Schema.Array(PresentationContextRq).check(Schema.isMinLength(1)),
  userInformation: UserInformation
}).annotate({ identifier: "AAssociateRq" })

/** PS3.8 §9.3.3 A-ASSOCIATE-AC. @category schemas */
export const AAssociateAc = Schema.TaggedStruct("AAssociateAc", {
  protocolVersion: ProtocolVersion,
  calledAeTitle: AeTitle,
  callingAeTitle: AeTitle,
  applicationContextName: Uid,
  presentationContexts: Schema.Array(PresentationContextAc),
  userInformation: UserInformation
}).annotate({ identifier: "AAssociateAc" })

/** PS3.8 Table 9-21: the reasons each source may give. */
const rejectReasons: Record<number, ReadonlyArray<number>> = { 1: [1, 2, 3, 7], 2: [1, 2], 3: [1, 2] }

/** PS3.8 §9.3.4 A-ASSOCIATE-RJ: result 1|2, source 1|2|3 and a reason valid for the source. @category schemas */
export const AAssociateRj = Schema.TaggedStruct("AAssociateRj", {
  result: Schema.Literals([1, 2]),
  source: Schema.Literals([1, 2, 3]),
  reason: uint(8, "RejectReason")
})
  .check(
    Schema.makeFilter((rj: { readonly source: number; readonly reason: number }) =>
      rejectReasons[rj.source]?.includes(rj.reason)
        ? true
        : { path: ["reason"], issue: `reason ${rj.reason} is not defined for source ${rj.source} (PS3.8 Table 9-21)` }
    )
  )
  .annotate({ identifier: "AAssociateRj" })

/** PS3.8 §9.3.5 P-DATA-TF: at least one PDV. @category schemas */
export const PDataTf = Schema.TaggedStruct("PDataTf", { pdvs: Schema.Array(Pdv).check(Schema.isMinLength(1)) }).annotate({ identifier: "PDataTf" })

/** PS3.8 §9.3.6 A-RELEASE-RQ. @category schemas */
export const AReleaseRq = Schema.TaggedStruct("AReleaseRq", {}).annotate({ identifier: "AReleaseRq" })

/** PS3.8 §9.3.7 A-RELEASE-RP. @category schemas */
export const AReleaseRp = Schema.TaggedStruct("AReleaseRp", {}).annotate({ identifier: "AReleaseRp" })

/** PS3.8 §9.3.8 A-ABORT: source 0 (user), 1 (reserved) or 2 (provider); reason 0..6 (Table 9-26). @category schemas */
export const AAbort = Schema.TaggedStruct("AAbort", {
  source: Schema.Literals([0, 1, 2]),
  reason: Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 6 }))
}).annotate({ identifier: "AAbort" })

/** Any PDU. @category schemas */
export const Pdu = Schema.Union([AAssociateRq, AAssociateAc, AAssociateRj, PDataTf, AReleaseRq, AReleaseRp, AAbort])

// The Schemas and the plain types of Pdu.ts describe the same values (checked both ways).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameTypes: [
  Same<typeof Pdu.Type, P.Pdu>,
  Same<typeof UserInformation.Type, P.UserInformation>,
  Same<typeof Pdv.Type, P.Pdv>
] = [true, true, true]
void sameTypes
