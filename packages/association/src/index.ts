/**
 * @dicomnet/association: the DICOM Upper Layer state machine (PS3.8 §9.2, Table 9-10),
 * association negotiation, and the Effect driver that runs them over a byte stream.
 *
 * @since 0.1.0
 */
export * as Machine from "./Machine.js"
export * as Negotiation from "./Negotiation.js"
export * as AssociationError from "./AssociationError.js"
export {
  AssociationAborted,
  AssociationRejected,
  AssociationTimeout,
  InvalidPrimitive,
  PresentationContextNotAccepted,
  TooManyPresentationContexts
} from "./AssociationError.js"
export type { Negotiated } from "./Negotiation.js"
export * as Driver from "./Driver.js"
export type { AssociationHandle, CloseReason, Incoming } from "./Driver.js"
export * as Metrics from "./Metrics.js"
export * as Wire from "./Wire.js"
export * as Tracing from "./Tracing.js"
