/**
 * The binary codec of PS3.8 §9.3 over `DataView`: one decoder and one encoder that mirror each
 * other (internal/PduReader.ts, internal/PduWriter.ts).
 *
 * Decoding never copies P-DATA-TF payloads (PDV data are views into the input), and
 * `encodePDataTfParts` / `pDataTfHeader` let a sender write PDVs without copying their payloads.
 * Neither side runs the Schemas (keep the hot path fast): use `Pdu.validate` for that.
 *
 * @since 0.1.0
 */
import type { Result } from "effect"
import { read } from "./internal/PduReader.js"
import { pDataTfLength, write, writePDataTfHeader, writePdvHeader } from "./internal/PduWriter.js"
import type * as Pdu from "./Pdu.js"
import type { PduDecodeError } from "./PduError.js"

/** Bytes of the PDU header (type, reserved, 32-bit length): PS3.8 §9.3.1. @category constants */
export const pduHeaderLength = 6

/** Bytes of a PDV item header (32-bit length, context id, message control header): PS3.8 §9.3.5.1. @category constants */
export const pdvHeaderLength = 6

/** Decodes exactly one PDU (its 6-byte header included); PDV payloads stay views into `bytes`. @category decoding */
export const decode = (bytes: Uint8Array): Result.Result<Pdu.Pdu, PduDecodeError> => read(bytes)

/** Encodes a PDU into one new buffer (copies P-DATA-TF payloads: see `encodePDataTfParts` for zero copy). @category encoding */
export const encode = (pdu: Pdu.Pdu): Uint8Array => write(pdu)

/** Encodes a P-DATA-TF carrying `pdvs` into one contiguous buffer. @category encoding */
export const encodePDataTf = (pdvs: ReadonlyArray<Pdu.Pdv>): Uint8Array => write({ _tag: "PDataTf", pdvs })

/**
 * A P-DATA-TF as parts for a vectored (writev-style) write, never copying payloads:
 * `[PDU header + PDV header, payload, PDV header, payload, ...]`. All headers share one small buffer.
 * @category encoding
 */
export const encodePDataTfParts = (pdvs: ReadonlyArray<Pdu.Pdv>): ReadonlyArray<Uint8Array> => {
  const headers = new Uint8Array(pduHeaderLength + pdvHeaderLength * pdvs.length)
  const view = new DataView(headers.buffer)
  writePDataTfHeader(view, pDataTfLength(pdvs))
  const parts: Array<Uint8Array> = []
  let at = pduHeaderLength
  for (let i = 0; i < pdvs.length; i++) {
    const pdv = pdvs[i] as Pdu.Pdv
    writePdvHeader(view, at, pdv)
    parts.push(headers.subarray(i === 0 ? 0 : at, at + pdvHeaderLength))
    at += pdvHeaderLength
    if (pdv.data.length > 0) parts.push(pdv.data)
  }
  return parts
}

/**
 * The 12 bytes that precede the payload of a P-DATA-TF carrying exactly one PDV of `dataLength`
 * bytes (PDU header then PDV header): write them, then the payload view.
 * @category encoding
 */
export const pDataTfHeader = (presentationContextId: number, isCommand: boolean, isLast: boolean, dataLength: number): Uint8Array => {
  const bytes = new Uint8Array(pduHeaderLength + pdvHeaderLength)
  const view = new DataView(bytes.buffer)
  writePDataTfHeader(view, pdvHeaderLength + dataLength)
  view.setUint32(6, dataLength + 2)
  view.setUint8(10, presentationContextId)
  view.setUint8(11, (isCommand ? 1 : 0) | (isLast ? 2 : 0))
  return bytes
}

/**
 * The largest PDV payload that fits a P-DATA-TF of one PDV under a peer's maximum length
 * (PS3.8 §D.1: the limit counts the PDV item, not the 6-byte PDU header). 0 (unlimited) -> `fallback`.
 * @category encoding
 */
export const maxPdvDataLength = (peerMaxLength: number, fallback = 1024 * 1024): number =>
  peerMaxLength === 0 ? fallback : peerMaxLength - pdvHeaderLength

/** The PDU type code and length field of a PDU header, or undefined if fewer than 6 bytes are given. @category decoding */
export const peekHeader = (bytes: Uint8Array): { readonly pduType: number; readonly length: number } | undefined =>
  bytes.length < pduHeaderLength
    ? undefined
    : {
        pduType: bytes[0] as number,
        length: (((bytes[2] as number) << 24) >>> 0) + (((bytes[3] as number) << 16) | ((bytes[4] as number) << 8) | (bytes[5] as number))
      }
