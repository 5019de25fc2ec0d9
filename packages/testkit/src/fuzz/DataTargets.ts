/**
 * Fuzz targets of @dicomnet/data: `DatasetCodec.decode` in the four uncompressed transfer syntaxes
 * (deflated included), Part 10 `readMeta` / `decodeFile`, `CharacterSet` decoding and `Transcode`.
 * Accepted data sets are also read through the value accessors, which parse peer bytes too.
 */
import { deflateRawSync, constants as zlibConstants } from "node:zlib"
import { Bytes, CharacterSet, DataError, Dataset, DatasetCodec, type Element, Part10, Transcode, VR } from "@dicomnet/data"
import { Result } from "effect"
import * as Generate from "./Generate.js"
import { elementFields } from "./Layout.js"
import * as Mutate from "./Mutate.js"
import { failure, problem, show, value } from "./Oracle.js"
import type { Rng } from "./Rng.js"
import type { Case, Outcome, Target } from "./Runner.js"

/** The four uncompressed transfer syntaxes, by short name. */
export const syntaxes = {
  "implicit-le": "1.2.840.10008.1.2",
  "explicit-le": "1.2.840.10008.1.2.1",
  "explicit-be": "1.2.840.10008.1.2.2",
  deflated: "1.2.840.10008.1.2.1.99"
} as const

/** A short transfer syntax name. */
export type SyntaxName = keyof typeof syntaxes

const syntaxNames = Object.keys(syntaxes) as Array<SyntaxName>

/** A decode failure is fine when it is a DataDecodeError that is not an internal (caught exception) one. */
const decodeFailure = (e: unknown): Outcome => {
  if (!(e instanceof DataError.DataDecodeError)) return problem("Untyped", `failure is not a DataDecodeError: ${show(e)}`)
  if (e.kind === "Internal" || e.reason.startsWith("internal error")) return problem("Internal", `an exception was caught and wrapped: ${e.message}`)
  if (!Number.isInteger(e.offset) || e.offset < 0) return problem("Untyped", `failure with a meaningless offset ${e.offset}: ${e.message}`)
  return failure(`DataDecodeError(${e.kind ?? "?"}): ${e.message}`)
}

/** A transcoding failure may also be a DataEncodeError, but never an internal one. */
const transcodeFailure = (e: unknown): Outcome => {
  if (e instanceof DataError.DataEncodeError) {
    return e.reason.startsWith("internal error") ? problem("Internal", `an exception was caught and wrapped: ${e.message}`) : failure(`DataEncodeError: ${e.message}`)
  }
  return decodeFailure(e)
}

const numericVRs: ReadonlySet<string> = new Set(["US", "SS", "UL", "SL", "FL", "FD", "AT", "SV", "UV"])

/** Reads every value of an accepted data set through the accessors (strings, numbers, nested items). */
const readAll = (ds: Dataset.Dataset, depth = 0): void => {
  if (depth > 200) return
  for (const e of ds.elements()) {
    if (e._tag === "Sequence") for (const item of e.items) readAll(item, depth + 1)
    else if (e._tag === "Primitive") {
      const info = VR.info(e.vr)
      if (info.kind !== "string") {
        // Numbers of the numeric VRs only: OB/OW/UN... as a number per value is no decoder, just a huge array.
        if (numericVRs.has(e.vr)) ds.numbers(e.tag)
        continue
      }
      ds.strings(e.tag)
      // The value parsers read peer bytes too.
      if (e.vr === "PN") ds.personName(e.tag)
      else if (e.vr === "DA") ds.date(e.tag)
      else if (e.vr === "TM") ds.time(e.tag)
      else if (e.vr === "DT") ds.dateTime(e.tag)
      else if (e.vr === "UI") ds.uid(e.tag)
      else if (e.vr === "IS" || e.vr === "DS") ds.number(e.tag)
    }
  }
}

/** The raw (not deflated) element syntax of a transfer syntax. */
const rawSyntax = (name: SyntaxName): { readonly explicitVR: boolean; readonly littleEndian: boolean } =>
  name === "implicit-le" ? { explicitVR: false, littleEndian: true } : name === "explicit-be" ? { explicitVR: true, littleEndian: false } : { explicitVR: true, littleEndian: true }

/** Raw DEFLATE (PS3.5 §A.5: no zlib header) of arbitrary bytes. */
export const deflate = (bytes: Uint8Array): Uint8Array => new Uint8Array(deflateRawSync(bytes))

const encodeRaw = (ds: Dataset.Dataset, name: SyntaxName): Uint8Array => {
  const r = DatasetCodec.encodeWith(ds, rawSyntax(name))
  if (Result.isFailure(r)) throw new Error(`generated an unencodable data set: ${r.failure.message}`)
  return r.success
}

/** Tags used by the bombs: a sequence in every dictionary (Referenced Series Sequence) and a private one. */
const sequenceTag = 0x00081115

/**
 * A depth bomb: `depth` nested undefined-length sequences and items (PS3.5 §7.5.2), closed or not,
 * or `count` empty items in one sequence (a huge item count).
 */
export const bomb = (r: Rng, name: SyntaxName): { readonly bytes: Uint8Array; readonly label: string } => {
  let { explicitVR, littleEndian: le } = rawSyntax(name)
  let buffer = new Uint8Array(1 << 16)
  let view = new DataView(buffer.buffer)
  let at = 0
  const room = (n: number) => {
    if (at + n <= buffer.length) return
    const grown = new Uint8Array(Math.max(buffer.length * 2, at + n))
    grown.set(buffer)
    buffer = grown
    view = new DataView(buffer.buffer)
  }
  const u16 = (v: number) => {
    room(2)
    view.setUint16(at, v, le)
    at += 2
  }
  const u32 = (v: number) => {
    room(4)
    view.setUint32(at, v >>> 0, le)
    at += 4
  }
  const tag = (t: number) => {
    u16(t >>> 16)
    u16(t & 0xffff)
  }
  const sq = (length: number, vr: "SQ" | "UN") => {
    tag(vr === "UN" ? 0x00091010 : sequenceTag)
    if (explicitVR) {
      room(4)
      buffer.set([vr.charCodeAt(0), vr.charCodeAt(1), 0, 0], at)
      at += 4
    }
    u32(length)
    // The content of a UN of undefined length is Implicit VR Little Endian whatever the syntax (PS3.5 §6.2.2).
    if (vr === "UN") {
      explicitVR = false
      le = true
    }
  }
  const item = (length: number) => {
    tag(0xfffee000)
    u32(length)
  }
  const delimiter = (t: number) => {
    tag(t)
    u32(0)
  }
  const parts = { bytes: () => buffer.slice(0, at) }
  if (r.bool(0.3)) {
    const count = r.pick([10000, 100000])
    sq(0xffffffff, "SQ")
    for (let i = 0; i < count; i++) item(0)
    if (r.bool()) delimiter(0xfffee0dd)
    return { bytes: parts.bytes(), label: `one sequence of ${count} empty items` }
  }
  const depth = r.pick([100, 1000, 5000])
  const vr = explicitVR && r.bool(0.3) ? "UN" : "SQ"
  const closed = r.bool()
  for (let i = 0; i < depth; i++) {
    sq(0xffffffff, vr)
    item(0xffffffff)
  }
  if (closed) {
    for (let i = 0; i < depth; i++) {
      delimiter(0xfffee00d)
      delimiter(0xfffee0dd)
    }
  }
  return { bytes: parts.bytes(), label: `${depth} nested undefined-length ${vr} sequences and items, ${closed ? "closed" : "never closed"}` }
}

const evenBytes = (bytes: Uint8Array, pad: number): Uint8Array => {
  if ((bytes.length & 1) === 0) return bytes
  const out = new Uint8Array(bytes.length + 1)
  out.set(bytes)
  out[bytes.length] = pad
  return out
}

/** Adds a Specific Character Set (0008,0005) of 1-3 random terms and text values in it (escape sequences included). */
const withCharacterSet = (r: Rng, ds: Dataset.Dataset): Dataset.Dataset => {
  const terms = r.array(1, 3, () => r.pick(Generate.characterSetTerms)).join("\\")
  const elements: Array<Element.Element> = [
    { _tag: "Primitive", tag: 0x00080005, vr: "CS", bytes: evenBytes(Uint8Array.from(terms, (c) => c.charCodeAt(0) & 0xff), 0x20) },
    { _tag: "Primitive", tag: 0x00100010, vr: "PN", bytes: evenBytes(Generate.textBytes(r, 60), 0x20) },
    { _tag: "Primitive", tag: 0x00081030, vr: "LO", bytes: evenBytes(Generate.textBytes(r, 60), 0x20) },
    { _tag: "Primitive", tag: 0x00324000, vr: "LT", bytes: evenBytes(Generate.textBytes(r, 200), 0x20) }
  ]
  let out = ds
  for (const e of elements) out = out.with(e)
  return out
}

const decodeChecked = (bytes: Uint8Array, uid: string, expected: Dataset.Dataset | undefined): Outcome => {
  const r = DatasetCodec.decode(bytes, uid)
  if (Result.isFailure(r)) {
    if (expected !== undefined) return problem("RoundTrip", `a valid data set failed to decode: ${r.failure.message}`)
    return decodeFailure(r.failure)
  }
  if (expected !== undefined && !Dataset.equals(r.success, expected)) return problem("RoundTrip", "decode(encode(x)) is not equal to x")
  readAll(r.success)
  return value
}

/** `DatasetCodec.decode` in one transfer syntax. */
export const datasetDecode = (name: SyntaxName): Target => {
  const uid = syntaxes[name]
  return {
    name: `data.decode.${name}`,
    description: `DatasetCodec.decode in ${name} (${uid}): valid data sets round-trip; mutated ones and depth bombs give typed failures`,
    generate: (r): Case => {
      const generated = Generate.dataset(r, { explicit: name !== "implicit-le" })
      const ds = r.bool(0.3) ? withCharacterSet(r, generated) : generated
      const roll = r.next()
      if (roll < 0.15) {
        const enc = DatasetCodec.encode(ds, uid)
        if (Result.isFailure(enc)) throw new Error(`generated an unencodable data set: ${enc.failure.message}`)
        const bytes = enc.success
        return { label: `valid data set of ${ds.size} elements`, input: bytes, check: () => decodeChecked(bytes, uid, ds) }
      }
      let raw: Uint8Array
      let label: string
      if (roll < 0.25) {
        const b = bomb(r, name)
        raw = b.bytes
        label = b.label
      } else {
        const bytes = encodeRaw(ds, name)
        const m = Mutate.mutate(r, bytes, elementFields(bytes, rawSyntax(name)))
        raw = m.bytes
        label = m.label
      }
      if (name === "deflated") {
        if (r.bool(0.7)) {
          const deflated = deflate(raw)
          return { label: `${label}, then deflated`, input: deflated, check: () => decodeChecked(deflated, uid, undefined) }
        }
        const deflated = deflate(encodeRaw(ds, name))
        const m = Mutate.mutate(r, deflated)
        return { label: `deflate stream: ${m.label}`, input: m.bytes, check: () => decodeChecked(m.bytes, uid, undefined) }
      }
      return { label, input: raw, check: () => decodeChecked(raw, uid, undefined) }
    }
  }
}

const sopClass = "1.2.840.10008.5.1.4.1.1.7"

/** Part 10: `readMeta`, `readMetaOrRaw` and `decodeFile` on mutated files. */
export const part10: Target = {
  name: "data.part10",
  description: "Part10.readMeta / readMetaOrRaw / decodeFile: valid files round-trip; mutated meta headers and bodies give typed failures",
  generate: (r): Case => {
    const name = r.pick(syntaxNames)
    const ds = Generate.dataset(r, { explicit: name !== "implicit-le", maxElements: 8 })
    const file = Part10.encodeFile({ mediaStorageSopClassUid: sopClass, mediaStorageSopInstanceUid: Generate.uid(r), transferSyntaxUid: syntaxes[name] }, ds)
    if (Result.isFailure(file)) throw new Error(`generated an unencodable file: ${file.failure.message}`)
    const bytes = file.success
    const valid = r.bool(0.15)
    let input = bytes
    let label = `valid ${name} file`
    if (!valid) {
      const meta = Part10.readMeta(bytes)
      const metaEnd = Result.isSuccess(meta) ? meta.success.datasetOffset : 132
      // Aim at the meta header most of the time: its fields live at offsets 132..datasetOffset.
      const metaFields = elementFields(bytes.subarray(132, metaEnd), { explicitVR: true, littleEndian: true }).map((f) => ({
        ...f,
        offset: f.offset + 132,
        valueStart: f.valueStart + 132
      }))
      const roll = r.int(0, 3)
      let m: Mutate.Mutated
      if (roll === 0) {
        const start = r.pick([0, 128, 132])
        m = { bytes: bytes.slice(start), label: `file without its first ${start} bytes` }
      } else m = Mutate.mutate(r, bytes, roll === 1 ? [] : metaFields)
      input = m.bytes
      label = `${name} file: ${m.label}`
    }
    return {
      label,
      input,
      check: (): Outcome => {
        const meta = Part10.readMeta(input)
        const raw = Part10.readMetaOrRaw(input)
        Part10.metaLengthHint(input)
        for (const x of [meta, raw]) if (Result.isFailure(x)) {
          const f = decodeFailure(x.failure)
          if (f._tag === "Problem") return f
        }
        const decoded = Part10.decodeFile(input)
        if (Result.isFailure(decoded)) {
          if (valid) return problem("RoundTrip", `a valid file failed to decode: ${decoded.failure.message}`)
          return decodeFailure(decoded.failure)
        }
        if (valid && !Dataset.equals(decoded.success.dataset, ds)) return problem("RoundTrip", "decodeFile(encodeFile(x)).dataset is not equal to x")
        if (valid && decoded.success.meta.transferSyntaxUid !== syntaxes[name]) return problem("RoundTrip", `transfer syntax ${decoded.success.meta.transferSyntaxUid} != ${syntaxes[name]}`)
        readAll(decoded.success.dataset)
        readAll(decoded.success.meta.meta)
        return value
      }
    }
  }
}

const textVRs: ReadonlyArray<VR.VR> = ["PN", "LO", "SH", "LT", "ST", "UT", "UC", "CS", "AE", "UI", "DA"]

/** `CharacterSet.decodeString` on text with escape sequences and high bytes; encodable results round-trip. */
export const characterSet: Target = {
  name: "data.characterSet",
  description: "CharacterSet.parse / decodeString under every defined term (ISO 2022 escapes included); strings it can re-encode decode back the same",
  generate: (r): Case => {
    const terms = r.array(1, 3, () => r.pick(Generate.characterSetTerms))
    const rawValue = terms.join("\\") + (r.bool(0.2) ? " " : "")
    const bytes = Generate.textBytes(r, r.pick([16, 80, 400]))
    const vr = r.pick(textVRs)
    return {
      label: `Specific Character Set "${rawValue}", VR ${vr}`,
      input: bytes,
      check: (): Outcome => {
        const parsed = CharacterSet.parse(rawValue)
        for (const t of parsed) CharacterSet.isSupported(t)
        const s = CharacterSet.decodeString(bytes, parsed, vr)
        if (typeof s !== "string") return problem("Untyped", "decodeString returned a non-string")
        const enc = CharacterSet.encodeString(s, parsed, vr)
        if (Result.isFailure(enc)) return failure(`not re-encodable: ${enc.failure.message}`)
        // encodeString writes with the first term only: the property holds for one term, or for ISO 2022 throughout.
        const iso2022 = parsed.length > 1 && parsed.every((t) => /^ISO 2022/i.test(t.trim()) || t.trim() === "")
        if (parsed.length > 1 && !iso2022) return value
        const back = CharacterSet.decodeString(enc.success, parsed, vr)
        return back === s ? value : problem("RoundTrip", `decode(encode(s)) != s for s = ${JSON.stringify(s.slice(0, 80))}: got ${JSON.stringify(back.slice(0, 80))}`)
      }
    }
  }
}

/** `Transcode` between the uncompressed syntaxes, whole and in random chunks. */
export const transcode: Target = {
  name: "data.transcode",
  description: "Transcode.make/transcode: valid data sets keep their content in any target syntax, chunked or not; mutated input gives typed failures",
  generate: (r): Case => {
    const from = r.pick(syntaxNames)
    const to = r.pick(syntaxNames)
    // Implicit-VR-compatible content, so that every target syntax can hold it.
    const generated = Generate.dataset(r, { explicit: false })
    // Encapsulated pixel data has no place in a native transfer syntax (a typed refusal, not a finding).
    const ds = generated.get(0x7fe00010)?._tag === "Fragments" ? generated.without(0x7fe00010) : generated
    const raw = encodeRaw(ds, from)
    const valid = r.bool(0.2)
    let input: Uint8Array
    let label: string
    if (valid) {
      input = from === "deflated" ? deflate(raw) : raw
      label = `valid data set ${from} -> ${to}`
    } else if (r.bool(0.15)) {
      const b = bomb(r, from)
      input = from === "deflated" ? deflate(b.bytes) : b.bytes
      label = `${b.label}, ${from} -> ${to}`
    } else {
      const m = Mutate.mutate(r, raw, elementFields(raw, rawSyntax(from)))
      input = from === "deflated" ? deflate(m.bytes) : m.bytes
      label = `${m.label}, ${from} -> ${to}`
    }
    const cuts = Generate.split(r, input, 8).map((c) => c.length)
    return {
      label,
      input,
      check: (): Outcome => {
        const whole = Transcode.transcode(input, syntaxes[from], syntaxes[to])
        const t = Transcode.make(syntaxes[from], syntaxes[to])
        const pieces: Array<Uint8Array> = []
        let at = 0
        let chunked: Result.Result<unknown, unknown> = Result.succeed(undefined)
        for (const n of cuts) {
          const p = t.push(input.subarray(at, at + n))
          at += n
          if (Result.isFailure(p)) {
            chunked = p
            break
          }
          pieces.push(...p.success)
        }
        if (Result.isSuccess(chunked)) {
          const e = t.end()
          if (Result.isFailure(e)) chunked = e
          else pieces.push(...e.success)
        }
        if (Result.isFailure(whole)) {
          const f = transcodeFailure(whole.failure)
          if (f._tag === "Problem") return f
          if (Result.isFailure(chunked)) {
            const g = transcodeFailure(chunked.failure)
            if (g._tag === "Problem") return g
          }
          if (valid) return problem("RoundTrip", `a valid data set failed to transcode: ${show(whole.failure)}`)
          return f
        }
        if (Result.isFailure(chunked)) {
          const g = transcodeFailure(chunked.failure)
          return g._tag === "Problem" ? g : problem("RoundTrip", `transcoding in chunks (${cuts.join(",")}) fails where the whole input succeeds: ${show(chunked.failure)}`)
        }
        if (!valid) return value
        const decoded = DatasetCodec.decode(whole.success, syntaxes[to])
        if (Result.isFailure(decoded)) return problem("RoundTrip", `the transcoded data set does not decode in ${to}: ${decoded.failure.message}`)
        if (!Dataset.equals(decoded.success, ds)) return problem("RoundTrip", `the data set changed through ${from} -> ${to}`)
        const viaChunks = DatasetCodec.decode(Bytes.concat(pieces), syntaxes[to])
        if (Result.isFailure(viaChunks) || !Dataset.equals(viaChunks.success, ds)) return problem("RoundTrip", `transcoding in chunks (${cuts.join(",")}) gives another data set`)
        return value
      }
    }
  }
}

/**
 * A deflate bomb of about `megabytes` MiB: one OB element of zeros, built from a 1 MiB sync-flushed
 * deflate block repeated (each copy only refers back to zeros), so making it costs almost nothing.
 */
export const deflateBomb = (megabytes: number): Uint8Array => {
  const n = megabytes * 1024 * 1024
  const header = new Uint8Array(12)
  const view = new DataView(header.buffer)
  view.setUint16(0, 0x7fe0, true) // (7FE0,0010) Pixel Data, OB
  view.setUint16(2, 0x0010, true)
  header.set([0x4f, 0x42, 0, 0], 4)
  view.setUint32(8, n, true)
  const sync = { finishFlush: zlibConstants.Z_SYNC_FLUSH }
  const head = new Uint8Array(deflateRawSync(header, sync))
  const block = new Uint8Array(deflateRawSync(new Uint8Array(1024 * 1024), sync))
  const end = new Uint8Array(deflateRawSync(new Uint8Array(0)))
  const out = new Uint8Array(head.length + block.length * megabytes + end.length)
  out.set(head)
  for (let i = 0; i < megabytes; i++) out.set(block, head.length + i * block.length)
  out.set(end, head.length + block.length * megabytes)
  return out
}

/**
 * Deflate bombs through `DatasetCodec.decode` with the default limits: a small input that inflates
 * to 16-256 MiB. Script only (`--target data.deflate-bomb`): each input costs up to a second and
 * hundreds of MiB, and the memory oracle is what it is for.
 */
export const deflateBombTarget: Target = {
  name: "data.deflate-bomb",
  description: "DatasetCodec.decode of Deflated Explicit VR LE inputs of a few hundred KB that inflate to 16-256 MiB (memory oracle)",
  generate: (r): Case => {
    const megabytes = r.pick([16, 64, 256])
    const input = deflateBomb(megabytes)
    return {
      label: `${input.length} deflated bytes inflating to ${megabytes} MiB of pixel data`,
      input,
      check: () => decodeChecked(input, syntaxes.deflated, undefined)
    }
  }
}

/**
 * Transcoding checked against the decoder (a differential oracle): when the transcoder accepts an
 * input, the decoder must accept it too, and the output must decode in the target syntax. Script only
 * (`--target data.transcode.differential`) while the findings it reports are open (see README).
 */
export const transcodeDifferential: Target = {
  name: "data.transcode.differential",
  description: "Transcode.transcode vs DatasetCodec.decode: what the transcoder accepts the decoder accepts, and its output decodes",
  generate: (r): Case => {
    const from = r.pick(syntaxNames)
    const to = r.pick(syntaxNames)
    const generated = Generate.dataset(r, { explicit: from !== "implicit-le" })
    const ds = generated.get(0x7fe00010)?._tag === "Fragments" ? generated.without(0x7fe00010) : generated
    const raw = encodeRaw(ds, from)
    const m = Mutate.mutate(r, raw, elementFields(raw, rawSyntax(from)))
    const input = from === "deflated" ? deflate(m.bytes) : m.bytes
    return {
      label: `${m.label}, ${from} -> ${to}`,
      input,
      check: (): Outcome => {
        const out = Transcode.transcode(input, syntaxes[from], syntaxes[to])
        const src = DatasetCodec.decode(input, syntaxes[from])
        if (Result.isFailure(out)) return transcodeFailure(out.failure)
        if (Result.isFailure(src)) return problem("Differential", `the transcoder accepts (${out.success.length} bytes out) a data set the decoder rejects: ${src.failure.message}`)
        const back = DatasetCodec.decode(out.success, syntaxes[to])
        if (Result.isFailure(back)) return problem("Differential", `the decoder accepts the input but not the transcoder's output in ${to}: ${back.failure.message}`)
        return value
      }
    }
  }
}
