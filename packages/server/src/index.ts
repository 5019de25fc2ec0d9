/**
 * @dicomnet/server: the DICOM SCP. `DicomServer.make` / `DicomServer.layer` listen through the
 * `Transport`, negotiate under an acceptance policy, serve DIMSE requests with handlers (C-ECHO
 * built in) and publish lifecycle events.
 *
 * @since 0.1.0
 */
export * as DicomServer from "./DicomServer.js"
export * as Handlers from "./Handlers.js"
export * as LifecycleEvent from "./LifecycleEvent.js"
export * as Metrics from "./Metrics.js"
export * as NServices from "./NServices.js"
export * as StorageCommitment from "./StorageCommitment.js"
export * as AccessControl from "./AccessControl.js"
export * as Limits from "./Limits.js"
export * as QueryRetrieve from "./QueryRetrieve.js"
export * as Storage from "./Storage.js"
