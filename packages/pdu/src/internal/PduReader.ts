/**
 * The PDU reader: bytes -> PDU values (PS3.8 §9.3). Mirror of PduWriter.
 * Reserved fields are never checked on receipt (PS3.8 §9.3.1: "shall not be tested").
 */
import { Result } from "effect"
import type * as Pdu from "../Pdu.js"
import { PduDecodeError } from "../PduError.js"

/** Thrown inside the reader only and turned into a `Result` at its boundary. */
class Fail {
  constructor(readonly offset: number, readonly reason: string) {}
}

const fail = (offset: number, reason: string): never => {
  throw new Fail(offset, reason)
}

const scratch: Array<number> = []

/** Decodes ASCII/default-repertoire bytes; strips trailing NUL and space padding (PS3.8 Annex F for UIDs). */
const text = (bytes: Uint8Array, start: number, end: number, trimSpaces: boolean): string => {
  while (end > start && (bytes[end - 1] === 0 || (trimSpaces && bytes[end - 1] === 0x20))) end--
  // Char codes gathered in a reused plain array, then one fromCharCode call: the fastest of the usual
  // ways for short strings (UIDs, AE titles) in V8 (measured against concatenation and TextDecoder).
  const n = end - start
  const codes = n <= 64 ? scratch : new Array<number>(n)
  codes.length = n
  for (let i = 0; i < n; i++) codes[i] = bytes[start + i] as number
  return String.fromCharCode.apply(null, codes)
}


/** UIDs: strip trailing NUL (some peers pad odd lengths) but keep everything else as sent. */
const uid = (bytes: Uint8Array, start: number, end: number): string => text(bytes, start, end, false)

/** Reads one sub-item header at `at` inside [.., end): returns [itemType, dataStart, dataEnd]. */
const itemHeader = (view: DataView, at: number, end: number, what: string): readonly [number, number, number] => {
  if (at + 4 > end) fail(at, `truncated ${what} item header`)
  const itemType = view.getUint8(at)
  const length = view.getUint16(at + 2)
  const dataEnd = at + 4 + length
  if (dataEnd > end) fail(at, `${what} item 0x${itemType.toString(16)} of length ${length} overruns its container`)
  return [itemType, at + 4, dataEnd]
}

const readUserInformation = (bytes: Uint8Array, view: DataView, start: number, end: number): Pdu.UserInformation => {
  let maxLength: number | undefined
  let implementationClassUid: string | undefined
  let implementationVersionName: string | undefined
  let asyncOperationsWindow: Pdu.AsyncOperationsWindow | undefined
  const roleSelections: Array<Pdu.RoleSelection> = []
  const extendedNegotiations: Array<Pdu.SopClassExtendedNegotiation> = []
  const commonExtendedNegotiations: Array<Pdu.SopClassCommonExtendedNegotiation> = []
  let userIdentity: Pdu.UserIdentityRq | undefined
  let userIdentityAc: Pdu.UserIdentityAc | undefined
  const unknownItems: Array<Pdu.UnknownItem> = []
  let at = start
  while (at < end) {
    const [itemType, s, e] = itemHeader(view, at, end, "user information sub-")
    switch (itemType) {
      case 0x51: // PS3.8 §D.1
        if (e - s !== 4) fail(at, `maximum length sub-item has length ${e - s}, expected 4`)
        maxLength = view.getUint32(s)
        break
      case 0x52: // PS3.7 §D.3.3.2
        implementationClassUid = uid(bytes, s, e)
        break
      case 0x53: // PS3.7 §D.3.3.3
        if (e - s !== 4) fail(at, `asynchronous operations window sub-item has length ${e - s}, expected 4`)
        asyncOperationsWindow = { maxOperationsInvoked: view.getUint16(s), maxOperationsPerformed: view.getUint16(s + 2) }
        break
      case 0x54: {
        // PS3.7 §D.3.3.4
        if (e - s < 2) fail(at, "truncated SCP/SCU role selection sub-item")
        const n = view.getUint16(s)
        if (s + 2 + n + 2 !== e) fail(at, `SCP/SCU role selection UID length ${n} does not fit the sub-item length ${e - s}`)
        roleSelections.push({
          sopClassUid: uid(bytes, s + 2, s + 2 + n),
          scuRole: view.getUint8(s + 2 + n) !== 0,
          scpRole: view.getUint8(s + 3 + n) !== 0
        })
        break
      }
      case 0x55: // PS3.7 §D.3.3.2
        implementationVersionName = text(bytes, s, e, true)
        break
      case 0x56: {
        // PS3.7 §D.3.3.5
        if (e - s < 2) fail(at, "truncated SOP class extended negotiation sub-item")
        const n = view.getUint16(s)
        if (s + 2 + n > e) fail(at, `SOP class extended negotiation UID length ${n} overruns the sub-item`)
        extendedNegotiations.push({
          sopClassUid: uid(bytes, s + 2, s + 2 + n),
          serviceClassApplicationInformation: bytes.subarray(s + 2 + n, e)
        })
        break
      }
      case 0x57: {
        // PS3.7 §D.3.3.6
        let p = s
        const field = (what: string): string => {
          if (p + 2 > e) fail(p, `truncated ${what} length in SOP class common extended negotiation`)
          const n = view.getUint16(p)
          if (p + 2 + n > e) fail(p, `${what} length ${n} overruns SOP class common extended negotiation`)
          const v = uid(bytes, p + 2, p + 2 + n)
          p += 2 + n
          return v
        }
        const sopClassUid = field("SOP class UID")
        const serviceClassUid = field("service class UID")
        if (p + 2 > e) fail(p, "truncated related general SOP class identification length")
        const relatedEnd = p + 2 + view.getUint16(p)
        if (relatedEnd > e) fail(p, "related general SOP class identification overruns its sub-item")
        p += 2
        const related: Array<string> = []
        while (p < relatedEnd) related.push(field("related general SOP class UID"))
        if (p !== relatedEnd) fail(p, "related general SOP class UID overruns its identification field")
        commonExtendedNegotiations.push({ sopClassUid, serviceClassUid, relatedGeneralSopClassUids: related })
        break
      }
      case 0x58: {
        // PS3.7 §D.3.3.7.1
        if (e - s < 4) fail(at, "truncated user identity negotiation sub-item")
        const type = view.getUint8(s)
        if (type < 1 || type > 5) fail(s, `user identity type ${type} is not 1..5`)
        const positive = view.getUint8(s + 1) === 1
        const n = view.getUint16(s + 2)
        if (s + 4 + n + 2 > e) fail(s + 2, `user identity primary field length ${n} overruns its sub-item`)
        const m = view.getUint16(s + 4 + n)
        if (s + 6 + n + m !== e) fail(s + 4 + n, `user identity secondary field length ${m} does not fit its sub-item`)
        userIdentity = {
          userIdentityType: type as Pdu.UserIdentityType,
          positiveResponseRequested: positive,
          primaryField: bytes.subarray(s + 4, s + 4 + n),
          secondaryField: bytes.subarray(s + 6 + n, e)
        }
        break
      }
      case 0x59: {
        // PS3.7 §D.3.3.7.2
        if (e - s < 2) fail(at, "truncated user identity server response sub-item")
        const n = view.getUint16(s)
        if (s + 2 + n !== e) fail(s, `server response length ${n} does not fit its sub-item`)
        userIdentityAc = { serverResponse: bytes.subarray(s + 2, e) }
        break
      }
      default:
        unknownItems.push({ itemType, data: bytes.subarray(s, e) })
    }
    at = e
  }
  if (maxLength === undefined) fail(start - 4, "user information item has no maximum length sub-item (PS3.8 §D.1)")
  if (implementationClassUid === undefined) fail(start - 4, "user information item has no implementation class UID sub-item")
  return {
    maxLength: maxLength as number,
    implementationClassUid: implementationClassUid as string,
    ...(implementationVersionName === undefined ? {} : { implementationVersionName }),
    ...(asyncOperationsWindow === undefined ? {} : { asyncOperationsWindow }),
    roleSelections,
    extendedNegotiations,
    commonExtendedNegotiations,
    ...(userIdentity === undefined ? {} : { userIdentity }),
    ...(userIdentityAc === undefined ? {} : { userIdentityAc }),
    unknownItems
  }
}

/** PS3.8 §9.3.2 / §9.3.3: the two association PDUs share their layout. */
const readAssociate = (bytes: Uint8Array, view: DataView, end: number, isRq: boolean): Pdu.AAssociateRq | Pdu.AAssociateAc => {
  if (end < 74) fail(6, `A-ASSOCIATE PDU is ${end} bytes, shorter than its 74-byte fixed part`)
  const protocolVersion = view.getUint16(6)
  const calledAeTitle = text(bytes, 10, 26, true)
  const callingAeTitle = text(bytes, 26, 42, true)
  let applicationContextName: string | undefined
  const rqContexts: Array<Pdu.PresentationContextRq> = []
  const acContexts: Array<Pdu.PresentationContextAc> = []
  let userInformation: Pdu.UserInformation | undefined
  let at = 74
  while (at < end) {
    const [itemType, s, e] = itemHeader(view, at, end, "variable")
    switch (itemType) {
      case 0x10:
        applicationContextName = uid(bytes, s, e)
        break
      case 0x20: {
        if (!isRq) fail(at, "presentation context item 0x20 in an A-ASSOCIATE-AC")
        if (e - s < 4) fail(at, "truncated presentation context item")
        const presentationContextId = view.getUint8(s)
        let abstractSyntax: string | undefined
        const transferSyntaxes: Array<string> = []
        let p = s + 4
        while (p < e) {
          const [subType, ss, se] = itemHeader(view, p, e, "presentation context sub-")
          if (subType === 0x30) {
            if (abstractSyntax !== undefined) fail(p, "second abstract syntax sub-item in a presentation context")
            abstractSyntax = uid(bytes, ss, se)
          } else if (subType === 0x40) transferSyntaxes.push(uid(bytes, ss, se))
          else fail(p, `unexpected sub-item 0x${subType.toString(16)} in a presentation context`)
          p = se
        }
        if (abstractSyntax === undefined) fail(at, `presentation context ${presentationContextId} has no abstract syntax`)
        if (transferSyntaxes.length === 0) fail(at, `presentation context ${presentationContextId} has no transfer syntax`)
        rqContexts.push({ presentationContextId, abstractSyntax: abstractSyntax as string, transferSyntaxes })
        break
      }
      case 0x21: {
        if (isRq) fail(at, "presentation context item 0x21 in an A-ASSOCIATE-RQ")
        if (e - s < 4) fail(at, "truncated presentation context item")
        const presentationContextId = view.getUint8(s)
        const result = view.getUint8(s + 2)
        if (result > 4) fail(s + 2, `presentation context result ${result} is not 0..4`)
        let transferSyntax = ""
        let p = s + 4
        while (p < e) {
          const [subType, ss, se] = itemHeader(view, p, e, "presentation context sub-")
          if (subType !== 0x40) fail(p, `unexpected sub-item 0x${subType.toString(16)} in a presentation context`)
          transferSyntax = uid(bytes, ss, se)
          p = se
        }
        acContexts.push({ presentationContextId, result: result as Pdu.PresentationContextResult, transferSyntax })
        break
      }
      case 0x50:
        userInformation = readUserInformation(bytes, view, s, e)
        break
      default:
      // PS3.8 §9.3.1 leaves no room for other variable items; an unknown one is skipped, not fatal.
    }
    at = e
  }
  if (applicationContextName === undefined) fail(74, "no application context item")
  if (userInformation === undefined) fail(74, "no user information item")
  const common = {
    protocolVersion,
    calledAeTitle,
    callingAeTitle,
    applicationContextName: applicationContextName as string,
    userInformation: userInformation as Pdu.UserInformation
  }
  return isRq
    ? { _tag: "AAssociateRq", ...common, presentationContexts: rqContexts }
    : { _tag: "AAssociateAc", ...common, presentationContexts: acContexts }
}

const readPDataTf = (bytes: Uint8Array, view: DataView, end: number): Pdu.PDataTf => {
  const pdvs: Array<Pdu.Pdv> = []
  let at = 6
  while (at < end) {
    if (at + 6 > end) fail(at, "truncated presentation data value item header")
    const length = view.getUint32(at)
    if (length < 2) fail(at, `presentation data value item length ${length} is less than 2`)
    const dataEnd = at + 4 + length
    if (dataEnd > end) fail(at, `presentation data value item of length ${length} overruns the PDU`)
    const header = view.getUint8(at + 5)
    pdvs.push({
      presentationContextId: view.getUint8(at + 4),
      isCommand: (header & 1) !== 0,
      isLast: (header & 2) !== 0,
      data: bytes.subarray(at + 6, dataEnd)
    })
    at = dataEnd
  }
  if (pdvs.length === 0) fail(6, "P-DATA-TF carries no presentation data value")
  return { _tag: "PDataTf", pdvs }
}

const fixed4 = (end: number, what: string): void => {
  if (end !== 10) fail(2, `${what} PDU length is ${end - 6}, expected 4`)
}

/**
 * Decodes the PDU that occupies exactly `bytes` (6-byte header included). P-DATA-TF payloads and
 * byte-valued items are views into `bytes`.
 */
export const read = (bytes: Uint8Array): Result.Result<Pdu.Pdu, PduDecodeError> => {
  if (bytes.length < 6) return Result.fail(new PduDecodeError({ offset: bytes.length, reason: `${bytes.length} bytes cannot hold a 6-byte PDU header` }))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const pduType = view.getUint8(0)
  const length = view.getUint32(2)
  if (length + 6 !== bytes.length) {
    return Result.fail(new PduDecodeError({ offset: 2, pduType, reason: `PDU length ${length} + 6 does not match the ${bytes.length} bytes given` }))
  }
  const end = bytes.length
  try {
    switch (pduType) {
      case 0x01:
        return Result.succeed(readAssociate(bytes, view, end, true))
      case 0x02:
        return Result.succeed(readAssociate(bytes, view, end, false))
      case 0x03: {
        fixed4(end, "A-ASSOCIATE-RJ")
        const result = view.getUint8(7)
        const source = view.getUint8(8)
        if (result !== 1 && result !== 2) fail(7, `A-ASSOCIATE-RJ result ${result} is not 1 or 2`)
        if (source < 1 || source > 3) fail(8, `A-ASSOCIATE-RJ source ${source} is not 1..3`)
        return Result.succeed({ _tag: "AAssociateRj", result: result as Pdu.RejectResult, source: source as Pdu.RejectSource, reason: view.getUint8(9) })
      }
      case 0x04:
        return Result.succeed(readPDataTf(bytes, view, end))
      case 0x05:
        fixed4(end, "A-RELEASE-RQ")
        return Result.succeed({ _tag: "AReleaseRq" })
      case 0x06:
        fixed4(end, "A-RELEASE-RP")
        return Result.succeed({ _tag: "AReleaseRp" })
      case 0x07: {
        fixed4(end, "A-ABORT")
        const source = view.getUint8(8)
        if (source > 2) fail(8, `A-ABORT source ${source} is not 0..2`)
        return Result.succeed({ _tag: "AAbort", source: source as Pdu.AbortSource, reason: view.getUint8(9) })
      }
      default:
        return Result.fail(new PduDecodeError({ offset: 0, pduType, reason: `unknown PDU type 0x${pduType.toString(16)}` }))
    }
  } catch (e) {
    if (e instanceof Fail) return Result.fail(new PduDecodeError({ offset: e.offset, reason: e.reason, pduType }))
    throw e
  }
}
