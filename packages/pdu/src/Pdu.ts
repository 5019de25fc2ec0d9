/**
 * The seven Upper Layer PDUs of PS3.8 §9.3 and their items, as plain immutable values.
 *
 * Decoded values keep AE titles trimmed of padding spaces (they are padded to 16 bytes on encode)
 * and P-DATA-TF payloads as views into the received buffer.
 *
 * @since 0.1.0
 */
import { type Result, Schema } from "effect"
import * as PduSchema from "./PduSchema.js"

/** PS3.8 §9.3.1 PDU type codes. @category constants */
export const PduType = {
  AAssociateRq: 0x01,
  AAssociateAc: 0x02,
  AAssociateRj: 0x03,
  PDataTf: 0x04,
  AReleaseRq: 0x05,
  AReleaseRp: 0x06,
  AAbort: 0x07
} as const

/** A PDU type code of PS3.8 §9.3.1. @category constants */
export type PduType = (typeof PduType)[keyof typeof PduType]

/** PS3.8 §9.3 item type codes of variable items and user-information sub-items. @category constants */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperationsWindow: 0x53,
  ScpScuRoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59
} as const

/** A presentation data value: PS3.8 §9.3.5.1 plus the message control header of Annex E. @category models */
export interface Pdv {
  /** Odd, 1..255. */
  readonly presentationContextId: number
  /** Bit 0 of the message control header: command (true) or data set (false) fragment. */
  readonly isCommand: boolean
  /** Bit 1 of the message control header: last fragment of the command or data set. */
  readonly isLast: boolean
  /** The fragment; a VIEW into the received buffer (decode never copies it). */
  readonly data: Uint8Array
}

/** PS3.8 §9.3.2.2 presentation context item of an A-ASSOCIATE-RQ. @category models */
export interface PresentationContextRq {
  readonly presentationContextId: number
  readonly abstractSyntax: string
  readonly transferSyntaxes: ReadonlyArray<string>
}

/** PS3.8 §9.3.3.2 result: acceptance, user-rejection, no-reason, abstract syntax not supported, transfer syntaxes not supported. @category models */
export type PresentationContextResult = 0 | 1 | 2 | 3 | 4

/** PS3.8 §9.3.3.2 presentation context item of an A-ASSOCIATE-AC. @category models */
export interface PresentationContextAc {
  readonly presentationContextId: number
  readonly result: PresentationContextResult
  /** Meaningless (and often empty) unless `result` is 0. */
  readonly transferSyntax: string
}

/** PS3.7 §D.3.3.4 SCP/SCU role selection sub-item. @category models */
export interface RoleSelection {
  readonly sopClassUid: string
  readonly scuRole: boolean
  readonly scpRole: boolean
}

/** PS3.7 §D.3.3.3 asynchronous operations window sub-item (0 = unlimited). @category models */
export interface AsyncOperationsWindow {
  readonly maxOperationsInvoked: number
  readonly maxOperationsPerformed: number
}

/** PS3.7 §D.3.3.5 SOP class extended negotiation sub-item. @category models */
export interface SopClassExtendedNegotiation {
  readonly sopClassUid: string
  readonly serviceClassApplicationInformation: Uint8Array
}

/** PS3.7 §D.3.3.6 SOP class common extended negotiation sub-item (A-ASSOCIATE-RQ only). @category models */
export interface SopClassCommonExtendedNegotiation {
  readonly sopClassUid: string
  readonly serviceClassUid: string
  readonly relatedGeneralSopClassUids: ReadonlyArray<string>
}

/** PS3.7 §D.3.3.7 user identity type: username, username+passcode, Kerberos, SAML, JWT. @category models */
export type UserIdentityType = 1 | 2 | 3 | 4 | 5

/** PS3.7 §D.3.3.7.1 user identity negotiation sub-item of an A-ASSOCIATE-RQ. @category models */
export interface UserIdentityRq {
  readonly userIdentityType: UserIdentityType
  readonly positiveResponseRequested: boolean
  readonly primaryField: Uint8Array
  /** Empty unless `userIdentityType` is 2 (passcode). */
  readonly secondaryField: Uint8Array
}

/** PS3.7 §D.3.3.7.2 user identity negotiation sub-item of an A-ASSOCIATE-AC. @category models */
export interface UserIdentityAc {
  readonly serverResponse: Uint8Array
}

/** A user-information sub-item this codec does not know: kept and re-encoded as is. @category models */
export interface UnknownItem {
  readonly itemType: number
  readonly data: Uint8Array
}

/** PS3.8 §9.3.2.3 / §9.3.3.3 user information item and its sub-items (PS3.8 Annex D, PS3.7 Annex D). @category models */
export interface UserInformation {
  /** PS3.8 §D.1 maximum length received; 0 = unlimited. */
  readonly maxLength: number
  readonly implementationClassUid: string
  readonly implementationVersionName?: string | undefined
  readonly asyncOperationsWindow?: AsyncOperationsWindow | undefined
  readonly roleSelections: ReadonlyArray<RoleSelection>
  readonly extendedNegotiations: ReadonlyArray<SopClassExtendedNegotiation>
  /** A-ASSOCIATE-RQ only. */
  readonly commonExtendedNegotiations: ReadonlyArray<SopClassCommonExtendedNegotiation>
  /** A-ASSOCIATE-RQ only. */
  readonly userIdentity?: UserIdentityRq | undefined
  /** A-ASSOCIATE-AC only. */
  readonly userIdentityAc?: UserIdentityAc | undefined
  readonly unknownItems: ReadonlyArray<UnknownItem>
}

/** PS3.8 §9.3.2 A-ASSOCIATE-RQ. @category models */
export interface AAssociateRq {
  readonly _tag: "AAssociateRq"
  readonly protocolVersion: number
  readonly calledAeTitle: string
  readonly callingAeTitle: string
  readonly applicationContextName: string
  readonly presentationContexts: ReadonlyArray<PresentationContextRq>
  readonly userInformation: UserInformation
}

/** PS3.8 §9.3.3 A-ASSOCIATE-AC (the AE title fields are reserved but echo the RQ's values). @category models */
export interface AAssociateAc {
  readonly _tag: "AAssociateAc"
  readonly protocolVersion: number
  readonly calledAeTitle: string
  readonly callingAeTitle: string
  readonly applicationContextName: string
  readonly presentationContexts: ReadonlyArray<PresentationContextAc>
  readonly userInformation: UserInformation
}

/** PS3.8 §9.3.4 A-ASSOCIATE-RJ result: 1 rejected-permanent, 2 rejected-transient. @category models */
export type RejectResult = 1 | 2

/** PS3.8 §9.3.4 A-ASSOCIATE-RJ source: 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). @category models */
export type RejectSource = 1 | 2 | 3

/** PS3.8 §9.3.4 A-ASSOCIATE-RJ. @category models */
export interface AAssociateRj {
  readonly _tag: "AAssociateRj"
  readonly result: RejectResult
  readonly source: RejectSource
  /** Meaning depends on `source` (PS3.8 Table 9-21). */
  readonly reason: number
}

/** PS3.8 §9.3.5 P-DATA-TF. @category models */
export interface PDataTf {
  readonly _tag: "PDataTf"
  readonly pdvs: ReadonlyArray<Pdv>
}

/** PS3.8 §9.3.6 A-RELEASE-RQ. @category models */
export interface AReleaseRq {
  readonly _tag: "AReleaseRq"
}

/** PS3.8 §9.3.7 A-RELEASE-RP. @category models */
export interface AReleaseRp {
  readonly _tag: "AReleaseRp"
}

/** PS3.8 §9.3.8 A-ABORT source: 0 service-user, 1 reserved, 2 service-provider. @category models */
export type AbortSource = 0 | 1 | 2

/** PS3.8 §9.3.8 A-ABORT. @category models */
export interface AAbort {
  readonly _tag: "AAbort"
  readonly source: AbortSource
  /** 0..6 when `source` is 2 (PS3.8 Table 9-26), otherwise 0. */
  readonly reason: number
}

/** Any of the seven PDUs. @category models */
export type Pdu = AAssociateRq | AAssociateAc | AAssociateRj | PDataTf | AReleaseRq | AReleaseRp | AAbort

const validatePdu = Schema.decodeUnknownResult(PduSchema.Pdu)

/** Checks a PDU value against its Schema (AE titles, UIDs, context IDs, enumerations...); every issue is reported. @category validation */
export const validate = (pdu: Pdu): Result.Result<Pdu, Schema.SchemaError> => validatePdu(pdu, { errors: "all" })

/** Decodes an unknown value (e.g. parsed JSON) as a PDU through its Schema, with readable messages. @category validation */
export const decodeUnknown = (input: unknown): Result.Result<Pdu, Schema.SchemaError> => validatePdu(input, { errors: "all" })
