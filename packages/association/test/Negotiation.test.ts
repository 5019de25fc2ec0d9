import { describe, expect, it } from "@effect/vitest"
import { AssociationRejected, Negotiation } from "@dicomnet/association"
import type { AAssociateAc, AAssociateRq } from "@dicomnet/pdu"
import { Result } from "effect"
import { ctImageStorage, explicitBig, explicitLittle, implicitLittle, verification } from "./fixtures.js"

const request = (overrides: Partial<Negotiation.RequestOptions> = {}): AAssociateRq => {
  const r = Negotiation.makeAssociateRq({
    calledAeTitle: "STORESCP",
    callingAeTitle: "STORESCU",
    contexts: [
      { abstractSyntax: verification, transferSyntaxes: [implicitLittle] },
      { abstractSyntax: ctImageStorage, transferSyntaxes: [explicitLittle, implicitLittle] }
    ],
    ...overrides
  })
  if (Result.isFailure(r)) throw new Error("unexpected failure")
  return r.success
}

const policy: Negotiation.AcceptPolicy = {
  calledAeTitles: ["STORESCP"],
  contexts: [
    { abstractSyntax: verification, transferSyntaxes: [implicitLittle] },
    { abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLittle, explicitLittle] }
  ]
}

const acOf = (answer: ReturnType<typeof Negotiation.accept>): AAssociateAc => {
  if (answer._tag !== "AAssociateAc") throw new Error(`expected an AC, got ${JSON.stringify(answer)}`)
  return answer
}

describe("PS3.8 §9.3.2 · A-ASSOCIATE-RQ from options", () => {
  it("assigns presentation context ids 1, 3, 5, … in order", () => {
    const rq = request({
      contexts: [verification, ctImageStorage, "1.2.3"].map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: [implicitLittle] }))
    })
    expect(rq.presentationContexts.map((pc) => pc.presentationContextId)).toEqual([1, 3, 5])
  })
  it("accepts 128 presentation contexts (ids up to 255)", () => {
    const rq = request({ contexts: Array.from({ length: 128 }, (_, i) => ({ abstractSyntax: `1.2.${i}`, transferSyntaxes: [implicitLittle] })) })
    expect(rq.presentationContexts.at(-1)?.presentationContextId).toBe(255)
  })
  it("fails with TooManyPresentationContexts beyond 128", () => {
    const r = Negotiation.makeAssociateRq({
      calledAeTitle: "A",
      callingAeTitle: "B",
      contexts: Array.from({ length: 129 }, (_, i) => ({ abstractSyntax: `1.2.${i}`, transferSyntaxes: [implicitLittle] }))
    })
    expect(Result.isFailure(r) && r.failure._tag === "TooManyPresentationContexts" && r.failure.count === 129).toBe(true)
  })
  it("defaults: protocol version 1, DICOM application context, 256 KiB max PDU, our implementation class UID and version", () => {
    const rq = request()
    expect(rq.protocolVersion).toBe(1)
    expect(rq.applicationContextName).toBe("1.2.840.10008.3.1.1.1")
    expect(rq.userInformation.maxLength).toBe(262144)
    expect(rq.userInformation.implementationClassUid).toBe(Negotiation.implementationClassUid)
    expect(rq.userInformation.implementationVersionName).toBe(Negotiation.implementationVersionName)
    expect(rq.userInformation.asyncOperationsWindow).toBeUndefined()
  })
  it("carries the async window, role selections, extended and common extended negotiation and user identity", () => {
    const userIdentity = { userIdentityType: 2, positiveResponseRequested: true, primaryField: new Uint8Array([65]), secondaryField: new Uint8Array([66]) } as const
    const rq = request({
      maxPduLength: 0,
      asyncOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 3 },
      roleSelections: [{ sopClassUid: ctImageStorage, scuRole: true, scpRole: true }],
      extendedNegotiations: [{ sopClassUid: ctImageStorage, serviceClassApplicationInformation: new Uint8Array([1]) }],
      commonExtendedNegotiations: [{ sopClassUid: ctImageStorage, serviceClassUid: "1.2.840.10008.4.2", relatedGeneralSopClassUids: [] }],
      userIdentity
    })
    const ui = rq.userInformation
    expect(ui.maxLength).toBe(0)
    expect(ui.asyncOperationsWindow).toEqual({ maxOperationsInvoked: 5, maxOperationsPerformed: 3 })
    expect(ui.roleSelections).toHaveLength(1)
    expect(ui.extendedNegotiations).toHaveLength(1)
    expect(ui.commonExtendedNegotiations).toHaveLength(1)
    expect(ui.userIdentity).toEqual(userIdentity)
  })
})

describe("PS3.8 §9.3.3.2 · presentation context decisions", () => {
  it("accepts with the first of OUR preferred transfer syntaxes that the requestor proposed", () => {
    const ac = acOf(Negotiation.accept(policy, request()))
    expect(ac.presentationContexts).toEqual([
      { presentationContextId: 1, result: 0, transferSyntax: implicitLittle },
      { presentationContextId: 3, result: 0, transferSyntax: implicitLittle }
    ])
  })
  it("accepts with the first transfer syntax the REQUESTOR proposed that we support, with transferSyntaxPreference proposer", () => {
    const ac = acOf(Negotiation.accept({ ...policy, transferSyntaxPreference: "proposer" }, request()))
    expect(ac.presentationContexts).toEqual([
      { presentationContextId: 1, result: 0, transferSyntax: implicitLittle },
      { presentationContextId: 3, result: 0, transferSyntax: explicitLittle }
    ])
    // A proposed syntax we do not support is skipped, not chosen.
    const skipped = acOf(
      Negotiation.accept(
        { ...policy, transferSyntaxPreference: "proposer" },
        request({ contexts: [{ abstractSyntax: ctImageStorage, transferSyntaxes: [explicitBig, implicitLittle] }] })
      )
    )
    expect(skipped.presentationContexts[0]).toEqual({ presentationContextId: 1, result: 0, transferSyntax: implicitLittle })
  })
  it("rejects with 3 (abstract syntax not supported) an unknown SOP class", () => {
    const ac = acOf(Negotiation.accept(policy, request({ contexts: [{ abstractSyntax: "1.2.3.4", transferSyntaxes: [implicitLittle] }] })))
    expect(ac.presentationContexts[0]?.result).toBe(3)
  })
  it("rejects with 4 (transfer syntaxes not supported) when no proposed transfer syntax is ours", () => {
    const ac = acOf(Negotiation.accept(policy, request({ contexts: [{ abstractSyntax: ctImageStorage, transferSyntaxes: [explicitBig] }] })))
    expect(ac.presentationContexts[0]?.result).toBe(4)
  })
  it("rejects with 1 (user rejection) what the policy's userRejects refuses", () => {
    const ac = acOf(Negotiation.accept({ ...policy, userRejects: (pc) => pc.abstractSyntax === verification }, request()))
    expect(ac.presentationContexts.map((pc) => pc.result)).toEqual([1, 0])
  })
  it("decides by the first listed entry when the policy lists an abstract syntax twice", () => {
    const twice: Negotiation.AcceptPolicy = {
      contexts: [
        { abstractSyntax: ctImageStorage, transferSyntaxes: [explicitLittle] },
        { abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLittle] }
      ]
    }
    const proposed = request({ contexts: [{ abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLittle, explicitLittle] }] })
    expect(acOf(Negotiation.accept(twice, proposed)).presentationContexts[0]?.transferSyntax).toBe(explicitLittle)
    const onlyImplicit = request({ contexts: [{ abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLittle] }] })
    expect(acOf(Negotiation.accept(twice, onlyImplicit)).presentationContexts[0]?.result).toBe(4)
  })
  it("answers the same policy value again after an entry was added to its (mutable) contexts array", () => {
    const contexts: Array<Negotiation.SupportedContext> = [{ abstractSyntax: verification, transferSyntaxes: [implicitLittle] }]
    const grown: Negotiation.AcceptPolicy = { contexts }
    const proposed = request({ contexts: [{ abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLittle] }] })
    expect(acOf(Negotiation.accept(grown, proposed)).presentationContexts[0]?.result).toBe(3)
    contexts.push({ abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLittle] })
    expect(acOf(Negotiation.accept(grown, proposed)).presentationContexts[0]?.result).toBe(0)
  })
})

describe("PS3.8 §9.3.4 · association rejection (Table 9-21)", () => {
  it("rejects an unknown called AE title with (1, 1, 7)", () => {
    expect(Negotiation.accept(policy, request({ calledAeTitle: "OTHER" }))).toEqual({ _tag: "AAssociateRj", result: 1, source: 1, reason: 7 })
  })
  it("rejects an unknown calling AE title with (1, 1, 3)", () => {
    expect(Negotiation.accept({ ...policy, callingAeTitles: ["MODALITY"] }, request())).toEqual({ _tag: "AAssociateRj", result: 1, source: 1, reason: 3 })
  })
  it("accepts any AE title when the policy lists none", () => {
    expect(Negotiation.accept({ contexts: policy.contexts }, request({ calledAeTitle: "X", callingAeTitle: "Y" }))._tag).toBe("AAssociateAc")
  })
  it("rejects another application context name with (1, 1, 2)", () => {
    expect(Negotiation.accept(policy, { ...request(), applicationContextName: "1.2.3" })).toEqual({ _tag: "AAssociateRj", result: 1, source: 1, reason: 2 })
  })
  it("rejects a protocol version without bit 0 with (1, 2, 2)", () => {
    expect(Negotiation.accept(policy, { ...request(), protocolVersion: 2 })).toEqual({ _tag: "AAssociateRj", result: 1, source: 2, reason: 2 })
  })
  it("offers the transient rejections local limit exceeded (2, 3, 2) and temporary congestion (2, 3, 1)", () => {
    expect(Negotiation.Rejection.localLimitExceeded).toMatchObject({ result: 2, source: 3, reason: 2 })
    expect(Negotiation.Rejection.temporaryCongestion).toMatchObject({ result: 2, source: 3, reason: 1 })
    expect(Negotiation.Rejection.noReasonGiven).toMatchObject({ result: 1, source: 1, reason: 1 })
  })
  it("describes a rejection in the standard's words", () => {
    const e = AssociationRejected.fromRj({ result: 1, source: 1, reason: 7 })
    expect(e.description).toBe("rejected-permanent by service-user: called-AE-title-not-recognized")
  })
})

describe("PS3.7 Annex D · user information negotiation", () => {
  it("answers the async operations window with the minimum of both (0 = unlimited)", () => {
    const rq = request({ asyncOperationsWindow: { maxOperationsInvoked: 0, maxOperationsPerformed: 8 } })
    const ac = acOf(Negotiation.accept({ ...policy, asyncOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 2 } }, rq))
    expect(ac.userInformation.asyncOperationsWindow).toEqual({ maxOperationsInvoked: 4, maxOperationsPerformed: 2 })
  })
  it("does not answer the async window when the requestor did not propose one", () => {
    const ac = acOf(Negotiation.accept({ ...policy, asyncOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 2 } }, request()))
    expect(ac.userInformation.asyncOperationsWindow).toBeUndefined()
  })
  it("grants only roles that were proposed and that the policy grants", () => {
    const rq = request({ roleSelections: [{ sopClassUid: ctImageStorage, scuRole: false, scpRole: true }] })
    expect(acOf(Negotiation.accept(policy, rq)).userInformation.roleSelections).toEqual([{ sopClassUid: ctImageStorage, scuRole: false, scpRole: true }])
    const refusing = acOf(Negotiation.accept({ ...policy, roleSelection: () => ({ scuRole: true, scpRole: false }) }, rq))
    expect(refusing.userInformation.roleSelections).toEqual([{ sopClassUid: ctImageStorage, scuRole: false, scpRole: false }])
  })
  it("answers extended negotiation items only through the policy", () => {
    const item = { sopClassUid: ctImageStorage, serviceClassApplicationInformation: new Uint8Array([1, 0]) }
    const rq = request({ extendedNegotiations: [item] })
    expect(acOf(Negotiation.accept(policy, rq)).userInformation.extendedNegotiations).toEqual([])
    expect(acOf(Negotiation.accept({ ...policy, extendedNegotiation: (i) => i }, rq)).userInformation.extendedNegotiations).toEqual([item])
  })
  describe("user identity", () => {
    const identity = (positiveResponseRequested: boolean) =>
      ({ userIdentityType: 1, positiveResponseRequested, primaryField: new TextEncoder().encode("alice"), secondaryField: new Uint8Array(0) }) as const
    it("sends the server response when the policy accepts and a positive response was requested", () => {
      const rq = request({ userIdentity: identity(true) })
      const ac = acOf(Negotiation.accept({ ...policy, userIdentity: () => ({ _tag: "Accept", serverResponse: new Uint8Array([9]) }) }, rq))
      expect(ac.userInformation.userIdentityAc).toEqual({ serverResponse: new Uint8Array([9]) })
    })
    it("sends no user identity item when no positive response was requested", () => {
      const rq = request({ userIdentity: identity(false) })
      const ac = acOf(Negotiation.accept({ ...policy, userIdentity: () => ({ _tag: "Accept" }) }, rq))
      expect(ac.userInformation.userIdentityAc).toBeUndefined()
    })
    it("rejects the association (1, 1, 1) when the policy rejects the identity", () => {
      const rq = request({ userIdentity: identity(true) })
      expect(Negotiation.accept({ ...policy, userIdentity: () => ({ _tag: "Reject" }) }, rq)).toEqual(Negotiation.Rejection.noReasonGiven)
    })
    it("ignores the identity when the policy has no user identity verdict (PS3.7 §D.3.3.7.3)", () => {
      const ac = acOf(Negotiation.accept(policy, request({ userIdentity: identity(true) })))
      expect(ac.userInformation.userIdentityAc).toBeUndefined()
    })
  })
})

describe("Negotiated · the requestor's view of an A-ASSOCIATE-AC", () => {
  const rq = request({ maxPduLength: 65536, roleSelections: [{ sopClassUid: ctImageStorage, scuRole: true, scpRole: true }] })
  const ac = acOf(Negotiation.accept({ ...policy, maxPduLength: 0 }, rq))
  const n = Negotiation.negotiated(rq, ac, "requestor")
  it("lists accepted contexts by id with abstract and transfer syntax", () => {
    expect(n.acceptedContexts.get(3)).toEqual({ presentationContextId: 3, abstractSyntax: ctImageStorage, transferSyntax: implicitLittle })
    expect(n.acceptedContexts.size).toBe(2)
  })
  it("takes the peer's max PDU length (0 = unlimited) and keeps ours", () => {
    expect(n.peerMaxPduLength).toBe(0)
    expect(n.maxPduLength).toBe(65536)
  })
  it("defaults the async window to 1/1 when the acceptor gave none", () => {
    expect(n.asyncOperationsWindow).toEqual({ maxOperationsInvoked: 1, maxOperationsPerformed: 1 })
  })
  it("keeps the role selection answers and the peer's implementation", () => {
    expect(n.roleSelections).toEqual([{ sopClassUid: ctImageStorage, scuRole: true, scpRole: true }])
    expect(n.peerImplementationClassUid).toBe(Negotiation.implementationClassUid)
  })
  it("records rejected contexts with their result", () => {
    const partial = acOf(Negotiation.accept({ contexts: [policy.contexts[0]!] }, rq))
    const m = Negotiation.negotiated(rq, partial, "requestor")
    expect(m.rejectedContexts).toEqual([{ presentationContextId: 3, abstractSyntax: ctImageStorage, result: 3 }])
  })
  it("treats an accepted transfer syntax that was never proposed as not accepted (4)", () => {
    const bogus: AAssociateAc = { ...ac, presentationContexts: [{ presentationContextId: 1, result: 0, transferSyntax: explicitBig }] }
    expect(Negotiation.negotiated(rq, bogus, "requestor").rejectedContexts[0]?.result).toBe(4)
  })
  it("finds a context by SOP class and transfer syntax, or fails with PresentationContextNotAccepted", () => {
    expect(Result.isSuccess(Negotiation.findContext(n, ctImageStorage))).toBe(true)
    const missing = Negotiation.findContext(n, ctImageStorage, explicitBig)
    expect(Result.isFailure(missing) && missing.failure).toMatchObject({ _tag: "PresentationContextNotAccepted", sopClassUid: ctImageStorage, transferSyntax: explicitBig })
  })
  it("the acceptor's view swaps the max PDU lengths", () => {
    const a = Negotiation.negotiated(rq, ac, "acceptor")
    expect(a.peerMaxPduLength).toBe(65536)
    expect(a.maxPduLength).toBe(0)
  })
})
