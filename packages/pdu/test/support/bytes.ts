/** A tiny independent byte builder for hand-written PDU vectors (no code under test involved). */
export const ascii = (s: string): Array<number> => [...s].map((c) => c.charCodeAt(0))
export const u16 = (n: number): Array<number> => [(n >>> 8) & 0xff, n & 0xff]
export const u32 = (n: number): Array<number> => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
/** An item or sub-item: type, reserved 00H, 16-bit length, body. */
export const item = (itemType: number, ...body: ReadonlyArray<ReadonlyArray<number>>): Array<number> => {
  const flat = body.flat()
  return [itemType, 0, ...u16(flat.length), ...flat]
}
/** A 16-byte AE title field padded with spaces. */
export const ae = (s: string): Array<number> => [...ascii(s), ...Array<number>(16 - s.length).fill(0x20)]
export const zeros = (n: number): Array<number> => Array<number>(n).fill(0)
/** A whole PDU: type, reserved, 32-bit length, body. */
export const pdu = (pduType: number, ...body: ReadonlyArray<ReadonlyArray<number>>): Uint8Array => {
  const flat = body.flat()
  return Uint8Array.from([pduType, 0, ...u32(flat.length), ...flat])
}
