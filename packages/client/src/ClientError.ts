/**
 * Typed failures of DIMSE operations on an association (the association's own failures live in
 * @dicomnet/association: AssociationRejected, AssociationAborted, AssociationTimeout, ...).
 *
 * @since 0.1.0
 */
import { Status } from "@dicomnet/dimse"
import { Data } from "effect"

/** No response to a DIMSE request within the DIMSE timeout (PS3.7 §9.1: the SCU's own timer); the session's own error. @category errors */
export { DimseTimeout } from "@dicomnet/dimse"

/** The peer answered with a non-success status (a failure, a warning where success was required, or cancel). @category errors */
export class DimseFailure extends Data.TaggedError("DimseFailure")<{
  /** Status (0000,0900). */
  readonly status: number
  /** Error Comment (0000,0902), when the peer sent one. */
  readonly comment: string | undefined
  /** The DIMSE service, e.g. "C-ECHO". */
  readonly service: Status.Service
}> {
  override get message(): string {
    const comment = this.comment === undefined ? "" : `: ${this.comment}`
    return `${this.service} failed with status ${Status.describe(this.status, this.service)}${comment}`
  }
}
