/** Helpers shared by the targets' oracles: structural equality, outcome builders. */
import type { Outcome, ProblemKind } from "./Runner.js"

/** Structural equality over plain values, arrays and byte arrays (a missing key equals `undefined`). */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) if (!deepEqual(x[k], y[k])) return false
  return true
}

/** A short JSON rendering (byte arrays as hex) for oracle messages. */
export const show = (v: unknown, max = 600): string => {
  const s = JSON.stringify(v, (_k, x: unknown) =>
    x instanceof Uint8Array ? `<${Array.from(x.subarray(0, 32), (b) => b.toString(16).padStart(2, "0")).join("")}${x.length > 32 ? "..." : ""}>` : typeof x === "bigint" ? String(x) : x
  )
  return s === undefined ? String(v) : s.length > max ? `${s.slice(0, max)}...` : s
}

/** Concatenates byte arrays. */
/** The outcome "returned a value". */
export const value: Outcome = { _tag: "Value" }

/** The outcome "returned a typed failure". */
export const failure = (error: string): Outcome => ({ _tag: "Failure", error })

/** The outcome "broke an oracle". */
export const problem = (kind: ProblemKind, detail: string): Outcome => ({ _tag: "Problem", kind, detail })

/** A typed failure if `error` is one of `classes`, else an "Untyped" problem. */
export const typed = (error: unknown, classes: ReadonlyArray<abstract new (...args: never) => unknown>): Outcome => {
  for (const c of classes) if (error instanceof c) return failure(error instanceof Error ? `${(error as { _tag?: string })._tag ?? error.name}: ${error.message}` : String(error))
  return problem("Untyped", `failure is not a typed error: ${show(error)}`)
}
