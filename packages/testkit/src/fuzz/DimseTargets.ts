/**
 * Fuzz targets of @dicomnet/dimse: `CommandSet.decode` on mutated command sets, and the PDV
 * `Assembler` fed valid messages and hostile PDV sequences.
 */
import { Bytes } from "@dicomnet/data"
import { Assembler, type Command, CommandSet, DimseDecodeError, DimseProtocolError } from "@dicomnet/dimse"
import { type Pdu, PduCodec } from "@dicomnet/pdu"
import { Result } from "effect"
import * as Generate from "./Generate.js"
import { elementFields } from "./Layout.js"
import * as Mutate from "./Mutate.js"
import { deepEqual, problem, show, typed, value } from "./Oracle.js"
import type { Rng } from "./Rng.js"
import type { Case, Outcome, Target } from "./Runner.js"

const implicitLE = { explicitVR: false, littleEndian: true } as const

/** Encodes a generated command; the generator only makes valid ones, so a failure is a harness bug. */
export const encodeCommand = (c: Command.DimseCommand): Uint8Array => {
  const r = CommandSet.encode(c)
  if (Result.isFailure(r)) throw new Error(`generated an unencodable ${c._tag}: ${r.failure.message} (${show(c)})`)
  return r.success
}

const decodeChecked = (bytes: Uint8Array, expected: Command.DimseCommand | undefined): Outcome => {
  const r = CommandSet.decode(bytes)
  if (Result.isFailure(r)) {
    if (expected !== undefined) return problem("RoundTrip", `a valid ${expected._tag} failed to decode: ${r.failure.message}`)
    return typed(r.failure, [DimseDecodeError])
  }
  if (expected !== undefined) {
    return deepEqual(r.success, expected) ? value : problem("RoundTrip", `decode(encode(x)) != x: got ${show(r.success)}, expected ${show(expected)}`)
  }
  const encoded = CommandSet.encode(r.success)
  if (Result.isFailure(encoded)) return value // accepted on decode, refused on encode (e.g. a character outside the repertoire): lenient in, strict out
  const again = CommandSet.decode(encoded.success)
  if (Result.isFailure(again)) return problem("RoundTrip", `re-encoding an accepted ${r.success._tag} gives bytes that fail: ${again.failure.message}`)
  return deepEqual(again.success, r.success) ? value : problem("RoundTrip", `accepted ${r.success._tag} changes through encode -> decode: ${show(r.success)} vs ${show(again.success)}`)
}

/** An implicit VR LE element header (tag, 32-bit length). */
const header = (view: DataView, at: number, tag: number, length: number): void => {
  view.setUint16(at, tag >>> 16, true)
  view.setUint16(at + 2, tag & 0xffff, true)
  view.setUint32(at + 4, length, true)
}

/** Hand-made hostile command sets: thousands of unknown elements, huge or odd lengths, foreign groups. */
const special = (r: Rng): Mutate.Mutated => {
  const base = encodeCommand(Generate.command(r))
  switch (r.int(0, 2)) {
    case 0: {
      const n = r.pick([1000, 10000])
      const extra = new Uint8Array(n * 8)
      const view = new DataView(extra.buffer)
      for (let i = 0; i < n; i++) header(view, i * 8, 0x00000000 | (0x5000 + (i % 0x1000)), 0)
      return { bytes: Bytes.concat([base, extra]), label: `command set followed by ${n} empty unknown group-0000 elements` }
    }
    case 1: {
      const extra = new Uint8Array(8 + 3)
      header(new DataView(extra.buffer), 0, r.pick([0x00000002, 0x00000110, 0x00000901, 0x00000902, 0x00001005, 0x00080016]), r.pick([3, 1, 0xffffffff, 0x7fffffff, 5]))
      return { bytes: Bytes.concat([base, extra]), label: "command set followed by an element with an odd, huge or undefined length" }
    }
    default: {
      const bytes = r.bytes(0, 120)
      for (let i = 0; i + 1 < bytes.length && i < 8; i += 4) {
        bytes[i] = 0
        bytes[i + 1] = 0
      }
      return { bytes, label: `${bytes.length} random bytes in group 0000` }
    }
  }
}

/** `CommandSet.decode` on valid, mutated and hand-made hostile command sets. */
export const commandSet: Target = {
  name: "dimse.commandSet",
  description: "CommandSet.decode: valid command sets round-trip; mutated ones give DimseDecodeError or a value stable through encode -> decode",
  generate: (r): Case => {
    const roll = r.next()
    if (roll < 0.2) {
      const c = Generate.command(r)
      const bytes = encodeCommand(c)
      return { label: `valid ${c._tag}`, input: bytes, check: () => decodeChecked(bytes, c) }
    }
    if (roll < 0.3) {
      const m = special(r)
      return { label: m.label, input: m.bytes, check: () => decodeChecked(m.bytes, undefined) }
    }
    const c = Generate.command(r)
    const bytes = encodeCommand(c)
    const m = Mutate.mutate(r, bytes, elementFields(bytes, implicitLE))
    return { label: `${c._tag}: ${m.label}`, input: m.bytes, check: () => decodeChecked(m.bytes, undefined) }
  }
}

/** PDV-level mutations of a valid sequence of messages. */
const mutatePdvs = (r: Rng, pdvs: Array<Pdu.Pdv>): string => {
  if (pdvs.length === 0) return "no PDVs"
  const i = r.int(0, pdvs.length - 1)
  const p = pdvs[i] as Pdu.Pdv
  switch (r.int(0, 8)) {
    case 0:
      pdvs[i] = { ...p, isCommand: !p.isCommand }
      return `PDV #${i}: command bit flipped`
    case 1:
      pdvs[i] = { ...p, isLast: !p.isLast }
      return `PDV #${i}: last bit flipped`
    case 2:
      pdvs[i] = { ...p, presentationContextId: Generate.contextId(r) }
      return `PDV #${i}: presentation context changed`
    case 3:
      pdvs.splice(i, 1)
      return `PDV #${i} dropped`
    case 4:
      pdvs.splice(i, 0, p)
      return `PDV #${i} duplicated`
    case 5: {
      const j = r.int(0, pdvs.length - 1)
      pdvs[i] = pdvs[j] as Pdu.Pdv
      pdvs[j] = p
      return `PDVs #${i} and #${j} swapped`
    }
    case 6: {
      const m = Mutate.mutate(r, p.data, p.isCommand ? elementFields(p.data, implicitLE) : [])
      pdvs[i] = { ...p, data: m.bytes }
      return `PDV #${i} data: ${m.label}`
    }
    case 7:
      pdvs.splice(i, 0, { ...p, data: new Uint8Array(0), isLast: r.bool() })
      return `empty PDV inserted at #${i}`
    default:
      pdvs.length = i
      return `PDVs cut after #${i}`
  }
}

/** Thousands of small command fragments (reaching past the command bound) or of empty PDVs. */
const bomb = (r: Rng): { readonly pdvs: Array<Pdu.Pdv>; readonly label: string } => {
  const n = r.pick([1000, 20000, 70000])
  const size = r.pick([0, 1])
  const pdvs: Array<Pdu.Pdv> = []
  const data = new Uint8Array(size)
  for (let i = 0; i < n; i++) pdvs.push({ presentationContextId: 1, isCommand: true, isLast: false, data })
  return { pdvs, label: `${n} command PDVs of ${size} byte(s), none last` }
}

/** The `Assembler` fed valid messages (events must rebuild them) and hostile PDV sequences. */
export const assembler: Target = {
  name: "dimse.assembler",
  description: "Assembler.feed/feedAll/end: valid PDV sequences rebuild their messages; hostile ones give a typed, sticky failure",
  generate: (r): Case => {
    let messages: Array<Generate.Message> = []
    let pdvs: Array<Pdu.Pdv>
    let label: string
    let valid = false
    if (r.bool(0.05)) {
      const b = bomb(r)
      pdvs = b.pdvs
      label = b.label
    } else {
      messages = r.array(1, 4, () => Generate.message(r, encodeCommand)).filter((m): m is Generate.Message => m !== undefined)
      pdvs = messages.flatMap((m) => [...m.pdvs])
      label = messages.map((m) => m.command._tag).join(",")
      if (r.bool(0.3)) valid = true
      else {
        const rounds = r.int(1, 3)
        for (let k = 0; k < rounds; k++) label += `; ${mutatePdvs(r, pdvs)}`
      }
    }
    const batches = r.int(0, 2)
    const maxCommandLength = r.pick([undefined, 256, 65536])
    return {
      label,
      // The reproducer is the PDVs as one P-DATA-TF (decode it with PduCodec.decode to replay by hand).
      input: pdvs.length <= 100000 ? PduCodec.encodePDataTf(pdvs) : new Uint8Array(0),
      check: (): Outcome => {
        const a = Assembler.make(maxCommandLength === undefined ? undefined : { maxCommandLength })
        const events: Array<Assembler.AssemblerEvent> = []
        const fail = (e: unknown): Outcome => {
          const t = typed(e, [DimseProtocolError, DimseDecodeError])
          if (t._tag === "Problem") return t
          const again = a.feed({ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array(0) })
          if (!Result.isFailure(again) || again.failure !== e) return problem("Untyped", "the assembler did not stay failed with the same error")
          if (valid && (maxCommandLength === undefined || maxCommandLength >= 65536)) return problem("RoundTrip", `valid messages failed to assemble: ${show(e)}`)
          return t
        }
        if (batches === 0) {
          for (const p of pdvs) {
            const e = a.feed(p)
            if (Result.isFailure(e)) return fail(e.failure)
            events.push(...e.success)
          }
        } else {
          const e = batches === 1 ? a.feedAll(pdvs) : a.feedPDataTf({ _tag: "PDataTf", pdvs })
          if (Result.isFailure(e)) return fail(e.failure)
          events.push(...e.success)
        }
        const end = a.end()
        if (Result.isFailure(end)) return fail(end.failure)
        if (!valid) return value
        // The events must rebuild the messages exactly.
        const commands = events.filter((e) => e._tag === "Command")
        const completes = events.filter((e) => e._tag === "MessageComplete")
        if (commands.length !== messages.length || completes.length !== messages.length) {
          return problem("RoundTrip", `${messages.length} messages gave ${commands.length} Command and ${completes.length} MessageComplete events`)
        }
        for (let k = 0; k < messages.length; k++) {
          const m = messages[k] as Generate.Message
          const c = commands[k]
          if (c === undefined || !deepEqual(c.command, m.command) || c.presentationContextId !== m.presentationContextId) {
            return problem("RoundTrip", `message #${k}: command ${show(c?.command)} differs from ${show(m.command)}`)
          }
        }
        const data = Bytes.concat(events.flatMap((e) => (e._tag === "Data" ? [e.data] : [])))
        const expected = Bytes.concat(messages.flatMap((m) => (m.dataset === undefined ? [] : [m.dataset])))
        return deepEqual(data, expected) ? value : problem("RoundTrip", `data fragments (${data.length} bytes) differ from the data sets sent (${expected.length} bytes)`)
      }
    }
  }
}
