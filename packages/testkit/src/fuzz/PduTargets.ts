/**
 * Fuzz targets of @dicomnet/pdu: `PduCodec.decode` (whole PDUs), the item and sub-item decoders
 * reached through A-ASSOCIATE-RQ/AC, and the incremental `Framer` under random chunk splits.
 */
import { Bytes } from "@dicomnet/data"
import { Framer, type Pdu, PduCodec, PduDecodeError, PduTooLarge, UnknownPduType } from "@dicomnet/pdu"
import { Result } from "effect"
import * as Generate from "./Generate.js"
import { pduFields } from "./Layout.js"
import * as Mutate from "./Mutate.js"
import { deepEqual, failure, problem, show, typed, value } from "./Oracle.js"
import type { Rng } from "./Rng.js"
import type { Case, Outcome, Target } from "./Runner.js"

const framerErrors = [PduDecodeError, PduTooLarge, UnknownPduType] as const

/** Decodes one PDU: a typed failure, or a value that survives encode -> decode unchanged. */
const decodeChecked = (bytes: Uint8Array, expected: Pdu.Pdu | undefined): Outcome => {
  const r = PduCodec.decode(bytes)
  if (Result.isFailure(r)) {
    if (expected !== undefined) return problem("RoundTrip", `a valid ${expected._tag} failed to decode: ${r.failure.message}`)
    return typed(r.failure, [PduDecodeError])
  }
  if (expected !== undefined) {
    return deepEqual(r.success, expected) ? value : problem("RoundTrip", `decode(encode(x)) != x: got ${show(r.success)}, expected ${show(expected)}`)
  }
  // Accepted hostile input: the value must be stable through another encode -> decode.
  const again = PduCodec.decode(PduCodec.encode(r.success))
  if (Result.isFailure(again)) return problem("RoundTrip", `re-encoding an accepted ${r.success._tag} gives bytes that fail: ${again.failure.message}`)
  return deepEqual(again.success, r.success) ? value : problem("RoundTrip", `accepted ${r.success._tag} changes through encode -> decode: ${show(r.success)} vs ${show(again.success)}`)
}

/** An A-ASSOCIATE-RQ with `n` presentation contexts (a huge item count). */
const manyContexts = (r: Rng, n: number): Pdu.AAssociateRq => ({
  _tag: "AAssociateRq",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "FUZZ",
  applicationContextName: "1.2.840.10008.3.1.1.1",
  presentationContexts: Array.from({ length: n }, (_, i) => ({
    presentationContextId: (2 * i + 1) & 0xff,
    abstractSyntax: Generate.uid(r),
    transferSyntaxes: ["1.2.840.10008.1.2"]
  })),
  userInformation: {
    maxLength: 16384,
    implementationClassUid: "1.2.3",
    roleSelections: [],
    extendedNegotiations: [],
    commonExtendedNegotiations: [],
    unknownItems: Array.from({ length: r.int(0, n) }, () => ({ itemType: 0x60, data: new Uint8Array(0) }))
  }
})

/** Hand-made hostile PDUs: huge item counts, PDVs shorter than their header, lengths past the end. */
const special = (r: Rng): { readonly bytes: Uint8Array; readonly label: string } => {
  switch (r.int(0, 4)) {
    case 0: {
      const n = r.pick([500, 2000, 8000])
      return { bytes: PduCodec.encode(manyContexts(r, n)), label: `A-ASSOCIATE-RQ with ${n} presentation contexts` }
    }
    case 1: {
      // P-DATA-TF with thousands of PDVs whose item length is 0, 1 or 2 (shorter than / equal to the 2-byte header).
      const n = r.int(1, 5000)
      const pdvLength = r.pick([0, 1, 2])
      const bytes = new Uint8Array(6 + n * (4 + pdvLength))
      const view = new DataView(bytes.buffer)
      view.setUint8(0, 0x04)
      view.setUint32(2, bytes.length - 6)
      for (let i = 0; i < n; i++) {
        const at = 6 + i * (4 + pdvLength)
        view.setUint32(at, pdvLength)
        if (pdvLength >= 1) view.setUint8(at + 4, 1)
      }
      return { bytes, label: `P-DATA-TF of ${n} PDVs of item length ${pdvLength}` }
    }
    case 2: {
      // Fixed-size PDUs (RJ, RELEASE, ABORT) with every length.
      const type = r.pick([0x03, 0x05, 0x06, 0x07])
      const length = r.pick([0, 1, 3, 5, 8, 1024])
      const bytes = new Uint8Array(6 + length)
      bytes[0] = type
      new DataView(bytes.buffer).setUint32(2, length)
      return { bytes, label: `PDU type ${type} with length ${length}` }
    }
    case 3: {
      const bytes = r.bytes(0, 200)
      if (bytes.length > 0) bytes[0] = r.int(1, 7)
      if (bytes.length >= 6 && r.bool()) new DataView(bytes.buffer).setUint32(2, bytes.length - 6)
      return { bytes, label: `${bytes.length} random bytes` }
    }
    default: {
      // An item whose length runs exactly to, or one past, the end of its container.
      const pdu = Generate.pdu(r)
      const bytes = PduCodec.encode(pdu)
      const fields = pduFields(bytes)
      const f = r.pick(fields)
      const pastEnd = bytes.length - f.valueStart + r.pick([0, 1, -1])
      return { bytes: Mutate.write(bytes, f, pastEnd), label: `${pdu._tag}: length field at ${f.offset} set to ${pastEnd} (to the end of the PDU)` }
    }
  }
}

/** `PduCodec.decode` on valid, mutated, random and hand-made hostile PDUs. */
export const pduDecode: Target = {
  name: "pdu.decode",
  description: "PduCodec.decode: valid PDUs round-trip; mutated ones give PduDecodeError or a value stable through encode -> decode",
  generate: (r): Case => {
    const roll = r.next()
    if (roll < 0.15) {
      const pdu = Generate.pdu(r)
      const bytes = PduCodec.encode(pdu)
      return { label: `valid ${pdu._tag}`, input: bytes, check: () => decodeChecked(bytes, pdu) }
    }
    if (roll < 0.3) {
      const s = special(r)
      return { label: s.label, input: s.bytes, check: () => decodeChecked(s.bytes, undefined) }
    }
    const pdu = Generate.pdu(r)
    const bytes = PduCodec.encode(pdu)
    const m = Mutate.mutate(r, bytes, pduFields(bytes))
    return { label: `${pdu._tag}: ${m.label}`, input: m.bytes, check: () => decodeChecked(m.bytes, undefined) }
  }
}

const associateItemTypes = [0x10, 0x20, 0x21, 0x30, 0x40, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x00, 0xff]

/** The item and sub-item decoders of A-ASSOCIATE-RQ/AC: every length field at extremes, item types swapped. */
export const pduItems: Target = {
  name: "pdu.items",
  description: "PduCodec.decode of A-ASSOCIATE-RQ/AC with item lengths at extremes, item types swapped and truncation at item boundaries",
  generate: (r): Case => {
    let pdu = Generate.pdu(r)
    while (pdu._tag !== "AAssociateRq" && pdu._tag !== "AAssociateAc") pdu = Generate.pdu(r)
    const bytes = PduCodec.encode(pdu)
    const fields = pduFields(bytes).slice(1) // item fields only: the PDU length is pdu.decode's business
    let m: Mutate.Mutated
    const roll = r.int(0, 3)
    if (roll <= 1 || fields.length === 0) {
      const f = r.pick(fields.length > 0 ? fields : pduFields(bytes))
      const v = r.pick([...Mutate.extremeLengths(f, bytes.length), Mutate.read(bytes, f) + 1, Math.max(0, Mutate.read(bytes, f) - 1)])
      m = { bytes: Mutate.write(bytes, f, v), label: `item length at ${f.offset}: ${Mutate.read(bytes, f)} -> ${v}` }
      // Keep the PDU length consistent half of the time, so the item decoders see the lie, not the PDU header.
      if (r.bool()) m = { ...m, bytes: Mutate.write(m.bytes, { offset: 2, size: 4, littleEndian: false, valueStart: 6 }, m.bytes.length - 6) }
    } else if (roll === 2) {
      const f = r.pick(fields)
      const out = bytes.slice()
      const typeAt = f.offset - 2
      const type = r.pick(associateItemTypes)
      if (typeAt >= 74) out[typeAt] = type
      m = { bytes: out, label: `item type at ${typeAt}: 0x${(bytes[typeAt] ?? 0).toString(16)} -> 0x${type.toString(16)}` }
    } else {
      const f = r.pick(fields)
      const at = Math.min(bytes.length, r.pick([f.offset - 2, f.offset, f.valueStart, f.valueStart + Mutate.read(bytes, f)]))
      const cut = bytes.slice(0, at)
      if (cut.length >= 6) new DataView(cut.buffer).setUint32(2, cut.length - 6)
      m = { bytes: cut, label: `truncated at item boundary ${at} (PDU length adjusted)` }
    }
    return { label: `${pdu._tag}: ${m.label}`, input: m.bytes, check: () => decodeChecked(m.bytes, undefined) }
  }
}

/** Random chunk sizes covering `total` bytes: 1-byte steps, small, medium, or everything at once. */
const chunking = (r: Rng, total: number): Array<number> => {
  const style = r.int(0, 3)
  const sizes: Array<number> = []
  let left = total
  while (left > 0) {
    const size = style === 0 ? 1 : style === 1 ? r.int(1, 8) : style === 2 ? r.int(1, 300) : r.pick([1, r.int(1, 6), r.int(1, 64), left])
    sizes.push(Math.min(size, left))
    left -= size
  }
  return sizes
}

/** The `Framer` fed a stream of PDUs (valid or with one mutated) in random chunks. */
export const pduFramer: Target = {
  name: "pdu.framer",
  description: "Framer.push under random chunk splits: valid streams give the same PDUs; hostile ones a typed error, sticky, with bounded buffering",
  generate: (r): Case => {
    const pdus = r.array(1, 6, () => Generate.pdu(r))
    const encoded = pdus.map((p) => PduCodec.encode(p))
    const mutateAt = r.bool(0.6) ? r.int(0, encoded.length - 1) : -1
    let label = `${pdus.map((p) => p._tag).join(",")}`
    if (mutateAt >= 0) {
      const original = encoded[mutateAt] as Uint8Array
      const m = r.bool(0.2) ? special(r) : { ...Mutate.mutate(r, original, pduFields(original)) }
      encoded[mutateAt] = m.bytes
      label += `; PDU #${mutateAt}: ${m.label}`
    }
    const stream = Bytes.concat(encoded)
    const sizes = chunking(r, stream.length)
    const maxPduLength = mutateAt < 0 ? r.pick([16384, 4096, 65536]) : r.pick([16384, 4096, 65536, 1024])
    label += `; maxPduLength ${maxPduLength}; ${sizes.length} chunks`
    return {
      label,
      input: stream,
      check: (): Outcome => {
        const framer = Framer.make({ maxPduLength })
        const bound = Math.max(maxPduLength, Framer.defaultMaxAssociatePduLength) + 6
        const out: Array<Pdu.Pdu> = []
        let at = 0
        for (const size of sizes) {
          const pushed = framer.push(stream.subarray(at, at + size))
          at += size
          if (Result.isFailure(pushed)) {
            const t = typed(pushed.failure, framerErrors)
            if (t._tag === "Problem") return t
            const again = framer.push(new Uint8Array([1, 2, 3]))
            if (!Result.isFailure(again) || again.failure !== pushed.failure) return problem("Untyped", "the framer did not stay failed with the same error")
            if (mutateAt < 0) return problem("RoundTrip", `a valid stream failed to frame: ${pushed.failure.message}`)
            return t
          }
          out.push(...pushed.success)
          if (framer.pendingBytes() > bound) return problem("Unbounded", `the framer buffers ${framer.pendingBytes()} bytes, more than ${bound}`)
        }
        if (mutateAt < 0) {
          if (framer.pendingBytes() !== 0) return problem("RoundTrip", `${framer.pendingBytes()} bytes pending after a whole valid stream`)
          if (!deepEqual(out, pdus)) return problem("RoundTrip", `framed PDUs differ from the encoded ones: ${show(out)}`)
        }
        return mutateAt < 0 ? value : out.length === pdus.length ? value : failure("incomplete")
      }
    }
  }
}
