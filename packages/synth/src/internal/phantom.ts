// Pixel phantoms: scenes of ellipses and boxes with additive values, rendered row by row as spans (no per-pixel
// shape tests), plus a low-frequency texture and a little noise, so images look plausible and compress like real
// ones instead of like random bytes. Output: 16-bit unsigned little-endian samples.
import type { Rng } from "./random.js"

export type Shape =
  | { readonly kind: "ellipse"; readonly cx: number; readonly cy: number; readonly rx: number; readonly ry: number; readonly value: number }
  | { readonly kind: "box"; readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number; readonly value: number }

export interface Scene {
  /** Value outside every shape. */
  readonly base: number
  readonly shapes: ReadonlyArray<Shape>
  /** Amplitude of the smooth texture added inside shapes (0 for none). */
  readonly texture: number
  /** Amplitude of the per-pixel noise. */
  readonly noise: number
  /** Stored value = round(value + offset), clamped to [0, max]. */
  readonly offset: number
  readonly max: number
}

/** Renders a scene to rows x columns 16-bit little-endian samples; coordinates are normalized to [-1, 1]. */
export const render = (scene: Scene, rows: number, columns: number, r: Rng): Uint8Array => {
  const out = new Uint8Array(rows * columns * 2)
  const acc = new Float64Array(columns)
  const inside = new Uint8Array(columns)
  const phase = r.range(0, Math.PI * 2)
  const fx = r.range(5, 11)
  const fy = r.range(4, 9)
  const texX = new Float64Array(columns)
  for (let x = 0; x < columns; x++) texX[x] = Math.sin(fx * ((2 * (x + 0.5)) / columns - 1) + phase)
  for (let y = 0; y < rows; y++) {
    const ny = (2 * (y + 0.5)) / rows - 1
    acc.fill(scene.base)
    inside.fill(0)
    for (const s of scene.shapes) {
      let left: number
      let right: number
      if (s.kind === "ellipse") {
        const dy = (ny - s.cy) / s.ry
        if (dy <= -1 || dy >= 1) continue
        const half = s.rx * Math.sqrt(1 - dy * dy)
        left = s.cx - half
        right = s.cx + half
      } else {
        if (ny < s.y0 || ny > s.y1) continue
        left = s.x0
        right = s.x1
      }
      const x0 = Math.max(0, Math.ceil(((left + 1) / 2) * columns - 0.5))
      const x1 = Math.min(columns - 1, Math.floor(((right + 1) / 2) * columns - 0.5))
      for (let x = x0; x <= x1; x++) {
        acc[x] = (acc[x] ?? 0) + s.value
        inside[x] = 1
      }
    }
    const texY = scene.texture * Math.cos(fy * ny)
    const row = y * columns * 2
    for (let x = 0; x < columns; x++) {
      let v = (acc[x] ?? 0) + scene.offset + (r.next() + r.next() - 1) * scene.noise
      if (inside[x] === 1) v += texY * (texX[x] ?? 0)
      const q = v <= 0 ? 0 : v >= scene.max ? scene.max : Math.round(v)
      out[row + 2 * x] = q & 0xff
      out[row + 2 * x + 1] = q >>> 8
    }
  }
  return out
}

const ellipse = (cx: number, cy: number, rx: number, ry: number, value: number): Shape => ({ kind: "ellipse", cx, cy, rx, ry, value })
const box = (x0: number, y0: number, x1: number, y1: number, value: number): Shape => ({ kind: "box", x0, y0, x1, y1, value })

/** Anatomy that varies a little between series (drawn once per series). */
export interface Variation {
  readonly a: number
  readonly b: number
  readonly c: number
}

export const variation = (r: Rng): Variation => ({ a: r.range(0.92, 1.08), b: r.range(0.9, 1.1), c: r.range(-0.05, 0.05) })

/** An axial chest CT slice in HU (stored = HU + 1024, 12 bits); z in [0, 1] runs from the neck to the abdomen. */
export const chestCT = (z: number, v: Variation): Scene => {
  const body = 0.82 + 0.12 * Math.sin(Math.PI * z)
  const lung = Math.max(0, Math.sin(Math.PI * Math.min(1, z * 1.25)))
  const shapes: Array<Shape> = [
    ellipse(v.c, 0, body * v.a, body * 0.7, 900), // fat (-100 HU)
    ellipse(v.c, 0, body * v.a - 0.05, body * 0.7 - 0.05, 140), // soft tissue (+40 HU)
    ellipse(v.c, 0.45 * body * 0.7, 0.07, 0.07, 660), // vertebral body
    ellipse(v.c + 0.06, 0.22, 0.04, 0.04, 120) // aorta
  ]
  if (lung > 0.05) {
    shapes.push(ellipse(v.c - 0.34 * v.a, -0.04, 0.27 * lung, 0.36 * lung * v.b, -880))
    shapes.push(ellipse(v.c + 0.34 * v.a, -0.04, 0.25 * lung, 0.35 * lung * v.b, -880))
    shapes.push(ellipse(v.c + 0.1, 0.06, 0.2 * lung, 0.18 * lung, 20)) // heart
  }
  for (let k = 0; k < 8; k++) {
    const angle = (Math.PI * (k + 0.5)) / 8 + Math.PI
    const rx = (body * v.a - 0.09) * Math.cos(angle)
    const ry = (body * 0.7 - 0.07) * Math.sin(angle)
    if (lung > 0.2) shapes.push(ellipse(v.c + rx, ry, 0.035, 0.025, 600)) // ribs
  }
  return { base: -1000, shapes, texture: 12, noise: 9, offset: 1024, max: 4095 }
}

/** An axial brain MR slice (arbitrary units, 16 bits stored); z in [0, 1] runs from the base to the vertex. */
export const brainMR = (z: number, v: Variation): Scene => {
  const s = Math.sqrt(Math.max(0.05, 1 - (2 * z - 1) ** 2 * 0.8))
  const shapes: Array<Shape> = [
    ellipse(v.c, 0, 0.7 * s * v.a, 0.86 * s, 320), // scalp
    ellipse(v.c, 0, 0.66 * s * v.a, 0.82 * s, -260), // skull
    ellipse(v.c, 0, 0.62 * s * v.a, 0.78 * s, 540), // grey matter
    ellipse(v.c, 0, 0.5 * s * v.a, 0.64 * s, 180) // white matter
  ]
  if (z > 0.35 && z < 0.75) {
    shapes.push(ellipse(v.c - 0.08, -0.05, 0.05 * v.b, 0.22, -520)) // ventricles
    shapes.push(ellipse(v.c + 0.08, -0.05, 0.05 * v.b, 0.22, -520))
  }
  return { base: 0, shapes, texture: 25, noise: 14, offset: 20, max: 65535 }
}

/** A PA chest radiograph (12 bits stored, MONOCHROME2: dense is bright). */
export const chestDX = (v: Variation): Scene => {
  const shapes: Array<Shape> = [
    ellipse(v.c, 0.05, 0.78 * v.a, 0.95, 1500), // body
    ellipse(v.c - 0.36, -0.05, 0.27, 0.52 * v.b, -650), // lungs
    ellipse(v.c + 0.36, -0.05, 0.26, 0.5 * v.b, -650),
    box(v.c - 0.07, -0.95, v.c + 0.07, 0.95, 550), // spine
    ellipse(v.c + 0.08, 0.18, 0.24, 0.22, 420), // heart
    ellipse(v.c - 0.3, -0.62, 0.3, 0.03, 400), // clavicles
    ellipse(v.c + 0.3, -0.62, 0.3, 0.03, 400)
  ]
  for (let k = 0; k < 9; k++) {
    const y = -0.5 + k * 0.11
    shapes.push(ellipse(v.c - 0.36, y, 0.3, 0.018, 260), ellipse(v.c + 0.36, y, 0.3, 0.018, 260)) // ribs
  }
  return { base: 150, shapes, texture: 40, noise: 18, offset: 0, max: 4095 }
}

/** Objects in a bag: boxes and ellipses with a z extent (normalized), for DICOS CT slices and DX projections. */
export interface BagItem {
  readonly shape: Shape
  readonly z0: number
  readonly z1: number
}

/** A bag with clothes, a laptop, bottles and one dense object (the "threat"), drawn once per series. */
export const bag = (r: Rng): { readonly items: ReadonlyArray<BagItem>; readonly threat: Shape; readonly threatZ: readonly [number, number] } => {
  const items: Array<BagItem> = [
    { shape: box(-0.85, -0.6, 0.85, 0.6, 1000), z0: 0.02, z1: 0.98 }, // shell
    { shape: box(-0.8, -0.55, 0.8, 0.55, -950), z0: 0.02, z1: 0.98 } // inside: air
  ]
  for (let k = 0; k < 6; k++) {
    const cx = r.range(-0.55, 0.55)
    const cy = r.range(-0.35, 0.35)
    const z0 = r.range(0.05, 0.6)
    items.push({ shape: ellipse(cx, cy, r.range(0.1, 0.25), r.range(0.06, 0.18), r.range(250, 450)), z0, z1: z0 + r.range(0.15, 0.35) }) // clothes
  }
  items.push({ shape: box(-0.6, -0.45, 0.2, 0.1, 1600), z0: 0.55, z1: 0.62 }) // laptop
  for (let k = 0; k < 2; k++) {
    const cx = r.range(-0.5, 0.5)
    items.push({ shape: ellipse(cx, r.range(-0.3, 0.3), 0.07, 0.07, 1000), z0: 0.1, z1: 0.5 }) // bottles
  }
  const tz0 = r.range(0.2, 0.6)
  const threat = ellipse(r.range(-0.4, 0.4), r.range(-0.25, 0.25), r.range(0.05, 0.1), r.range(0.04, 0.08), 2400)
  items.push({ shape: threat, z0: tz0, z1: tz0 + 0.12 })
  return { items, threat, threatZ: [tz0, tz0 + 0.12] }
}

/** A DICOS CT slice through the bag at z (HU + 1024, 12 bits). */
export const bagCT = (items: ReadonlyArray<BagItem>, z: number): Scene => ({
  base: -1000,
  shapes: items.filter((i) => z >= i.z0 && z <= i.z1).map((i) => i.shape),
  texture: 8,
  noise: 10,
  offset: 1024,
  max: 4095
})

/** A DICOS DX projection of the bag: each item weighted by its thickness (12 bits). */
export const bagDX = (items: ReadonlyArray<BagItem>): Scene => ({
  base: 80,
  shapes: items.map((i): Shape => ({ ...i.shape, value: i.shape.value * (i.z1 - i.z0) * 1.2 })),
  texture: 15,
  noise: 12,
  offset: 0,
  max: 4095
})
