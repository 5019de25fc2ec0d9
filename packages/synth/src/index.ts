export * as Synth from "./Synth.js"
export type { Modality, SynthOptions, SynthFile, SynthInstance } from "./Synth.js"
