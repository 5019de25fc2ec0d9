/**
 * C-ECHO SCU (PS3.7 §9.1.5, PS3.4 Annex A Verification Service Class).
 *
 * @since 0.1.0
 */
import { type PresentationContextNotAccepted, Tracing } from "@dicomnet/association"
import { SopClass } from "@dicomnet/data"
import { Command, Status } from "@dicomnet/dimse"
import { Effect } from "effect"
import type { Association, OperationError } from "./Association.js"
import { DimseFailure } from "./ClientError.js"

/** The outcome of a successful C-ECHO. @category models */
export interface EchoResult {
  /** Status (0000,0900): 0000H. */
  readonly status: number
}

const echoRq = Command.cEchoRq({ affectedSopClassUid: SopClass.Verification, messageId: 0 })
const echoSpan = { attributes: { "dicomnet.service": "C-ECHO" } } as const

/**
 * Sends a C-ECHO-RQ on the Verification context and waits for the C-ECHO-RSP: succeeds on 0000H,
 * fails with DimseFailure for any other status, PresentationContextNotAccepted when Verification
 * was not accepted. Its "dicomnet.operation" span is made only when a Tracer is installed.
 * @category operations
 */
export const echo = (
  association: Association
): Effect.Effect<EchoResult, DimseFailure | OperationError | PresentationContextNotAccepted> =>
  association.requestOne(echoRq).pipe(
    Effect.flatMap((reply) => {
      const rsp = reply.command
      return Effect.andThen(
        Tracing.annotate("dicomnet.status", () => Status.toHex(rsp.status)),
        Status.isSuccess(rsp.status)
          ? Effect.succeed({ status: rsp.status })
          : Effect.fail(new DimseFailure({ status: rsp.status, comment: rsp.errorComment, service: "C-ECHO" }))
      )
    }),
    Tracing.withOperationSpan("dicomnet.operation", echoSpan, association.span)
  )
