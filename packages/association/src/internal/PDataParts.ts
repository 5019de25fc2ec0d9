/**
 * P-DATA-TF PDUs as parts for a vectored write, like `PduCodec.encodePDataTfParts`, but with their
 * headers carved from a shared slab: a fresh small `Uint8Array` per PDU plus a
 * `DataView` over its `.buffer` makes V8 move that buffer off the heap, which costs more than the rest
 * of the encoding. A slab region is written once and never reused (a full slab is replaced), so the
 * parts stay valid however long the transport holds them.
 */
import type { Pdv } from "@dicomnet/pdu"

const slabSize = 8192
const pduHeaderLength = 6
const pdvHeaderLength = 6

// One slab for every connection of the process: a region is written once and never reused, so sharing
// it is as safe as a slab per connection, and an association that sends no P-DATA allocates nothing.
let slab = new Uint8Array(slabSize)
let view = new DataView(slab.buffer)
let at = 0

/** Appends the parts of one P-DATA-TF carrying `pdvs` to `out`: `[PDU + PDV header, payload, PDV header, payload, ...]`. */
export const push = (pdvs: ReadonlyArray<Pdv>, out: Array<Uint8Array>): void => {
  const headers = pduHeaderLength + pdvHeaderLength * pdvs.length
  if (at + headers > slab.length) {
    slab = new Uint8Array(Math.max(slabSize, headers))
    view = new DataView(slab.buffer)
    at = 0
  }
  let length = 0
  for (const pdv of pdvs) length += pdvHeaderLength + pdv.data.length
  // PS3.8 §9.3.5: PDU-type 04H, reserved, PDU-length; then per PDV item its length, context id and control header.
  view.setUint8(at, 0x04)
  view.setUint8(at + 1, 0)
  view.setUint32(at + 2, length)
  let start = at
  let end = at + pduHeaderLength
  for (const pdv of pdvs) {
    view.setUint32(end, pdv.data.length + 2)
    view.setUint8(end + 4, pdv.presentationContextId)
    view.setUint8(end + 5, (pdv.isCommand ? 1 : 0) | (pdv.isLast ? 2 : 0))
    end += pdvHeaderLength
    out.push(slab.subarray(start, end))
    if (pdv.data.length > 0) out.push(pdv.data)
    start = end
  }
  at = end
}
