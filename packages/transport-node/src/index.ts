/**
 * @dicomnet/transport-node: TCP and TLS transports, and recordings on files.
 *
 * @since 0.1.0
 */
export * as NodeTransport from "./NodeTransport.js"
export * as RecordingFile from "./RecordingFile.js"
