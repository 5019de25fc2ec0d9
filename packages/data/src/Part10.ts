/**
 * DICOM Part 10 files (PS3.10 §7): a 128-byte preamble, "DICM", the File Meta Information (group 0002, always
 * Explicit VR Little Endian) and the data set in the transfer syntax the meta information names. readMeta reads
 * only up to the end of group 0002, so a sender can stream the rest of a file from disk untouched.
 *
 * @since 0.1.0
 */
import { Result, Stream } from "effect"
import { type DataDecodeError, type DataEncodeError, decodeError } from "./DataError.js"
import type { Dataset } from "./Dataset.js"
import { Dataset as DatasetClass } from "./Dataset.js"
import * as DatasetCodec from "./DatasetCodec.js"
import * as Element from "./Element.js"
import * as Implementation from "./Implementation.js"
import * as VRs from "./VR.js"

const explicitLE = { explicitVR: true, littleEndian: true } as const

/**
 * What readMeta found: the meta information and where the data set starts.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileMeta {
  readonly meta: Dataset
  readonly transferSyntaxUid: string
  readonly mediaStorageSopClassUid: string | undefined
  readonly mediaStorageSopInstanceUid: string | undefined
  /** Byte offset of the first byte of the data set in the file. */
  readonly datasetOffset: number
}

/**
 * The fields written into a File Meta Information header.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetaOptions {
  readonly mediaStorageSopClassUid: string
  readonly mediaStorageSopInstanceUid: string
  readonly transferSyntaxUid: string
  readonly implementationClassUid?: string
  readonly implementationVersionName?: string
  readonly sourceApplicationEntityTitle?: string
}

const isDicm = (b: Uint8Array, at: number): boolean => b[at] === 0x44 && b[at + 1] === 0x49 && b[at + 2] === 0x43 && b[at + 3] === 0x4d

const u16 = (b: Uint8Array, o: number): number => (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8)
const u32 = (b: Uint8Array, o: number): number => (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0

const shift = (e: DataDecodeError, by: number): DataDecodeError =>
  decodeError(e.kind ?? "InvalidStructure", e.offset + by, e.tag, e.reason)

/** Reads group 0002 starting at `start` (just after "DICM", or at 0 for a file without preamble). */
const readMetaAt = (bytes: Uint8Array, start: number): Result.Result<FileMeta, DataDecodeError> => {
  let pos = start
  let declaredEnd: number | undefined
  while (pos + 2 <= bytes.length && u16(bytes, pos) === 0x0002) {
    if (bytes.length - pos < 8) return Result.fail(decodeError("Truncated", pos, undefined, "file meta element header needs 8 bytes"))
    const tag = ((u16(bytes, pos) << 16) | u16(bytes, pos + 2)) >>> 0
    const vr = VRs.fromBytes(bytes[pos + 4] ?? 0, bytes[pos + 5] ?? 0)
    if (vr === undefined) return Result.fail(decodeError("InvalidVR", pos + 4, tag, "file meta information must be Explicit VR Little Endian"))
    let length: number
    let header: number
    if (VRs.info(vr).longLength) {
      if (bytes.length - pos < 12) return Result.fail(decodeError("Truncated", pos, tag, "file meta element header needs 12 bytes"))
      length = u32(bytes, pos + 8)
      header = 12
    } else {
      length = u16(bytes, pos + 6)
      header = 8
    }
    if (length === 0xffffffff) return Result.fail(decodeError("InvalidLength", pos, tag, "undefined length in file meta information"))
    if (length > bytes.length - pos - header) {
      return Result.fail(decodeError("Truncated", pos, tag, `file meta element needs ${pos + header + length} bytes, have ${bytes.length}`))
    }
    if (tag === 0x00020000 && length === 4) declaredEnd = pos + 12 + u32(bytes, pos + 8)
    pos += header + length
  }
  if (pos + 2 > bytes.length && declaredEnd !== undefined && declaredEnd > bytes.length) {
    return Result.fail(decodeError("Truncated", pos, undefined, `file meta information needs ${declaredEnd} bytes, have ${bytes.length}`))
  }
  if (pos === start) return Result.fail(decodeError("NotPart10", start, undefined, "no file meta information (group 0002) after the DICM prefix"))
  const decoded = DatasetCodec.decodeWith(bytes.subarray(start, pos), explicitLE)
  if (Result.isFailure(decoded)) return Result.fail(shift(decoded.failure, start))
  const meta = decoded.success
  const transferSyntaxUid = meta.uid(0x00020010)
  if (transferSyntaxUid === undefined || transferSyntaxUid === "") {
    return Result.fail(decodeError("InvalidStructure", start, 0x00020010, "file meta information has no Transfer Syntax UID"))
  }
  return Result.succeed({
    meta,
    transferSyntaxUid,
    mediaStorageSopClassUid: meta.uid(0x00020002),
    mediaStorageSopInstanceUid: meta.uid(0x00020003),
    datasetOffset: pos
  })
}

/**
 * Reads the preamble, "DICM" and group 0002 only; a "Truncated" error (DataError.isTruncated) means more of the
 * file's first bytes are needed.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readMeta = (bytes: Uint8Array): Result.Result<FileMeta, DataDecodeError> => {
  if (bytes.length < 132) return Result.fail(decodeError("Truncated", bytes.length, undefined, "a Part 10 file starts with 132 bytes (preamble and DICM)"))
  if (!isDicm(bytes, 128)) return Result.fail(decodeError("NotPart10", 128, undefined, "no DICM prefix at offset 128"))
  return readMetaAt(bytes, 132)
}

/**
 * How many leading bytes hold the preamble and the whole meta information, from the File Meta Information Group
 * Length; undefined when the first bytes do not say (no DICM, or no group length element).
 *
 * @since 0.1.0
 * @category decoding
 */
export const metaLengthHint = (firstBytes: Uint8Array): number | undefined => {
  if (firstBytes.length < 144 || !isDicm(firstBytes, 128)) return undefined
  if (u16(firstBytes, 132) !== 0x0002 || u16(firstBytes, 134) !== 0x0000 || firstBytes[136] !== 0x55 || firstBytes[137] !== 0x4c) return undefined
  return 144 + u32(firstBytes, 140)
}

/**
 * What the start of a file holds: a Part 10 file, meta information without preamble, or a bare data set.
 *
 * @since 0.1.0
 * @category models
 */
export type Detected =
  | { readonly _tag: "Part10"; readonly meta: FileMeta }
  | { readonly _tag: "MetaWithoutPreamble"; readonly meta: FileMeta }
  | {
      readonly _tag: "RawDataset"
      /** The transfer syntax guessed from the first element header. */
      readonly transferSyntaxUid: string
      readonly datasetOffset: 0
    }

/**
 * Recognizes a Part 10 file, a file without the 128-byte preamble (starting at "DICM" or at group 0002), or a
 * bare data set (starting at group 0008 or another group), guessing the latter's transfer syntax.
 *
 * @since 0.1.0
 * @category decoding
 */
export const detect = (bytes: Uint8Array): Result.Result<Detected, DataDecodeError> => {
  if (bytes.length >= 132 && isDicm(bytes, 128)) {
    const r = readMetaAt(bytes, 132)
    return Result.isFailure(r) ? Result.fail(r.failure) : Result.succeed({ _tag: "Part10", meta: r.success })
  }
  if (bytes.length >= 4 && isDicm(bytes, 0)) {
    const r = readMetaAt(bytes, 4)
    return Result.isFailure(r) ? Result.fail(r.failure) : Result.succeed({ _tag: "MetaWithoutPreamble", meta: r.success })
  }
  if (bytes.length < 8) return Result.fail(decodeError("Truncated", bytes.length, undefined, "need 8 bytes to recognize a data set"))
  const groupLE = u16(bytes, 0)
  const groupBE = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0)
  if (groupLE === 0x0002) {
    const r = readMetaAt(bytes, 0)
    return Result.isFailure(r) ? Result.fail(r.failure) : Result.succeed({ _tag: "MetaWithoutPreamble", meta: r.success })
  }
  const explicit = VRs.fromBytes(bytes[4] ?? 0, bytes[5] ?? 0) !== undefined
  // Groups of real data sets are small numbers: the byte order that reads a smaller group wins.
  const littleEndian = !explicit || groupLE <= groupBE
  if (groupLE === 0 && groupBE === 0) return Result.fail(decodeError("NotPart10", 0, undefined, "not a DICOM file or data set"))
  const transferSyntaxUid = !explicit ? "1.2.840.10008.1.2" : littleEndian ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2.2"
  return Result.succeed({ _tag: "RawDataset", transferSyntaxUid, datasetOffset: 0 })
}

/**
 * Like readMeta, but also accepts files without preamble; a bare data set gives a FileMeta with an empty meta,
 * the guessed transfer syntax and datasetOffset 0.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readMetaOrRaw = (bytes: Uint8Array): Result.Result<FileMeta & { readonly found: Detected["_tag"] }, DataDecodeError> => {
  const d = detect(bytes)
  if (Result.isFailure(d)) return Result.fail(d.failure)
  const v = d.success
  if (v._tag !== "RawDataset") return Result.succeed({ ...v.meta, found: v._tag })
  return Result.succeed({
    meta: DatasetClass.empty,
    transferSyntaxUid: v.transferSyntaxUid,
    mediaStorageSopClassUid: undefined,
    mediaStorageSopInstanceUid: undefined,
    datasetOffset: 0,
    found: v._tag
  })
}

// A UI value that fits its 64-byte limit (longer input is cut rather than making the header unreadable).
const ui = (s: string): string => s.slice(0, 64)

/**
 * Encodes the preamble, "DICM" and group 0002 with a correct File Meta Information Group Length.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeMeta = (options: MetaOptions): Uint8Array => {
  const elements: Array<Element.Element> = [
    Element.bytes(0x00020001, "OB", Uint8Array.of(0x00, 0x01)),
    Element.string(0x00020002, "UI", ui(options.mediaStorageSopClassUid)),
    Element.string(0x00020003, "UI", ui(options.mediaStorageSopInstanceUid)),
    Element.string(0x00020010, "UI", ui(options.transferSyntaxUid)),
    Element.string(0x00020012, "UI", ui(options.implementationClassUid ?? Implementation.classUid)),
    Element.string(0x00020013, "SH", (options.implementationVersionName ?? Implementation.versionName).slice(0, 16))
  ]
  if (options.sourceApplicationEntityTitle !== undefined) {
    elements.push(Element.string(0x00020016, "AE", options.sourceApplicationEntityTitle.slice(0, 16)))
  }
  const body = DatasetCodec.encodeWith(DatasetClass.make(elements), explicitLE)
  // Every value above is bounded (UI 64, SH/AE 16 bytes), so encoding cannot fail.
  const group = Result.isSuccess(body) ? body.success : new Uint8Array(0)
  const out = new Uint8Array(132 + 12 + group.length)
  out.set([0x44, 0x49, 0x43, 0x4d], 128)
  out.set([0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00], 132)
  const n = group.length
  out.set([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24], 140)
  out.set(group, 144)
  return out
}

/**
 * Decodes a whole Part 10 file (or, with detect's rules, a file without preamble or a bare data set).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeFile = (
  bytes: Uint8Array,
  options: DatasetCodec.DecodeOptions = {}
): Result.Result<{ readonly meta: FileMeta; readonly dataset: Dataset }, DataDecodeError> => {
  const found = readMetaOrRaw(bytes)
  if (Result.isFailure(found)) return Result.fail(found.failure)
  const meta = found.success
  const dataset = DatasetCodec.decode(bytes.subarray(meta.datasetOffset), meta.transferSyntaxUid, options)
  if (Result.isFailure(dataset)) {
    const deflated = DatasetCodec.syntaxOf(meta.transferSyntaxUid).deflated
    return Result.fail(deflated ? dataset.failure : shift(dataset.failure, meta.datasetOffset))
  }
  return Result.succeed({ meta, dataset: dataset.success })
}

/**
 * Encodes a Part 10 file: the meta header, then the data set in the meta's transfer syntax.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeFile = (meta: MetaOptions, dataset: Dataset): Result.Result<Uint8Array, DataEncodeError> => {
  const body = DatasetCodec.encode(dataset, meta.transferSyntaxUid)
  if (Result.isFailure(body)) return body
  const head = encodeMeta(meta)
  const out = new Uint8Array(head.length + body.success.length)
  out.set(head)
  out.set(body.success, head.length)
  return Result.succeed(out)
}

/**
 * A Part 10 file as a stream: the meta header, then the data set bytes untouched.
 *
 * @since 0.1.0
 * @category encoding
 */
export const stream = <E, R>(meta: MetaOptions, body: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Uint8Array, E, R> =>
  Stream.concat(Stream.sync(() => encodeMeta(meta)), body)

