/**
 * Generator benchmark: milliseconds and megabytes per default 512x512 CT file, plain and deflated.
 * Run: npx tsc -b packages/synth && npm run bench -w @dicomnet/synth   (runs against dist/)
 */
import { Synth } from "@dicomnet/synth"

for (const transferSyntax of ["ExplicitVRLittleEndian", "DeflatedExplicitVRLittleEndian"]) {
  let files = 0
  let bytes = 0
  const t0 = performance.now()
  for (const f of Synth.generate({ instancesPerSeries: 20, transferSyntax })) {
    files++
    bytes += f.bytes.length
  }
  const ms = performance.now() - t0
  console.log(`${transferSyntax}: ${files} files, ${(bytes / files / 1e6).toFixed(3)} MB per file, ${(ms / files).toFixed(1)} ms per file`)
}
