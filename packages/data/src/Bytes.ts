/**
 * Byte buffers held as lists of chunks (received fragments, encoder outputs).
 *
 * @since 0.1.0
 */

/**
 * One buffer holding `chunks` in order. A single chunk is returned as it is (no copy); pass `length` when
 * the total is already known.
 *
 * @since 0.1.0
 * @category constructors
 */
export const concat = (chunks: ReadonlyArray<Uint8Array>, length?: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  let total = length
  if (total === undefined) {
    total = 0
    for (const c of chunks) total += c.byteLength
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
