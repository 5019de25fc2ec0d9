/**
 * Association negotiation (PS3.8 §7.1, §9.3.2–9.3.4; PS3.7 Annex D): building an A-ASSOCIATE-RQ
 * from options, the acceptor's policy (a value) answering it with an A-ASSOCIATE-AC or -RJ, and
 * the `Negotiated` outcome both sides work from. Pure functions over @dicomnet/pdu values.
 *
 * @since 0.1.0
 */
import type {
  AAssociateAc,
  AAssociateRj,
  AAssociateRq,
  AsyncOperationsWindow,
  PresentationContextAc,
  PresentationContextResult,
  PresentationContextRq,
  RoleSelection,
  SopClassCommonExtendedNegotiation,
  SopClassExtendedNegotiation,
  UserIdentityRq
} from "@dicomnet/pdu"
import { Implementation } from "@dicomnet/data"
import { Result } from "effect"
import { PresentationContextNotAccepted, TooManyPresentationContexts } from "./AssociationError.js"

/** Our implementation class UID (PS3.7 §D.3.3.2), shared with Part 10 files (@dicomnet/data). @category constants */
export const implementationClassUid: string = Implementation.classUid
/** Our implementation version name (PS3.7 §D.3.3.2.3, at most 16 characters). @category constants */
export const implementationVersionName: string = Implementation.versionName

/** PS3.7 Annex A.2.1: the DICOM application context name. @category constants */
export const dicomApplicationContextName = "1.2.840.10008.3.1.1.1"

/** Our default maximum PDU length received: 256 KiB. @category constants */
export const defaultMaxPduLength = 262144

/** PS3.8 §9.3.2.2: presentation context ids are odd, 1..255, so at most 128 per association. @category constants */
export const maxPresentationContexts = 128

// ---------------------------------------------------------------------------------------------
// Requestor
// ---------------------------------------------------------------------------------------------

/** A presentation context to propose: one abstract syntax and the transfer syntaxes we can use, best first. @category requestor */
export interface ProposedContext {
  readonly abstractSyntax: string
  readonly transferSyntaxes: ReadonlyArray<string>
}

/** What the association-requestor asks for. @category requestor */
export interface RequestOptions {
  readonly calledAeTitle: string
  readonly callingAeTitle: string
  /** Given ids 1, 3, 5, … in this order. */
  readonly contexts: ReadonlyArray<ProposedContext>
  /** Our maximum PDU length received (0 = unlimited); default 256 KiB. */
  readonly maxPduLength?: number | undefined
  readonly applicationContextName?: string | undefined
  readonly implementationClassUid?: string | undefined
  readonly implementationVersionName?: string | undefined
  readonly asyncOperationsWindow?: AsyncOperationsWindow | undefined
  readonly roleSelections?: ReadonlyArray<RoleSelection> | undefined
  readonly extendedNegotiations?: ReadonlyArray<SopClassExtendedNegotiation> | undefined
  readonly commonExtendedNegotiations?: ReadonlyArray<SopClassCommonExtendedNegotiation> | undefined
  readonly userIdentity?: UserIdentityRq | undefined
}

/** PS3.8 §9.3.2: the A-ASSOCIATE-RQ for these options, or TooManyPresentationContexts beyond 128. @category requestor */
export const makeAssociateRq = (options: RequestOptions): Result.Result<AAssociateRq, TooManyPresentationContexts> => {
  if (options.contexts.length > maxPresentationContexts) {
    return Result.fail(new TooManyPresentationContexts({ count: options.contexts.length, max: maxPresentationContexts }))
  }
  const presentationContexts: Array<PresentationContextRq> = options.contexts.map((c, i) => ({
    presentationContextId: 2 * i + 1,
    abstractSyntax: c.abstractSyntax,
    transferSyntaxes: c.transferSyntaxes
  }))
  return Result.succeed({
    _tag: "AAssociateRq",
    protocolVersion: 1,
    calledAeTitle: options.calledAeTitle,
    callingAeTitle: options.callingAeTitle,
    applicationContextName: options.applicationContextName ?? dicomApplicationContextName,
    presentationContexts,
    userInformation: {
      maxLength: options.maxPduLength ?? defaultMaxPduLength,
      implementationClassUid: options.implementationClassUid ?? implementationClassUid,
      implementationVersionName: options.implementationVersionName ?? implementationVersionName,
      asyncOperationsWindow: options.asyncOperationsWindow,
      roleSelections: options.roleSelections ?? [],
      extendedNegotiations: options.extendedNegotiations ?? [],
      commonExtendedNegotiations: options.commonExtendedNegotiations ?? [],
      userIdentity: options.userIdentity,
      unknownItems: []
    }
  })
}

// ---------------------------------------------------------------------------------------------
// The outcome
// ---------------------------------------------------------------------------------------------

/** An accepted presentation context. @category negotiated */
export interface AcceptedContext {
  readonly presentationContextId: number
  readonly abstractSyntax: string
  readonly transferSyntax: string
}

/** A presentation context the acceptor did not accept, with its PS3.8 §9.3.3.2 result (1..4). @category negotiated */
export interface RejectedContext {
  readonly presentationContextId: number
  readonly abstractSyntax: string
  readonly result: PresentationContextResult
}

/** What both sides agreed on: the basis of every DIMSE exchange on the association. @category negotiated */
export interface Negotiated {
  readonly role: "requestor" | "acceptor"
  readonly calledAeTitle: string
  readonly callingAeTitle: string
  /** Accepted presentation contexts by id. */
  readonly acceptedContexts: ReadonlyMap<number, AcceptedContext>
  readonly rejectedContexts: ReadonlyArray<RejectedContext>
  /** The peer's maximum PDU length received: the largest PDU we may send (0 = unlimited). */
  readonly peerMaxPduLength: number
  /** Our maximum PDU length received (0 = unlimited). */
  readonly maxPduLength: number
  /** PS3.7 §D.3.3.3: the acceptor's answer, or 1/1 (synchronous) when it gave none. */
  readonly asyncOperationsWindow: AsyncOperationsWindow
  /** PS3.7 §D.3.3.4: the acceptor's role selection answers. */
  readonly roleSelections: ReadonlyArray<RoleSelection>
  /** PS3.7 §D.3.3.5: the acceptor's extended negotiation answers. */
  readonly extendedNegotiations: ReadonlyArray<SopClassExtendedNegotiation>
  /** PS3.7 §D.3.3.7.2: the server response, when the acceptor sent one. */
  readonly userIdentityServerResponse: Uint8Array | undefined
  readonly peerImplementationClassUid: string
  readonly peerImplementationVersionName: string | undefined
}

const synchronous: AsyncOperationsWindow = { maxOperationsInvoked: 1, maxOperationsPerformed: 1 }

/** The negotiated outcome of an A-ASSOCIATE-RQ answered by an A-ASSOCIATE-AC, seen from `role`. @category negotiated */
export const negotiated = (rq: AAssociateRq, ac: AAssociateAc, role: "requestor" | "acceptor"): Negotiated => {
  const proposed = new Map<number, PresentationContextRq>()
  for (const pc of rq.presentationContexts) proposed.set(pc.presentationContextId, pc)
  const acceptedContexts = new Map<number, AcceptedContext>()
  const rejectedContexts: Array<RejectedContext> = []
  for (const pc of ac.presentationContexts) {
    const asked = proposed.get(pc.presentationContextId)
    if (asked === undefined) continue // an answer to a context nobody proposed: ignore it
    if (pc.result === 0 && asked.transferSyntaxes.includes(pc.transferSyntax)) {
      acceptedContexts.set(pc.presentationContextId, {
        presentationContextId: pc.presentationContextId,
        abstractSyntax: asked.abstractSyntax,
        transferSyntax: pc.transferSyntax
      })
    } else {
      // A transfer syntax we never proposed counts as "transfer syntaxes not supported".
      const result: PresentationContextResult = pc.result === 0 ? 4 : pc.result
      rejectedContexts.push({ presentationContextId: pc.presentationContextId, abstractSyntax: asked.abstractSyntax, result })
    }
  }
  const local = role === "requestor" ? rq.userInformation : ac.userInformation
  const peer = role === "requestor" ? ac.userInformation : rq.userInformation
  return {
    role,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    acceptedContexts,
    rejectedContexts,
    peerMaxPduLength: peer.maxLength,
    maxPduLength: local.maxLength,
    asyncOperationsWindow: ac.userInformation.asyncOperationsWindow ?? synchronous,
    roleSelections: ac.userInformation.roleSelections,
    extendedNegotiations: ac.userInformation.extendedNegotiations,
    userIdentityServerResponse: ac.userInformation.userIdentityAc?.serverResponse,
    peerImplementationClassUid: peer.implementationClassUid,
    peerImplementationVersionName: peer.implementationVersionName
  }
}

/** The first accepted context for a SOP class (and transfer syntax, when given), or PresentationContextNotAccepted. @category negotiated */
export const findContext = (
  negotiated: Negotiated,
  sopClassUid: string,
  transferSyntax?: string
): Result.Result<AcceptedContext, PresentationContextNotAccepted> => {
  for (const pc of negotiated.acceptedContexts.values()) {
    if (pc.abstractSyntax === sopClassUid && (transferSyntax === undefined || pc.transferSyntax === transferSyntax)) {
      return Result.succeed(pc)
    }
  }
  return Result.fail(new PresentationContextNotAccepted({ sopClassUid, transferSyntax }))
}

// ---------------------------------------------------------------------------------------------
// Acceptor
// ---------------------------------------------------------------------------------------------

/** PS3.8 §9.3.4 / Table 9-21: the standard A-ASSOCIATE-RJ answers. @category acceptor */
export const Rejection = {
  noReasonGiven: { _tag: "AAssociateRj", result: 1, source: 1, reason: 1 },
  applicationContextNameNotSupported: { _tag: "AAssociateRj", result: 1, source: 1, reason: 2 },
  callingAeTitleNotRecognized: { _tag: "AAssociateRj", result: 1, source: 1, reason: 3 },
  calledAeTitleNotRecognized: { _tag: "AAssociateRj", result: 1, source: 1, reason: 7 },
  protocolVersionNotSupported: { _tag: "AAssociateRj", result: 1, source: 2, reason: 2 },
  temporaryCongestion: { _tag: "AAssociateRj", result: 2, source: 3, reason: 1 },
  localLimitExceeded: { _tag: "AAssociateRj", result: 2, source: 3, reason: 2 }
} as const satisfies Record<string, AAssociateRj>

/** A user identity policy's verdict (PS3.7 §D.3.3.7): accept (with an optional server response) or reject. @category acceptor */
export type UserIdentityVerdict =
  | { readonly _tag: "Accept"; readonly serverResponse?: Uint8Array | undefined }
  | { readonly _tag: "Reject" }

/** An abstract syntax we support and our transfer syntaxes for it, best first. @category acceptor */
export interface SupportedContext {
  readonly abstractSyntax: string
  readonly transferSyntaxes: ReadonlyArray<string>
}

/** The acceptor's negotiation policy, as a value. @category acceptor */
export interface AcceptPolicy {
  /** Called AE titles we answer to; undefined = any. */
  readonly calledAeTitles?: ReadonlyArray<string> | undefined
  /** Calling AE titles we accept; undefined = any. */
  readonly callingAeTitles?: ReadonlyArray<string> | undefined
  /** What we support; by default the first of OUR transfer syntaxes that the requestor proposed is chosen. */
  readonly contexts: ReadonlyArray<SupportedContext>
  /**
   * Whose order picks the transfer syntax of an accepted context: "ours" (default: the first of our
   * transfer syntaxes that was proposed) or "proposer" (the first proposed one that we support, as
   * pynetdicom does; PS3.8 leaves the choice to the acceptor).
   */
  readonly transferSyntaxPreference?: "ours" | "proposer" | undefined
  /** A presentation context the user rejects (result 1) even though it is supported. */
  readonly userRejects?: ((pc: PresentationContextRq) => boolean) | undefined
  /** Our maximum PDU length received (0 = unlimited); default 256 KiB. */
  readonly maxPduLength?: number | undefined
  readonly implementationClassUid?: string | undefined
  readonly implementationVersionName?: string | undefined
  /** Our async operations window; the answer is the minimum of both (0 = unlimited). Undefined: no answer (1/1). */
  readonly asyncOperationsWindow?: AsyncOperationsWindow | undefined
  /** Roles we grant for a proposed role selection (ANDed with what was proposed); default: grant what was proposed. */
  readonly roleSelection?: ((proposed: RoleSelection) => { readonly scuRole: boolean; readonly scpRole: boolean }) | undefined
  /** Our answer to a SOP class extended negotiation item; undefined (or no function): no answer. */
  readonly extendedNegotiation?: ((item: SopClassExtendedNegotiation) => SopClassExtendedNegotiation | undefined) | undefined
  /** The verdict on a user identity; no function: the item is ignored (PS3.7 §D.3.3.7.3). */
  readonly userIdentity?: ((identity: UserIdentityRq, rq: AAssociateRq) => UserIdentityVerdict) | undefined
}

const minWindow = (a: number, b: number): number => (a === 0 ? b : b === 0 ? a : Math.min(a, b))

const isListed = (list: ReadonlyArray<string> | undefined, value: string): boolean =>
  list === undefined || list.includes(value.trim())

/** PS3.8 §9.3.2.1: version 1 is identified by bit 0 of the protocol-version field. @category acceptor */
export const supportsProtocolVersion = (rq: AAssociateRq): boolean => (rq.protocolVersion & 1) === 1

// The accepted contexts by abstract syntax (the first listed wins, as a scan would find it), built once per
// contexts array instead of a scan of the whole list per proposed context; rebuilt if the array changed length.
const supportedIndex = new WeakMap<ReadonlyArray<SupportedContext>, { readonly length: number; readonly byAbstractSyntax: Map<string, SupportedContext> }>()
const supportedByAbstractSyntax = (contexts: ReadonlyArray<SupportedContext>): Map<string, SupportedContext> => {
  const cached = supportedIndex.get(contexts)
  if (cached !== undefined && cached.length === contexts.length) return cached.byAbstractSyntax
  const byAbstractSyntax = new Map<string, SupportedContext>()
  for (const c of contexts) if (!byAbstractSyntax.has(c.abstractSyntax)) byAbstractSyntax.set(c.abstractSyntax, c)
  supportedIndex.set(contexts, { length: contexts.length, byAbstractSyntax })
  return byAbstractSyntax
}

/** PS3.8 §9.3.3.2: answer one proposed presentation context. @category acceptor */
export const decideContext = (policy: AcceptPolicy, pc: PresentationContextRq): PresentationContextAc => {
  const supported = supportedByAbstractSyntax(policy.contexts).get(pc.abstractSyntax)
  if (supported === undefined) return { presentationContextId: pc.presentationContextId, result: 3, transferSyntax: "" }
  const chosen =
    policy.transferSyntaxPreference === "proposer"
      ? pc.transferSyntaxes.find((ts) => supported.transferSyntaxes.includes(ts))
      : supported.transferSyntaxes.find((ts) => pc.transferSyntaxes.includes(ts))
  if (chosen === undefined) return { presentationContextId: pc.presentationContextId, result: 4, transferSyntax: "" }
  if (policy.userRejects?.(pc) === true) return { presentationContextId: pc.presentationContextId, result: 1, transferSyntax: "" }
  return { presentationContextId: pc.presentationContextId, result: 0, transferSyntax: chosen }
}

/** PS3.8 §7.1.2: the acceptor's answer to an A-ASSOCIATE-RQ under `policy`. @category acceptor */
export const accept = (policy: AcceptPolicy, rq: AAssociateRq): AAssociateAc | AAssociateRj => {
  if (!supportsProtocolVersion(rq)) return Rejection.protocolVersionNotSupported
  if (rq.applicationContextName !== dicomApplicationContextName) return Rejection.applicationContextNameNotSupported
  if (!isListed(policy.calledAeTitles, rq.calledAeTitle)) return Rejection.calledAeTitleNotRecognized
  if (!isListed(policy.callingAeTitles, rq.callingAeTitle)) return Rejection.callingAeTitleNotRecognized
  const ui = rq.userInformation
  let userIdentityAc: { readonly serverResponse: Uint8Array } | undefined
  if (ui.userIdentity !== undefined && policy.userIdentity !== undefined) {
    const verdict = policy.userIdentity(ui.userIdentity, rq)
    if (verdict._tag === "Reject") return Rejection.noReasonGiven
    if (ui.userIdentity.positiveResponseRequested) {
      userIdentityAc = { serverResponse: verdict.serverResponse ?? new Uint8Array(0) }
    }
  }
  const roleSelections: Array<RoleSelection> = ui.roleSelections.map((proposed) => {
    const granted = policy.roleSelection?.(proposed) ?? proposed
    return { sopClassUid: proposed.sopClassUid, scuRole: proposed.scuRole && granted.scuRole, scpRole: proposed.scpRole && granted.scpRole }
  })
  const extendedNegotiations: Array<SopClassExtendedNegotiation> = []
  if (policy.extendedNegotiation !== undefined) {
    for (const item of ui.extendedNegotiations) {
      const answer = policy.extendedNegotiation(item)
      if (answer !== undefined) extendedNegotiations.push(answer)
    }
  }
  const ours = policy.asyncOperationsWindow
  const theirs = ui.asyncOperationsWindow
  const asyncOperationsWindow =
    ours !== undefined && theirs !== undefined
      ? {
          maxOperationsInvoked: minWindow(ours.maxOperationsInvoked, theirs.maxOperationsInvoked),
          maxOperationsPerformed: minWindow(ours.maxOperationsPerformed, theirs.maxOperationsPerformed)
        }
      : undefined
  return {
    _tag: "AAssociateAc",
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContextName: dicomApplicationContextName,
    presentationContexts: rq.presentationContexts.map((pc) => decideContext(policy, pc)),
    userInformation: {
      maxLength: policy.maxPduLength ?? defaultMaxPduLength,
      implementationClassUid: policy.implementationClassUid ?? implementationClassUid,
      implementationVersionName: policy.implementationVersionName ?? implementationVersionName,
      asyncOperationsWindow,
      roleSelections,
      extendedNegotiations,
      commonExtendedNegotiations: [],
      userIdentityAc,
      unknownItems: []
    }
  }
}
