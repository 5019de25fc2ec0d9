/**
 * The seam between storescp and the server: the acceptance policy (C-ECHO, the accepted storage SOP classes
 * with their transfer syntaxes, and C-FIND when the receiver also answers queries), the C-STORE handler that
 * hands each incoming data set to the writer, and a C-FIND handler over what was stored.
 */
import { SopClass, TransferSyntax } from "@dicomnet/data"
import { type DicomServer, QueryRetrieve, type Storage } from "@dicomnet/server"
import { Effect, type FileSystem, type Path, Stream } from "effect"
import type * as Receiver from "../Receiver.js"

/** A data set arriving with a C-STORE-RQ, with who sent it. */
export interface IncomingStore extends Receiver.Incoming {
  readonly calledAeTitle: string
  readonly remoteHost: string
  /** "host:port" of the association's connection. */
  readonly peer: string
}

/** Further services of the in-process receiver (the demo answers C-FIND over what it stored). */
export interface Extra {
  /** Answer C-FIND (patient and study root) over the files under this directory, indexed at each query. */
  readonly queryDirectory?: string | undefined
  /** C-STOREs performed at once when the requestor proposes an asynchronous operations window (1 or absent: answer none). */
  readonly asyncWindow?: number | undefined
}

type ServerOptions = Parameters<typeof DicomServer.make>[0]

const hostOf = (peer: string): string => {
  const colon = peer.lastIndexOf(":")
  const host = colon === -1 ? peer : peer.slice(0, colon)
  return host.replace(/^\[|\]$/g, "")
}

/** A C-FIND handler over a directory, re-indexed at each query so that it sees what arrived since. */
const findOver = (dir: string): Effect.Effect<QueryRetrieve.FindHandler, never, FileSystem.FileSystem | Path.Path> =>
  Effect.map(Effect.context<FileSystem.FileSystem | Path.Path>(), (context) => (request) =>
    Stream.unwrap(Effect.map(QueryRetrieve.fromDirectory(dir), (source) => source.find(request))).pipe(Stream.provideContext(context)))

/** The acceptance policy and handlers of a storage SCP. */
export const serverOptions = (
  sopClasses: ReadonlyArray<string>,
  transferSyntaxes: ReadonlyArray<string>,
  onStore: (incoming: IncomingStore) => Effect.Effect<number>,
  extra: Extra
): Effect.Effect<Pick<ServerOptions, "acceptance" | "handlers">, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    // The host of a peer, computed once per peer ("host:port" of the connection).
    let lastPeer: string | undefined
    let lastHost = ""
    const remoteHostOf = (peer: string): string => {
      if (peer !== lastPeer) {
        lastPeer = peer
        lastHost = hostOf(peer)
      }
      return lastHost
    }
    const store: Storage.StoreHandler = (request) =>
      onStore({
        sopClassUid: request.sopClassUid,
        sopInstanceUid: request.sopInstanceUid,
        transferSyntaxUid: request.transferSyntaxUid,
        callingAeTitle: request.callingAeTitle,
        calledAeTitle: request.association.calledAeTitle,
        remoteHost: remoteHostOf(request.association.peer),
        peer: request.association.peer,
        dataset: request.dataset
      })
    const plain = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
    const contexts = [
      { abstractSyntax: SopClass.Verification, transferSyntaxes: plain },
      ...sopClasses.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes }))
    ]
    // Operations the requestor may invoke at once (each answered as soon as it is stored); we invoke none.
    const window = extra.asyncWindow !== undefined && extra.asyncWindow > 1
      ? { asyncOperationsWindow: { maxOperationsInvoked: extra.asyncWindow, maxOperationsPerformed: 1 } }
      : {}
    if (extra.queryDirectory === undefined) return { acceptance: { contexts, ...window }, handlers: { store } }
    const find = yield* findOver(extra.queryDirectory)
    return {
      acceptance: {
        contexts: [
          ...contexts,
          ...[SopClass.PatientRootFind, SopClass.StudyRootFind].map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: plain }))
        ],
        ...window
      },
      handlers: { store, queryRetrieve: { find } }
    }
  })
