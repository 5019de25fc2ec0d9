/** "(0000,0100)": a tag in PS3.5 notation (kept local so the hot path needs nothing from @dicomnet/data). */
export const tagString = (tag: number): string => {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, "0")
  return `(${hex.slice(0, 4)},${hex.slice(4)})`
}
