/**
 * Typed failures of an association, each carrying the facts a user needs (PS3.8 §7, §9.3.4, §9.3.8).
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** PS3.8 Table 9-21: the meaning of an A-ASSOCIATE-RJ (result, source, reason). @category descriptions */
export const describeRejection = (result: number, source: number, reason: number): string => {
  const permanence = result === 1 ? "rejected-permanent" : result === 2 ? "rejected-transient" : `result ${result}`
  const text =
    source === 1
      ? ({ 1: "no-reason-given", 2: "application-context-name-not-supported", 3: "calling-AE-title-not-recognized", 7: "called-AE-title-not-recognized" } as Record<number, string>)[reason]
      : source === 2
        ? ({ 1: "no-reason-given", 2: "protocol-version-not-supported" } as Record<number, string>)[reason]
        : source === 3
          ? ({ 1: "temporary-congestion", 2: "local-limit-exceeded" } as Record<number, string>)[reason]
          : undefined
  const who =
    source === 1 ? "service-user" : source === 2 ? "service-provider (ACSE)" : source === 3 ? "service-provider (presentation)" : `source ${source}`
  return `${permanence} by ${who}: ${text ?? `reserved reason ${reason}`}`
}

/** PS3.8 Table 9-26: the meaning of an A-ABORT (source, reason). @category descriptions */
export const describeAbort = (source: number, reason: number): string => {
  if (source === 0) return "aborted by the service-user"
  if (source === 2) {
    const text = (
      {
        0: "reason-not-specified",
        1: "unrecognized-PDU",
        2: "unexpected-PDU",
        4: "unrecognized-PDU-parameter",
        5: "unexpected-PDU-parameter",
        6: "invalid-PDU-parameter-value"
      } as Record<number, string>
    )[reason]
    return `aborted by the service-provider: ${text ?? `reserved reason ${reason}`}`
  }
  return `aborted (source ${source}, reason ${reason})`
}

/** The peer (or its provider) answered the A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ. @category errors */
export class AssociationRejected extends Data.TaggedError("AssociationRejected")<{
  readonly result: number
  readonly source: number
  readonly reason: number
  readonly description: string
}> {
  /** Builds the error from the A-ASSOCIATE-RJ fields, with the standard's description. */
  static fromRj(rj: { readonly result: number; readonly source: number; readonly reason: number }): AssociationRejected {
    return new AssociationRejected({
      result: rj.result,
      source: rj.source,
      reason: rj.reason,
      description: describeRejection(rj.result, rj.source, rj.reason)
    })
  }
}

/**
 * The association was aborted. `source`: "peer-user" (A-ABORT source 0 from the peer), "peer-provider"
 * (A-ABORT source 2 from the peer), "local-provider" (we aborted because of the peer's protocol error),
 * "local-user" (our own abort) or "transport" (the connection closed or failed unexpectedly).
 * @category errors
 */
export class AssociationAborted extends Data.TaggedError("AssociationAborted")<{
  readonly source: "peer-user" | "peer-provider" | "local-provider" | "local-user" | "transport"
  readonly reason: number
  readonly description: string
}> {}

/** A driver timer expired: ARTIM (PS3.8 §9.1.5), the wait for the A-ASSOCIATE-AC/RJ, or the wait for the A-RELEASE-RP. @category errors */
export class AssociationTimeout extends Data.TaggedError("AssociationTimeout")<{
  readonly timer: "artim" | "associate" | "release"
  readonly millis: number
}> {}

/** No accepted presentation context fits the SOP class (and transfer syntax, when given). @category errors */
export class PresentationContextNotAccepted extends Data.TaggedError("PresentationContextNotAccepted")<{
  readonly sopClassUid: string
  readonly transferSyntax: string | undefined
}> {}

/** PS3.8 §9.3.2.2: at most 128 presentation contexts (odd ids 1..255) fit in one A-ASSOCIATE-RQ. @category errors */
export class TooManyPresentationContexts extends Data.TaggedError("TooManyPresentationContexts")<{
  readonly count: number
  readonly max: 128
}> {}

/** A user primitive was issued in a state where PS3.8 Table 9-10 has no action for it. @category errors */
export class InvalidPrimitive extends Data.TaggedError("InvalidPrimitive")<{
  readonly primitive: string
  readonly state: string
}> {}

/** Any failure of an established association's operations. @category errors */
export type AssociationError = AssociationAborted | AssociationTimeout | InvalidPrimitive
