/**
 * A raw TCP peer on `node:net` for hostile-input tests: writes whatever bytes it is told, reads
 * whole PDUs by their 6-byte header, and reports how the server ended the connection (FIN, reset
 * or still open when the wait ran out). Every wait is bounded; nothing here retries or sleeps.
 */
import { connect, type Socket } from "node:net"

/** Where the server listens (loopback in tests). */
export interface Target {
  readonly host: string
  readonly port: number
}

/** How a connection ended, seen from the peer. */
export type Ending = "fin" | "reset" | "open"

/** A PDU read raw: its type, its announced length and its body (the variable field). */
export interface RawPdu {
  readonly pduType: number
  readonly length: number
  readonly body: Uint8Array
}

/** A raw connection to a server. */
export interface RawPeer {
  readonly socket: Socket
  /** Writes bytes; resolves once handed to the kernel (false when the socket is already gone). */
  readonly write: (bytes: Uint8Array) => Promise<boolean>
  /** The next whole PDU, or undefined if the connection ended (or `timeoutMs` passed) before one arrived. */
  readonly readPdu: (timeoutMs: number) => Promise<RawPdu | undefined>
  /** Resolves when the server ends the connection, or with "open" after `timeoutMs`. */
  readonly ended: (timeoutMs: number) => Promise<Ending>
  /** Every byte received so far. */
  readonly received: () => Uint8Array
  /** Half-close (FIN). */
  readonly end: () => void
  /** Vanish without FIN: a TCP reset (RST), as a crashed or unplugged peer looks to the server. */
  readonly reset: () => void
}

/** Opens a raw connection (rejects if refused or not connected within `timeoutMs`). */
export const open = (target: Target, timeoutMs = 5000): Promise<RawPeer> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, noDelay: true })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`connect to ${target.host}:${target.port} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.once("connect", () => {
      clearTimeout(timer)
      socket.removeAllListeners("error")
      resolve(wrap(socket))
    })
  })

const wrap = (socket: Socket): RawPeer => {
  const chunks: Array<Uint8Array> = []
  let buffered = 0
  let readOffset = 0 // bytes of the concatenated input already returned as PDUs
  let ending: Ending | undefined
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const w of waiters) w()
  }
  socket.on("data", (chunk: Buffer) => {
    chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    buffered += chunk.byteLength
    wake()
  })
  socket.on("end", () => {
    ending ??= "fin"
    wake()
  })
  socket.on("error", () => {
    ending ??= "reset"
    wake()
  })
  socket.on("close", (hadError) => {
    ending ??= hadError ? "reset" : "fin"
    wake()
  })

  const received = (): Uint8Array => {
    if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0]
    const all = new Uint8Array(buffered)
    let at = 0
    for (const c of chunks) {
      all.set(c, at)
      at += c.byteLength
    }
    chunks.length = 0
    chunks.push(all)
    return all
  }

  /** Waits until `ready()` holds, the connection ends, or the time runs out. */
  const waitFor = (ready: () => boolean, timeoutMs: number): Promise<void> =>
    new Promise((resolve) => {
      if (ready() || ending !== undefined) return resolve()
      const done = () => {
        if (!ready() && ending === undefined) return
        clearTimeout(timer)
        waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.delete(done)
        resolve()
      }, timeoutMs)
      waiters.add(done)
    })

  const whole = (): RawPdu | undefined => {
    if (buffered - readOffset < 6) return undefined
    const bytes = received()
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const length = view.getUint32(readOffset + 2)
    if (buffered - readOffset < 6 + length) return undefined
    const pdu = { pduType: bytes[readOffset] ?? 0, length, body: bytes.slice(readOffset + 6, readOffset + 6 + length) }
    readOffset += 6 + length
    return pdu
  }

  return {
    socket,
    write: (bytes) =>
      new Promise((resolve) => {
        if (socket.destroyed || !socket.writable) return resolve(false)
        socket.write(bytes, (error) => resolve(error === undefined || error === null))
      }),
    readPdu: async (timeoutMs) => {
      let pdu: RawPdu | undefined
      await waitFor(() => {
        if (pdu === undefined) pdu = whole()
        return pdu !== undefined
      }, timeoutMs)
      return pdu ?? whole()
    },
    ended: async (timeoutMs) => {
      await waitFor(() => false, timeoutMs)
      return ending ?? "open"
    },
    received,
    end: () => {
      socket.end()
    },
    reset: () => {
      socket.resetAndDestroy()
    }
  }
}

/** Bytes of a PDU with `pduType` whose header announces `length` and carries `body` (which may be shorter: a lie). */
export const pduBytes = (pduType: number, length: number, body: Uint8Array = new Uint8Array(0)): Uint8Array => {
  const out = new Uint8Array(6 + body.byteLength)
  out[0] = pduType
  new DataView(out.buffer).setUint32(2, length >>> 0)
  out.set(body, 6)
  return out
}

/** PS3.8 §9.3.8 A-ABORT from the service-user. */
export const aAbort: Uint8Array = pduBytes(0x07, 4, new Uint8Array(4))

/** PS3.8 §9.3.6 A-RELEASE-RQ. */
export const aReleaseRq: Uint8Array = pduBytes(0x05, 4, new Uint8Array(4))

/** The A-ASSOCIATE-RJ fields of a raw type-3 PDU. */
export const rejection = (pdu: RawPdu): { readonly result: number; readonly source: number; readonly reason: number } => ({
  result: pdu.body[1] ?? 0,
  source: pdu.body[2] ?? 0,
  reason: pdu.body[3] ?? 0
})

/** A deterministic byte generator (xorshift32) so a garbage case can be replayed from its seed. */
export const pseudoRandomBytes = (length: number, seed: number): Uint8Array => {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
