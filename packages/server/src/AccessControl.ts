/**
 * Access control as a value: who may associate and which DIMSE operations each peer may invoke.
 *
 * A `Policy` holds an ordered list of rules (`allow(peer, operations)` / `deny(peer, operations)`,
 * the first rule matching both the peer and the operation decides, `otherwise` when none does),
 * bindings that tie a calling AE title to a TLS client certificate and/or a verified user identity
 * (so a spoofed AE title is refused), per-peer association limits, and the table of known AEs a
 * C-MOVE may send to. The functions here are pure; the server calls `admit` during association
 * negotiation and `authorize` before each operation.
 *
 * Refusals carry no detail: an association is rejected with RJ 1/1/3 (calling AE title not
 * recognized) whether the AE title is unknown, bound to another certificate or to another user;
 * an operation is answered 0124H (Refused: Not Authorized, PS3.7 Annex C) without an Error Comment.
 *
 * @since 0.1.0
 */
import { Negotiation } from "@dicomnet/association"
import { CharacterSet } from "@dicomnet/data"
import type { AAssociateRj, AAssociateRq, UserIdentityRq } from "@dicomnet/pdu"
import { Data, Effect, Stream } from "effect"
import type { Handlers } from "./Handlers.js"
import * as NServices from "./NServices.js"
import type * as QueryRetrieve from "./QueryRetrieve.js"

/** The DIMSE operations a rule can name (requests this server performs). @category models */
export type Operation =
  | "echo"
  | "store"
  | "find"
  | "move"
  | "get"
  | "n-event-report"
  | "n-get"
  | "n-set"
  | "n-action"
  | "n-create"
  | "n-delete"

/** Every operation. @category constants */
export const allOperations: ReadonlyArray<Operation> = [
  "echo", "store", "find", "move", "get", "n-event-report", "n-get", "n-set", "n-action", "n-create", "n-delete"
]

/** The N-services (storage commitment is N-ACTION + N-EVENT-REPORT). @category constants */
export const nServices: ReadonlyArray<Operation> = ["n-event-report", "n-get", "n-set", "n-action", "n-create", "n-delete"]

const operationByCommand: Record<string, Operation> = {
  CEchoRq: "echo",
  CStoreRq: "store",
  CFindRq: "find",
  CMoveRq: "move",
  CGetRq: "get",
  NEventReportRq: "n-event-report",
  NGetRq: "n-get",
  NSetRq: "n-set",
  NActionRq: "n-action",
  NCreateRq: "n-create",
  NDeleteRq: "n-delete"
}

/** The operation of a DIMSE request tag ("CStoreRq" → "store"); undefined for C-CANCEL and responses. @category getters */
export const operationOf = (commandTag: string): Operation | undefined => operationByCommand[commandTag]

/** The status answering an operation this policy refuses: 0124H Refused: Not Authorized (PS3.7 Annex C). @category constants */
export const notAuthorized = 0x0124

/** Who is asking: facts from the A-ASSOCIATE-RQ and the connection. @category models */
export interface Peer {
  readonly callingAeTitle: string
  readonly calledAeTitle: string
  /** The remote IP address (no port). */
  readonly address: string
  /** The TLS client certificate, when the connection is mutual TLS. */
  readonly certificate?: { readonly subject: string; readonly fingerprint256: string } | undefined
  /** The user identity's username, only once the server's `userIdentity` verifier accepted it. Never a passcode or token. */
  readonly user?: string | undefined
}

/** What a rule matches; every given field must match (a list matches any of its values); `{}` matches everyone. @category models */
export interface PeerMatch {
  readonly callingAeTitle?: string | ReadonlyArray<string> | undefined
  /** IPv4/IPv6 addresses, or IPv4 CIDR blocks ("10.1.0.0/16"). */
  readonly address?: string | ReadonlyArray<string> | undefined
  readonly certificateSubject?: string | ReadonlyArray<string> | undefined
  /** SHA-256 fingerprints as Node prints them ("AB:CD:…"); compared case-insensitively. */
  readonly certificateFingerprint?: string | ReadonlyArray<string> | undefined
  readonly user?: string | ReadonlyArray<string> | undefined
}

/** One rule: allow or deny `operations` to the peers it matches. @category models */
export interface Rule {
  readonly _tag: "Allow" | "Deny"
  readonly peer: PeerMatch
  readonly operations: ReadonlyArray<Operation> | "all"
}

/** A rule that allows `operations` (default: all) to the peers matching `peer`. @category constructors */
export const allow = (peer: PeerMatch, operations: ReadonlyArray<Operation> | "all" = "all"): Rule => ({ _tag: "Allow", peer, operations })

/** A rule that denies `operations` (default: all) to the peers matching `peer`. @category constructors */
export const deny = (peer: PeerMatch, operations: ReadonlyArray<Operation> | "all" = "all"): Rule => ({ _tag: "Deny", peer, operations })

/**
 * A calling AE title bound to credentials: a peer using `callingAeTitle` must present every
 * credential given here, else the association is rejected (RJ 1/1/3).
 * @category models
 */
export interface Binding {
  readonly callingAeTitle: string
  readonly certificateFingerprint?: string | undefined
  readonly certificateSubject?: string | undefined
  /** A username verified by the server's `userIdentity` verifier. */
  readonly user?: string | undefined
}

/** A known AE: where a C-MOVE to `aeTitle` is sent. @category models */
export interface KnownAe {
  readonly aeTitle: string
  readonly host: string
  readonly port: number
}

/** At most `max` associations at once from the peers matching `peer` (each matching peer counted separately when `per` is "callingAeTitle" or "address"). @category models */
export interface AssociationLimit {
  readonly peer: PeerMatch
  readonly max: number
  /** "match" (default): one budget shared by all matching peers; or one budget per calling AE title / per address. */
  readonly per?: "match" | "callingAeTitle" | "address" | undefined
}

/** An access-control policy. @category models */
export interface Policy {
  readonly rules: ReadonlyArray<Rule>
  /** The verdict when no rule matches. */
  readonly otherwise: "allow" | "deny"
  readonly bindings: ReadonlyArray<Binding>
  readonly associationLimits: ReadonlyArray<AssociationLimit>
  /** The only destinations a C-MOVE may name. */
  readonly moveDestinations: ReadonlyArray<KnownAe>
}

/** Options of `make`; everything defaults to "nothing configured". @category models */
export interface PolicyOptions {
  readonly rules?: ReadonlyArray<Rule> | undefined
  /** Default "deny": a peer no rule allows gets nothing. */
  readonly otherwise?: "allow" | "deny" | undefined
  readonly bindings?: ReadonlyArray<Binding> | undefined
  readonly associationLimits?: ReadonlyArray<AssociationLimit> | undefined
  readonly moveDestinations?: ReadonlyArray<KnownAe> | undefined
}

/** A policy from its parts (default: deny everything no rule allows). @category constructors */
export const make = (options: PolicyOptions): Policy => ({
  rules: options.rules ?? [],
  otherwise: options.otherwise ?? "deny",
  bindings: options.bindings ?? [],
  associationLimits: options.associationLimits ?? [],
  moveDestinations: options.moveDestinations ?? []
})

/** Everyone may do everything (what a server without a policy does). @category constants */
export const allowAll: Policy = make({ otherwise: "allow" })

const listOf = (value: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> | undefined =>
  value === undefined ? undefined : typeof value === "string" ? [value] : value

const ipv4 = (address: string): number | undefined => {
  const bare = address.startsWith("::ffff:") ? address.slice(7) : address
  const parts = bare.split(".")
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const v = Number(p)
    if (v > 255) return undefined
    n = n * 256 + v
  }
  return n
}

/** True when `address` is `pattern` (an address, or an IPv4 CIDR block). IPv4-mapped IPv6 addresses match their IPv4 form. @category matching */
export const addressMatches = (pattern: string, address: string): boolean => {
  const slash = pattern.indexOf("/")
  if (slash < 0) {
    const a = ipv4(address)
    const p = ipv4(pattern)
    return a !== undefined && p !== undefined ? a === p : pattern.toLowerCase() === address.toLowerCase()
  }
  const base = ipv4(pattern.slice(0, slash))
  const bits = Number(pattern.slice(slash + 1))
  const a = ipv4(address)
  if (base === undefined || a === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false
  const size = 2 ** (32 - bits)
  return Math.floor(a / size) === Math.floor(base / size)
}

const normalizeFingerprint = (f: string): string => f.replace(/:/g, "").toUpperCase()

/** True when `peer` matches every field of `match`. @category matching */
export const matches = (match: PeerMatch, peer: Peer): boolean => {
  const ae = listOf(match.callingAeTitle)
  if (ae !== undefined && !ae.includes(peer.callingAeTitle.trim())) return false
  const addresses = listOf(match.address)
  if (addresses !== undefined && !addresses.some((p) => addressMatches(p, peer.address))) return false
  const subjects = listOf(match.certificateSubject)
  if (subjects !== undefined && (peer.certificate === undefined || !subjects.includes(peer.certificate.subject))) return false
  const fingerprints = listOf(match.certificateFingerprint)
  if (fingerprints !== undefined) {
    const ours = peer.certificate === undefined ? undefined : normalizeFingerprint(peer.certificate.fingerprint256)
    if (ours === undefined || !fingerprints.some((f) => normalizeFingerprint(f) === ours)) return false
  }
  const users = listOf(match.user)
  if (users !== undefined && (peer.user === undefined || !users.includes(peer.user))) return false
  return true
}

/** The verdict of the first rule matching the peer and the operation, else `otherwise`. @category verdicts */
export const authorize = (policy: Policy, peer: Peer, operation: Operation): boolean => {
  for (const rule of policy.rules) {
    if (rule.operations !== "all" && !rule.operations.includes(operation)) continue
    if (!matches(rule.peer, peer)) continue
    return rule._tag === "Allow"
  }
  return policy.otherwise === "allow"
}

/** True when the peer presents every credential its calling AE title is bound to (or the AE title is not bound). @category verdicts */
export const bindingHolds = (policy: Policy, peer: Peer): boolean => {
  const ae = peer.callingAeTitle.trim()
  for (const b of policy.bindings) {
    if (b.callingAeTitle !== ae) continue
    const match: PeerMatch = {
      certificateFingerprint: b.certificateFingerprint,
      certificateSubject: b.certificateSubject,
      user: b.user
    }
    if (!matches(match, peer)) return false
  }
  return true
}

/**
 * The association-time verdict (no counting): RJ 1/1/3 when a binding does not hold or when the
 * policy allows this peer no operation at all; undefined when the peer may associate.
 * @category verdicts
 */
export const admit = (policy: Policy, peer: Peer): AAssociateRj | undefined => {
  if (!bindingHolds(policy, peer)) return Negotiation.Rejection.callingAeTitleNotRecognized
  if (!allOperations.some((op) => authorize(policy, peer, op))) return Negotiation.Rejection.callingAeTitleNotRecognized
  return undefined
}

/** Where a C-MOVE from `peer` to `aeTitle` may go: a known AE when the peer may move, else undefined (answer A801H). @category verdicts */
export const moveDestination = (policy: Policy, peer: Peer, aeTitle: string): KnownAe | undefined =>
  authorize(policy, peer, "move") ? policy.moveDestinations.find((k) => k.aeTitle === aeTitle.trim()) : undefined

/** The outcome of `Limiter.acquire`. @category models */
export type Admission =
  | { readonly _tag: "Admitted"; readonly release: () => void }
  | { readonly _tag: "Rejected"; readonly rj: AAssociateRj }

/** Counts associations per `AssociationLimit` (synchronous: no suspension between the check and the count). @category models */
export interface Limiter {
  /** Counts the peer in every limit it matches, or rejects with RJ 2/3/2 (local limit exceeded) when one is full. */
  readonly acquire: (peer: Peer) => Admission
  /** Associations counted now under each limit key (for tests and metrics). */
  readonly counts: () => ReadonlyMap<string, number>
}

/** A limiter for the policy's per-peer association limits. @category constructors */
export const limiter = (policy: Policy): Limiter => {
  const counts = new Map<string, number>()
  const keyOf = (limit: AssociationLimit, index: number, peer: Peer): string =>
    limit.per === "callingAeTitle" ? `${index}:ae:${peer.callingAeTitle.trim()}` : limit.per === "address" ? `${index}:ip:${peer.address}` : `${index}`
  return {
    acquire: (peer) => {
      const keys: Array<string> = []
      for (let i = 0; i < policy.associationLimits.length; i++) {
        const limit = policy.associationLimits[i] as AssociationLimit
        if (!matches(limit.peer, peer)) continue
        const key = keyOf(limit, i, peer)
        if ((counts.get(key) ?? 0) >= limit.max) return { _tag: "Rejected", rj: Negotiation.Rejection.localLimitExceeded }
        keys.push(key)
      }
      for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1)
      let released = false
      return {
        _tag: "Admitted",
        release: () => {
          if (released) return
          released = true
          for (const k of keys) {
            const n = (counts.get(k) ?? 1) - 1
            if (n <= 0) counts.delete(k)
            else counts.set(k, n)
          }
        }
      }
    },
    counts: () => counts
  }
}

/** The remote IP of a "host:port" / "[v6]:port" address as the transport reports it. @category getters */
export const hostOf = (remoteAddress: string): string => {
  if (remoteAddress.startsWith("[")) {
    const end = remoteAddress.indexOf("]")
    return end > 0 ? remoteAddress.slice(1, end) : remoteAddress
  }
  const colon = remoteAddress.lastIndexOf(":")
  return colon > 0 && remoteAddress.indexOf(":") === colon ? remoteAddress.slice(0, colon) : remoteAddress
}

/**
 * The peer facts of an association request: the transport's remote address and client certificate,
 * the AE titles of the A-ASSOCIATE-RQ, and the username of a user identity the server's verifier
 * accepted (types 1 and 2 only: a Kerberos, SAML or JWT token is not a name, and a passcode is never kept).
 * @category constructors
 */
export const peerOf = (
  connection: { readonly remoteAddress: string; readonly peerCertificate?: { readonly subject: string; readonly fingerprint256: string } | undefined },
  rq: AAssociateRq,
  verifiedIdentity: UserIdentityRq | undefined
): Peer => ({
  callingAeTitle: rq.callingAeTitle.trim(),
  calledAeTitle: rq.calledAeTitle.trim(),
  address: hostOf(connection.remoteAddress),
  certificate:
    connection.peerCertificate === undefined
      ? undefined
      : { subject: connection.peerCertificate.subject, fingerprint256: connection.peerCertificate.fingerprint256 },
  user:
    verifiedIdentity !== undefined && (verifiedIdentity.userIdentityType === 1 || verifiedIdentity.userIdentityType === 2)
      ? CharacterSet.decodeString(verifiedIdentity.primaryField, ["ISO_IR 192"], "UT") // PS3.7 §D.3.3.7: UTF-8
      : undefined
})

/** A C-FIND or C-GET the policy refuses (its `peerComment` becomes the Error Comment: no internal detail). @category errors */
export class NotAuthorized extends Data.TaggedError("NotAuthorized")<{ readonly operation: Operation }> {
  override get message(): string {
    return "not authorized"
  }
  /** The text meant for the peer (the C-FIND performer sends it as Error Comment). */
  get peerComment(): string {
    return "not authorized"
  }
}

const refusal = (peer: Peer, operation: Operation) =>
  Effect.logInfo(`refused ${operation} to ${peer.callingAeTitle} at ${peer.address}: not authorized`)

/**
 * The handlers as `peer` may use them under `policy` (the server builds them per association):
 * - C-ECHO, C-STORE: a refused request is answered 0124H (Refused: Not Authorized); a refused
 *   C-STORE's data set is drained, never stored;
 * - N-services: 0124H (`NServices.NServiceStatus`);
 * - C-FIND: C000H (unable to process, PS3.4 §C.4.1.1.4) with Error Comment "not authorized";
 * - C-GET: the retrieve fails before any sub-operation: A701H (PS3.4 §C.4.3.1.4);
 * - C-MOVE: destinations are the policy's `moveDestinations` when it lists any (else the handlers'
 *   table); a peer without `move` has none, so every C-MOVE is answered A801H (destination unknown).
 * @category verdicts
 */
export const guard = (policy: Policy, peer: Peer, handlers: Handlers): Handlers => {
  const may = (operation: Operation) => authorize(policy, peer, operation)
  const echo = handlers.echo
  const store = handlers.store
  const n = handlers.nServices
  const qr = handlers.queryRetrieve
  const nGuard = <H extends ((request: never) => Effect.Effect<unknown, NServices.NServiceError>) | undefined>(handler: H, operation: Operation): H =>
    (handler === undefined || may(operation)
      ? handler
      : () => Effect.andThen(refusal(peer, operation), Effect.fail(new NServices.NServiceStatus({ status: notAuthorized })))) as H
  return {
    echo: may("echo") ? echo : () => Effect.as(refusal(peer, "echo"), notAuthorized),
    store:
      store === undefined || may("store")
        ? store
        : (request) => Effect.as(Effect.andThen(refusal(peer, "store"), Effect.ignore(Stream.runDrain(request.dataset))), notAuthorized),
    nServices:
      n === undefined
        ? undefined
        : {
            eventReport: nGuard(n.eventReport, "n-event-report"),
            get: nGuard(n.get, "n-get"),
            set: nGuard(n.set, "n-set"),
            action: nGuard(n.action, "n-action"),
            create: nGuard(n.create, "n-create"),
            delete: nGuard(n.delete, "n-delete")
          },
    queryRetrieve: qr === undefined ? undefined : guardQueryRetrieve(policy, peer, qr)
  }
}

const guardQueryRetrieve = (policy: Policy, peer: Peer, options: QueryRetrieve.Options): QueryRetrieve.Options => {
  const may = (operation: Operation) => authorize(policy, peer, operation)
  const find = options.find
  const retrieve = options.retrieve
  const destinations: Record<string, QueryRetrieve.KnownAe> = {}
  if (may("move")) {
    if (policy.moveDestinations.length > 0) for (const k of policy.moveDestinations) destinations[k.aeTitle] = { host: k.host, port: k.port }
    else Object.assign(destinations, options.destinations ?? {})
  }
  return {
    ...options,
    destinations,
    find:
      find === undefined || may("find")
        ? find
        : () => Stream.fromEffect(Effect.andThen(refusal(peer, "find"), Effect.fail(new NotAuthorized({ operation: "find" })))),
    retrieve:
      retrieve === undefined || may("get")
        ? retrieve
        : (request) =>
            request.command._tag === "CGetRq"
              ? Effect.andThen(refusal(peer, "get"), Effect.fail(new NotAuthorized({ operation: "get" })))
              : retrieve(request)
  }
}
