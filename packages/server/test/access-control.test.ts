import { AccessControl } from "@dicomnet/server"
import { describe, expect, it } from "@effect/vitest"

const { allow, deny } = AccessControl

const modality: AccessControl.Peer = { callingAeTitle: "CT01", calledAeTitle: "PACS", address: "10.1.2.3" }
const workstation: AccessControl.Peer = {
  callingAeTitle: "VIEWER",
  calledAeTitle: "PACS",
  address: "10.2.0.7",
  certificate: { subject: "CN=viewer,O=Hospital", fingerprint256: "AA:BB:CC" },
  user: "alice"
}

describe("AccessControl · rules evaluated in order", () => {
  const policy = AccessControl.make({
    rules: [
      deny({ address: "10.1.9.0/24" }),
      allow({ callingAeTitle: "CT01" }, ["echo", "store"]),
      allow({ certificateSubject: "CN=viewer,O=Hospital", user: "alice" }, ["echo", "find", "move", "get"]),
      allow({ address: "10.2.0.0/16" }, ["echo"])
    ]
  })

  it("the first rule matching both the peer and the operation decides", () => {
    expect(AccessControl.authorize(policy, modality, "store")).toBe(true)
    expect(AccessControl.authorize(policy, modality, "find")).toBe(false)
    expect(AccessControl.authorize(policy, workstation, "move")).toBe(true)
    expect(AccessControl.authorize(policy, workstation, "store")).toBe(false)
  })

  it("an earlier deny wins over a later allow", () => {
    const fromQuarantine = { ...modality, address: "10.1.9.44" }
    expect(AccessControl.authorize(policy, fromQuarantine, "store")).toBe(false)
    expect(AccessControl.authorize(policy, fromQuarantine, "echo")).toBe(false)
  })

  it("every field of a match must hold: the same subject without the verified user is not the viewer", () => {
    const noUser = { ...workstation, user: undefined, address: "192.168.0.1" }
    expect(AccessControl.authorize(policy, noUser, "find")).toBe(false)
  })

  it("no matching rule falls back to `otherwise` (deny by default)", () => {
    const stranger = { callingAeTitle: "X", calledAeTitle: "PACS", address: "172.16.0.1" }
    expect(AccessControl.authorize(policy, stranger, "echo")).toBe(false)
    expect(AccessControl.authorize(AccessControl.make({ otherwise: "allow" }), stranger, "echo")).toBe(true)
    expect(AccessControl.authorize(AccessControl.allowAll, stranger, "n-action")).toBe(true)
  })

  it("admit rejects RJ 1/1/3 a peer that no rule allows anything", () => {
    const stranger = { callingAeTitle: "X", calledAeTitle: "PACS", address: "172.16.0.1" }
    expect(AccessControl.admit(policy, stranger)).toEqual({ _tag: "AAssociateRj", result: 1, source: 1, reason: 3 })
    expect(AccessControl.admit(policy, modality)).toBeUndefined()
  })

  it("maps DIMSE requests to operations and refuses with 0124H", () => {
    expect(AccessControl.operationOf("CStoreRq")).toBe("store")
    expect(AccessControl.operationOf("NActionRq")).toBe("n-action")
    expect(AccessControl.operationOf("CCancelRq")).toBeUndefined()
    expect(AccessControl.notAuthorized).toBe(0x0124)
  })
})

describe("AccessControl · addresses", () => {
  it("matches exact addresses, IPv4 CIDR blocks and IPv4-mapped IPv6 addresses", () => {
    expect(AccessControl.addressMatches("10.1.2.3", "10.1.2.3")).toBe(true)
    expect(AccessControl.addressMatches("10.1.0.0/16", "10.1.200.3")).toBe(true)
    expect(AccessControl.addressMatches("10.1.0.0/16", "10.2.0.3")).toBe(false)
    expect(AccessControl.addressMatches("127.0.0.1", "::ffff:127.0.0.1")).toBe(true)
    expect(AccessControl.addressMatches("0.0.0.0/0", "203.0.113.9")).toBe(true)
    expect(AccessControl.addressMatches("::1", "::1")).toBe(true)
    expect(AccessControl.addressMatches("10.1.0.0/33", "10.1.0.1")).toBe(false)
  })

  it("takes the host out of the transport's remote address", () => {
    expect(AccessControl.hostOf("127.0.0.1:40000")).toBe("127.0.0.1")
    expect(AccessControl.hostOf("[::ffff:10.0.0.1]:104")).toBe("::ffff:10.0.0.1")
  })
})

describe("AccessControl · bindings (a calling AE title tied to credentials)", () => {
  const policy = AccessControl.make({
    otherwise: "allow",
    bindings: [
      { callingAeTitle: "VIEWER", certificateFingerprint: "aa:bb:cc" },
      { callingAeTitle: "READER", user: "bob" }
    ]
  })

  it("accepts the bound AE title with its certificate (fingerprints compared case-insensitively)", () => {
    expect(AccessControl.admit(policy, workstation)).toBeUndefined()
  })

  it("rejects a spoofed AE title (another certificate, or none) with RJ 1/1/3", () => {
    const spoof = { ...workstation, certificate: { subject: "CN=viewer,O=Hospital", fingerprint256: "DD:EE:FF" } }
    expect(AccessControl.admit(policy, spoof)).toEqual({ _tag: "AAssociateRj", result: 1, source: 1, reason: 3 })
    expect(AccessControl.admit(policy, { ...workstation, certificate: undefined })).toMatchObject({ reason: 3 })
  })

  it("rejects an AE title bound to a user when the verified user differs or is absent", () => {
    const reader = { callingAeTitle: "READER", calledAeTitle: "PACS", address: "10.0.0.1" }
    expect(AccessControl.admit(policy, { ...reader, user: "bob" })).toBeUndefined()
    expect(AccessControl.admit(policy, { ...reader, user: "mallory" })).toMatchObject({ reason: 3 })
    expect(AccessControl.admit(policy, reader)).toMatchObject({ reason: 3 })
  })

  it("leaves unbound AE titles alone", () => {
    expect(AccessControl.admit(policy, modality)).toBeUndefined()
  })
})

describe("AccessControl · C-MOVE destinations", () => {
  const policy = AccessControl.make({
    rules: [allow({ callingAeTitle: "VIEWER" }, ["echo", "find", "move"]), allow({ callingAeTitle: "CT01" }, ["store"])],
    moveDestinations: [{ aeTitle: "VIEWER", host: "10.2.0.7", port: 11112 }]
  })

  it("resolves only AE titles from the table of known AEs", () => {
    expect(AccessControl.moveDestination(policy, workstation, "VIEWER")).toEqual({ aeTitle: "VIEWER", host: "10.2.0.7", port: 11112 })
    expect(AccessControl.moveDestination(policy, workstation, "EVIL")).toBeUndefined()
  })

  it("resolves nothing for a peer that may not move", () => {
    expect(AccessControl.moveDestination(policy, modality, "VIEWER")).toBeUndefined()
  })
})

describe("AccessControl · per-peer association limits", () => {
  it("counts each calling AE title separately and rejects beyond the limit with RJ 2/3/2", () => {
    const limiter = AccessControl.limiter(
      AccessControl.make({ otherwise: "allow", associationLimits: [{ peer: {}, max: 2, per: "callingAeTitle" }] })
    )
    const a1 = limiter.acquire(modality)
    const a2 = limiter.acquire(modality)
    const a3 = limiter.acquire(modality)
    expect([a1._tag, a2._tag, a3._tag]).toEqual(["Admitted", "Admitted", "Rejected"])
    expect(a3).toMatchObject({ rj: { result: 2, source: 3, reason: 2 } })
    expect(limiter.acquire(workstation)._tag).toBe("Admitted")
    if (a1._tag === "Admitted") {
      a1.release()
      a1.release() // idempotent
    }
    expect(limiter.acquire(modality)._tag).toBe("Admitted")
    expect(limiter.acquire(modality)._tag).toBe("Rejected")
  })

  it("a shared budget for a match, and no limit for peers outside it", () => {
    const limiter = AccessControl.limiter(
      AccessControl.make({ otherwise: "allow", associationLimits: [{ peer: { address: "10.1.0.0/16" }, max: 1 }] })
    )
    expect(limiter.acquire(modality)._tag).toBe("Admitted")
    expect(limiter.acquire({ ...modality, callingAeTitle: "CT02", address: "10.1.7.7" })._tag).toBe("Rejected")
    for (let i = 0; i < 5; i++) expect(limiter.acquire(workstation)._tag).toBe("Admitted")
    expect(limiter.counts().get("0")).toBe(1)
  })
})

describe("AccessControl · the peer of an A-ASSOCIATE-RQ", () => {
  const rq = (userIdentity?: { userIdentityType: 1 | 2 | 5; primaryField: Uint8Array; secondaryField: Uint8Array }) =>
    ({
      _tag: "AAssociateRq",
      protocolVersion: 1,
      calledAeTitle: "PACS ",
      callingAeTitle: "CT01 ",
      applicationContextName: "1.2.840.10008.3.1.1.1",
      presentationContexts: [],
      userInformation: {
        maxLength: 16384,
        implementationClassUid: "1.2.3",
        roleSelections: [],
        extendedNegotiations: [],
        commonExtendedNegotiations: [],
        unknownItems: [],
        userIdentity: userIdentity === undefined ? undefined : { ...userIdentity, positiveResponseRequested: false }
      }
    }) as const
  const utf8 = (s: string) => new TextEncoder().encode(s)

  it("takes the address, the certificate and the AE titles, trimmed", () => {
    const peer = AccessControl.peerOf(
      { remoteAddress: "[::ffff:10.0.0.9]:5000", peerCertificate: { subject: "CN=ct", fingerprint256: "AB" } },
      rq(),
      undefined
    )
    expect(peer).toEqual({ callingAeTitle: "CT01", calledAeTitle: "PACS", address: "::ffff:10.0.0.9", certificate: { subject: "CN=ct", fingerprint256: "AB" }, user: undefined })
  })

  it("keeps the username of a verified identity (UTF-8), never the passcode, and no token as a name", () => {
    const withPasscode = { userIdentityType: 2 as const, positiveResponseRequested: false, primaryField: utf8("José"), secondaryField: utf8("s3cret") }
    const peer = AccessControl.peerOf({ remoteAddress: "10.0.0.9:5000" }, rq(withPasscode), withPasscode)
    expect(peer.user).toBe("José")
    expect(JSON.stringify(peer)).not.toContain("s3cret")
    const jwt = { userIdentityType: 5 as const, positiveResponseRequested: false, primaryField: utf8("eyJhbGciOi"), secondaryField: new Uint8Array(0) }
    expect(AccessControl.peerOf({ remoteAddress: "10.0.0.9:5000" }, rq(jwt), jwt).user).toBeUndefined()
    // Not verified: not a user.
    expect(AccessControl.peerOf({ remoteAddress: "10.0.0.9:5000" }, rq(withPasscode), undefined).user).toBeUndefined()
  })
})
