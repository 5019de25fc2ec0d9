import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Dataset, DatasetCodec, Part10, SopClass, TransferSyntax, Uid } from "@dicomnet/data"
import { type Modality, Synth } from "@dicomnet/synth"
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"

const dirs: Array<string> = []
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "dicomnet-synth-"))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** dcmdump over files (TCP_NODELAY=1 as for every DCMTK process); fails, never skips, when DCMTK is missing. */
const dcmdump = (files: ReadonlyArray<string>): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve, reject) => {
    execFile("dcmdump", ["-q", ...files], { env: { ...process.env, TCP_NODELAY: "1" }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") reject(new Error(`dcmdump could not run (apt-get install -y dcmtk): ${error.message}`))
      else resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr })
    })
  })

const small = { rows: 64, columns: 64, instancesPerSeries: 2 } as const

const decode = (bytes: Uint8Array) => {
  const r = Part10.decodeFile(bytes)
  if (Result.isFailure(r)) return assert.fail(r.failure.message)
  return r.success
}

const files = (options: Synth.SynthOptions) => [...Synth.generate(options)]

const sopClassOf: Record<Modality, ReadonlyArray<string>> = {
  CT: [Uid.Uids.CTImageStorage],
  MR: [Uid.Uids.MRImageStorage],
  DX: [Uid.Uids.DigitalXRayImageStorageForPresentation],
  "DICOS-CT": ["1.2.840.10008.5.1.4.1.1.501.1"],
  "DICOS-DX": ["1.2.840.10008.5.1.4.1.1.501.2.1"],
  "DICOS-TDR": ["1.2.840.10008.5.1.4.1.1.501.1", "1.2.840.10008.5.1.4.1.1.501.3"]
}

describe("Synth · determinism", () => {
  for (const modality of Synth.modalities) {
    it(`${modality}: the same seed gives the same bytes, another seed other UIDs and pixels`, () => {
      const a = files({ ...small, modality, seed: 42 })
      const b = files({ ...small, modality, seed: 42 })
      const c = files({ ...small, modality, seed: 43 })
      expect(a.length).toBe(b.length)
      for (let i = 0; i < a.length; i++) {
        expect(a[i]?.path).toBe(b[i]?.path)
        expect(Buffer.from(a[i]?.bytes ?? []).equals(Buffer.from(b[i]?.bytes ?? []))).toBe(true)
      }
      const uidsA = new Set(a.map((f) => f.sopInstanceUid))
      for (const f of c) expect(uidsA.has(f.sopInstanceUid)).toBe(false)
      expect(Buffer.from(a[0]?.bytes ?? []).equals(Buffer.from(c[0]?.bytes ?? []))).toBe(false)
    })
  }

  it("a transfer syntax changes the encoding, not the instance (same UIDs, same data set)", () => {
    const le = files({ ...small, seed: "ts" })
    const be = files({ ...small, seed: "ts", transferSyntax: "ExplicitVRBigEndian" })
    expect(be.map((f) => f.sopInstanceUid)).toEqual(le.map((f) => f.sopInstanceUid))
    for (let i = 0; i < le.length; i++) {
      assert.isTrue(Dataset.equals(decode(le[i]?.bytes ?? new Uint8Array()).dataset, decode(be[i]?.bytes ?? new Uint8Array()).dataset))
    }
  })

  it("modalities drawn from one seed never share instance UIDs", () => {
    const all = Synth.modalities.flatMap((modality) => files({ ...small, modality, seed: 7 }).map((f) => f.sopInstanceUid))
    expect(new Set(all).size).toBe(all.length)
  })
})

describe("Synth · counts, paths and the hierarchy", () => {
  it("makes patients x studies x series x instances files at PatientID/StudyUID/SeriesUID/SOPInstanceUID.dcm", () => {
    const out = files({ ...small, patients: 2, studiesPerPatient: 2, seriesPerStudy: 2, instancesPerSeries: 3, seed: 5 })
    expect(out.length).toBe(2 * 2 * 2 * 3)
    const studies = new Map<string, Set<string>>()
    const sops = new Set<string>()
    for (const f of out) {
      const { meta, dataset } = decode(f.bytes)
      const ids = ["PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"].map((k) => dataset.string(k) ?? "")
      expect(f.path).toBe(`${ids.join("/")}.dcm`)
      for (const u of ids.slice(1)) assert.isTrue(Uid.isValid(u) && u.startsWith("2.25."), u)
      expect(meta.mediaStorageSopInstanceUid).toBe(ids[3])
      expect(meta.mediaStorageSopClassUid).toBe(dataset.string("SOPClassUID"))
      sops.add(ids[3] ?? "")
      const series = studies.get(ids[1] ?? "") ?? new Set<string>()
      series.add(ids[2] ?? "")
      studies.set(ids[1] ?? "", series)
    }
    expect(sops.size).toBe(24)
    // PS3.5 §B.2: the integer under 2.25 is a UUID; ours are RFC 9562 version 8 with the 10 variant.
    for (const u of sops) {
      const hex = BigInt(u.slice(5)).toString(16).padStart(32, "0")
      expect(hex[12]).toBe("8")
      expect(["8", "9", "a", "b"]).toContain(hex[16])
    }
    for (const u of Synth.sopClasses) assert.isTrue(SopClass.isStorage(u), u)
    expect(studies.size).toBe(4)
    for (const series of studies.values()) expect(series.size).toBe(2)
  })

  it("keeps patient, study and frame of reference attributes the same across a study's series", () => {
    const out = files({ ...small, studiesPerPatient: 2, seriesPerStudy: 3, instancesPerSeries: 2, seed: 9 })
    const byStudy = new Map<string, Array<Dataset.Dataset>>()
    for (const f of out) {
      const ds = decode(f.bytes).dataset
      const list = byStudy.get(ds.string("StudyInstanceUID") ?? "") ?? []
      list.push(ds)
      byStudy.set(ds.string("StudyInstanceUID") ?? "", list)
    }
    expect(byStudy.size).toBe(2)
    const patients = new Set(out.map((f) => decode(f.bytes).dataset.string("PatientID")))
    expect(patients.size).toBe(1)
    for (const list of byStudy.values()) {
      for (const k of ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "AccessionNumber", "StudyID", "FrameOfReferenceUID"]) {
        expect(new Set(list.map((d) => d.string(k))).size, k).toBe(1)
      }
      expect(new Set(list.map((d) => d.string("SeriesInstanceUID"))).size).toBe(3)
      expect(new Set(list.map((d) => d.string("SeriesNumber")))).toEqual(new Set(["1", "2", "3"]))
    }
  })

  it("flat layout names files by SOP Instance UID", () => {
    const out = files({ ...small, layout: "flat", seed: 1 })
    for (const f of out) expect(f.path).toBe(`${f.sopInstanceUid}.dcm`)
  })

  it("the manifest lists exactly what generate writes", () => {
    const options = { ...small, modality: "DICOS-TDR", seriesPerStudy: 2, seed: 3 } as const
    const plan = Synth.manifest(options)
    assert(Result.isSuccess(plan))
    const planned = plan.success.flatMap((p) => p.studies.flatMap((s) => s.series.flatMap((se) => se.instances.map((i) => i.path))))
    expect(planned).toEqual(files(options).map((f) => f.path))
    // DICOS-TDR: each DICOS CT series is followed by its report series.
    expect(plan.success[0]?.studies[0]?.series.map((s) => s.modality)).toEqual(["CT", "TDR", "CT", "TDR"])
  })
})

describe("Synth · images", () => {
  it("steps ImagePositionPatient by SliceThickness along z, with InstanceNumber in order (CT, MR, DICOS CT)", () => {
    for (const modality of ["CT", "MR", "DICOS-CT"] as const) {
      const slices = files({ ...small, modality, instancesPerSeries: 4 }).map((f) => decode(f.bytes).dataset)
      const thickness = slices[0]?.number("SliceThickness") ?? 0
      expect(thickness).toBeGreaterThan(0)
      slices.forEach((d, i) => {
        expect(d.number("InstanceNumber")).toBe(i + 1)
        expect(d.numbers("ImagePositionPatient")?.[2]).toBeCloseTo(i * thickness, 6)
        expect(d.numbers("ImageOrientationPatient")).toEqual([1, 0, 0, 0, 1, 0])
      })
    }
  })

  it("writes the Image Pixel module and 16-bit pixel data of rows x columns", () => {
    for (const modality of ["CT", "MR", "DX", "DICOS-CT", "DICOS-DX"] as const) {
      const d = decode(files({ rows: 48, columns: 80, instancesPerSeries: 1, modality })[0]?.bytes ?? new Uint8Array()).dataset
      expect(d.number("Rows")).toBe(48)
      expect(d.number("Columns")).toBe(80)
      expect(d.number("SamplesPerPixel")).toBe(1)
      expect(d.string("PhotometricInterpretation")).toBe("MONOCHROME2")
      expect(d.number("BitsAllocated")).toBe(16)
      expect(d.number("HighBit")).toBe((d.number("BitsStored") ?? 0) - 1)
      expect(d.bytes("PixelData")?.length).toBe(48 * 80 * 2)
      expect(d.string("Manufacturer")).toBe("dicomnet synth")
    }
  })

  it("draws a phantom, not noise: air outside the body, soft tissue inside (CT, HU via the rescale)", () => {
    const d = decode(files({ rows: 128, columns: 128, instancesPerSeries: 3 })[1]?.bytes ?? new Uint8Array()).dataset
    const px = d.numbers("PixelData") ?? []
    const slope = d.number("RescaleSlope") ?? 0
    const intercept = d.number("RescaleIntercept") ?? 0
    const hu = (x: number, y: number) => (px[y * 128 + x] ?? 0) * slope + intercept
    expect(hu(2, 2)).toBeLessThan(-900)
    expect(hu(125, 125)).toBeLessThan(-900)
    // Down the middle column: soft tissue, and the vertebral body (bone) behind it.
    const column = Array.from({ length: 128 }, (_, y) => hu(64, y))
    expect(Math.max(...column)).toBeGreaterThan(300)
    expect(column.some((v) => v > -100 && v < 150)).toBe(true)
    // Across the chest: lungs either side (air-like but inside the body).
    const row = Array.from({ length: 128 }, (_, x) => hu(x, 60))
    expect(row.slice(20, 60).some((v) => v < -600)).toBe(true)
    expect(row.slice(68, 108).some((v) => v < -600)).toBe(true)
  })

  it("a default 512x512 CT image is about half a megabyte and compresses well", () => {
    const first = Synth.generate({ seed: 11 })[Symbol.iterator]().next()
    assert(first.done !== true)
    expect(first.value.bytes.length).toBeGreaterThan(512 * 512 * 2)
    expect(first.value.bytes.length).toBeLessThan(512 * 512 * 2 + 8192)
    const deflated = Synth.generate({ seed: 11, transferSyntax: TransferSyntax.DeflatedExplicitVRLittleEndian })[Symbol.iterator]().next()
    assert(deflated.done !== true)
    expect(deflated.value.bytes.length).toBeLessThan(first.value.bytes.length / 2)
  })
})

describe("Synth · DICOS (NEMA IIC 1)", () => {
  it("uses the Object of Inspection vocabulary for the patient level", () => {
    const d = decode(files({ ...small, modality: "DICOS-CT" })[0]?.bytes ?? new Uint8Array()).dataset
    expect(d.string("PatientID")?.startsWith("OOI")).toBe(true)
    expect(d.string("OOIType")).toBe("BAGGAGE")
    expect(d.numbers("OOISize")?.length).toBe(3)
    expect(d.string("DICOSVersion")).toBe("V02A")
  })

  it("the Threat Detection Report has no pixel data and references CT instances of its study", () => {
    const out = files({ ...small, modality: "DICOS-TDR", instancesPerSeries: 8, seed: 21 }).map((f) => decode(f.bytes).dataset)
    const reports = out.filter((d) => d.string("SOPClassUID") === "1.2.840.10008.5.1.4.1.1.501.3")
    const images = out.filter((d) => d.string("SOPClassUID") === "1.2.840.10008.5.1.4.1.1.501.1")
    expect(reports.length).toBe(1)
    expect(images.length).toBe(8)
    const tdr = reports[0]
    assert(tdr !== undefined)
    expect(tdr.has("PixelData")).toBe(false)
    expect(tdr.string("Modality")).toBe("TDR")
    expect(tdr.string("StudyInstanceUID")).toBe(images[0]?.string("StudyInstanceUID"))
    const threat = tdr.sequence("ThreatSequence")?.[0]
    assert(threat !== undefined)
    const refs = threat.sequence("PTORepresentationSequence")?.[0]?.sequence("ReferencedInstanceSequence") ?? []
    expect(refs.length).toBeGreaterThan(0)
    const ctUids = new Set(images.map((d) => d.string("SOPInstanceUID")))
    for (const r of refs) {
      expect(ctUids.has(r.string("ReferencedSOPInstanceUID"))).toBe(true)
      expect(r.string("ReferencedSOPClassUID")).toBe("1.2.840.10008.5.1.4.1.1.501.1")
    }
    expect(threat.sequence("ATDAssessmentSequence")?.[0]?.string("ThreatCategory")).toBe("EXPLOSIVE")
  })
})

describe("Synth · every file is valid Part 10 for our decoder and for DCMTK dcmdump", () => {
  for (const modality of Synth.modalities) {
    for (const ts of TransferSyntax.uncompressed) {
      it(`${modality} in ${TransferSyntax.info(ts)?.name ?? ts}`, async () => {
        const dir = tempDir()
        const out = files({ ...small, modality, transferSyntax: ts, seed: `${modality}/${ts}` })
        const paths: Array<string> = []
        out.forEach((f, i) => {
          const { meta, dataset } = decode(f.bytes)
          expect(meta.transferSyntaxUid).toBe(ts)
          expect(sopClassOf[modality]).toContain(meta.mediaStorageSopClassUid)
          expect(dataset.string("SOPInstanceUID")).toBe(f.sopInstanceUid)
          const p = join(dir, `${i}.dcm`)
          writeFileSync(p, f.bytes)
          paths.push(p)
        })
        const r = await dcmdump(paths)
        expect(r.stderr).toBe("")
        expect(r.code).toBe(0)
        expect(r.stdout.split("# Dicom-File-Format").length - 1).toBe(out.length)
      })
    }
  }
})

describe("Synth · options", () => {
  it("rejects options it cannot honour with a SynthError naming the option", () => {
    const cases: ReadonlyArray<readonly [Synth.SynthOptions, string]> = [
      [{ rows: 0 }, "rows"],
      [{ columns: 70000 }, "columns"],
      [{ patients: 1.5 }, "patients"],
      [{ transferSyntax: "1.2.840.10008.1.2.4.50" }, "transferSyntax"],
      [{ modality: "PET" as Modality }, "modality"]
    ]
    for (const [options, option] of cases) {
      const r = Synth.validate(options)
      assert(Result.isFailure(r))
      expect(r.failure._tag).toBe("SynthError")
      expect(r.failure.option).toBe(option)
      expect(() => Synth.generate(options)).toThrow(option)
    }
  })

  it("accepts a transfer syntax by keyword and applies per-modality sizes", () => {
    const r = Synth.validate({ modality: "MR", transferSyntax: "ImplicitVRLittleEndian" })
    assert(Result.isSuccess(r))
    expect(r.success.transferSyntax).toBe(TransferSyntax.ImplicitVRLittleEndian)
    expect([r.success.rows, r.success.columns]).toEqual([256, 256])
    expect(Synth.defaults.instancesPerSeries).toBe(10)
  })
})

describe("Synth.writeTo · through effect's FileSystem", () => {
  it.effect("writes the tree under a directory, readable by dcmdump", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const summary = yield* Synth.writeTo(dir, { ...small, modality: "DICOS-TDR", seriesPerStudy: 2, seed: "write" })
      expect(summary.files).toBe(2 * (2 + 1))
      const written: Array<string> = []
      const walk = (d: string): void => {
        for (const e of readdirSync(d)) {
          const p = join(d, e)
          if (statSync(p).isDirectory()) walk(p)
          else written.push(p)
        }
      }
      walk(dir)
      expect(written.length).toBe(summary.files)
      expect(written.reduce((n, p) => n + statSync(p).size, 0)).toBe(summary.bytes)
      const r = yield* Effect.promise(() => dcmdump(written))
      expect(r.stderr).toBe("")
      expect(r.code).toBe(0)
      const planned = Synth.manifest({ ...small, modality: "DICOS-TDR", seriesPerStudy: 2, seed: "write" })
      assert(Result.isSuccess(planned))
      for (const p of planned.success[0]?.studies[0]?.series.flatMap((s) => s.instances) ?? []) {
        expect(readFileSync(join(dir, p.path)).length).toBeGreaterThan(0)
      }
      const bad = yield* Effect.flip(Synth.writeTo(dir, { rows: -1 }))
      expect(bad._tag).toBe("SynthError")
    }).pipe(Effect.provide(NodeServices.layer))
  )

  it("decoding round trip: what we decode re-encodes to the bytes we wrote (Explicit VR LE)", () => {
    const f = files({ ...small, modality: "MR" })[0]
    assert(f !== undefined)
    const { meta, dataset } = decode(f.bytes)
    const again = DatasetCodec.encode(dataset, meta.transferSyntaxUid)
    assert(Result.isSuccess(again))
    expect(Buffer.from(again.success).equals(Buffer.from(f.bytes.subarray(meta.datasetOffset)))).toBe(true)
  })
})
