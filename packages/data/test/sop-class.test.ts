import { assert, describe, expect, it } from "@effect/vitest"
import * as SopClass from "../src/SopClass.js"
import * as Uid from "../src/Uid.js"

describe("PS3.4 Annex B · Storage SOP classes", () => {
  it("are many (> 150), distinct, registered SOP classes", () => {
    assert.isTrue(SopClass.storage.length > 150)
    expect(new Set(SopClass.storage).size).toBe(SopClass.storage.length)
    for (const uid of SopClass.storage) expect(Uid.lookup(uid)?.type, uid).toBe("SOP Class")
  })

  it("include image, SR, RT and For Presentation / For Processing classes", () => {
    for (const uid of [
      "1.2.840.10008.5.1.4.1.1.2", // CT Image Storage
      "1.2.840.10008.5.1.4.1.1.4", // MR Image Storage
      "1.2.840.10008.5.1.4.1.1.7", // Secondary Capture Image Storage
      "1.2.840.10008.5.1.4.1.1.88.11", // Basic Text SR Storage
      "1.2.840.10008.5.1.4.1.1.481.1", // RT Image Storage
      "1.2.840.10008.5.1.4.1.1.1.1", // Digital X-Ray Image Storage - For Presentation
      "1.2.840.10008.5.1.4.1.1.1.1.1", // Digital X-Ray Image Storage - For Processing
      "1.2.840.10008.5.1.4.1.1.104.1" // Encapsulated PDF Storage
    ]) {
      assert.isTrue(SopClass.isStorage(uid), uid)
    }
  })

  it("exclude non-storage services", () => {
    for (const uid of [
      SopClass.Verification,
      SopClass.StorageCommitmentPushModel,
      SopClass.StudyRootFind,
      SopClass.ModalityWorklistFind,
      SopClass.ModalityPerformedProcedureStep,
      "1.2.840.10008.1.2.1",
      "1.2.3.4"
    ]) {
      assert.isFalse(SopClass.isStorage(uid), uid)
    }
  })
})

describe("DICOS (NEMA IIC 1) · security screening storage SOP classes", () => {
  const expected = {
    "1.2.840.10008.5.1.4.1.1.501.1": "DICOS CT Image Storage",
    "1.2.840.10008.5.1.4.1.1.501.2.1": "DICOS Digital X-Ray Image Storage - For Presentation",
    "1.2.840.10008.5.1.4.1.1.501.2.2": "DICOS Digital X-Ray Image Storage - For Processing",
    "1.2.840.10008.5.1.4.1.1.501.3": "DICOS Threat Detection Report Storage",
    "1.2.840.10008.5.1.4.1.1.501.4": "DICOS 2D AIT Storage",
    "1.2.840.10008.5.1.4.1.1.501.5": "DICOS 3D AIT Storage",
    "1.2.840.10008.5.1.4.1.1.501.6": "DICOS Quadrupole Resonance (QR) Storage"
  }

  it("are the seven DICOS classes, with their names", () => {
    expect([...SopClass.dicos].sort()).toEqual(Object.keys(expected).sort())
    for (const [uid, name] of Object.entries(expected)) expect(Uid.nameOf(uid)).toBe(name)
  })

  it("are all storage SOP classes", () => {
    for (const uid of SopClass.dicos) assert.isTrue(SopClass.isStorage(uid), uid)
  })
})

describe("PS3.4 · well-known service SOP classes", () => {
  it("have their registered UIDs", () => {
    expect(SopClass.Verification).toBe("1.2.840.10008.1.1")
    expect(SopClass.PatientRootFind).toBe("1.2.840.10008.5.1.4.1.2.1.1")
    expect(SopClass.PatientRootMove).toBe("1.2.840.10008.5.1.4.1.2.1.2")
    expect(SopClass.PatientRootGet).toBe("1.2.840.10008.5.1.4.1.2.1.3")
    expect(SopClass.StudyRootFind).toBe("1.2.840.10008.5.1.4.1.2.2.1")
    expect(SopClass.StudyRootMove).toBe("1.2.840.10008.5.1.4.1.2.2.2")
    expect(SopClass.StudyRootGet).toBe("1.2.840.10008.5.1.4.1.2.2.3")
    expect(SopClass.ModalityWorklistFind).toBe("1.2.840.10008.5.1.4.31")
    expect(SopClass.StorageCommitmentPushModel).toBe("1.2.840.10008.1.20.1")
    expect(SopClass.ModalityPerformedProcedureStep).toBe("1.2.840.10008.3.1.2.3.3")
  })
})
