import type { AAssociateAc, AAssociateRj, AAssociateRq, PDataTf, UserInformation } from "@dicomnet/pdu"

/** Hand-written PDU values used across the tests (not captured from a peer). */
export const userInformation: UserInformation = {
  maxLength: 16384,
  implementationClassUid: "1.2.826.0.1.3680043.10.1",
  implementationVersionName: "TEST",
  roleSelections: [],
  extendedNegotiations: [],
  commonExtendedNegotiations: [],
  unknownItems: []
}

export const verification = "1.2.840.10008.1.1"
export const ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"
export const implicitLittle = "1.2.840.10008.1.2"
export const explicitLittle = "1.2.840.10008.1.2.1"
export const explicitBig = "1.2.840.10008.1.2.2"
export const applicationContext = "1.2.840.10008.3.1.1.1"

export const rq: AAssociateRq = {
  _tag: "AAssociateRq",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "ECHOSCU",
  applicationContextName: applicationContext,
  presentationContexts: [{ presentationContextId: 1, abstractSyntax: verification, transferSyntaxes: [implicitLittle] }],
  userInformation
}

export const ac: AAssociateAc = {
  _tag: "AAssociateAc",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "ECHOSCU",
  applicationContextName: applicationContext,
  presentationContexts: [{ presentationContextId: 1, result: 0, transferSyntax: implicitLittle }],
  userInformation
}

export const rj: AAssociateRj = { _tag: "AAssociateRj", result: 1, source: 1, reason: 7 }

export const pdata: PDataTf = {
  _tag: "PDataTf",
  pdvs: [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3, 4]) }]
}
