/**
 * Transfer syntaxes (PS3.5 §10, Annex A): the registered ones from PS3.6 Table A-1 with the
 * encoding facts a codec needs (VR explicit or implicit, byte order, deflate, encapsulated pixel data).
 *
 * @since 0.1.0
 */
import * as Uid from "./Uid.js"

/**
 * A transfer syntax and how it encodes a data set.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransferSyntaxInfo {
  readonly uid: string
  readonly name: string
  readonly keyword: string
  /** VRs are written in the data set (everything but Implicit VR Little Endian). */
  readonly explicitVR: boolean
  /** Little endian byte order (everything but the retired Explicit VR Big Endian). */
  readonly littleEndian: boolean
  /** The whole data set is deflated (PS3.5 §A.5). */
  readonly deflated: boolean
  /** Pixel Data is encapsulated in fragments (PS3.5 §A.4): compressed and other encapsulated syntaxes. */
  readonly encapsulated: boolean
  readonly retired: boolean
}

/**
 * Implicit VR Little Endian, the DICOM default transfer syntax (PS3.5 §A.1).
 *
 * @since 0.1.0
 * @category constants
 */
export const ImplicitVRLittleEndian = "1.2.840.10008.1.2"

/**
 * Explicit VR Little Endian (PS3.5 §A.2).
 *
 * @since 0.1.0
 * @category constants
 */
export const ExplicitVRLittleEndian = "1.2.840.10008.1.2.1"

/**
 * Explicit VR Big Endian, retired (PS3.5 §A.3).
 *
 * @since 0.1.0
 * @category constants
 */
export const ExplicitVRBigEndian = "1.2.840.10008.1.2.2"

/**
 * Deflated Explicit VR Little Endian (PS3.5 §A.5).
 *
 * @since 0.1.0
 * @category constants
 */
export const DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99"

/**
 * The four transfer syntaxes whose Pixel Data is native (not encapsulated).
 *
 * @since 0.1.0
 * @category constants
 */
export const uncompressed: ReadonlyArray<string> = [
  ImplicitVRLittleEndian,
  ExplicitVRLittleEndian,
  ExplicitVRBigEndian,
  DeflatedExplicitVRLittleEndian
]

// Implicit VR: the default syntax and its retired Papyrus 3 twin.
const implicitVR: ReadonlySet<string> = new Set([ImplicitVRLittleEndian, "1.2.840.10008.1.20"])

// The data set itself is deflated: PS3.5 §A.5 and the JPIP Referenced Deflate syntaxes (§A.7, HTJ2K §A.7.1).
// Deflated Image Frame Compression (1.2.840.10008.1.2.8.1) deflates frames in encapsulated fragments instead.
const deflated: ReadonlySet<string> = new Set([
  DeflatedExplicitVRLittleEndian,
  "1.2.840.10008.1.2.4.95",
  "1.2.840.10008.1.2.4.205"
])

// Native (non-encapsulated) Pixel Data, or none in the data set: the uncompressed four; JPIP
// Referenced (pixel data referenced by URL, PS3.5 §A.6/A.7); SMPTE ST 2110 (pixel data travels in
// RTP streams, DICOM-RTV PS3.34); and the retired MIME/XML/Papyrus encodings.
const native: ReadonlySet<string> = new Set([
  ...uncompressed,
  "1.2.840.10008.1.2.4.94",
  "1.2.840.10008.1.2.4.95",
  "1.2.840.10008.1.2.4.204",
  "1.2.840.10008.1.2.4.205",
  "1.2.840.10008.1.2.7.1",
  "1.2.840.10008.1.2.7.2",
  "1.2.840.10008.1.2.7.3",
  "1.2.840.10008.1.2.6.1",
  "1.2.840.10008.1.2.6.2",
  "1.2.840.10008.1.20"
])

const toInfo = (entry: Uid.UidEntry): TransferSyntaxInfo => ({
  uid: entry.uid,
  name: entry.name,
  keyword: entry.keyword,
  explicitVR: !implicitVR.has(entry.uid),
  littleEndian: entry.uid !== ExplicitVRBigEndian,
  deflated: deflated.has(entry.uid),
  encapsulated: !native.has(entry.uid),
  retired: entry.retired
})

/**
 * Every registered transfer syntax, in the order of PS3.6 Table A-1.
 *
 * @since 0.1.0
 * @category constants
 */
export const all: ReadonlyArray<TransferSyntaxInfo> = Uid.all.filter((u) => u.type === "Transfer Syntax").map(toInfo)

const byUid = new Map<string, TransferSyntaxInfo>(all.map((ts) => [ts.uid, ts]))

/**
 * The encoding facts of a registered transfer syntax; undefined for unknown (e.g. private) UIDs.
 *
 * @since 0.1.0
 * @category lookups
 */
export const info = (uid: string): TransferSyntaxInfo | undefined => byUid.get(uid)
