// A small seeded generator of data sets for round-trip properties (mulberry32: the same seed, the same data set).
import { Dataset } from "../../src/Dataset.js"
import * as Dictionary from "../../src/Dictionary.js"
import type { Element } from "../../src/Element.js"
import * as VRs from "../../src/VR.js"
import type { VR } from "../../src/VR.js"

export interface Rng {
  readonly next: () => number
  readonly int: (n: number) => number
  readonly pick: <A>(xs: ReadonlyArray<A>) => A
}

export const rng = (seed: number): Rng => {
  let s = seed >>> 0
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return { next, int, pick: (xs) => xs[int(xs.length)] as (typeof xs)[number] }
}

// Public tags whose implicit-VR VR (the dictionary's first) is what we generate, so all syntaxes agree.
const publicTags: ReadonlyArray<number> = [...Dictionary.entries()]
  .map((e) => e.tag)
  .filter((t) => {
    const g = t >>> 16
    return g !== 0x0002 && g !== 0xfffe && g < 0x7fe0 && t !== 0x00080005 && (t & 0xffff) !== 0
  })
const sequenceTags = publicTags.filter((t) => Dictionary.vrOf(t) === "SQ")
const plainTags = publicTags.filter((t) => Dictionary.vrOf(t) !== "SQ" && Dictionary.vrOf(t) !== "UN")

const textChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ^.-"

const value = (r: Rng, vr: VR): Uint8Array => {
  const info = VRs.info(vr)
  if (info.kind === "string") {
    const n = r.int(Math.min(info.maxLength ?? 40, 40) + 1)
    const bytes = new Uint8Array(n + (n & 1))
    for (let i = 0; i < n; i++) bytes[i] = textChars.charCodeAt(r.int(textChars.length))
    if (n & 1) bytes[n] = info.padByte
    return bytes
  }
  const unit = vr === "AT" ? 4 : Math.max(2, info.bytesPerValue)
  const n = r.int(5) * unit
  const bytes = new Uint8Array(n)
  for (let i = 0; i < n; i++) bytes[i] = r.int(256)
  return bytes
}

export interface GenerateOptions {
  /** Allow explicit-VR-only content: private elements with any VR, UN sequences, OB fragments. */
  readonly explicit: boolean
  readonly maxElements?: number
  readonly maxDepth?: number
}

const privateVRs: ReadonlyArray<VR> = VRs.all.filter((v) => v !== "SQ")

export const dataset = (r: Rng, options: GenerateOptions, depth = 0): Dataset => {
  const elements = new Map<number, Element>()
  const count = r.int(options.maxElements ?? 12)
  for (let i = 0; i < count; i++) {
    const roll = r.next()
    if (roll < 0.15 && depth < (options.maxDepth ?? 3)) {
      const tag = r.pick(sequenceTags)
      const items = Array.from({ length: r.int(4) }, () =>
        Dataset.make(dataset(r, options, depth + 1).elements(), { undefinedLength: r.next() < 0.5 })
      )
      elements.set(tag, r.next() < 0.5 ? { _tag: "Sequence", tag, vr: "SQ", items, undefinedLength: true } : { _tag: "Sequence", tag, vr: "SQ", items })
    } else if (roll < 0.25) {
      const tag = (((0x0009 + 2 * r.int(8)) << 16) | (0x1000 + r.int(0x100))) >>> 0
      if (options.explicit && r.next() < 0.2 && depth < (options.maxDepth ?? 3)) {
        // A UN element of undefined length holding items in Implicit VR LE (PS3.5 §6.2.2).
        const inner = { ...options, explicit: false }
        const items = Array.from({ length: 1 + r.int(2) }, () => Dataset.make(dataset(r, inner, depth + 1).elements(), { undefinedLength: true }))
        elements.set(tag, { _tag: "Sequence", tag, vr: "SQ", items, undefinedLength: true, encodedAsUN: true })
      } else {
        const vr = options.explicit ? r.pick(privateVRs) : "UN"
        elements.set(tag, { _tag: "Primitive", tag, vr, bytes: value(r, vr) })
      }
    } else {
      const tag = r.pick(plainTags)
      const vr = Dictionary.vrOf(tag)
      elements.set(tag, { _tag: "Primitive", tag, vr, bytes: value(r, vr) })
    }
  }
  if (depth === 0 && r.next() < 0.3) {
    const tag = 0x7fe00010
    if (r.next() < 0.5) {
      const fragments = Array.from({ length: 1 + r.int(3) }, () => value(r, "OB"))
      elements.set(tag, { _tag: "Fragments", tag, vr: options.explicit ? "OB" : "OW", offsetTable: value(r, "UL"), fragments })
    } else {
      elements.set(tag, { _tag: "Primitive", tag, vr: "OW", bytes: value(r, "OW") })
    }
  }
  return Dataset.make(elements.values())
}
