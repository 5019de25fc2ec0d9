/**
 * Tag constants by PS3.6 keyword, generated from the standard (scripts/generate-dictionary.mjs):
 * `Tags.PatientName === 0x00100010`. Repeating-group elements are not included (see Dictionary).
 *
 * @since 0.1.0
 */
export { Tags } from "./internal/tags.generated.js"
