/**
 * PDU codec benchmark: P-DATA-TF decode/encode throughput at 16 KB and 1 MB PDUs, framing with
 * and without chunk-spanning copies, and A-ASSOCIATE-RQ decode/encode rates.
 * Run: npx tsc -b packages/pdu && npm run bench -w @dicomnet/pdu   (runs against dist/)
 */
import { Framer, PduCodec } from "@dicomnet/pdu"
import { Result } from "effect"
import { readFileSync } from "node:fs"

/** Best of 3 rounds of 400 ms (the machines are shared and noisy: the best round is the least disturbed). */
const measure = (label: string, bytesPerOp: number, op: () => void): void => {
  for (let i = 0; i < 200; i++) op() // warm-up
  let best = 0
  for (let round = 0; round < 3; round++) {
    let ops = 0
    const start = performance.now()
    let elapsed = 0
    while (elapsed < 400) {
      for (let i = 0; i < 20; i++) op()
      ops += 20
      elapsed = performance.now() - start
    }
    best = Math.max(best, (ops / elapsed) * 1000)
  }
  const rate = bytesPerOp > 0 ? `${((best * bytesPerOp) / 1e9).toFixed(2).padStart(8)} GB/s` : "".padStart(13)
  console.log(`${label.padEnd(58)} ${rate} ${Math.round(best).toLocaleString("en-US").padStart(12)} ops/s`)
}

let sink = 0

for (const size of [16 * 1024, 1024 * 1024]) {
  const data = new Uint8Array(size - 12).fill(0x5a)
  const pdvs = [{ presentationContextId: 1, isCommand: false, isLast: true, data }]
  const bytes = PduCodec.encodePDataTf(pdvs)
  const label = size === 16 * 1024 ? "16 KB" : "1 MB"
  measure(`P-DATA-TF ${label}: decode (zero copy)`, size, () => {
    const r = PduCodec.decode(bytes)
    if (Result.isSuccess(r) && r.success._tag === "PDataTf") sink += r.success.pdvs.length
  })
  measure(`P-DATA-TF ${label}: encode (one contiguous buffer, copies)`, size, () => {
    sink += PduCodec.encodePDataTf(pdvs).length
  })
  measure(`P-DATA-TF ${label}: encodePDataTfParts (zero copy)`, size, () => {
    sink += PduCodec.encodePDataTfParts(pdvs).length
  })
  measure(`P-DATA-TF ${label}: encode + decode`, size, () => {
    const r = PduCodec.decode(PduCodec.encodePDataTf(pdvs))
    if (Result.isSuccess(r)) sink++
  })
  const framer = Framer.make({ maxPduLength: size })
  measure(`P-DATA-TF ${label}: Framer, whole PDU in one chunk`, size, () => {
    const r = framer.push(bytes)
    if (Result.isSuccess(r)) sink += r.success.length
  })
  const chunk = 64 * 1024
  const pieces: Array<Uint8Array> = []
  // Chunks of 64 KiB shifted by 1 byte so PDUs straddle chunk boundaries (the copying path).
  const stream = new Uint8Array(bytes.length * 8 + 1)
  for (let i = 0; i < 8; i++) stream.set(bytes, 1 + i * bytes.length)
  stream[0] = 0
  const framed = stream.subarray(1)
  for (let at = 0; at < framed.length; at += chunk - 1) pieces.push(framed.subarray(at, at + chunk - 1))
  const spanning = Framer.make({ maxPduLength: size })
  measure(`P-DATA-TF ${label}: Framer, 64 KiB-1 chunks (spanning copies)`, framed.length, () => {
    for (const p of pieces) {
      const r = spanning.push(p)
      if (Result.isSuccess(r)) sink += r.success.length
    }
  })
}

for (const name of ["echoscu.bin", "storescu-all-user-identity.bin"]) {
  const bytes = new Uint8Array(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url)))
  const pdu = PduCodec.decode(bytes).pipe(Result.getOrThrow)
  const contexts = pdu._tag === "AAssociateRq" ? pdu.presentationContexts.length : 0
  measure(`A-ASSOCIATE-RQ ${bytes.length} B, ${contexts} contexts: decode`, 0, () => {
    if (Result.isSuccess(PduCodec.decode(bytes))) sink++
  })
  measure(`A-ASSOCIATE-RQ ${bytes.length} B, ${contexts} contexts: encode`, 0, () => {
    sink += PduCodec.encode(pdu).length
  })
}

if (sink === -1) console.log("unreachable")
