// Benchmarks for @dicomnet/dimse. Run with `npm run bench` in packages/dimse (Node 24 strips the types);
// it imports the built package, so build first: `npx tsc -b packages/dimse` from the repository root.
import { Assembler, Command, CommandSet, Fragmenter, MessageStream } from "@dicomnet/dimse"
import { Effect, Result, Stream } from "effect"

const median = (xs: Array<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

const measure = (label: string, unit: string, perRun: number, runs: number, body: () => void): void => {
  body() // warm-up
  const rates: Array<number> = []
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    body()
    rates.push(perRun / ((performance.now() - t0) / 1000))
  }
  console.log(`${label.padEnd(58)} ${median(rates).toFixed(0).padStart(12)} ${unit} (median of ${runs})`)
}

const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(String(r.failure))
  return r.success
}

// --- command sets -----------------------------------------------------------------------------------------
const storeRq = Command.cStoreRq({
  messageId: 42,
  affectedSopClassUid: "1.2.840.10008.5.1.4.1.1.2",
  affectedSopInstanceUid: "1.2.826.0.1.3680043.8.498.12345678901234567890123456789",
  priority: 0
})
const storeRsp = Command.cStoreRsp({
  messageIdBeingRespondedTo: 42,
  status: 0,
  affectedSopClassUid: storeRq.affectedSopClassUid,
  affectedSopInstanceUid: storeRq.affectedSopInstanceUid
})
const N = 200_000
let sink = 0
for (const [name, command] of [["C-STORE-RQ", storeRq], ["C-STORE-RSP", storeRsp]] as const) {
  const bytes = unwrap(CommandSet.encode(command))
  measure(`CommandSet.encode ${name} (${bytes.byteLength} B)`, "ops/s", N, 7, () => {
    for (let i = 0; i < N; i++) sink += unwrap(CommandSet.encode(command)).byteLength
  })
  measure(`CommandSet.decode ${name}`, "ops/s", N, 7, () => {
    for (let i = 0; i < N; i++) sink += unwrap(CommandSet.decode(bytes))._tag.length
  })
  measure(`CommandSet.encode + decode ${name}`, "ops/s", N, 7, () => {
    for (let i = 0; i < N; i++) sink += unwrap(CommandSet.decode(unwrap(CommandSet.encode(command))))._tag.length
  })
}

// --- fragmenter + assembler ----------------------------------------------------------------------------------
const dataset = new Uint8Array(512 * 1024)
for (let i = 0; i < dataset.length; i++) dataset[i] = i & 0xff
const command = unwrap(CommandSet.encode(storeRq))
const M = 400
for (const maxPduLength of [16384, 262144]) {
  const options = { presentationContextId: 1, maxPduLength }
  const pdus = Fragmenter.fragment(options, command, dataset).length
  measure(`Fragmenter.fragment 512 KiB @ max PDU ${maxPduLength} (${pdus} PDUs)`, "MB/s", (M * dataset.length) / 1e6, 5, () => {
    for (let i = 0; i < M; i++) sink += Fragmenter.fragment(options, command, dataset).length
  })
  measure(`fragment + Assembler 512 KiB @ max PDU ${maxPduLength}`, "MB/s", (M * dataset.length) / 1e6, 5, () => {
    for (let i = 0; i < M; i++) {
      const assembler = Assembler.make()
      for (const pdu of Fragmenter.fragment(options, command, dataset)) {
        for (const event of unwrap(assembler.feedPDataTf(pdu))) if (event._tag === "Data") sink += event.data.byteLength
      }
    }
  })
  measure(`fragment + Assembler 512 KiB @ ${maxPduLength}`, "msgs/s", M, 5, () => {
    for (let i = 0; i < M; i++) {
      const assembler = Assembler.make()
      for (const pdu of Fragmenter.fragment(options, command, dataset)) sink += unwrap(assembler.feedPDataTf(pdu)).length
    }
  })
}

// --- the same through the Effect Stream adapters -------------------------------------------------------------
const chunks = Array.from({ length: 8 }, (_, i) => dataset.subarray(i * 65536, (i + 1) * 65536))
for (const maxPduLength of [16384, 262144]) {
  const options = { presentationContextId: 1, maxPduLength }
  const S = 100
  const program = Effect.gen(function* () {
    for (let i = 0; i < S; i++) {
      const pdus = Fragmenter.stream(options, command, Stream.fromIterable(chunks))
      sink += yield* Stream.runCount(MessageStream.events(MessageStream.pdvs(pdus)))
    }
  })
  measure(`Fragmenter.stream + MessageStream.events 512 KiB (64 KiB chunks) @ ${maxPduLength}`, "MB/s", (S * dataset.length) / 1e6, 5, () => {
    Effect.runSync(program)
  })
}
if (sink === 42) console.log("")
