/**
 * DICOM data element tags (PS3.5 §7.1): a group number and an element number, packed into one
 * unsigned 32-bit integer `group * 0x10000 + element` so that tags compare and sort as plain numbers.
 *
 * @since 0.1.0
 */

/**
 * An attribute tag as an unsigned 32-bit integer (always `>>> 0`).
 *
 * @since 0.1.0
 * @category models
 */
export type Tag = number

/**
 * Item (FFFE,E000) — PS3.5 §7.5.
 *
 * @since 0.1.0
 * @category constants
 */
export const Item: Tag = 0xfffee000

/**
 * Item Delimitation Item (FFFE,E00D) — PS3.5 §7.5.
 *
 * @since 0.1.0
 * @category constants
 */
export const ItemDelimitationItem: Tag = 0xfffee00d

/**
 * Sequence Delimitation Item (FFFE,E0DD) — PS3.5 §7.5.
 *
 * @since 0.1.0
 * @category constants
 */
export const SequenceDelimitationItem: Tag = 0xfffee0dd

/**
 * Pixel Data (7FE0,0010).
 *
 * @since 0.1.0
 * @category constants
 */
export const PixelData: Tag = 0x7fe00010

/**
 * Builds a tag from its group and element numbers (each taken modulo 2^16).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (group: number, element: number): Tag => (((group & 0xffff) << 16) | (element & 0xffff)) >>> 0

/**
 * The group number of a tag.
 *
 * @since 0.1.0
 * @category accessors
 */
export const group = (tag: Tag): number => tag >>> 16

/**
 * The element number of a tag.
 *
 * @since 0.1.0
 * @category accessors
 */
export const element = (tag: Tag): number => tag & 0xffff

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, "0")

/**
 * Renders a tag as in the standard: "(0010,0010)".
 *
 * @since 0.1.0
 * @category formatting
 */
const format = (tag: Tag): string => `(${hex4(tag >>> 16)},${hex4(tag & 0xffff)})`
// Exported under the standard name `toString` without shadowing Object.prototype.toString locally.
export { format as toString }

/**
 * Renders a tag as eight upper-case hex digits: "00100010".
 *
 * @since 0.1.0
 * @category formatting
 */
export const toHex = (tag: Tag): string => (tag >>> 0).toString(16).toUpperCase().padStart(8, "0")

const pattern = /^\(?([0-9a-f]{4}),?([0-9a-f]{4})\)?$/i

/**
 * Parses "0010,0010", "(0010,0010)" or "00100010" (case-insensitive); undefined when malformed.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (s: string): Tag | undefined => {
  const text = s.trim()
  const match = pattern.exec(text)
  if (match === null) return undefined
  // Reject unbalanced parentheses such as "(00100010".
  if (text.startsWith("(") !== text.endsWith(")")) return undefined
  const g = match[1]
  const e = match[2]
  if (g === undefined || e === undefined) return undefined
  return make(Number.parseInt(g, 16), Number.parseInt(e, 16))
}

/**
 * True for a private tag: an odd group other than 0001, 0003, 0005, 0007 and FFFF (PS3.5 §7.8.1).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isPrivate = (tag: Tag): boolean => {
  const g = tag >>> 16
  return (g & 1) === 1 && g > 0x0007 && g !== 0xffff
}

/**
 * True for a private creator element (gggg,0010-00FF) in a private group (PS3.5 §7.8.1).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isPrivateCreator = (tag: Tag): boolean => {
  const e = tag & 0xffff
  return isPrivate(tag) && e >= 0x0010 && e <= 0x00ff
}

/**
 * True for a group length element (gggg,0000) (PS3.5 §7.2).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isGroupLength = (tag: Tag): boolean => (tag & 0xffff) === 0
