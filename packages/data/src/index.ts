export * as Tag from "./Tag.js"
export * as VR from "./VR.js"
