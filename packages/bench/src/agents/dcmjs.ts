/**
 * dcmjs-dimse (the Node.js comparison) in its own process, so its peak RSS is its own:
 *   node dist/agents/dcmjs.js scp PORT [ignore|disk OUTDIR] [MAXPDU]    Server: C-ECHO, C-STORE, until SIGTERM
 *   node dist/agents/dcmjs.js echo PORT REPEAT                          REPEAT C-ECHOs on one association
 *   node dist/agents/dcmjs.js associations PORT COUNT                   COUNT x (associate, C-ECHO, release)
 *   node dist/agents/dcmjs.js store PORT DIR                            every file under DIR on one association
 *   node dist/agents/dcmjs.js find PORT AET STUDY SERIES REPEAT         IMAGE-level C-FIND, REPEAT times
 * Clients print one JSON line: {"seconds": <time from the first request to the association's end>, "count": n}.
 * The clock starts when the requests are queued (a CStoreRequest reads its file then), so file reading counts.
 */
import { mkdirSync, readdirSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import type * as Net from "node:net"
import type * as Dimse from "dcmjs-dimse"

const require = createRequire(import.meta.url)

// dcmjs-dimse never sets TCP_NODELAY, so every small PDU waits for a delayed ACK (~40 ms per C-ECHO or tiny
// C-STORE on Linux). DCMTK has the TCP_NODELAY=1 environment variable for the same switch, and the suite sets
// it for every process; here it is honoured the same way, on the sockets dcmjs-dimse opens and accepts.
if (process.env["TCP_NODELAY"] === "1") {
  const net = require("node:net") as typeof Net
  const connect = net.connect
  net.connect = ((options: Net.NetConnectOpts, listener?: () => void) => connect({ ...options, noDelay: true }, listener)) as unknown as typeof net.connect
  const createServer = net.createServer
  net.createServer = ((...args: Array<unknown>) => {
    const server = (createServer as (...a: Array<unknown>) => Net.Server)(...args)
    server.on("connection", (socket: Net.Socket) => socket.setNoDelay(true))
    return server
  }) as unknown as typeof net.createServer
}

const dimse = require("dcmjs-dimse") as typeof Dimse
const { Client, Server, Scp } = dimse
const { CEchoRequest, CFindRequest, CStoreRequest } = dimse.requests
const { CEchoResponse, CStoreResponse } = dimse.responses
const { Status, PresentationContextResult, TransferSyntax } = dimse.constants
;(dimse.log as unknown as { setLevel: (level: string) => void }).setLevel("error")

const host = "127.0.0.1"
const args = process.argv.slice(2)
const mode = args[0]
const port = Number(args[1])

/** Sends the queued requests on one association; resolves when it is closed. */
const send = (client: Dimse.Client, calledAeTitle = "ANY-SCP"): Promise<void> =>
  new Promise((resolve, reject) => {
    client.on("networkError", (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))))
    client.on("associationRejected", () => reject(new Error("association rejected")))
    client.on("closed", () => resolve())
    client.send(host, port, "DCMJS", calledAeTitle)
  })

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".dcm") ? [join(dir, e.name)] : []
  )

/** CPU seconds (user + system) of this process since `since` (process.cpuUsage()). */
const cpuSince = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1e6
}

let cpuAtStart = process.cpuUsage()

const report = (started: number, count: number, warmUp = 0) =>
  console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSince(cpuAtStart), count, warmUp }))

/** Counts responses with a status other than Success/Pending as failures. */
const failures = { count: 0 }
const watch = (request: Dimse.requests.Request) =>
  request.on("response", (response: Dimse.responses.Response) => {
    const status = response.getStatus()
    if (status !== Status.Success && status !== Status.Pending) failures.count++
  })

const echo = async (repeat: number) => {
  const client = new Client()
  for (let i = 0; i < repeat; i++) {
    const request = new CEchoRequest()
    watch(request)
    client.addRequest(request)
  }
  await send(client)
}

const startScp = (storeMode: string, outDir: string | undefined, maxPdu: number | undefined) => {
  if (outDir !== undefined) mkdirSync(outDir, { recursive: true })
  class BenchScp extends Scp {
    override associationRequested(association: Dimse.association.Association): void {
      if (maxPdu !== undefined) association.setMaxPduLength(maxPdu)
      for (const c of association.getPresentationContexts()) {
        const context = association.getPresentationContext(c.id)
        const syntaxes = context.getTransferSyntaxUids()
        const chosen = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian].find((ts) => syntaxes.includes(ts))
        if (chosen === undefined) context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported)
        else context.setResult(PresentationContextResult.Accept, chosen)
      }
      this.sendAssociationAccept()
    }
    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse()
    }
    override cEchoRequest(request: Dimse.requests.CEchoRequest, callback: (response: Dimse.responses.CEchoResponse) => void): void {
      const response = CEchoResponse.fromRequest(request)
      response.setStatus(Status.Success)
      callback(response)
    }
    override cStoreRequest(request: Dimse.requests.CStoreRequest, callback: (response: Dimse.responses.CStoreResponse) => void): void {
      const response = CStoreResponse.fromRequest(request)
      if (storeMode !== "disk" || outDir === undefined) {
        response.setStatus(Status.Success)
        callback(response)
        return
      }
      const dataset = request.getDataset()
      const uid = dataset?.getElement("SOPInstanceUID") ?? `${Date.now()}-${Math.random()}`
      if (dataset === undefined) {
        response.setStatus(Status.ProcessingFailure)
        callback(response)
        return
      }
      dataset.toFile(join(outDir, `${uid}.dcm`), (error) => {
        response.setStatus(error === undefined ? Status.Success : Status.ProcessingFailure)
        callback(response)
      })
    }
  }
  const server = new Server(BenchScp)
  server.listen(port)
}

const main = async (): Promise<void> => {
  if (!Number.isInteger(port) || port <= 0) throw new Error("usage: dcmjs.js scp|echo|associations|store|find PORT ...")
  switch (mode) {
    case "scp": {
      const storeMode = args[2] ?? "ignore"
      const outDir = storeMode === "disk" ? args[3] : undefined
      const pduArg = storeMode === "disk" ? args[4] : args[3]
      startScp(storeMode, outDir, pduArg === undefined ? undefined : Number(pduArg))
      return new Promise(() => {})
    }
    case "echo": {
      const repeat = Number(args[2] ?? "1")
      await echo(300) // untimed warm-up (the dicomnet agent: 1,000; dcmjs-dimse is 5-20x slower per echo)
      const started = performance.now()
      cpuAtStart = process.cpuUsage()
      await echo(repeat)
      report(started, repeat, 300)
      break
    }
    case "associations": {
      const count = Number(args[2] ?? "1")
      for (let i = 0; i < 500; i++) await echo(1) // untimed warm-up, as long as the dicomnet agent's
      const started = performance.now()
      cpuAtStart = process.cpuUsage()
      for (let i = 0; i < count; i++) await echo(1)
      report(started, count, 500)
      break
    }
    case "store": {
      const files = filesUnder(args[2] ?? ".")
      const started = performance.now()
      cpuAtStart = process.cpuUsage()
      const client = new Client()
      for (const file of files) {
        const request = new CStoreRequest(file)
        watch(request)
        client.addRequest(request)
      }
      await send(client)
      report(started, files.length)
      break
    }
    case "find": {
      const [, , aet, study, series, repeatArg] = args
      const repeat = Number(repeatArg ?? "1")
      let matches = 0
      const started = performance.now()
      cpuAtStart = process.cpuUsage()
      const client = new Client()
      for (let i = 0; i < repeat; i++) {
        const request = CFindRequest.createImageFindRequest({ StudyInstanceUID: study, SeriesInstanceUID: series, SOPInstanceUID: "", InstanceNumber: "" })
        request.on("response", (response: Dimse.responses.Response) => {
          if (response.getStatus() === Status.Pending && response.hasDataset()) matches++
        })
        watch(request)
        client.addRequest(request)
      }
      await send(client, aet)
      report(started, matches)
      break
    }
    default:
      throw new Error(`unknown mode ${mode}`)
  }
  if (failures.count > 0) throw new Error(`${failures.count} responses with a failure status`)
}

main().then(
  () => {
    if (mode !== "scp") process.exit(0)
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e))
    process.exit(1)
  }
)
