/**
 * @dicomnet/transport: the Transport service, its in-memory layer, and record/replay of connections.
 *
 * @since 0.1.0
 */
export * as Connection from "./Connection.js"
export * as InMemory from "./InMemory.js"
export * as Timeouts from "./Timeouts.js"
export * as Transport from "./Transport.js"
export * from "./TransportError.js"
export * as Recorder from "./Recorder.js"
export * as Recording from "./Recording.js"
export * as Replay from "./Replay.js"
export * as Scavenge from "./Scavenge.js"
