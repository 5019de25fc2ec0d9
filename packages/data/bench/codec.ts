/**
 * Data set codec benchmark: decode and encode MB/s for a 512x512 16-bit CT image and for a header-only data set
 * of ~2,000 elements, beside DCMTK's dcmconv converting the same files in the same run (process start included).
 * Run: npx tsc -b packages/data && npm run bench -w @dicomnet/data   (runs against dist/)
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Dataset, Dictionary, Element, Part10 } from "@dicomnet/data"
import { Result } from "effect"

const ExplicitLE = "1.2.840.10008.1.2.1"
const ExplicitBE = "1.2.840.10008.1.2.2"
const runs = Number(process.env.RUNS ?? 31)

const median = (xs: Array<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1] ?? 0
}

/** Median milliseconds per call over `n` samples; a sample repeats fast calls until it lasts at least 5 ms. */
const time = (op: () => void, n = runs): number => {
  const t0 = performance.now()
  op()
  const once = Math.max(performance.now() - t0, 0.001)
  const repeat = Math.max(1, Math.ceil(5 / once))
  for (let i = 0; i < n; i++) op()
  const samples: Array<number> = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    for (let k = 0; k < repeat; k++) op()
    samples.push((performance.now() - start) / repeat)
  }
  return median(samples)
}

const get = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(String(r.failure))
  return r.success
}

const header = (): Array<Element.Element> => {
  const ds = get(
    Dataset.fromRecord({
      SOPClassUID: "1.2.840.10008.5.1.4.1.1.2",
      SOPInstanceUID: "1.2.826.0.1.3680043.2.1125.1.42",
      StudyDate: "20240131",
      StudyTime: "101500",
      Modality: "CT",
      PatientName: "Doe^John",
      PatientID: "PID-0001",
      PatientBirthDate: "19700101",
      PatientSex: "M",
      SliceThickness: "1.25",
      KVP: "120",
      StudyInstanceUID: "1.2.826.0.1.3680043.2.1125.1",
      SeriesInstanceUID: "1.2.826.0.1.3680043.2.1125.2",
      InstanceNumber: "1",
      ImagePositionPatient: ["-250", "-250", "100.5"],
      ImageOrientationPatient: ["1", "0", "0", "0", "1", "0"],
      SamplesPerPixel: 1,
      PhotometricInterpretation: "MONOCHROME2",
      Rows: 512,
      Columns: 512,
      PixelSpacing: ["0.48828125", "0.48828125"],
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      WindowCenter: "40",
      WindowWidth: "400",
      RescaleIntercept: "-1024",
      RescaleSlope: "1",
      ReferencedImageSequence: [{ ReferencedSOPClassUID: "1.2.840.10008.5.1.4.1.1.2", ReferencedSOPInstanceUID: "1.2.3.4" }]
    })
  )
  return [...ds.elements()]
}

// A CT image: a typical header and 512 x 512 x 16-bit pixel data (OW).
const pixels = new Uint8Array(512 * 512 * 2)
for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) & 0xff
const ct = Dataset.make([...header(), Element.bytes(0x7fe00010, "OW", pixels)])

// A header-only data set of ~2,000 elements: public text and numeric elements, private elements, sequences.
const many: Array<Element.Element> = [...header()]
let added = 0
for (const entry of Dictionary.entries()) {
  if (added >= 1200) break
  const g = entry.tag >>> 16
  if (g === 0x0002 || g >= 0x7fe0 || entry.tag === 0x00080005 || entry.vr[0] === "SQ" || entry.vr[0] === undefined) continue
  const made = Element.fromValue(entry.tag, entry.vr[0] === "UI" ? "1.2.3.4.5" : ["DS", "IS", "US", "UL", "SS", "SL", "FL", "FD"].includes(entry.vr[0]) ? 7 : "VALUE")
  if (Result.isSuccess(made) && many.every((e) => e.tag !== entry.tag)) {
    many.push(made.success)
    added++
  }
}
for (let i = 0; i < 700; i++) many.push(Element.string(((0x0009 << 16) | (0x1000 + i)) >>> 0, "LO", `private value ${i}`))
const headerOnly = Dataset.make(many)

// A multi-frame CT (100 frames): large enough that dcmconv's process start-up no longer dominates its time.
const frames = new Uint8Array(pixels.length * 100)
for (let f = 0; f < 100; f++) frames.set(pixels, f * pixels.length)
const multiFrame = Dataset.make([...header(), Element.string(0x00280008, "IS", "100"), Element.bytes(0x7fe00010, "OW", frames)])

const meta = (transferSyntaxUid: string) => ({
  mediaStorageSopClassUid: "1.2.840.10008.5.1.4.1.1.2",
  mediaStorageSopInstanceUid: "1.2.826.0.1.3680043.2.1125.1.42",
  transferSyntaxUid
})

const dir = mkdtempSync(join(tmpdir(), "dicomnet-bench-"))
const env = { ...process.env, TCP_NODELAY: "1" }
const dcmconv = (input: string, output: string, option: string) => () => {
  execFileSync("dcmconv", [option, input, output], { env, stdio: ["ignore", "ignore", "inherit"] })
}

const rows: Array<Array<string>> = [["data set", "size", "operation", "median ms", "MB/s", "dcmconv time / ours"]]
const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0)

try {
  const tiny = join(dir, "tiny.dcm")
  writeFileSync(tiny, get(Part10.encodeFile(meta(ExplicitLE), Dataset.make(header().slice(0, 3)))))
  const startup = time(dcmconv(tiny, join(dir, "tiny-out.dcm"), "+tb"), 15)

  const cases = [
    ["CT 512x512x16", ct],
    [`header, ${headerOnly.size} elements`, headerOnly],
    ["CT 512x512x16 x 100 frames", multiFrame]
  ] as const
  for (const [name, ds] of cases) {
    const file = get(Part10.encodeFile(meta(ExplicitLE), ds))
    const path = join(dir, "in.dcm")
    writeFileSync(path, file)
    const size = file.length
    let sink = 0
    const decode = time(() => {
      // Whole file: meta header, then the data set (Part10.decodeFile).
      sink += get(Part10.decodeFile(file)).dataset.size
    })
    // Reading 26 million pixel values into numbers says nothing new (and bloats the heap): small cases only.
    const decodeRead = size > 10e6 ? Number.NaN : time(() => {
      const d = get(Part10.decodeFile(file)).dataset
      for (const e of d.elements()) sink += (d.strings(e.tag)?.length ?? 0) + (d.numbers(e.tag)?.length ?? 0)
    })
    const decoded = get(Part10.decodeFile(file)).dataset
    const encode = time(() => {
      sink += get(Part10.encodeFile(meta(ExplicitLE), decoded)).length
    })
    const toBE = time(() => {
      sink += get(Part10.encodeFile(meta(ExplicitBE), get(Part10.decodeFile(file)).dataset)).length
    })
    const external = time(dcmconv(path, join(dir, "out.dcm"), "+tb"), Math.min(runs, 21))
    if (sink === 0) console.log("")
    const ratio = (ms: number) => `${(external / ms).toFixed(1)}x`
    const sizeLabel = `${(size / 1e6).toFixed(2)} MB`
    rows.push([name, sizeLabel, "decode (values stay views)", decode.toFixed(3), mbps(size, decode), ""])
    if (!Number.isNaN(decodeRead)) rows.push([name, sizeLabel, "decode + read every value", decodeRead.toFixed(3), mbps(size, decodeRead), ""])
    rows.push([name, sizeLabel, "encode Explicit VR LE", encode.toFixed(3), mbps(size, encode), ""])
    rows.push([name, sizeLabel, "transcode LE -> BE (decode+encode)", toBE.toFixed(3), mbps(size, toBE), ratio(toBE)])
    rows.push([name, sizeLabel, "dcmconv +tb (process)", external.toFixed(3), mbps(size, external), ""])
  }
  rows.push(["tiny file", "", "dcmconv +tb (process start-up)", startup.toFixed(3), "", ""])
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? []
console.log(`node ${process.version}, ${runs} runs each (dcmconv ${Math.min(runs, 21)}), medians`)
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  "))
