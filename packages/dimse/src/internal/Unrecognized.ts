/**
 * Requests whose Command Field (0000,0100) the DIMSE codec does not know (PS3.7 Annex C: such an
 * operation is answered 0211H, unrecognized operation). Only the few fields needed to answer are
 * read, straight from the Implicit VR Little Endian command set, and the answer is encoded here
 * (the typed codec cannot represent an unknown command).
 */

/** What is needed to answer an unrecognized request. */
export interface Unrecognized {
  readonly commandField: number
  readonly messageId: number
  readonly hasDataset: boolean
  readonly affectedSopClassUid: string | undefined
}

const CommandField = 0x0100
const MessageId = 0x0110
const DataSetType = 0x0800
const AffectedSopClassUid = 0x0002
const RequestedSopClassUid = 0x0003

/** Reads the fields of an unrecognized request; undefined when the bytes are not a command set or it is a response. */
export const peek = (bytes: Uint8Array): Unrecognized | undefined => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let commandField: number | undefined
  let messageId: number | undefined
  let dataSetType: number | undefined
  let sopClass: string | undefined
  let o = 0
  while (o + 8 <= bytes.length) {
    if (view.getUint16(o, true) !== 0x0000) return undefined
    const element = view.getUint16(o + 2, true)
    const length = view.getUint32(o + 4, true)
    const value = o + 8
    if (length > bytes.length - value) return undefined
    if (length === 2 && element === CommandField) commandField = view.getUint16(value, true)
    else if (length === 2 && element === MessageId) messageId = view.getUint16(value, true)
    else if (length === 2 && element === DataSetType) dataSetType = view.getUint16(value, true)
    else if ((element === AffectedSopClassUid || element === RequestedSopClassUid) && length <= 64) {
      let s = ""
      for (let i = value; i < value + length; i++) s += String.fromCharCode(bytes[i] as number)
      sopClass = s.replace(/[\0 ]+$/, "")
    }
    o = value + length
  }
  // A response (bit 15) is never answered; a request without a Message ID cannot be.
  if (commandField === undefined || messageId === undefined || dataSetType === undefined || (commandField & 0x8000) !== 0) return undefined
  return { commandField, messageId, hasDataset: dataSetType !== 0x0101, affectedSopClassUid: sopClass }
}

/** The response command set: Command Field with bit 15 set, Message ID Being Responded To, no data set, `status`. */
export const response = (request: Unrecognized, status: number): Uint8Array => {
  const uid = request.affectedSopClassUid
  const uidLength = uid === undefined ? 0 : uid.length + (uid.length & 1)
  const total = (uid === undefined ? 0 : 8 + uidLength) + 4 * 10
  const out = new Uint8Array(12 + total)
  const view = new DataView(out.buffer)
  view.setUint32(4, 4, true) // (0000,0000) UL group length
  view.setUint32(8, total, true)
  let o = 12
  if (uid !== undefined) {
    view.setUint16(o + 2, AffectedSopClassUid, true)
    view.setUint32(o + 4, uidLength, true)
    for (let i = 0; i < uid.length; i++) out[o + 8 + i] = uid.charCodeAt(i)
    o += 8 + uidLength // a UI value is padded with NUL (already zero)
  }
  const us = (element: number, v: number) => {
    view.setUint16(o + 2, element, true)
    view.setUint32(o + 4, 2, true)
    view.setUint16(o + 8, v, true)
    o += 10
  }
  us(CommandField, (request.commandField | 0x8000) & 0xffff)
  us(0x0120, request.messageId)
  us(DataSetType, 0x0101)
  us(0x0900, status)
  return out
}
