/**
 * @dicomnet/dimse: DIMSE command sets (PS3.7 §9.3, §10.3), statuses, the command-set codec, and the
 * assembly/fragmentation of messages from/into P-DATA-TF PDVs (PS3.7 §6.3.1, PS3.8 Annex E).
 *
 * @since 0.1.0
 */
export * as Command from "./Command.js"
export * from "./DimseError.js"
export * as CommandDump from "./CommandDump.js"
export * as CommandSet from "./CommandSet.js"
export * as Assembler from "./Assembler.js"
export * as Fragmenter from "./Fragmenter.js"
export * as MessageStream from "./MessageStream.js"
export * as Status from "./Status.js"
export * as Session from "./Session.js"
export * as StorageCommitment from "./StorageCommitment.js"
