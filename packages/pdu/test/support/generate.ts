/** A seeded generator of valid PDUs (every value passes the Schemas) for property tests. */
import type { Pdu } from "../../src/index.js"

/** mulberry32: a tiny deterministic PRNG. */
export const rng = (seed: number) => {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  const bool = (): boolean => next() < 0.5
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[int(0, xs.length - 1)] as A
  const bytes = (min: number, max: number): Uint8Array => Uint8Array.from({ length: int(min, max) }, () => int(0, 255))
  const array = <A>(min: number, max: number, f: () => A): Array<A> => Array.from({ length: int(min, max) }, f)
  return { next, int, bool, pick, bytes, array }
}

export type Rng = ReturnType<typeof rng>

const aeChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. "

export const aeTitle = (r: Rng): string => {
  // No leading or trailing spaces (the codec trims trailing padding), never all spaces.
  const n = r.int(1, 16)
  let s = ""
  for (let i = 0; i < n; i++) s += i === 0 || i === n - 1 ? r.pick([..."ABCXYZ019"]) : r.pick([...aeChars])
  return s
}

export const uid = (r: Rng): string => {
  const parts = ["1", "2", ...r.array(1, 10, () => String(r.int(0, 99999)))]
  return parts.join(".").slice(0, 64).replace(/\.$/, "")
}

const contextId = (r: Rng): number => 2 * r.int(0, 127) + 1

const userInformation = (r: Rng, kind: "rq" | "ac"): Pdu.UserInformation => ({
  maxLength: r.pick([0, 16384, 65536, r.int(0, 0xffffffff)]),
  implementationClassUid: uid(r),
  ...(r.bool() ? { implementationVersionName: aeTitle(r) } : {}),
  ...(r.bool() ? { asyncOperationsWindow: { maxOperationsInvoked: r.int(0, 65535), maxOperationsPerformed: r.int(0, 65535) } } : {}),
  roleSelections: r.array(0, 3, () => ({ sopClassUid: uid(r), scuRole: r.bool(), scpRole: r.bool() })),
  extendedNegotiations: r.array(0, 2, () => ({ sopClassUid: uid(r), serviceClassApplicationInformation: r.bytes(0, 8) })),
  commonExtendedNegotiations:
    kind === "rq" ? r.array(0, 2, () => ({ sopClassUid: uid(r), serviceClassUid: uid(r), relatedGeneralSopClassUids: r.array(0, 3, () => uid(r)) })) : [],
  ...(kind === "rq" && r.bool()
    ? (() => {
        const userIdentityType = r.pick([1, 2, 3, 4, 5] as const)
        return {
          userIdentity: {
            userIdentityType,
            positiveResponseRequested: r.bool(),
            primaryField: r.bytes(1, 40),
            secondaryField: userIdentityType === 2 ? r.bytes(1, 20) : new Uint8Array(0)
          }
        }
      })()
    : {}),
  ...(kind === "ac" && r.bool() ? { userIdentityAc: { serverResponse: r.bytes(0, 40) } } : {}),
  unknownItems: r.array(0, 2, () => ({ itemType: r.pick([0x5a, 0x60, 0x7f, 0xff]), data: r.bytes(0, 16) }))
})

export const pdu = (r: Rng): Pdu.Pdu => {
  switch (r.int(0, 6)) {
    case 0:
      return {
        _tag: "AAssociateRq",
        protocolVersion: 1,
        calledAeTitle: aeTitle(r),
        callingAeTitle: aeTitle(r),
        applicationContextName: "1.2.840.10008.3.1.1.1",
        presentationContexts: r.array(1, 8, () => ({ presentationContextId: contextId(r), abstractSyntax: uid(r), transferSyntaxes: r.array(1, 4, () => uid(r)) })),
        userInformation: userInformation(r, "rq")
      }
    case 1:
      return {
        _tag: "AAssociateAc",
        protocolVersion: 1,
        calledAeTitle: aeTitle(r),
        callingAeTitle: aeTitle(r),
        applicationContextName: "1.2.840.10008.3.1.1.1",
        presentationContexts: r.array(0, 8, () => {
          const result = r.pick([0, 1, 2, 3, 4] as const)
          return { presentationContextId: contextId(r), result, transferSyntax: result === 0 || r.bool() ? uid(r) : "" }
        }),
        userInformation: userInformation(r, "ac")
      }
    case 2: {
      const source = r.pick([1, 2, 3] as const)
      const reason = source === 1 ? r.pick([1, 2, 3, 7]) : r.pick([1, 2])
      return { _tag: "AAssociateRj", result: r.pick([1, 2] as const), source, reason }
    }
    case 3:
      return {
        _tag: "PDataTf",
        pdvs: r.array(1, 4, () => ({ presentationContextId: contextId(r), isCommand: r.bool(), isLast: r.bool(), data: r.bytes(0, 300) }))
      }
    case 4:
      return { _tag: "AReleaseRq" }
    case 5:
      return { _tag: "AReleaseRp" }
    default: {
      const source = r.pick([0, 2] as const)
      return { _tag: "AAbort", source, reason: source === 2 ? r.pick([0, 1, 2, 4, 5, 6]) : 0 }
    }
  }
}
