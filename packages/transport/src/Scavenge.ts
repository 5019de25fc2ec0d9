/**
 * Young-generation collections by bytes. V8 starts a scavenge when its young generation fills with JavaScript
 * objects, not by the memory their ArrayBuffers hold outside the heap: a socket chunk or a file step of a transfer
 * (64-512 KiB) costs the heap a few hundred bytes, so tens of MiB of dead buffers wait for the next scavenge or for
 * a full collection. Code that allocates such a buffer, one that is garbage once passed on, reports its size with
 * `allocated`; after every `every` bytes (4 MiB) of them the process asks the engine for a young collection, when
 * it exposes one (`globalThis.gc`, Node started with `--expose-gc`, as the dicomnet launcher does). Otherwise
 * nothing happens. Buffers that are reused (a sender's read-ahead) must not be reported: collecting does not free
 * them and costs the live objects a copy.
 *
 * @since 0.1.0
 */

/**
 * Bytes of reported buffers between two collections of the process-wide counter.
 *
 * @since 0.1.0
 * @category constants
 */
export const every = 4 * 1024 * 1024

/**
 * A counter of reported bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Counter {
  /** Reports a buffer of `bytes` that is garbage once passed on; collects (once) when the step is reached. */
  readonly allocated: (bytes: number) => void
}

type Collect = (options: { readonly type: "minor" }) => void

/** The engine's `gc` function, if exposed. */
const exposed = (): Collect | undefined => {
  const gc = (globalThis as { readonly gc?: unknown }).gc
  return typeof gc === "function" ? (gc as Collect) : undefined
}

/**
 * A counter that asks `collect` (default: the engine's `gc`, looked up when the step is reached) for a young
 * collection after every `step` bytes reported.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (step: number, collect: () => Collect | undefined = exposed): Counter => {
  let since = 0
  return {
    allocated: (bytes) => {
      since += bytes
      if (since < step) return
      // The remainder counts towards the next one (steps a little under `step` would otherwise count double).
      since %= step
      collect()?.({ type: "minor" })
    }
  }
}

const processWide = make(every)

/**
 * Reports to the process-wide counter a buffer of `bytes` that is garbage once passed on (a socket chunk, a file
 * step read for sending).
 *
 * @since 0.1.0
 * @category reporting
 */
export const allocated: (bytes: number) => void = processWide.allocated
