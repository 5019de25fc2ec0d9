/**
 * Real-peer helpers for golden vectors: a recording TCP server that captures the A-ASSOCIATE-RQ a
 * DCMTK SCU sends, and a raw client that talks to a DCMTK SCP PDU by PDU and records its answers.
 * Framing here is deliberately independent of the code under test (plain length arithmetic).
 */
import { Dcmtk } from "@dicomnet/testkit"
import { createServer, Socket } from "node:net"

/** A-ASSOCIATE-RJ (permanent, service-user, no reason): what the recorder answers after capturing. */
const rejectBytes = Uint8Array.of(0x03, 0, 0, 0, 0, 4, 0, 1, 1, 1)

/** Reads whole PDUs off a socket, one `next()` at a time. */
const pduReader = (socket: Socket) => {
  let buffer = Buffer.alloc(0)
  let closed = false
  let wake: (() => void) | undefined
  socket.on("data", (b: Buffer) => {
    buffer = Buffer.concat([buffer, b])
    wake?.()
  })
  socket.on("close", () => {
    closed = true
    wake?.()
  })
  socket.on("error", () => {
    closed = true
    wake?.()
  })
  const take = (): Uint8Array | undefined => {
    if (buffer.length < 6) return undefined
    const size = 6 + buffer.readUInt32BE(2)
    if (buffer.length < size) return undefined
    const pdu = new Uint8Array(buffer.subarray(0, size))
    buffer = buffer.subarray(size)
    return pdu
  }
  /** The next whole PDU, or undefined once the peer closed without sending one. */
  const next = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      const pdu = take()
      if (pdu !== undefined) return pdu
      if (closed) return undefined
      await new Promise<void>((resolve) => {
        wake = resolve
      })
      wake = undefined
    }
  }
  return { next, isClosed: () => closed }
}

/**
 * Runs a DCMTK SCU against a recording server and returns the A-ASSOCIATE-RQ it sent (the server
 * then rejects the association, so the tool exits right away).
 */
export const captureAssociateRq = async (tool: string, args: (port: number) => ReadonlyArray<string>): Promise<Uint8Array> => {
  Dcmtk.requireTool(tool)
  let resolveRq: (bytes: Uint8Array) => void = () => {}
  const captured = new Promise<Uint8Array>((resolve) => {
    resolveRq = resolve
  })
  const server = createServer((socket) => {
    const reader = pduReader(socket)
    void reader.next().then((rq) => {
      if (rq !== undefined) resolveRq(rq)
      socket.end(rejectBytes)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  try {
    const run = Dcmtk.run(tool, args(port), { timeoutMs: 20_000 })
    const result = await Promise.race([captured, run.then((r) => r)])
    if (!(result instanceof Uint8Array)) throw new Error(`${tool} exited without sending an A-ASSOCIATE-RQ:\n${result.stdout}${result.stderr}`)
    await run
    return result
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** A raw conversation with a server: send bytes, receive whole PDUs. */
export interface Conversation {
  readonly send: (bytes: Uint8Array) => void
  /** The next PDU, or undefined when the peer closed the connection. */
  readonly receive: () => Promise<Uint8Array | undefined>
  readonly close: () => void
}

/** Opens a TCP connection to 127.0.0.1:port. */
export const connect = (port: number): Promise<Conversation> =>
  new Promise((resolve, reject) => {
    const socket = new Socket()
    socket.setNoDelay(true)
    const reader = pduReader(socket)
    socket.once("error", reject)
    socket.connect(port, "127.0.0.1", () =>
      resolve({
        send: (bytes) => socket.write(bytes),
        receive: reader.next,
        close: () => socket.destroy()
      })
    )
  })

/** Starts a DCMTK SCP on a free port and waits until it listens. */
export const startScp = async (tool: string, args: (port: number) => ReadonlyArray<string>, cwd?: string) => {
  const port = await Dcmtk.freePort()
  const peer = Dcmtk.start(tool, args(port), cwd === undefined ? {} : { cwd })
  await Dcmtk.waitForPort(port)
  return { port, peer }
}
