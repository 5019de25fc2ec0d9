/**
 * Generators of VALID structures for property tests and as seeds for mutation: PDUs (every value
 * passes `Pdu.validate`), DIMSE commands (every value passes `Command.validate`), messages split into
 * PDVs, and data sets with nested sequences in a form all four uncompressed transfer syntaxes agree on.
 */
import { Dataset, Dictionary, type Element, VR } from "@dicomnet/data"
import { Command } from "@dicomnet/dimse"
import type { Pdu } from "@dicomnet/pdu"
import { SchemaAST } from "effect"
import type { Rng } from "./Rng.js"

// ---------------------------------------------------------------------------------------------
// PDUs (PS3.8 §9.3)

const aeChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. "
const aeEnds = "ABCXYZ019"

/** An AE title without leading or trailing spaces (1 to 16 characters). */
export const aeTitle = (r: Rng): string => {
  const n = r.int(1, 16)
  let s = ""
  for (let i = 0; i < n; i++) s += i === 0 || i === n - 1 ? r.pick([...aeEnds]) : r.pick([...aeChars])
  return s
}

/** A valid UID (PS3.5 §9.1): numeric components without leading zeros, at most 64 characters. */
export const uid = (r: Rng): string => {
  const parts = ["1", "2", ...r.array(1, 10, () => String(r.int(0, 99999)))]
  let s = parts.join(".")
  while (s.length > 64) s = s.slice(0, s.lastIndexOf("."))
  return s
}

/** An odd presentation context ID, 1..255. */
export const contextId = (r: Rng): number => 2 * r.int(0, 127) + 1

const userInformation = (r: Rng, kind: "rq" | "ac"): Pdu.UserInformation => ({
  maxLength: r.pick([0, 16384, 65536, r.int(0, 0xffffffff)]),
  implementationClassUid: uid(r),
  ...(r.bool() ? { implementationVersionName: aeTitle(r) } : {}),
  ...(r.bool() ? { asyncOperationsWindow: { maxOperationsInvoked: r.int(0, 65535), maxOperationsPerformed: r.int(0, 65535) } } : {}),
  roleSelections: r.array(0, 3, () => ({ sopClassUid: uid(r), scuRole: r.bool(), scpRole: r.bool() })),
  extendedNegotiations: r.array(0, 2, () => ({ sopClassUid: uid(r), serviceClassApplicationInformation: r.bytes(0, 8) })),
  commonExtendedNegotiations:
    kind === "rq" ? r.array(0, 2, () => ({ sopClassUid: uid(r), serviceClassUid: uid(r), relatedGeneralSopClassUids: r.array(0, 3, () => uid(r)) })) : [],
  ...(kind === "rq" && r.bool()
    ? (() => {
        const userIdentityType = r.pick([1, 2, 3, 4, 5] as const)
        return {
          userIdentity: {
            userIdentityType,
            positiveResponseRequested: r.bool(),
            primaryField: r.bytes(1, 40),
            secondaryField: userIdentityType === 2 ? r.bytes(1, 20) : new Uint8Array(0)
          }
        }
      })()
    : {}),
  ...(kind === "ac" && r.bool() ? { userIdentityAc: { serverResponse: r.bytes(0, 40) } } : {}),
  unknownItems: r.array(0, 2, () => ({ itemType: r.pick([0x5a, 0x60, 0x7f, 0xff]), data: r.bytes(0, 16) }))
})

/** A random valid PDU of any of the seven types (`maxPresentationContexts` bounds A-ASSOCIATE sizes). */
export const pdu = (r: Rng, maxPresentationContexts = 8): Pdu.Pdu => {
  switch (r.int(0, 6)) {
    case 0:
      return {
        _tag: "AAssociateRq",
        protocolVersion: 1,
        calledAeTitle: aeTitle(r),
        callingAeTitle: aeTitle(r),
        applicationContextName: "1.2.840.10008.3.1.1.1",
        presentationContexts: r.array(1, maxPresentationContexts, () => ({
          presentationContextId: contextId(r),
          abstractSyntax: uid(r),
          transferSyntaxes: r.array(1, 4, () => uid(r))
        })),
        userInformation: userInformation(r, "rq")
      }
    case 1:
      return {
        _tag: "AAssociateAc",
        protocolVersion: 1,
        calledAeTitle: aeTitle(r),
        callingAeTitle: aeTitle(r),
        applicationContextName: "1.2.840.10008.3.1.1.1",
        presentationContexts: r.array(0, maxPresentationContexts, () => {
          const result = r.pick([0, 1, 2, 3, 4] as const)
          return { presentationContextId: contextId(r), result, transferSyntax: result === 0 || r.bool() ? uid(r) : "" }
        }),
        userInformation: userInformation(r, "ac")
      }
    case 2: {
      const source = r.pick([1, 2, 3] as const)
      const reason = source === 1 ? r.pick([1, 2, 3, 7]) : r.pick([1, 2])
      return { _tag: "AAssociateRj", result: r.pick([1, 2] as const), source, reason }
    }
    case 3:
      return {
        _tag: "PDataTf",
        pdvs: r.array(1, 4, () => ({ presentationContextId: contextId(r), isCommand: r.bool(), isLast: r.bool(), data: r.bytes(0, 300) }))
      }
    case 4:
      return { _tag: "AReleaseRq" }
    case 5:
      return { _tag: "AReleaseRp" }
    default: {
      const source = r.pick([0, 2] as const)
      return { _tag: "AAbort", source, reason: source === 2 ? r.pick([0, 1, 2, 4, 5, 6]) : 0 }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// DIMSE commands (PS3.7 §9.3, §10.3)

type FieldSchemas = Readonly<Record<string, { readonly ast: SchemaAST.AST }>>

const commandSchemas: { readonly [T in Command.CommandTag]: { readonly fields: FieldSchemas } } = Command.schemas

/** Every command `_tag`. */
export const commandTags: ReadonlyArray<Command.CommandTag> = Object.keys(Command.CommandField) as Array<Command.CommandTag>

const loChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;!?()-_"

/** An LO value (Error Comment) of 1 to 64 characters, no leading/trailing space, no backslash. */
const lo = (r: Rng): string => {
  const n = r.int(1, 64)
  let s = ""
  for (let i = 0; i < n; i++) s += i === 0 || i === n - 1 ? "X" : r.pick([...loChars])
  return s
}

const fieldValue = (r: Rng, key: string): unknown => {
  switch (key) {
    case "hasDataset":
      return r.bool()
    case "priority":
      return r.int(0, 2)
    case "moveDestination":
    case "moveOriginatorApplicationEntityTitle":
      return aeTitle(r)
    case "offendingElement":
    case "attributeIdentifierList":
      return r.array(1, 8, () => r.int(0, 0xffffffff))
    case "errorComment":
      return lo(r)
    default:
      return key.endsWith("Uid") ? uid(r) : r.pick([0, 1, 0xffff, r.int(0, 0xffff)])
  }
}

/** A random valid DIMSE command: required fields always, optional ones half of the time. */
export const command = (r: Rng, tag: Command.CommandTag = r.pick(commandTags)): Command.DimseCommand => {
  const fields = commandSchemas[tag].fields
  const out: Record<string, unknown> = { _tag: tag }
  for (const key of Object.keys(fields)) {
    if (key === "_tag") continue
    const field = fields[key]
    if (field === undefined) continue
    if (SchemaAST.isOptional(field.ast) && r.bool()) continue
    out[key] = fieldValue(r, key)
  }
  return out as unknown as Command.DimseCommand
}

// ---------------------------------------------------------------------------------------------
// Messages as PDVs (PS3.7 §6.3.1, PS3.8 Annex E)

/** A PDV-level description of one message: its command, data set bytes and the PDVs carrying them. */
export interface Message {
  readonly presentationContextId: number
  readonly command: Command.DimseCommand
  readonly commandBytes: Uint8Array
  readonly dataset: Uint8Array | undefined
  readonly pdvs: ReadonlyArray<Pdu.Pdv>
}

/** Splits `bytes` into 1 or more fragments of random sizes (an empty input gives one empty fragment). */
export const split = (r: Rng, bytes: Uint8Array, maxPieces = 6): Array<Uint8Array> => {
  if (bytes.length === 0) return [bytes]
  const cuts = new Set<number>()
  const n = r.int(0, Math.min(maxPieces - 1, bytes.length - 1))
  for (let i = 0; i < n; i++) cuts.add(r.int(1, bytes.length - 1))
  const sorted = [...cuts].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let at = 0
  for (const c of sorted) {
    out.push(bytes.subarray(at, c))
    at = c
  }
  out.push(bytes.subarray(at))
  return out
}

/** One valid message as PDVs, given an encoder of command sets (dimse's `CommandSet.encode`). */
export const message = (r: Rng, encode: (c: Command.DimseCommand) => Uint8Array | undefined): Message | undefined => {
  const cmd = command(r)
  const commandBytes = encode(cmd)
  if (commandBytes === undefined) return undefined
  const id = contextId(r)
  const pdvs: Array<Pdu.Pdv> = []
  const pieces = split(r, commandBytes)
  pieces.forEach((data, i) => {
    pdvs.push({ presentationContextId: id, isCommand: true, isLast: i === pieces.length - 1, data })
  })
  let dataset: Uint8Array | undefined
  if (cmd.hasDataset) {
    dataset = r.bytes(0, 400)
    const parts = split(r, dataset)
    parts.forEach((data, i) => {
      pdvs.push({ presentationContextId: id, isCommand: false, isLast: i === parts.length - 1, data })
    })
  }
  return { presentationContextId: id, command: cmd, commandBytes, dataset, pdvs }
}

// ---------------------------------------------------------------------------------------------
// Data sets (PS3.5 §7)

let tagCache: { readonly sequences: ReadonlyArray<number>; readonly plain: ReadonlyArray<number> } | undefined

/** Public tags whose dictionary VR is the one written, so that implicit and explicit VR agree. */
const tags = () => {
  if (tagCache !== undefined) return tagCache
  const all = [...Dictionary.entries()]
    .map((e) => e.tag)
    .filter((t) => {
      const g = t >>> 16
      return g !== 0x0002 && g !== 0xfffe && g < 0x7fe0 && t !== 0x00080005 && (t & 0xffff) !== 0
    })
  tagCache = {
    sequences: all.filter((t) => Dictionary.vrOf(t) === "SQ"),
    plain: all.filter((t) => Dictionary.vrOf(t) !== "SQ" && Dictionary.vrOf(t) !== "UN")
  }
  return tagCache
}

const textChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ^.-"

/** An even-length text value of a string VR, from characters every repertoire and VR accept. */
const text = (r: Rng, vr: VR.VR): Uint8Array => {
  const info = VR.info(vr)
  const n = r.int(0, Math.min(info.maxLength ?? 40, 40))
  const bytes = new Uint8Array(n + (n & 1))
  for (let i = 0; i < n; i++) bytes[i] = textChars.charCodeAt(r.int(0, textChars.length - 1))
  if (n & 1) bytes[n] = info.padByte
  return bytes
}

/** Options of the data set generator. */
export interface DatasetOptions {
  /** Allow explicit-VR-only content (private elements with any VR, UN sequences). */
  readonly explicit: boolean
  readonly maxElements?: number
  readonly maxDepth?: number
}

const privateVRs: ReadonlyArray<VR.VR> = VR.all.filter((v) => v !== "SQ")

/** A random data set with nested sequences (defined and undefined lengths), private elements and pixel data. */
export const dataset = (r: Rng, options: DatasetOptions, depth = 0): Dataset.Dataset => {
  const { sequences, plain } = tags()
  const elements = new Map<number, Element.Element>()
  const count = r.int(0, options.maxElements ?? 12)
  const maxDepth = options.maxDepth ?? 3
  for (let i = 0; i < count; i++) {
    const roll = r.next()
    if (roll < 0.15 && depth < maxDepth) {
      const tag = r.pick(sequences)
      const items = r.array(0, 3, () => Dataset.make(dataset(r, options, depth + 1).elements(), { undefinedLength: r.bool() }))
      elements.set(tag, r.bool() ? { _tag: "Sequence", tag, vr: "SQ", items, undefinedLength: true } : { _tag: "Sequence", tag, vr: "SQ", items })
    } else if (roll < 0.25) {
      const tag = (((0x0009 + 2 * r.int(0, 7)) << 16) | (0x1000 + r.int(0, 0xff))) >>> 0
      if (options.explicit && r.bool(0.2) && depth < maxDepth) {
        // A UN element of undefined length holding items in Implicit VR LE (PS3.5 §6.2.2).
        const inner = { ...options, explicit: false }
        const items = r.array(1, 2, () => Dataset.make(dataset(r, inner, depth + 1).elements(), { undefinedLength: true }))
        elements.set(tag, { _tag: "Sequence", tag, vr: "SQ", items, undefinedLength: true, encodedAsUN: true })
      } else {
        const vr = options.explicit ? r.pick(privateVRs) : "UN"
        elements.set(tag, { _tag: "Primitive", tag, vr, bytes: binaryOrText(r, vr) })
      }
    } else {
      const tag = r.pick(plain)
      const vr = Dictionary.vrOf(tag)
      elements.set(tag, { _tag: "Primitive", tag, vr, bytes: binaryOrText(r, vr) })
    }
  }
  if (depth === 0 && r.bool(0.3)) {
    const tag = 0x7fe00010
    if (r.bool()) {
      const fragments = r.array(1, 3, () => binaryOrText(r, "OB"))
      elements.set(tag, { _tag: "Fragments", tag, vr: options.explicit ? "OB" : "OW", offsetTable: binaryOrText(r, "UL"), fragments })
    } else {
      elements.set(tag, { _tag: "Primitive", tag, vr: "OW", bytes: binaryOrText(r, "OW") })
    }
  }
  return Dataset.make(elements.values())
}

/** A value of `vr`: text for string VRs, whole binary values otherwise (always even length). */
export const binaryOrText = (r: Rng, vr: VR.VR): Uint8Array => {
  const info = VR.info(vr)
  if (info.kind === "string") return text(r, vr)
  const unit = vr === "AT" ? 4 : Math.max(2, info.bytesPerValue)
  const n = unit * r.int(0, 4)
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = r.int(0, 255)
  return out
}

// ---------------------------------------------------------------------------------------------
// Text for character set decoding (PS3.5 §6.1)

/** Defined terms of Specific Character Set (0008,0005), plus a few malformed ones. */
export const characterSetTerms: ReadonlyArray<string> = [
  "",
  "ISO_IR 6",
  "ISO_IR 100",
  "ISO_IR 101",
  "ISO_IR 109",
  "ISO_IR 110",
  "ISO_IR 144",
  "ISO_IR 127",
  "ISO_IR 126",
  "ISO_IR 138",
  "ISO_IR 148",
  "ISO_IR 166",
  "ISO_IR 13",
  "ISO_IR 192",
  "GB18030",
  "GBK",
  "ISO 2022 IR 6",
  "ISO 2022 IR 100",
  "ISO 2022 IR 101",
  "ISO 2022 IR 109",
  "ISO 2022 IR 110",
  "ISO 2022 IR 144",
  "ISO 2022 IR 127",
  "ISO 2022 IR 126",
  "ISO 2022 IR 138",
  "ISO 2022 IR 148",
  "ISO 2022 IR 166",
  "ISO 2022 IR 13",
  "ISO 2022 IR 87",
  "ISO 2022 IR 159",
  "ISO 2022 IR 149",
  "ISO 2022 IR 58",
  "ISO-IR 100",
  " iso_ir 192 ",
  "ISO 2022",
  "NOT A TERM",
  "\u0000"
]

// Escape sequences of PS3.5 §6.1.2.5.3 and Annex K (and broken ones).
const escapes: ReadonlyArray<ReadonlyArray<number>> = [
  [0x1b, 0x28, 0x42],
  [0x1b, 0x28, 0x4a],
  [0x1b, 0x29, 0x49],
  [0x1b, 0x24, 0x42],
  [0x1b, 0x24, 0x28, 0x44],
  [0x1b, 0x24, 0x29, 0x43],
  [0x1b, 0x24, 0x29, 0x41],
  [0x1b, 0x2d, 0x41],
  [0x1b, 0x2d, 0x46],
  [0x1b, 0x2d, 0x4c],
  [0x1b, 0x2d, 0x54],
  [0x1b],
  [0x1b, 0x24],
  [0x1b, 0x24, 0x28],
  [0x1b, 0x2d]
]

/** Text-like bytes: printable ASCII, high bytes, delimiters (^ = \\) and escape sequences. */
export const textBytes = (r: Rng, max = 80): Uint8Array => {
  const out: Array<number> = []
  const n = r.int(0, max)
  while (out.length < n) {
    const roll = r.int(0, 9)
    if (roll === 0) out.push(...r.pick(escapes))
    else if (roll <= 3) out.push(r.int(0x80, 0xff))
    else if (roll === 4) out.push(r.pick([0x5c, 0x5e, 0x3d, 0x0d, 0x0a, 0x09, 0x0c, 0x00, 0x20]))
    else out.push(r.int(0x20, 0x7e))
  }
  return Uint8Array.from(out)
}
