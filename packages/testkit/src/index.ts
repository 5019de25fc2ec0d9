/** @dicomnet/testkit — private helpers for tests and benchmarks. */
export * as Dcmtk from "./Dcmtk.js"
export * as Fuzz from "./Fuzz.js"
export * as HostilePeer from "./HostilePeer.js"
export * as Pki from "./Pki.js"
export * as ScriptedAcceptor from "./ScriptedAcceptor.js"
