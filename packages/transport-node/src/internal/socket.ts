import type * as Net from "node:net"
import type * as Tls from "node:tls"
import { Connection, Scavenge, type Timeouts, TransportError, type TransportErrorReason } from "@dicomnet/transport"
import { type Array as Arr, Cause, Effect } from "effect"

const reasons: Record<string, TransportErrorReason> = {
  ECONNREFUSED: "ConnectRefused",
  ECONNRESET: "Reset",
  EPIPE: "Reset",
  ECONNABORTED: "Reset",
  EADDRINUSE: "AddressInUse",
  EADDRNOTAVAIL: "AddressInUse",
  ENOTFOUND: "Unreachable",
  EAI_AGAIN: "Unreachable",
  EHOSTUNREACH: "Unreachable",
  ENETUNREACH: "Unreachable",
  ERR_SOCKET_CLOSED: "Closed",
  ERR_STREAM_DESTROYED: "Closed",
  ERR_STREAM_WRITE_AFTER_END: "Closed"
}

const isTlsCode = (code: string) =>
  code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") || code.startsWith("CERT_") || code.includes("CERT") ||
  code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" || code === "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"

/** Maps a Node socket error to a `TransportError` (`tls` forces reason "Tls" unless it is a refusal). */
export const toTransportError = (cause: unknown, address: string, tls = false): TransportError => {
  const code = typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string" ? cause.code : ""
  const message = cause instanceof Error ? cause.message : String(cause)
  let reason: TransportErrorReason = reasons[code] ?? (isTlsCode(code) ? "Tls" : "Io")
  if (tls && reason !== "ConnectRefused" && reason !== "Unreachable") reason = "Tls"
  return new TransportError({ reason, message: `${message}${code === "" ? "" : ` (${code})`}`, address, cause })
}

export const formatAddress = (host: string | undefined, port: number | undefined): string =>
  host === undefined ? "unknown" : host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`

const distinguishedName = (name: unknown): string =>
  typeof name === "object" && name !== null
    ? Object.entries(name).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`).join(",")
    : ""

/** The peer certificate of a TLS socket, if it presented one. */
export const peerCertificate = (socket: Tls.TLSSocket): Connection.PeerCertificate | undefined => {
  const cert = socket.getPeerCertificate()
  if (cert === null || cert === undefined || Object.keys(cert).length === 0) return undefined
  return { subject: distinguishedName(cert.subject), issuer: distinguishedName(cert.issuer), fingerprint256: cert.fingerprint256 }
}

const maxChunksPerPull = 64

/**
 * Adopts a connected socket (raw TCP, or TLS over `raw`) as a `Connection`. Reading is pull-based
 * in paused mode, so a peer we do not read from is held back by TCP flow control. `destroy` resets
 * the underlying TCP connection (RST) so the peer sees an abort, not an end.
 */
export const adopt = (
  socket: Net.Socket,
  raw: Net.Socket,
  timeouts: Timeouts.Resolved,
  certificate?: Connection.PeerCertificate
): Connection.Owned => {
  const remoteAddress = formatAddress(raw.remoteAddress, raw.remotePort)
  const localAddress = formatAddress(raw.localAddress, raw.localPort)
  let waiter: ((effect: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, TransportError | Cause.Done>) => void) | undefined
  let inputEnded = false
  // The input's failure, first one wins. A failure we cause or see at close is built only when someone
  // reads it (an error captures a stack trace), because after a normal end nobody does.
  let failure: TransportError | undefined
  let lateFailure: (() => TransportError) | undefined
  const failed = () => failure !== undefined || lateFailure !== undefined
  const currentFailure = (): TransportError | undefined => {
    if (failure === undefined && lateFailure !== undefined) {
      failure = lateFailure()
      lateFailure = undefined
    }
    return failure
  }
  let destroyedLocally = false

  const drain = () => {
    if (waiter === undefined) return
    let first: Uint8Array | null = null
    if (!failed()) first = socket.read() as Uint8Array | null
    if (first !== null) {
      // Each chunk is a buffer Node allocated for this read, garbage once consumed.
      const out: [Uint8Array, ...Array<Uint8Array>] = [first]
      let bytes = first.byteLength
      while (out.length < maxChunksPerPull) {
        const chunk = socket.read() as Uint8Array | null
        if (chunk === null) break
        out.push(chunk)
        bytes += chunk.byteLength
      }
      Scavenge.allocated(bytes)
      const resume = waiter
      waiter = undefined
      return resume(Effect.succeed(out))
    }
    const error = currentFailure()
    if (error !== undefined) {
      const resume = waiter
      waiter = undefined
      return resume(Effect.fail(error))
    }
    if (inputEnded) {
      const resume = waiter
      waiter = undefined
      return resume(Cause.done())
    }
  }
  const fail = (error: TransportError | (() => TransportError)) => {
    if (!failed()) {
      if (typeof error === "function") lateFailure = error
      else failure = error
    }
    drain()
  }
  socket.on("readable", drain)
  socket.on("end", () => {
    inputEnded = true
    drain()
  })
  socket.on("error", (cause) => fail(toTransportError(cause, remoteAddress)))
  if (raw !== socket) raw.on("error", (cause) => fail(toTransportError(cause, remoteAddress)))
  socket.on("close", () => {
    // Closed without an end: aborted (by us or by the peer without a reason).
    if (!inputEnded) {
      const reason = destroyedLocally ? "Closed" : "Reset"
      fail(() => new TransportError({ reason, message: "connection closed", address: remoteAddress }))
    }
  })

  const pull = Effect.callback<Arr.NonEmptyReadonlyArray<Uint8Array>, TransportError | Cause.Done>((resume) => {
    waiter = resume
    drain()
    if (waiter !== resume) return
    return Effect.sync(() => {
      if (waiter === resume) waiter = undefined
    })
  })

  const awaitEvent = (event: "drain" | "finish") =>
    Effect.callback<void, TransportError>((resume) => {
      const cleanup = () => {
        socket.off(event, onDone)
        socket.off("error", onError)
        socket.off("close", onClose)
      }
      const onDone = () => {
        cleanup()
        resume(Effect.void)
      }
      const onError = (cause: Error) => {
        cleanup()
        resume(Effect.fail(toTransportError(cause, remoteAddress)))
      }
      const onClose = () => {
        cleanup()
        resume(Effect.fail(currentFailure() ?? new TransportError({ reason: "Closed", message: "connection closed", address: remoteAddress })))
      }
      socket.on(event, onDone)
      socket.on("error", onError)
      socket.on("close", onClose)
      return Effect.sync(cleanup)
    })

  const closedError = () =>
    currentFailure() ?? new TransportError({ reason: "Closed", message: socket.destroyed ? "connection destroyed" : "connection closed", address: remoteAddress })

  // Writes at once; `undefined` when the socket took the chunks below its high-water mark, else the
  // wait for "drain" (or the failure).
  // Writes made in one turn of the event loop go out together: the socket is corked at the first and
  // uncorked on the next tick, so a burst of PDUs is one writev.
  let corked = false
  const uncork = () => {
    corked = false
    if (!socket.destroyed) socket.uncork()
  }
  const tryWrite = (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>): Effect.Effect<void, TransportError> | undefined => {
    if (socket.destroyed || socket.writableEnded) return Effect.fail(closedError())
    let full = false
    try {
      if (!corked) {
        corked = true
        socket.cork()
        process.nextTick(uncork)
      }
      for (const chunk of chunks) full = !socket.write(chunk) || full
    } catch (cause) {
      return Effect.fail(toTransportError(cause, remoteAddress))
    }
    return full ? awaitEvent("drain") : undefined
  }

  const write = (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>): Effect.Effect<void, TransportError> =>
    Effect.suspend(() => tryWrite(chunks) ?? Effect.void)

  const close = Effect.suspend(() => {
    if (socket.destroyed || socket.writableFinished) return Effect.void
    if (!socket.writableEnded) socket.end()
    return awaitEvent("finish")
  })

  const destroy = Effect.sync(() => {
    if (raw.destroyed) return
    destroyedLocally = true
    fail(() => new TransportError({ reason: "Closed", message: "connection destroyed locally", address: remoteAddress }))
    // Reset the TCP socket only: destroying a TLS socket as well while its transport is being
    // reset crashes Node (SIGSEGV); the TLS socket closes when its transport does.
    if (!raw.connecting) raw.resetAndDestroy()
    else raw.destroy()
  })

  const release = Effect.sync(() => {
    destroyedLocally = true
    if (!socket.destroyed) socket.destroy()
    if (!raw.destroyed) raw.destroy()
  })

  return Connection.make({
    pull,
    write,
    tryWrite,
    close,
    destroy,
    release,
    remoteAddress,
    localAddress,
    peerCertificate: certificate
  }, timeouts)
}
