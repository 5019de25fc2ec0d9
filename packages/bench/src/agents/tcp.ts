/**
 * Raw loopback TCP with node:net, the physical limit of every figure:
 *   node dist/agents/tcp.js sink PORT            accepts one connection, reads until the end, answers one byte
 *   node dist/agents/tcp.js source PORT BYTES    writes BYTES in 64 KiB writes (honouring backpressure),
 *                                               prints {"seconds": connect -> the sink's answer, "count": BYTES}
 */
import { createConnection, createServer } from "node:net"

const [mode, portArg, bytesArg] = process.argv.slice(2)
const port = Number(portArg)
const chunk = Buffer.alloc(64 * 1024, 0xa5)

if (mode === "sink") {
  const server = createServer((socket) => {
    socket.on("data", () => {})
    socket.on("end", () => socket.end(Buffer.from([1])))
  })
  server.listen(port, "127.0.0.1")
} else if (mode === "source") {
  const total = Number(bytesArg)
  const started = performance.now()
  const socket = createConnection({ port, host: "127.0.0.1", noDelay: true })
  let sent = 0
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent)
      sent += n
      if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        socket.once("drain", pump)
        return
      }
    }
    socket.end()
  }
  socket.on("connect", pump)
  socket.on("data", () => {
    console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, count: total }))
    socket.destroy()
  })
  socket.on("error", (e) => {
    console.error(e.message)
    process.exit(1)
  })
} else {
  console.error("usage: tcp.js sink PORT | source PORT BYTES")
  process.exit(1)
}
