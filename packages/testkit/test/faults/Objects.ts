/**
 * Test objects for the storage fault cases, and the check every storage case ends with: the
 * directory holds exactly the objects acknowledged with success, each complete and identical to
 * what was sent, and no temporary or partial file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { Dataset, DatasetCodec, Part10, TransferSyntax } from "@dicomnet/data"
import { NodeServices } from "@effect/platform-node"
import { Storage } from "@dicomnet/server"
import { Effect } from "effect"

/** Secondary Capture Image Storage. */
export const secondaryCapture = "1.2.840.10008.5.1.4.1.1.7"

/** One object to store: its UIDs and its data set bytes (Explicit VR Little Endian). */
export interface TestObject {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly transferSyntaxUid: string
  readonly bytes: Uint8Array
}

/** A Secondary Capture object with `pixelBytes` of pixel data whose content depends on `n`. */
export const object = (n: number, pixelBytes = 32 * 1024): TestObject => {
  const sopInstanceUid = `2.25.${1000000 + n}`
  const pixels = new Uint8Array(pixelBytes)
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + n) & 0xff
  const ds = Dataset.fromRecord({ SOPClassUID: secondaryCapture, SOPInstanceUID: sopInstanceUid, PatientName: `Fault^${n}`, PixelData: pixels })
  if (ds._tag === "Failure") throw new Error(ds.failure.message)
  const bytes = DatasetCodec.encode(ds.success, TransferSyntax.ExplicitVRLittleEndian)
  if (bytes._tag === "Failure") throw new Error(bytes.failure.message)
  return { sopClassUid: secondaryCapture, sopInstanceUid, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, bytes: bytes.success }
}

/** `Storage.toDirectory(directory)` built with the Node file system. */
export const storeTo = (directory: string, options: Omit<Storage.DirectoryOptions, "directory"> = {}): Storage.StoreHandler =>
  Effect.runSync(Storage.toDirectory({ directory, ...options }).pipe(Effect.provide(NodeServices.layer)))

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })

/** What the directory holds compared with what was acknowledged. */
export interface DirectoryCheck {
  /** Every file name (relative), sorted. */
  readonly files: ReadonlyArray<string>
  /** Temporary or partial files (".part", hidden). */
  readonly leftovers: ReadonlyArray<string>
  /** Acknowledged objects with no file. */
  readonly missing: ReadonlyArray<string>
  /** Files whose data set differs from what was sent, or whose meta header names another instance. */
  readonly different: ReadonlyArray<string>
  /** Files of objects that were not acknowledged. */
  readonly unexpected: ReadonlyArray<string>
}

/** Compares `directory` (flat layout: `<SOP Instance UID>.dcm`) with the objects acknowledged with success. */
export const check = (directory: string, acknowledged: ReadonlyArray<TestObject>): DirectoryCheck => {
  const files = filesUnder(directory).map((p) => p.slice(directory.length + 1)).sort()
  const leftovers = files.filter((f) => f.endsWith(".part") || f.split("/").some((s) => s.startsWith(".")))
  const byName = new Map(acknowledged.map((o) => [`${o.sopInstanceUid}.dcm`, o]))
  const missing = [...byName.keys()].filter((name) => !files.includes(name))
  const unexpected = files.filter((f) => !byName.has(f) && !leftovers.includes(f))
  const different = files.flatMap((f) => {
    const o = byName.get(f)
    if (o === undefined) return []
    const bytes = new Uint8Array(readFileSync(join(directory, f)))
    const meta = Part10.readMeta(bytes)
    if (meta._tag === "Failure" || meta.success.mediaStorageSopInstanceUid !== o.sopInstanceUid) return [f]
    const body = bytes.subarray(meta.success.datasetOffset)
    return body.length === o.bytes.length && body.every((b, i) => b === o.bytes[i]) ? [] : [f]
  })
  return { files, leftovers, missing, different, unexpected }
}

/** The check of a directory that must hold exactly `acknowledged`. */
export const clean = { leftovers: [], missing: [], different: [], unexpected: [] }
