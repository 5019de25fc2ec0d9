/**
 * Golden vectors from a real peer (DCMTK 3.6.7): captured live on every run and committed under
 * test/fixtures (see fixtures/README.md). They decode to the expected values and re-encode byte for byte.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Dcmtk } from "@dicomnet/testkit"
import { Result } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Framer, type Pdu, PduCodec, PduDump } from "../src/index.js"
import { captureAssociateRq, connect, startScp } from "./support/peers.js"

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))

const decode = (bytes: Uint8Array): Pdu.Pdu => {
  const r = PduCodec.decode(bytes)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}

const asRq = (pdu: Pdu.Pdu): Pdu.AAssociateRq => {
  assert.strictEqual(pdu._tag, "AAssociateRq")
  return pdu as Pdu.AAssociateRq
}

/**
 * The same bytes with the reserved byte of every presentation context item zeroed (DCMTK sends 0xFF
 * there, PS3.8 §9.3.2.2 says 00H). Walks the items with plain arithmetic, independent of the codec.
 */
const withReservedPcBytesZeroed = (bytes: Uint8Array): Uint8Array => {
  const out = bytes.slice()
  let at = 74
  while (at < out.length) {
    const itemType = out[at] as number
    const length = ((out[at + 2] as number) << 8) | (out[at + 3] as number)
    if (itemType === 0x20) out[at + 6] = 0
    at += 4 + length
  }
  return out
}

const dcmtkUserInformation = {
  maxLength: 16384,
  implementationClassUid: "1.2.276.0.7230010.3.0.3.6.7",
  implementationVersionName: "OFFIS_DCMTK_367",
  roleSelections: [],
  extendedNegotiations: [],
  commonExtendedNegotiations: [],
  unknownItems: []
}

const Uids = {
  applicationContext: "1.2.840.10008.3.1.1.1",
  verification: "1.2.840.10008.1.1",
  ctImageStorage: "1.2.840.10008.5.1.4.1.1.2",
  studyRootFind: "1.2.840.10008.5.1.4.1.2.2.1",
  implicitLe: "1.2.840.10008.1.2",
  explicitLe: "1.2.840.10008.1.2.1",
  explicitBe: "1.2.840.10008.1.2.2",
  jpegLossless: "1.2.840.10008.1.2.4.70"
}

const expectedEchoscuRq: Pdu.AAssociateRq = {
  _tag: "AAssociateRq",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "ECHOSCU",
  applicationContextName: Uids.applicationContext,
  presentationContexts: [{ presentationContextId: 1, abstractSyntax: Uids.verification, transferSyntaxes: [Uids.implicitLe] }],
  userInformation: dcmtkUserInformation
}

const expectedFindscuRq: Pdu.AAssociateRq = {
  _tag: "AAssociateRq",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "FINDSCU",
  applicationContextName: Uids.applicationContext,
  presentationContexts: [
    { presentationContextId: 1, abstractSyntax: Uids.studyRootFind, transferSyntaxes: [Uids.explicitLe, Uids.explicitBe, Uids.implicitLe] }
  ],
  userInformation: dcmtkUserInformation
}

const expectedStorescuRequiredRq: Pdu.AAssociateRq = {
  _tag: "AAssociateRq",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "STORESCU",
  applicationContextName: Uids.applicationContext,
  presentationContexts: [
    { presentationContextId: 1, abstractSyntax: Uids.ctImageStorage, transferSyntaxes: [Uids.jpegLossless] },
    { presentationContextId: 3, abstractSyntax: Uids.ctImageStorage, transferSyntaxes: [Uids.explicitLe, Uids.explicitBe, Uids.implicitLe] }
  ],
  userInformation: dcmtkUserInformation
}

const expectedStorescpAc: Pdu.AAssociateAc = {
  _tag: "AAssociateAc",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "ECHOSCU",
  applicationContextName: Uids.applicationContext,
  presentationContexts: [{ presentationContextId: 1, result: 0, transferSyntax: Uids.implicitLe }],
  userInformation: dcmtkUserInformation
}

const checkStorescuAll = (rq: Pdu.AAssociateRq): void => {
  expect(rq.calledAeTitle).toBe("STORESCP")
  expect(rq.callingAeTitle).toBe("STORESCU")
  expect(rq.presentationContexts).toHaveLength(128) // DCMTK's cap on proposed contexts
  expect(rq.presentationContexts.map((pc) => pc.presentationContextId)).toEqual(Array.from({ length: 128 }, (_, i) => 2 * i + 1))
  expect(rq.presentationContexts.some((pc) => pc.abstractSyntax === Uids.ctImageStorage)).toBe(true)
  const identity = rq.userInformation.userIdentity
  assert(identity !== undefined)
  expect(identity.userIdentityType).toBe(2)
  expect(identity.positiveResponseRequested).toBe(true)
  expect(new TextDecoder().decode(identity.primaryField)).toBe("alice")
  expect(new TextDecoder().decode(identity.secondaryField)).toBe("secret")
}

const checkGetscuRq = (rq: Pdu.AAssociateRq): void => {
  expect(rq.callingAeTitle).toBe("GETSCU")
  expect(rq.presentationContexts).toHaveLength(121)
  expect(rq.presentationContexts[0]).toEqual({
    presentationContextId: 1,
    abstractSyntax: "1.2.840.10008.5.1.4.1.2.2.3",
    transferSyntaxes: [Uids.explicitLe, Uids.explicitBe, Uids.implicitLe]
  })
  const roles = rq.userInformation.roleSelections
  expect(roles).toHaveLength(120)
  expect(roles.every((r) => !r.scuRole && r.scpRole)).toBe(true)
  expect(roles.map((r) => r.sopClassUid)).toEqual(rq.presentationContexts.slice(1).map((pc) => pc.abstractSyntax))
}

const checkDcmqrscpAc = (pdu: Pdu.Pdu): void => {
  assert(pdu._tag === "AAssociateAc")
  expect(pdu.callingAeTitle).toBe("GETSCU")
  expect(pdu.presentationContexts).toHaveLength(121)
  expect(pdu.presentationContexts.every((pc) => pc.result === 0 && pc.transferSyntax === Uids.explicitLe)).toBe(true)
  expect(pdu.userInformation.roleSelections).toHaveLength(120)
  expect(pdu.userInformation.roleSelections.every((r) => !r.scuRole && r.scpRole)).toBe(true)
}

/** Decodes an RQ and checks it re-encodes to the same bytes, reserved presentation-context bytes aside. */
const checkRqRoundTrip = (bytes: Uint8Array): Pdu.AAssociateRq => {
  const rq = asRq(decode(bytes))
  const again = PduCodec.encode(rq)
  expect(again).toEqual(withReservedPcBytesZeroed(bytes))
  expect(decode(again)).toEqual(rq)
  return rq
}

describe("PS3.8 §9.3.2 · A-ASSOCIATE-RQ captured from DCMTK (fixtures)", () => {
  it("echoscu proposes Verification with Implicit VR Little Endian", () => {
    expect(checkRqRoundTrip(fixture("echoscu.bin"))).toEqual(expectedEchoscuRq)
  })
  it("findscu -S proposes Study Root FIND with three transfer syntaxes", () => {
    expect(checkRqRoundTrip(fixture("findscu.bin"))).toEqual(expectedFindscuRq)
  })
  it("storescu -R -xs proposes two CT contexts, JPEG Lossless first", () => {
    expect(checkRqRoundTrip(fixture("storescu-required-lossless.bin"))).toEqual(expectedStorescuRequiredRq)
  })
  it("storescu proposes 128 contexts with odd IDs 1..255 and a username+passcode identity", () => {
    checkStorescuAll(checkRqRoundTrip(fixture("storescu-all-user-identity.bin")))
  })
  it("getscu -S proposes Study Root GET plus 120 storage contexts, each with an SCP/SCU role selection (SCP role only)", () => {
    const bytes = fixture("getscu.bin")
    checkGetscuRq(checkRqRoundTrip(bytes))
    expect(bytes.length - 6).toBeGreaterThan(16384) // larger than the maximum length: A-ASSOCIATE-RQ is not bound by it
  })
  it("DCMTK's 0xFF in the reserved presentation-context byte is the only difference, and it is not tested on receipt", () => {
    const bytes = fixture("echoscu.bin")
    const again = PduCodec.encode(decode(bytes))
    const differences = [...bytes.keys()].filter((i) => bytes[i] !== again[i])
    expect(differences).toEqual([105])
    expect([bytes[105], again[105]]).toEqual([0xff, 0])
  })
})

describe("PS3.8 §9.3.3-9.3.8 · storescp's answers (fixtures)", () => {
  it("A-ASSOCIATE-AC accepts context 1 with Implicit VR Little Endian and re-encodes byte for byte", () => {
    const bytes = fixture("storescp-ac.bin")
    expect(decode(bytes)).toEqual(expectedStorescpAc)
    expect(PduCodec.encode(decode(bytes))).toEqual(bytes)
  })
  it("dcmqrscp's A-ASSOCIATE-AC to getscu's proposal answers all 120 role selections and re-encodes byte for byte", () => {
    const bytes = fixture("dcmqrscp-ac.bin")
    checkDcmqrscpAc(decode(bytes))
    expect(PduCodec.encode(decode(bytes))).toEqual(bytes)
  })
  it("A-ASSOCIATE-RJ of --refuse is rejected-permanent, service-user, no-reason-given", () => {
    const bytes = fixture("storescp-rj.bin")
    expect(decode(bytes)).toEqual({ _tag: "AAssociateRj", result: 1, source: 1, reason: 1 })
    expect(PduCodec.encode(decode(bytes))).toEqual(bytes)
  })
  it("A-RELEASE-RP answers A-RELEASE-RQ", () => {
    const bytes = fixture("storescp-rp.bin")
    expect(decode(bytes)).toEqual({ _tag: "AReleaseRp" })
    expect(PduCodec.encode(decode(bytes))).toEqual(bytes)
  })
  it("A-ABORT answers a PDU of unknown type", () => {
    const bytes = fixture("storescp-abort.bin")
    expect(decode(bytes)).toEqual({ _tag: "AAbort", source: 0, reason: 0 })
    expect(PduCodec.encode(decode(bytes))).toEqual(bytes)
  })
  it("all eight captures, concatenated and fed one byte at a time, come out of the Framer unchanged", () => {
    const names = ["echoscu.bin", "getscu.bin", "dcmqrscp-ac.bin", "storescu-all-user-identity.bin", "storescu-required-lossless.bin", "findscu.bin", "storescp-ac.bin", "storescp-rp.bin", "storescp-abort.bin", "storescp-rj.bin"]
    const framer = Framer.make({ maxPduLength: 16384 })
    const out: Array<Pdu.Pdu> = []
    for (const name of names) {
      for (const byte of fixture(name)) {
        const r = framer.push(Uint8Array.of(byte))
        assert(Result.isSuccess(r))
        out.push(...r.success)
      }
    }
    expect(out).toEqual(names.map((n) => decode(fixture(n))))
  })
})

describe("DCMTK live · the SCUs send the fixtures' A-ASSOCIATE-RQ", () => {
  const ct = () => {
    const dir = Dcmtk.tempDir()
    writeFileSync(
      join(dir.path, "ct.dump"),
      "(0008,0016) UI =CTImageStorage\n(0008,0018) UI [1.2.826.0.1.3680043.10.1.1]\n(0010,0010) PN [Test^Patient]\n"
    )
    return dir
  }

  it("echoscu", async () => {
    const rq = checkRqRoundTrip(await captureAssociateRq("echoscu", (p) => ["-aet", "ECHOSCU", "-aec", "ANY-SCP", "127.0.0.1", String(p)]))
    expect(rq).toEqual(expectedEchoscuRq)
  }, 30_000)

  it("findscu -S", async () => {
    const rq = checkRqRoundTrip(await captureAssociateRq("findscu", (p) => ["-S", "-k", "QueryRetrieveLevel=STUDY", "127.0.0.1", String(p)]))
    expect(rq).toEqual(expectedFindscuRq)
  }, 30_000)

  it("getscu -S", async () => {
    const rq = checkRqRoundTrip(
      await captureAssociateRq("getscu", (p) => ["-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3", "127.0.0.1", String(p)])
    )
    checkGetscuRq(rq)
    expect(rq).toEqual(decode(fixture("getscu.bin")))
  }, 30_000)

  it("storescu (a file made by dump2dcm), default proposal with user identity, and -R -xs", async () => {
    const dir = ct()
    try {
      const made = await Dcmtk.run("dump2dcm", [join(dir.path, "ct.dump"), join(dir.path, "ct.dcm")])
      expect(made.code).toBe(0)
      const file = join(dir.path, "ct.dcm")
      const all = checkRqRoundTrip(
        await captureAssociateRq("storescu", (p) => ["-aet", "STORESCU", "-aec", "STORESCP", "-usr", "alice", "-pwd", "secret", "-rsp", "127.0.0.1", String(p), file])
      )
      checkStorescuAll(all)
      expect(all).toEqual(decode(fixture("storescu-all-user-identity.bin")))
      const required = checkRqRoundTrip(await captureAssociateRq("storescu", (p) => ["-R", "-xs", "127.0.0.1", String(p), file]))
      expect(required).toEqual(expectedStorescuRequiredRq)
    } finally {
      dir.cleanup()
    }
  }, 30_000)
})

describe("DCMTK live · storescp answers our encoder's PDUs", () => {
  const ourRq = () => PduCodec.encode(expectedEchoscuRq)

  it("A-ASSOCIATE-AC, then A-RELEASE-RP for our A-RELEASE-RQ, then A-ABORT for an unknown PDU type", async () => {
    const dir = Dcmtk.tempDir()
    const scp = await startScp("storescp", (p) => ["-aet", "STORESCP", String(p)], dir.path)
    try {
      const first = await connect(scp.port)
      first.send(ourRq())
      const ac = await first.receive()
      assert(ac !== undefined, scp.peer.output())
      expect(decode(ac)).toEqual(expectedStorescpAc)
      expect(PduCodec.encode(decode(ac))).toEqual(ac)
      expect(ac).toEqual(fixture("storescp-ac.bin"))
      first.send(PduCodec.encode({ _tag: "AReleaseRq" }))
      const rp = await first.receive()
      assert(rp !== undefined, scp.peer.output())
      expect(decode(rp)).toEqual({ _tag: "AReleaseRp" })
      first.close()

      const second = await connect(scp.port)
      second.send(ourRq())
      assert((await second.receive()) !== undefined)
      second.send(Uint8Array.of(0x0a, 0, 0, 0, 0, 4, 0, 0, 0, 0))
      const abort = await second.receive()
      assert(abort !== undefined, scp.peer.output())
      expect(decode(abort)).toEqual({ _tag: "AAbort", source: 0, reason: 0 })
      expect(PduCodec.encode(decode(abort))).toEqual(abort)
      second.close()
    } finally {
      await scp.peer.stop()
      dir.cleanup()
    }
  }, 30_000)

  it("A-ASSOCIATE-AC to an RQ carrying every sub-item we encode (role selection, async window, extended and common extended negotiation, user identity, an unknown sub-item)", async () => {
    const dir = Dcmtk.tempDir()
    const scp = await startScp("storescp", (p) => ["-aet", "STORESCP", String(p)], dir.path)
    try {
      const c = await connect(scp.port)
      const rich: Pdu.AAssociateRq = {
        ...expectedEchoscuRq,
        calledAeTitle: "STORESCP",
        callingAeTitle: "DICOMNET",
        presentationContexts: [
          { presentationContextId: 1, abstractSyntax: Uids.verification, transferSyntaxes: [Uids.explicitLe, Uids.implicitLe] },
          { presentationContextId: 3, abstractSyntax: Uids.ctImageStorage, transferSyntaxes: [Uids.explicitLe] }
        ],
        userInformation: {
          maxLength: 32768,
          implementationClassUid: "1.2.826.0.1.3680043.10.543",
          implementationVersionName: "DICOMNET_010",
          asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
          roleSelections: [{ sopClassUid: Uids.ctImageStorage, scuRole: true, scpRole: false }],
          extendedNegotiations: [{ sopClassUid: Uids.ctImageStorage, serviceClassApplicationInformation: Uint8Array.of(2, 0, 0, 0, 0, 0) }],
          commonExtendedNegotiations: [{ sopClassUid: Uids.ctImageStorage, serviceClassUid: "1.2.840.10008.4.2", relatedGeneralSopClassUids: [] }],
          userIdentity: { userIdentityType: 1, positiveResponseRequested: false, primaryField: new TextEncoder().encode("alice"), secondaryField: new Uint8Array(0) },
          unknownItems: [{ itemType: 0x60, data: Uint8Array.of(1, 2, 3) }]
        }
      }
      c.send(PduCodec.encode(rich))
      const answer = await c.receive()
      assert(answer !== undefined, scp.peer.output())
      const ac = decode(answer)
      assert(ac._tag === "AAssociateAc", PduDump.render(ac))
      expect(ac.presentationContexts).toEqual([
        { presentationContextId: 1, result: 0, transferSyntax: Uids.explicitLe },
        { presentationContextId: 3, result: 0, transferSyntax: Uids.explicitLe }
      ])
      expect(PduCodec.encode(ac)).toEqual(answer)
      c.send(PduCodec.encode({ _tag: "AReleaseRq" }))
      expect(decode((await c.receive()) ?? new Uint8Array(0))).toEqual({ _tag: "AReleaseRp" })
      c.close()
    } finally {
      await scp.peer.stop()
      dir.cleanup()
    }
  }, 30_000)

  it("dcmqrscp answers our encoding of getscu's RQ with role selections", async () => {
    const dir = Dcmtk.tempDir()
    mkdirSync(join(dir.path, "db"))
    const config = join(dir.path, "dcmqrscp.cfg")
    writeFileSync(
      config,
      [
        "NetworkTCPPort = 0",
        "MaxPDUSize = 16384",
        "MaxAssociations = 16",
        "HostTable BEGIN",
        "HostTable END",
        "VendorTable BEGIN",
        "VendorTable END",
        "AETable BEGIN",
        `ANY-SCP ${join(dir.path, "db")} RW (9, 1024mb) ANY`,
        "AETable END",
        ""
      ].join("\n")
    )
    const scp = await startScp("dcmqrscp", (p) => ["-c", config, String(p)], dir.path)
    try {
      const c = await connect(scp.port)
      c.send(PduCodec.encode(decode(fixture("getscu.bin"))))
      const ac = await c.receive()
      assert(ac !== undefined, scp.peer.output())
      checkDcmqrscpAc(decode(ac))
      expect(PduCodec.encode(decode(ac))).toEqual(ac)
      expect(decode(ac)).toEqual(decode(fixture("dcmqrscp-ac.bin")))
      c.send(PduCodec.encode({ _tag: "AReleaseRq" }))
      expect(decode((await c.receive()) ?? new Uint8Array(0))).toEqual({ _tag: "AReleaseRp" })
      c.close()
    } finally {
      await scp.peer.stop()
      dir.cleanup()
    }
  }, 30_000)

  it("A-ASSOCIATE-RJ from storescp --refuse", async () => {
    const scp = await startScp("storescp", (p) => ["--refuse", String(p)])
    try {
      const c = await connect(scp.port)
      c.send(ourRq())
      const rj = await c.receive()
      assert(rj !== undefined, scp.peer.output())
      expect(decode(rj)).toEqual({ _tag: "AAssociateRj", result: 1, source: 1, reason: 1 })
      expect(rj).toEqual(fixture("storescp-rj.bin"))
      c.close()
    } finally {
      await scp.peer.stop()
    }
  }, 30_000)
})
