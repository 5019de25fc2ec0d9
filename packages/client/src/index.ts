/**
 * @dicomnet/client: the DICOM SCU. `Association.request` opens a scoped association (released on
 * success, aborted on failure or interruption); `Echo.echo` is the C-ECHO operation.
 *
 * @since 0.1.0
 */
export * as Association from "./Association.js"
export { DimseFailure, DimseTimeout } from "./ClientError.js"
export * as Echo from "./Echo.js"
export * as Metrics from "./Metrics.js"
export {
  AssociationAborted,
  AssociationRejected,
  AssociationTimeout,
  PresentationContextNotAccepted,
  TooManyPresentationContexts
} from "@dicomnet/association"
export { TransportError, TransportTimeout } from "@dicomnet/transport"
export * as NServices from "./NServices.js"
export * as Pool from "./Pool.js"
export * as StorageCommitment from "./StorageCommitment.js"
export * as Find from "./Find.js"
export * as Move from "./Move.js"
export * as Get from "./Get.js"
export * as Query from "./Query.js"
export * as Store from "./Store.js"
