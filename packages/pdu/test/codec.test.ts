import { assert, describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { type Pdu, PduCodec, PduDecodeError } from "../src/index.js"
import { ae, ascii, item, pdu, u16, u32, zeros } from "./support/bytes.js"

const decode = (bytes: Uint8Array): Pdu.Pdu => {
  const r = PduCodec.decode(bytes)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}

const decodeError = (bytes: Uint8Array): PduDecodeError => {
  const r = PduCodec.decode(bytes)
  assert(Result.isFailure(r), "expected a decode failure")
  expect(r.failure).toBeInstanceOf(PduDecodeError)
  return r.failure
}

const appContext = "1.2.840.10008.3.1.1.1"
const verification = "1.2.840.10008.1.1"
const studyFind = "1.2.840.10008.5.1.4.1.2.2.1"
const studyMove = "1.2.840.10008.5.1.4.1.2.2.2"
const comprehensiveSr = "1.2.840.10008.5.1.4.1.1.88.33"
const storageService = "1.2.840.10008.4.2"
const basicTextSr = "1.2.840.10008.5.1.4.1.1.88.11"
const enhancedSr = "1.2.840.10008.5.1.4.1.1.88.22"
const implicitLe = "1.2.840.10008.1.2"
const explicitLe = "1.2.840.10008.1.2.1"
const implClass = "1.2.826.0.1.3680043.10.543"

/** Every RQ sub-item of PS3.7 Annex D at once. */
const fullRq: Pdu.AAssociateRq = {
  _tag: "AAssociateRq",
  protocolVersion: 1,
  calledAeTitle: "STORESCP",
  callingAeTitle: "DICOMNET",
  applicationContextName: appContext,
  presentationContexts: [
    { presentationContextId: 1, abstractSyntax: verification, transferSyntaxes: [implicitLe] },
    { presentationContextId: 3, abstractSyntax: studyFind, transferSyntaxes: [explicitLe, implicitLe] }
  ],
  userInformation: {
    maxLength: 32768,
    implementationClassUid: implClass,
    implementationVersionName: "DICOMNET_010",
    asyncOperationsWindow: { maxOperationsInvoked: 3, maxOperationsPerformed: 2 },
    roleSelections: [{ sopClassUid: studyMove, scuRole: true, scpRole: false }],
    extendedNegotiations: [{ sopClassUid: studyFind, serviceClassApplicationInformation: Uint8Array.of(1, 1, 0) }],
    commonExtendedNegotiations: [{ sopClassUid: comprehensiveSr, serviceClassUid: storageService, relatedGeneralSopClassUids: [basicTextSr, enhancedSr] }],
    userIdentity: { userIdentityType: 2, positiveResponseRequested: true, primaryField: Uint8Array.from(ascii("alice")), secondaryField: Uint8Array.from(ascii("s3cret")) },
    unknownItems: [{ itemType: 0x60, data: Uint8Array.of(9, 8, 7) }]
  }
}

const fullRqUserInformation = item(
  0x50,
  item(0x51, u32(32768)),
  item(0x52, ascii(implClass)),
  item(0x53, u16(3), u16(2)),
  item(0x54, u16(studyMove.length), ascii(studyMove), [1, 0]),
  item(0x55, ascii("DICOMNET_010")),
  item(0x56, u16(studyFind.length), ascii(studyFind), [1, 1, 0]),
  item(
    0x57,
    u16(comprehensiveSr.length),
    ascii(comprehensiveSr),
    u16(storageService.length),
    ascii(storageService),
    u16(2 + basicTextSr.length + 2 + enhancedSr.length),
    u16(basicTextSr.length),
    ascii(basicTextSr),
    u16(enhancedSr.length),
    ascii(enhancedSr)
  ),
  item(0x58, [2, 1], u16(5), ascii("alice"), u16(6), ascii("s3cret")),
  item(0x60, [9, 8, 7])
)

const fullRqBytes = pdu(
  0x01,
  u16(1),
  zeros(2),
  ae("STORESCP"),
  ae("DICOMNET"),
  zeros(32),
  item(0x10, ascii(appContext)),
  item(0x20, [1, 0, 0, 0], item(0x30, ascii(verification)), item(0x40, ascii(implicitLe))),
  item(0x20, [3, 0, 0, 0], item(0x30, ascii(studyFind)), item(0x40, ascii(explicitLe)), item(0x40, ascii(implicitLe))),
  fullRqUserInformation
)

const fullAc: Pdu.AAssociateAc = {
  _tag: "AAssociateAc",
  protocolVersion: 1,
  calledAeTitle: "STORESCP",
  callingAeTitle: "DICOMNET",
  applicationContextName: appContext,
  presentationContexts: [
    { presentationContextId: 1, result: 0, transferSyntax: implicitLe },
    { presentationContextId: 3, result: 3, transferSyntax: "" }
  ],
  userInformation: {
    maxLength: 0,
    implementationClassUid: implClass,
    asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
    roleSelections: [{ sopClassUid: studyMove, scuRole: false, scpRole: true }],
    extendedNegotiations: [{ sopClassUid: studyFind, serviceClassApplicationInformation: Uint8Array.of(1) }],
    commonExtendedNegotiations: [],
    userIdentityAc: { serverResponse: Uint8Array.from(ascii("ticket")) },
    unknownItems: []
  }
}

const fullAcBytes = pdu(
  0x02,
  u16(1),
  zeros(2),
  ae("STORESCP"),
  ae("DICOMNET"),
  zeros(32),
  item(0x10, ascii(appContext)),
  item(0x21, [1, 0, 0, 0], item(0x40, ascii(implicitLe))),
  item(0x21, [3, 0, 3, 0], item(0x40, [])),
  item(
    0x50,
    item(0x51, u32(0)),
    item(0x52, ascii(implClass)),
    item(0x53, u16(1), u16(1)),
    item(0x54, u16(studyMove.length), ascii(studyMove), [0, 1]),
    item(0x56, u16(studyFind.length), ascii(studyFind), [1]),
    item(0x59, u16(6), ascii("ticket"))
  )
)

describe("PS3.8 §9.3.2 · A-ASSOCIATE-RQ with every item and sub-item", () => {
  it("encodes to the layout of PS3.8 §9.3.2 and PS3.7 Annex D, byte for byte", () => {
    expect(PduCodec.encode(fullRq)).toEqual(fullRqBytes)
  })
  it("decodes back to the same value", () => {
    expect(decode(fullRqBytes)).toEqual(fullRq)
  })
  it("pads AE titles with spaces to 16 bytes and decodes them trimmed", () => {
    const bytes = PduCodec.encode({ ...fullRq, calledAeTitle: "A", callingAeTitle: "SIXTEEN_CHARS_AE" })
    expect([...bytes.subarray(10, 42)]).toEqual([...ae("A"), ...ascii("SIXTEEN_CHARS_AE")])
    const rq = decode(bytes) as Pdu.AAssociateRq
    expect([rq.calledAeTitle, rq.callingAeTitle]).toEqual(["A", "SIXTEEN_CHARS_AE"])
  })
  it.each([1, 3, 4, 5] as const)("user identity type %i carries only a primary field", (userIdentityType) => {
    const userIdentity = { userIdentityType, positiveResponseRequested: false, primaryField: Uint8Array.of(1, 2, 3, 4), secondaryField: new Uint8Array(0) }
    const rq = { ...fullRq, userInformation: { ...fullRq.userInformation, userIdentity } }
    const bytes = PduCodec.encode(rq)
    expect(decode(bytes)).toEqual(rq)
    const at = bytes.length - 4 - 3 - (4 + 6 + 4) // the 0x58 sub-item sits before the unknown 0x60 item
    expect([...bytes.subarray(at, at + 14)]).toEqual([0x58, 0, 0, 10, userIdentityType, 0, 0, 4, 1, 2, 3, 4, 0, 0])
  })
  it("keeps unknown user-information sub-items and re-encodes them where they were", () => {
    const rq = decode(fullRqBytes) as Pdu.AAssociateRq
    expect(rq.userInformation.unknownItems).toEqual([{ itemType: 0x60, data: Uint8Array.of(9, 8, 7) }])
    expect(PduCodec.encode(rq)).toEqual(fullRqBytes)
  })
  it("does not test reserved fields on receipt (PS3.8 §9.3.1), and writes them as 00H", () => {
    const noisy = fullRqBytes.slice()
    noisy[1] = 0xaa // reserved after PDU type
    noisy[8] = 0xbb // reserved after protocol version
    noisy[9] = 0xcc
    noisy.fill(0xdd, 42, 74) // 32 reserved bytes
    noisy[75] = 0xee // reserved byte of the application context item
    expect(decode(noisy)).toEqual(fullRq)
    expect(PduCodec.encode(decode(noisy))).toEqual(fullRqBytes)
  })
  it("strips a trailing NUL some peers pad UIDs with", () => {
    const padded = pdu(
      0x01,
      u16(1),
      zeros(2),
      ae("B"),
      ae("A"),
      zeros(32),
      item(0x10, ascii(appContext), [0]),
      item(0x20, [1, 0, 0, 0], item(0x30, ascii(verification), [0]), item(0x40, ascii(implicitLe), [0])),
      item(0x50, item(0x51, u32(0)), item(0x52, ascii("1.2.3"), [0]))
    )
    const rq = decode(padded) as Pdu.AAssociateRq
    expect(rq.applicationContextName).toBe(appContext)
    expect(rq.presentationContexts).toEqual([{ presentationContextId: 1, abstractSyntax: verification, transferSyntaxes: [implicitLe] }])
    expect(rq.userInformation.implementationClassUid).toBe("1.2.3")
  })
})

describe("PS3.8 §9.3.3 · A-ASSOCIATE-AC", () => {
  it("encodes results, role selection answers and the user identity server response byte for byte", () => {
    expect(PduCodec.encode(fullAc)).toEqual(fullAcBytes)
  })
  it("decodes back to the same value", () => {
    expect(decode(fullAcBytes)).toEqual(fullAc)
  })
  it("decodes a rejected context sent without its transfer syntax sub-item as an empty transfer syntax", () => {
    const bytes = pdu(
      0x02,
      u16(1),
      zeros(2),
      ae("B"),
      ae("A"),
      zeros(32),
      item(0x10, ascii(appContext)),
      item(0x21, [5, 0, 4, 0]),
      item(0x50, item(0x51, u32(16384)), item(0x52, ascii("1.2.3")))
    )
    expect((decode(bytes) as Pdu.AAssociateAc).presentationContexts).toEqual([{ presentationContextId: 5, result: 4, transferSyntax: "" }])
  })
})

describe("PS3.8 §9.3.4-9.3.8 · fixed-size PDUs", () => {
  const cases: ReadonlyArray<readonly [Pdu.Pdu, ReadonlyArray<number>]> = [
    [{ _tag: "AAssociateRj", result: 2, source: 3, reason: 1 }, [3, 0, 0, 0, 0, 4, 0, 2, 3, 1]],
    [{ _tag: "AReleaseRq" }, [5, 0, 0, 0, 0, 4, 0, 0, 0, 0]],
    [{ _tag: "AReleaseRp" }, [6, 0, 0, 0, 0, 4, 0, 0, 0, 0]],
    [{ _tag: "AAbort", source: 2, reason: 6 }, [7, 0, 0, 0, 0, 4, 0, 0, 2, 6]]
  ]
  it.each(cases)("%o encodes to %o and back", (value, bytes) => {
    expect([...PduCodec.encode(value)]).toEqual(bytes)
    expect(decode(Uint8Array.from(bytes))).toEqual(value)
  })
  it("ignores reserved bytes of A-RELEASE-RQ and A-ABORT", () => {
    expect(decode(Uint8Array.of(5, 9, 0, 0, 0, 4, 1, 2, 3, 4))).toEqual({ _tag: "AReleaseRq" })
    expect(decode(Uint8Array.of(7, 9, 0, 0, 0, 4, 7, 7, 2, 1))).toEqual({ _tag: "AAbort", source: 2, reason: 1 })
  })
})

describe("PS3.8 §9.3.5 · P-DATA-TF", () => {
  const command = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)
  const dataset = Uint8Array.of(9, 10, 11)
  const pdvs: ReadonlyArray<Pdu.Pdv> = [
    { presentationContextId: 1, isCommand: true, isLast: true, data: command },
    { presentationContextId: 3, isCommand: false, isLast: false, data: dataset }
  ]
  const bytes = pdu(0x04, u32(10), [1, 0b11], [...command], u32(5), [3, 0b00], [...dataset])

  it("writes each PDV with its message control header (bit 0 command, bit 1 last: PS3.8 Annex E)", () => {
    expect(PduCodec.encode({ _tag: "PDataTf", pdvs })).toEqual(bytes)
    expect(PduCodec.encodePDataTf(pdvs)).toEqual(bytes)
  })
  it("decodes PDV payloads as views into the received buffer, never copies", () => {
    const p = decode(bytes) as Pdu.PDataTf
    expect(p.pdvs).toEqual(pdvs)
    for (const pdv of p.pdvs) expect(pdv.data.buffer).toBe(bytes.buffer)
    expect(p.pdvs[0]?.data.byteOffset).toBe(12)
  })
  it("offers the PDU as parts for a vectored write whose payload parts are the caller's own arrays", () => {
    const parts = PduCodec.encodePDataTfParts(pdvs)
    expect(parts).toHaveLength(4)
    expect(parts[1]).toBe(command)
    expect(parts[3]).toBe(dataset)
    expect(parts.map((p) => p.length)).toEqual([12, 8, 6, 3])
    expect(Uint8Array.from(parts.flatMap((p) => [...p]))).toEqual(bytes)
  })
  it("pDataTfHeader gives the 12 bytes before a single PDV's payload", () => {
    const header = PduCodec.pDataTfHeader(5, false, true, dataset.length)
    expect(Uint8Array.from([...header, ...dataset])).toEqual(PduCodec.encodePDataTf([{ presentationContextId: 5, isCommand: false, isLast: true, data: dataset }]))
  })
  it("maxPdvDataLength leaves room for the PDV item header inside the peer's maximum length (PS3.8 §D.1)", () => {
    expect(PduCodec.maxPdvDataLength(16384)).toBe(16378)
    const header = PduCodec.pDataTfHeader(1, false, false, PduCodec.maxPdvDataLength(16384))
    expect(PduCodec.peekHeader(header)).toEqual({ pduType: 4, length: 16384 })
  })
  it("accepts an empty PDV payload (item length 2)", () => {
    const empty = pdu(0x04, u32(2), [1, 0b10])
    expect(decode(empty)).toEqual({ _tag: "PDataTf", pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(0) }] })
  })
})

describe("PS3.8 §9.3 · malformed PDUs give a PduDecodeError with offset and reason", () => {
  it("fewer than 6 bytes", () => {
    expect(decodeError(Uint8Array.of(1, 0, 0)).offset).toBe(3)
  })
  it("a length field that disagrees with the bytes given", () => {
    const e = decodeError(Uint8Array.of(5, 0, 0, 0, 0, 5, 0, 0, 0, 0))
    expect([e.offset, e.pduType]).toEqual([2, 5])
  })
  it("an A-ASSOCIATE-RQ shorter than its fixed part", () => {
    const e = decodeError(pdu(0x01, zeros(20)))
    expect(e.reason).toMatch(/74-byte fixed part/)
  })
  it("an item overrunning the PDU, at the item's offset", () => {
    const bytes = fullRqBytes.slice()
    bytes[74 + 2] = 0xff // application context item length 0xFFFF, far beyond the PDU's end
    bytes[74 + 3] = 0xff
    const e = decodeError(bytes)
    expect([e.offset, e.pduType]).toEqual([74, 1])
    expect(e.reason).toMatch(/overruns/)
  })
  it("an A-ASSOCIATE-RQ without user information", () => {
    const bytes = pdu(0x01, u16(1), zeros(2), ae("B"), ae("A"), zeros(32), item(0x10, ascii(appContext)))
    expect(decodeError(bytes).reason).toMatch(/no user information/)
  })
  it("a user information item without maximum length", () => {
    const bytes = pdu(0x01, u16(1), zeros(2), ae("B"), ae("A"), zeros(32), item(0x10, ascii(appContext)), item(0x50, item(0x52, ascii("1.2"))))
    expect(decodeError(bytes).reason).toMatch(/maximum length/)
  })
  it("a PDV item length below 2", () => {
    const e = decodeError(pdu(0x04, u32(1), [1, 0]))
    expect([e.offset, e.pduType]).toEqual([6, 4])
  })
  it("a P-DATA-TF without PDVs", () => {
    expect(decodeError(pdu(0x04)).reason).toMatch(/no presentation data value/)
  })
  it("an A-ASSOCIATE-RJ result outside 1..2, at its offset", () => {
    expect(decodeError(Uint8Array.of(3, 0, 0, 0, 0, 4, 0, 0, 1, 1)).offset).toBe(7)
  })
  it("an unknown PDU type", () => {
    expect(decodeError(Uint8Array.of(0x0a, 0, 0, 0, 0, 0)).pduType).toBe(0x0a)
  })
  it("has a readable message", () => {
    expect(decodeError(Uint8Array.of(3, 0, 0, 0, 0, 4, 0, 0, 1, 1)).message).toBe(
      "invalid PDU (PDU type 0x03) at offset 7: A-ASSOCIATE-RJ result 0 is not 1 or 2"
    )
  })
})
