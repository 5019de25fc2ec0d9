// DIMSE over a real association with DCMTK 3.6.7: our Assembler reads what echoscu/storescu send, DCMTK reads
// what our Fragmenter sends (storescp). The association itself is a minimal test-only exchange built on
// @dicomnet/pdu (this package does not own association logic). Fails (never skips) without DCMTK.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { createConnection, createServer, type Socket } from "node:net"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Assembler, Command, Fragmenter } from "@dicomnet/dimse"
import { Framer, type Pdu, PduCodec } from "@dicomnet/pdu"
import { Dcmtk } from "@dicomnet/testkit"
import { Result } from "effect"
import { ok } from "./helpers.js"

const tmp = Dcmtk.tempDir("dimse-net-")
afterAll(() => tmp.cleanup())

const ExplicitVRLittleEndian = "1.2.840.10008.1.2.1"
const ImplicitVRLittleEndian = "1.2.840.10008.1.2"
const SecondaryCapture = "1.2.840.10008.5.1.4.1.1.7"
const applicationContext = "1.2.840.10008.3.1.1.1"

// --- a tiny Part 10 writer for the test file (Explicit VR Little Endian) ----------------------------------
const element = (group: number, el: number, vr: string, value: Uint8Array): Uint8Array => {
  const long = vr === "OB" || vr === "OW" || vr === "UN" || vr === "SQ" || vr === "UT"
  const padded = value.byteLength % 2 === 0 ? value : Uint8Array.from([...value, vr === "UI" || vr === "OB" ? 0 : 0x20])
  const head = new Uint8Array(long ? 12 : 8)
  const v = new DataView(head.buffer)
  v.setUint16(0, group, true)
  v.setUint16(2, el, true)
  head[4] = vr.charCodeAt(0)
  head[5] = vr.charCodeAt(1)
  if (long) v.setUint32(8, padded.byteLength, true)
  else v.setUint16(6, padded.byteLength, true)
  return Uint8Array.from([...head, ...padded])
}
const text = (s: string) => new TextEncoder().encode(s)
const join2 = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.byteLength
  }
  return out
}
const makeFile = (instanceUid: string, pixelBytes: number): { file: Uint8Array; dataset: Uint8Array } => {
  const pixels = Uint8Array.from({ length: pixelBytes }, (_, i) => (i * 7) & 0xff)
  const dataset = join2([
    element(0x0008, 0x0016, "UI", text(SecondaryCapture)),
    element(0x0008, 0x0018, "UI", text(instanceUid)),
    element(0x0010, 0x0010, "PN", text("Test^Dimse")),
    element(0x7fe0, 0x0010, "OB", pixels)
  ])
  const metaBody = join2([
    element(0x0002, 0x0001, "OB", Uint8Array.of(0, 1)),
    element(0x0002, 0x0002, "UI", text(SecondaryCapture)),
    element(0x0002, 0x0003, "UI", text(instanceUid)),
    element(0x0002, 0x0010, "UI", text(ExplicitVRLittleEndian)),
    element(0x0002, 0x0012, "UI", text("2.25.1"))
  ])
  const groupLength = new Uint8Array(4)
  new DataView(groupLength.buffer).setUint32(0, metaBody.byteLength, true)
  const file = join2([new Uint8Array(128), text("DICM"), element(0x0002, 0x0000, "UL", groupLength), metaBody, dataset])
  return { file, dataset }
}

const userInformation = (maxLength: number): Pdu.UserInformation => ({
  maxLength,
  implementationClassUid: "2.25.1",
  implementationVersionName: "DIMSE_TEST",
  roleSelections: [],
  extendedNegotiations: [],
  commonExtendedNegotiations: [],
  unknownItems: []
})

const write = (socket: Socket, pdu: Pdu.Pdu) => socket.write(PduCodec.encode(pdu))

interface Received {
  readonly commands: Array<Command.DimseCommand>
  readonly datasets: Array<Uint8Array>
  readonly errors: Array<string>
  pDataTfCount: number
}

// A minimal SCP: accepts every presentation context with its first transfer syntax, answers every request
// with success through Command.responseTo + Fragmenter, and records commands and data sets.
const startScp = async (maxPduLength: number) => {
  const received: Received = { commands: [], datasets: [], errors: [], pDataTfCount: 0 }
  const server = createServer((socket) => {
    const framer = Framer.make({ maxPduLength })
    const assembler = Assembler.make()
    let peerMax = 0
    let data: Array<Uint8Array> = []
    socket.on("data", (chunk: Buffer) => {
      const pdus = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      if (Result.isFailure(pdus)) {
        received.errors.push(pdus.failure.message)
        socket.destroy()
        return
      }
      for (const pdu of pdus.success) {
        if (pdu._tag === "AAssociateRq") {
          peerMax = pdu.userInformation.maxLength
          write(socket, {
            _tag: "AAssociateAc",
            protocolVersion: 1,
            calledAeTitle: pdu.calledAeTitle,
            callingAeTitle: pdu.callingAeTitle,
            applicationContextName: applicationContext,
            presentationContexts: pdu.presentationContexts.map((pc) => ({
              presentationContextId: pc.presentationContextId,
              result: 0 as const,
              transferSyntax: pc.transferSyntaxes[0] ?? ImplicitVRLittleEndian
            })),
            userInformation: userInformation(maxPduLength)
          })
        } else if (pdu._tag === "PDataTf") {
          received.pDataTfCount++
          const events = assembler.feedPDataTf(pdu)
          if (Result.isFailure(events)) {
            received.errors.push(events.failure.message)
            socket.destroy()
            return
          }
          for (const event of events.success) {
            if (event._tag === "Data") data.push(event.data.slice()) // the chunk's buffer is Node's: keep a copy
            if (event._tag !== "MessageComplete") continue
            const rq = event.command
            received.commands.push(rq)
            if (rq.hasDataset) received.datasets.push(join2(data))
            data = []
            if (rq._tag === "CEchoRq" || rq._tag === "CStoreRq") {
              const pdus = ok(Fragmenter.message({ presentationContextId: event.presentationContextId, maxPduLength: peerMax }, Command.responseTo(rq, 0)))
              for (const p of pdus) write(socket, p)
            }
          }
        } else if (pdu._tag === "AReleaseRq") {
          write(socket, { _tag: "AReleaseRp" })
          socket.end()
        }
      }
    })
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

describe("DIMSE with DCMTK 3.6.7 peers over TCP", () => {
  it("echoscu's C-ECHO-RQ is assembled and our C-ECHO-RSP accepted (echoscu exits 0)", async () => {
    const scp = await startScp(16384)
    try {
      const result = await Dcmtk.run("echoscu", ["-aec", "DIMSE", "127.0.0.1", String(scp.port)])
      expect(result.code, result.stdout + result.stderr).toBe(0)
      expect(scp.received.errors).toEqual([])
      expect(scp.received.commands).toEqual([
        { _tag: "CEchoRq", affectedSopClassUid: "1.2.840.10008.1.1", messageId: expect.any(Number), hasDataset: false }
      ])
    } finally {
      await scp.close()
    }
  })

  it("storescu's C-STORE of a 300 kB object is reassembled byte for byte from 16 kB PDUs", async () => {
    const { file, dataset } = makeFile("1.2.3.4.5.6", 300_000)
    const path = join(tmp.path, "sc.dcm")
    writeFileSync(path, file)
    const scp = await startScp(16384)
    try {
      const result = await Dcmtk.run("storescu", ["-aec", "DIMSE", "-xe", "127.0.0.1", String(scp.port), path])
      expect(result.code, result.stdout + result.stderr).toBe(0)
      expect(scp.received.errors).toEqual([])
      expect(scp.received.commands).toMatchObject([{ _tag: "CStoreRq", affectedSopClassUid: SecondaryCapture, affectedSopInstanceUid: "1.2.3.4.5.6", hasDataset: true }])
      expect(Buffer.from(scp.received.datasets[0] ?? new Uint8Array(0)).equals(Buffer.from(dataset))).toBe(true)
      expect(scp.received.pDataTfCount).toBeGreaterThan(300_000 / 16384) // DCMTK honoured our 16 kB maximum
    } finally {
      await scp.close()
    }
  })

  it("storescp accepts our C-STORE-RQ sent through the Fragmenter (command packed with data, 16 kB PDUs)", async () => {
    const port = await Dcmtk.freePort()
    const out = join(tmp.path, "received")
    mkdirSync(out)
    const peer = Dcmtk.start("storescp", ["-od", out, "-aet", "STORESCP", "-pm", "+xe", String(port)])
    try {
      await Dcmtk.waitForPort(port)
      const { dataset } = makeFile("1.2.3.4.5.7", 200_001 + 1)
      const replies = await associateAndSend(port, dataset)
      expect(replies.map((c) => c._tag)).toEqual(["CStoreRsp"])
      expect(replies[0]).toMatchObject({ status: 0, messageIdBeingRespondedTo: 77, affectedSopInstanceUid: "1.2.3.4.5.7" })
      const files = readdirSync(out)
      expect(files).toHaveLength(1)
      const stored = readFileSync(join(out, files[0] as string))
      // storescp writes the meta header, then the data set exactly as received.
      expect(Buffer.from(stored.subarray(stored.byteLength - dataset.byteLength)).equals(Buffer.from(dataset))).toBe(true)
    } finally {
      await peer.stop()
    }
  })
})

// A minimal SCU: A-ASSOCIATE-RQ with one presentation context, one C-STORE-RQ, release; returns the responses.
const associateAndSend = (port: number, dataset: Uint8Array): Promise<Array<Command.DimseCommand>> =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" })
    const framer = Framer.make({ maxPduLength: 16384 })
    const assembler = Assembler.make()
    const replies: Array<Command.DimseCommand> = []
    socket.on("connect", () => {
      write(socket, {
        _tag: "AAssociateRq",
        protocolVersion: 1,
        calledAeTitle: "STORESCP",
        callingAeTitle: "DIMSE",
        applicationContextName: applicationContext,
        presentationContexts: [{ presentationContextId: 1, abstractSyntax: SecondaryCapture, transferSyntaxes: [ExplicitVRLittleEndian] }],
        userInformation: userInformation(16384)
      })
    })
    socket.on("data", (chunk: Buffer) => {
      const pdus = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      if (Result.isFailure(pdus)) return reject(pdus.failure)
      for (const pdu of pdus.success) {
        if (pdu._tag === "AAssociateAc") {
          const rq = Command.cStoreRq({ messageId: 77, affectedSopClassUid: SecondaryCapture, affectedSopInstanceUid: "1.2.3.4.5.7", priority: 0 })
          const options = { presentationContextId: 1, maxPduLength: pdu.userInformation.maxLength }
          for (const p of ok(Fragmenter.message(options, rq, dataset))) write(socket, p)
        } else if (pdu._tag === "PDataTf") {
          const events = assembler.feedPDataTf(pdu)
          if (Result.isFailure(events)) return reject(events.failure)
          for (const e of events.success) {
            if (e._tag === "MessageComplete") {
              replies.push(e.command)
              write(socket, { _tag: "AReleaseRq" })
            }
          }
        } else if (pdu._tag === "AReleaseRp") {
          socket.end()
          resolve(replies)
        } else {
          reject(new Error(`unexpected ${pdu._tag}`))
        }
      }
    })
    socket.on("error", reject)
  })
