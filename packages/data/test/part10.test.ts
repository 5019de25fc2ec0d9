import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Result, Stream } from "effect"
import { Dataset } from "../src/Dataset.js"
import * as DataError from "../src/DataError.js"
import * as DatasetCodec from "../src/DatasetCodec.js"
import * as Implementation from "../src/Implementation.js"
import * as Part10 from "../src/Part10.js"

const meta = {
  mediaStorageSopClassUid: "1.2.840.10008.5.1.4.1.1.7",
  mediaStorageSopInstanceUid: "1.2.826.0.1.3680043.2.1125.9",
  transferSyntaxUid: "1.2.840.10008.1.2.1"
}
const body = Dataset.unsafeFromRecord({ SOPClassUID: meta.mediaStorageSopClassUid, PatientName: "Doe^Jane", Rows: 4 })

const ok = <A, E extends { readonly message: string }>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) return assert.fail(r.failure.message)
  return r.success
}

describe("PS3.10 §7.1 · File Meta Information", () => {
  it("encodeMeta writes a zero preamble, DICM and group 0002 with a correct group length", () => {
    const head = Part10.encodeMeta({ ...meta, sourceApplicationEntityTitle: "DICOMNET" })
    expect(head.subarray(0, 128).every((b) => b === 0)).toBe(true)
    expect(Buffer.from(head.subarray(128, 132)).toString("latin1")).toBe("DICM")
    const groupLength = new DataView(head.buffer, head.byteOffset).getUint32(140, true)
    expect(144 + groupLength).toBe(head.length)
    const read = ok(Part10.readMeta(head))
    expect(read.datasetOffset).toBe(head.length)
    expect(read.transferSyntaxUid).toBe(meta.transferSyntaxUid)
    expect(read.mediaStorageSopClassUid).toBe(meta.mediaStorageSopClassUid)
    expect(read.mediaStorageSopInstanceUid).toBe(meta.mediaStorageSopInstanceUid)
    expect(read.meta.uid("ImplementationClassUID")).toBe(Implementation.classUid)
    expect(read.meta.string("ImplementationVersionName")).toBe(Implementation.versionName)
    expect(read.meta.string("SourceApplicationEntityTitle")).toBe("DICOMNET")
    expect(Array.from(read.meta.bytes("FileMetaInformationVersion") ?? [])).toEqual([0, 1])
    expect(Part10.metaLengthHint(head.subarray(0, 144))).toBe(head.length)
  })

  it("readMeta needs only the bytes up to the data set, and says Truncated when it has fewer", () => {
    const file = ok(Part10.encodeFile(meta, body))
    const { datasetOffset } = ok(Part10.readMeta(file))
    expect(ok(Part10.readMeta(file.subarray(0, datasetOffset))).datasetOffset).toBe(datasetOffset)
    for (const n of [0, 100, 131, 140, datasetOffset - 1]) {
      const r = Part10.readMeta(file.subarray(0, n))
      assert(Result.isFailure(r), `${n} bytes`)
      expect(DataError.isTruncated(r.failure), `${n} bytes: ${r.failure.message}`).toBe(true)
    }
  })

  it("readMeta rejects a file without DICM at offset 128 (NotPart10) and a meta without transfer syntax", () => {
    const file = ok(Part10.encodeFile(meta, body))
    const broken = file.slice()
    broken[128] = 0x58
    const r = Part10.readMeta(broken)
    assert(Result.isFailure(r))
    expect(r.failure).toMatchObject({ kind: "NotPart10", offset: 128 })
    const group2 = ok(DatasetCodec.encode(Dataset.unsafeFromRecord({ MediaStorageSOPClassUID: "1.2.3" }), "1.2.840.10008.1.2.1"))
    const noSyntax = new Uint8Array(132 + group2.length)
    noSyntax.set(Buffer.from("DICM"), 128)
    noSyntax.set(group2, 132)
    const missing = Part10.readMeta(noSyntax)
    assert(Result.isFailure(missing))
    expect(missing.failure).toMatchObject({ kind: "InvalidStructure", tag: 0x00020010 })
  })

  it("decodeFile reads meta and data set; encodeFile writes them in the meta's transfer syntax", () => {
    for (const transferSyntaxUid of ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"]) {
      const file = ok(Part10.encodeFile({ ...meta, transferSyntaxUid }, body))
      const decoded = ok(Part10.decodeFile(file))
      expect(decoded.meta.transferSyntaxUid).toBe(transferSyntaxUid)
      expect(decoded.dataset.string("PatientName")).toBe("Doe^Jane")
      expect(decoded.dataset.number("Rows")).toBe(4)
    }
  })

  it("decode errors in the data set are reported at their offset in the file", () => {
    const file = ok(Part10.encodeFile(meta, body))
    const { datasetOffset } = ok(Part10.readMeta(file))
    const cut = file.subarray(0, file.length - 3)
    const r = Part10.decodeFile(cut)
    assert(Result.isFailure(r))
    expect(r.failure.offset).toBeGreaterThanOrEqual(datasetOffset)
    expect(r.failure.kind).toBe("Truncated")
  })

  it("stream emits the meta header and then the data set bytes untouched", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const raw = ok(DatasetCodec.encode(body, meta.transferSyntaxUid))
        const chunks = yield* Stream.runCollect(Part10.stream(meta, Stream.make(raw.subarray(0, 10), raw.subarray(10))))
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)))
        expect(all.equals(Buffer.from(ok(Part10.encodeFile(meta, body))))).toBe(true)
      })
    ))
})

describe("Files without preamble · detect / readMetaOrRaw", () => {
  const file = ok(Part10.encodeFile(meta, body))

  it("recognizes a Part 10 file", () => {
    expect(ok(Part10.detect(file))._tag).toBe("Part10")
  })

  it("recognizes meta information without the preamble (starting at DICM or at group 0002)", () => {
    const fromDicm = ok(Part10.readMetaOrRaw(file.subarray(128)))
    expect(fromDicm.found).toBe("MetaWithoutPreamble")
    expect(fromDicm.transferSyntaxUid).toBe(meta.transferSyntaxUid)
    const fromGroup2 = ok(Part10.readMetaOrRaw(file.subarray(132)))
    expect(fromGroup2.found).toBe("MetaWithoutPreamble")
    expect(ok(Part10.decodeFile(file.subarray(132))).dataset.string("PatientName")).toBe("Doe^Jane")
  })

  it("recognizes a bare data set starting at group 0008 and guesses its transfer syntax", () => {
    for (const uid of ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"]) {
      const raw = ok(DatasetCodec.encode(body, uid))
      const found = ok(Part10.readMetaOrRaw(raw))
      expect(found).toMatchObject({ found: "RawDataset", transferSyntaxUid: uid, datasetOffset: 0 })
      expect(ok(Part10.decodeFile(raw)).dataset.string("PatientName")).toBe("Doe^Jane")
    }
  })

  it("asks for more bytes when fewer than 8 are given", () => {
    const r = Part10.detect(Uint8Array.of(8, 0))
    assert(Result.isFailure(r))
    expect(r.failure.kind).toBe("Truncated")
  })
})
