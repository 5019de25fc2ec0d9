/**
 * A fuzzing harness for every decoder that reads peer bytes: PDUs and their items, the PDU framer,
 * DIMSE command sets and the PDV assembler, data sets in the four uncompressed transfer syntaxes,
 * Part 10 files, character sets and transcoding.
 *
 * Each `Target` builds one input from a seed (a valid structure from the packages' own encoders,
 * then mutated, or a hand-made bomb) and checks the oracles: a decoder returns a value or a typed
 * failure and never throws; valid inputs round-trip; `run` adds wall time and (optionally) memory
 * bounds. A finding prints the seed that rebuilds its input (`replay`).
 *
 * @since 0.1.0
 */
import { assembler, commandSet } from "./fuzz/DimseTargets.js"
import { characterSet, datasetDecode, deflateBombTarget, part10, transcode, transcodeDifferential } from "./fuzz/DataTargets.js"
import { pduDecode, pduFramer, pduItems } from "./fuzz/PduTargets.js"
import type { Target } from "./fuzz/Runner.js"

export * as Generate from "./fuzz/Generate.js"
export * as Layout from "./fuzz/Layout.js"
export * as Mutate from "./fuzz/Mutate.js"
export * as Rng from "./fuzz/Rng.js"
export { bomb as datasetBomb, deflate, deflateBomb, syntaxes, type SyntaxName } from "./fuzz/DataTargets.js"
export { deepEqual } from "./fuzz/Oracle.js"
export {
  type Case,
  type Finding,
  type FindingKind,
  format,
  fromHex,
  hex,
  type Outcome,
  type ProblemKind,
  type Report,
  replay,
  run,
  runOne,
  type RunOptions,
  type Target
} from "./fuzz/Runner.js"

/** Every fuzz target, in a stable order. */
export const targets: ReadonlyArray<Target> = [
  pduDecode,
  pduItems,
  pduFramer,
  commandSet,
  assembler,
  datasetDecode("implicit-le"),
  datasetDecode("explicit-le"),
  datasetDecode("explicit-be"),
  datasetDecode("deflated"),
  part10,
  characterSet,
  transcode
]

/**
 * Targets the CI suite leaves out, run by the script when named (or with --heavy): deflate bombs
 * (hundreds of MiB per input) and the transcoder's differential oracle (open findings, see README).
 */
export const heavyTargets: ReadonlyArray<Target> = [deflateBombTarget, transcodeDifferential]

/** The target of a name (e.g. "pdu.framer"), or undefined. */
export const target = (name: string): Target | undefined => [...targets, ...heavyTargets].find((t) => t.name === name)
