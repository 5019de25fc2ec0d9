/**
 * The PDU writer: PDU values -> bytes (PS3.8 §9.3). Mirror of PduReader.
 * Sizes are computed first so each PDU is written into one exact-size buffer; reserved fields are
 * written as the standard says (zeros, protocol version as given, AE titles space-padded to 16).
 */
import type * as Pdu from "../Pdu.js"

/** A cursor over one output buffer. */
class Out {
  readonly bytes: Uint8Array
  readonly view: DataView
  at = 0
  constructor(size: number) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
  }
  u8(v: number): void {
    this.bytes[this.at++] = v
  }
  u16(v: number): void {
    this.view.setUint16(this.at, v)
    this.at += 2
  }
  u32(v: number): void {
    this.view.setUint32(this.at, v)
    this.at += 4
  }
  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.bytes[this.at++] = s.charCodeAt(i) & 0xff
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.at)
    this.at += b.length
  }
  /** A fixed-width field padded with spaces (AE titles, PS3.8 §9.3.2). */
  padded(s: string, width: number): void {
    const n = Math.min(s.length, width)
    for (let i = 0; i < n; i++) this.bytes[this.at + i] = s.charCodeAt(i) & 0xff
    this.bytes.fill(0x20, this.at + n, this.at + width)
    this.at += width
  }
  /** An item header: type, reserved (or sub-item version) byte, 16-bit length. */
  item(itemType: number, length: number): void {
    this.u8(itemType)
    this.u8(0)
    this.u16(length)
  }
}

const userInformationLength = (ui: Pdu.UserInformation): number => {
  let n = 4 + 8 + 4 + ui.implementationClassUid.length // 0x50 header, 0x51, 0x52
  if (ui.asyncOperationsWindow !== undefined) n += 8
  for (const r of ui.roleSelections) n += 4 + 2 + r.sopClassUid.length + 2
  if (ui.implementationVersionName !== undefined) n += 4 + ui.implementationVersionName.length
  for (const x of ui.extendedNegotiations) n += 4 + 2 + x.sopClassUid.length + x.serviceClassApplicationInformation.length
  for (const c of ui.commonExtendedNegotiations) n += 4 + commonExtendedLength(c)
  if (ui.userIdentity !== undefined) n += 4 + 6 + ui.userIdentity.primaryField.length + ui.userIdentity.secondaryField.length
  if (ui.userIdentityAc !== undefined) n += 4 + 2 + ui.userIdentityAc.serverResponse.length
  for (const u of ui.unknownItems) n += 4 + u.data.length
  return n
}

const relatedLength = (c: Pdu.SopClassCommonExtendedNegotiation): number => {
  let n = 0
  for (const r of c.relatedGeneralSopClassUids) n += 2 + r.length
  return n
}

const commonExtendedLength = (c: Pdu.SopClassCommonExtendedNegotiation): number =>
  2 + c.sopClassUid.length + 2 + c.serviceClassUid.length + 2 + relatedLength(c)

// Sub-items in the order of PS3.7 Annex D / PS3.8 Annex D (and DCMTK's): 51, 52, 53, 54, 55, 56, 57, 58/59, then unknown.
const writeUserInformation = (out: Out, ui: Pdu.UserInformation): void => {
  out.item(0x50, userInformationLength(ui) - 4)
  out.item(0x51, 4)
  out.u32(ui.maxLength)
  out.item(0x52, ui.implementationClassUid.length)
  out.ascii(ui.implementationClassUid)
  if (ui.asyncOperationsWindow !== undefined) {
    out.item(0x53, 4)
    out.u16(ui.asyncOperationsWindow.maxOperationsInvoked)
    out.u16(ui.asyncOperationsWindow.maxOperationsPerformed)
  }
  for (const r of ui.roleSelections) {
    out.item(0x54, 2 + r.sopClassUid.length + 2)
    out.u16(r.sopClassUid.length)
    out.ascii(r.sopClassUid)
    out.u8(r.scuRole ? 1 : 0)
    out.u8(r.scpRole ? 1 : 0)
  }
  if (ui.implementationVersionName !== undefined) {
    out.item(0x55, ui.implementationVersionName.length)
    out.ascii(ui.implementationVersionName)
  }
  for (const x of ui.extendedNegotiations) {
    out.item(0x56, 2 + x.sopClassUid.length + x.serviceClassApplicationInformation.length)
    out.u16(x.sopClassUid.length)
    out.ascii(x.sopClassUid)
    out.raw(x.serviceClassApplicationInformation)
  }
  for (const c of ui.commonExtendedNegotiations) {
    out.item(0x57, commonExtendedLength(c)) // sub-item version 0 (PS3.7 §D.3.3.6)
    out.u16(c.sopClassUid.length)
    out.ascii(c.sopClassUid)
    out.u16(c.serviceClassUid.length)
    out.ascii(c.serviceClassUid)
    out.u16(relatedLength(c))
    for (const r of c.relatedGeneralSopClassUids) {
      out.u16(r.length)
      out.ascii(r)
    }
  }
  if (ui.userIdentity !== undefined) {
    const u = ui.userIdentity
    out.item(0x58, 6 + u.primaryField.length + u.secondaryField.length)
    out.u8(u.userIdentityType)
    out.u8(u.positiveResponseRequested ? 1 : 0)
    out.u16(u.primaryField.length)
    out.raw(u.primaryField)
    out.u16(u.secondaryField.length)
    out.raw(u.secondaryField)
  }
  if (ui.userIdentityAc !== undefined) {
    out.item(0x59, 2 + ui.userIdentityAc.serverResponse.length)
    out.u16(ui.userIdentityAc.serverResponse.length)
    out.raw(ui.userIdentityAc.serverResponse)
  }
  for (const u of ui.unknownItems) {
    out.item(u.itemType, u.data.length)
    out.raw(u.data)
  }
}

const writeAssociate = (pdu: Pdu.AAssociateRq | Pdu.AAssociateAc): Uint8Array => {
  let length = 68 + 4 + pdu.applicationContextName.length + userInformationLength(pdu.userInformation)
  if (pdu._tag === "AAssociateRq") {
    for (const pc of pdu.presentationContexts) {
      length += 8 + 4 + pc.abstractSyntax.length
      for (const ts of pc.transferSyntaxes) length += 4 + ts.length
    }
  } else {
    for (const pc of pdu.presentationContexts) length += 8 + 4 + pc.transferSyntax.length
  }
  const out = new Out(6 + length)
  out.u8(pdu._tag === "AAssociateRq" ? 0x01 : 0x02)
  out.u8(0)
  out.u32(length)
  out.u16(pdu.protocolVersion)
  out.u16(0)
  out.padded(pdu.calledAeTitle, 16)
  out.padded(pdu.callingAeTitle, 16)
  out.at += 32 // reserved, zeros
  out.item(0x10, pdu.applicationContextName.length)
  out.ascii(pdu.applicationContextName)
  if (pdu._tag === "AAssociateRq") {
    for (const pc of pdu.presentationContexts) {
      let n = 4 + 4 + pc.abstractSyntax.length
      for (const ts of pc.transferSyntaxes) n += 4 + ts.length
      out.item(0x20, n)
      out.u8(pc.presentationContextId)
      out.u8(0)
      out.u8(0)
      out.u8(0)
      out.item(0x30, pc.abstractSyntax.length)
      out.ascii(pc.abstractSyntax)
      for (const ts of pc.transferSyntaxes) {
        out.item(0x40, ts.length)
        out.ascii(ts)
      }
    }
  } else {
    for (const pc of pdu.presentationContexts) {
      out.item(0x21, 4 + 4 + pc.transferSyntax.length)
      out.u8(pc.presentationContextId)
      out.u8(0)
      out.u8(pc.result)
      out.u8(0)
      out.item(0x40, pc.transferSyntax.length)
      out.ascii(pc.transferSyntax)
    }
  }
  writeUserInformation(out, pdu.userInformation)
  return out.bytes
}

/** The 10 bytes of a PDU whose variable part is 4 bytes (RJ, RELEASE-RQ/RP, ABORT). */
const fixed = (pduType: number, b7: number, b8: number, b9: number): Uint8Array =>
  new Uint8Array([pduType, 0, 0, 0, 0, 4, 0, b7, b8, b9])

/** Total payload bytes of the PDVs, and the PDU length field of a P-DATA-TF carrying them. */
export const pDataTfLength = (pdvs: ReadonlyArray<Pdu.Pdv>): number => {
  let n = 0
  for (const p of pdvs) n += 6 + p.data.length
  return n
}

/** Writes a PDV item header (PS3.8 §9.3.5.1 + Annex E) at `at`. */
export const writePdvHeader = (view: DataView, at: number, pdv: Pdu.Pdv): void => {
  view.setUint32(at, pdv.data.length + 2)
  view.setUint8(at + 4, pdv.presentationContextId)
  view.setUint8(at + 5, (pdv.isCommand ? 1 : 0) | (pdv.isLast ? 2 : 0))
}

/** Writes a P-DATA-TF PDU header (type 0x04, reserved, length) at 0. */
export const writePDataTfHeader = (view: DataView, length: number): void => {
  view.setUint8(0, 0x04)
  view.setUint8(1, 0)
  view.setUint32(2, length)
}

const writePDataTf = (pdu: Pdu.PDataTf): Uint8Array => {
  const length = pDataTfLength(pdu.pdvs)
  const out = new Out(6 + length)
  writePDataTfHeader(out.view, length)
  out.at = 6
  for (const p of pdu.pdvs) {
    writePdvHeader(out.view, out.at, p)
    out.at += 6
    out.raw(p.data)
  }
  return out.bytes
}

/** Encodes any PDU into one new buffer. */
export const write = (pdu: Pdu.Pdu): Uint8Array => {
  switch (pdu._tag) {
    case "AAssociateRq":
    case "AAssociateAc":
      return writeAssociate(pdu)
    case "AAssociateRj":
      return fixed(0x03, pdu.result, pdu.source, pdu.reason)
    case "PDataTf":
      return writePDataTf(pdu)
    case "AReleaseRq":
      return fixed(0x05, 0, 0, 0)
    case "AReleaseRp":
      return fixed(0x06, 0, 0, 0)
    case "AAbort":
      return fixed(0x07, 0, pdu.source, pdu.reason)
  }
}
