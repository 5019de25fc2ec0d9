/**
 * Transcoder benchmark: MB/s of Transcode for a 512x512 16-bit CT image between pairs of uncompressed transfer
 * syntaxes, pushed in 64 KiB chunks (as read from a file or a socket).
 * Run: npx tsc -b packages/data && node packages/data/bench/transcode.ts   (runs against dist/)
 */
import { Dataset, DatasetCodec, Element, Transcode, TransferSyntax } from "@dicomnet/data"
import { Result } from "effect"

const runs = Number(process.env.RUNS ?? 21)
const chunk = 64 * 1024

const median = (xs: Array<number>): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0

const pixels = new Uint8Array(512 * 512 * 2)
for (let y = 0; y < 512; y++) {
  for (let x = 0; x < 512; x++) {
    const v = 1000 + Math.round(500 * Math.sin(x / 40) * Math.cos(y / 50))
    pixels[(y * 512 + x) * 2] = v & 0xff
    pixels[(y * 512 + x) * 2 + 1] = v >> 8
  }
}
const header = Dataset.Dataset.unsafeFromRecord({
  SOPClassUID: "1.2.840.10008.5.1.4.1.1.2",
  SOPInstanceUID: "2.25.1",
  Modality: "CT",
  PatientName: "Bench^CT",
  PatientID: "BENCH",
  Rows: 512,
  Columns: 512,
  BitsAllocated: 16,
  BitsStored: 12,
  HighBit: 11,
  PixelRepresentation: 0,
  SamplesPerPixel: 1,
  PhotometricInterpretation: "MONOCHROME2",
  ReferencedImageSequence: [{ ReferencedSOPClassUID: "1.2.840.10008.5.1.4.1.1.2", ReferencedSOPInstanceUID: "2.25.2" }]
})
const ct = header.with(Element.bytes(0x7fe00010, "OW", pixels))

const pairs: ReadonlyArray<readonly [string, string]> = [
  [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian],
  [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian],
  [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian],
  [TransferSyntax.ExplicitVRBigEndian, TransferSyntax.ImplicitVRLittleEndian],
  [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.DeflatedExplicitVRLittleEndian],
  [TransferSyntax.DeflatedExplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian]
]

for (const [from, to] of pairs) {
  const encoded = DatasetCodec.encode(ct, from)
  if (Result.isFailure(encoded)) throw new Error(encoded.failure.message)
  const input = encoded.success
  const pieces: Array<Uint8Array> = []
  for (let i = 0; i < input.length; i += chunk) pieces.push(input.subarray(i, i + chunk))
  const once = (): number => {
    const t = Transcode.make(from, to)
    let n = 0
    for (const p of pieces) {
      const r = t.push(p)
      if (Result.isFailure(r)) throw new Error(r.failure.message)
      for (const o of r.success) n += o.length
    }
    const e = t.end()
    if (Result.isFailure(e)) throw new Error(e.failure.message)
    return n
  }
  once()
  const samples: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    once()
    samples.push(performance.now() - t0)
  }
  const ms = median(samples)
  const name = (uid: string) => TransferSyntax.info(uid)?.keyword ?? uid
  const ct512 = 512 * 512 * 2
  console.log(`${name(from)} -> ${name(to)}: ${ms.toFixed(2)} ms per 512x512 CT, ${(ct512 / 1e6 / (ms / 1000)).toFixed(0)} MB/s (pixel bytes)`)
}
