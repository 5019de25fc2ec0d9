/**
 * @dicomnet/pdu: DICOM Upper Layer PDUs (PS3.8 §9.3) as values and Schemas, a binary codec,
 * an incremental bounded framer and a PDU dump.
 *
 * @since 0.1.0
 */
export * as Framer from "./Framer.js"
export * as Pdu from "./Pdu.js"
export * as PduCodec from "./PduCodec.js"
export * as PduDump from "./PduDump.js"
export { type FramerError, PduDecodeError, PduTooLarge, UnknownPduType } from "./PduError.js"
export * as PduSchema from "./PduSchema.js"
export type {
  AAbort,
  AbortSource,
  AAssociateAc,
  AAssociateRj,
  AAssociateRq,
  AReleaseRp,
  AReleaseRq,
  AsyncOperationsWindow,
  PDataTf,
  Pdv,
  PresentationContextAc,
  PresentationContextResult,
  PresentationContextRq,
  RejectResult,
  RejectSource,
  RoleSelection,
  SopClassCommonExtendedNegotiation,
  SopClassExtendedNegotiation,
  UnknownItem,
  UserIdentityAc,
  UserIdentityRq,
  UserIdentityType,
  UserInformation
} from "./Pdu.js"
// The union itself is `Pdu.Pdu` (the name `Pdu` is the namespace); `AnyPdu` is the same type at top level.
export type { Pdu as AnyPdu } from "./Pdu.js"
