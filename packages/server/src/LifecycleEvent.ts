/**
 * What happens to the server's associations, as events (published on `DicomServer.events`).
 *
 * @since 0.1.0
 */

/** Who asked: the transport peer and the AE titles of its A-ASSOCIATE-RQ. @category models */
export interface AssociationInfo {
  /** "host:port" of the peer. */
  readonly peer: string
  readonly callingAeTitle: string
  readonly calledAeTitle: string
}

/** An A-ASSOCIATE-RQ arrived. @category models */
export interface AssociationRequested extends AssociationInfo {
  readonly _tag: "AssociationRequested"
}

/** We accepted: `contexts` are the accepted abstract syntaxes. @category models */
export interface AssociationAccepted extends AssociationInfo {
  readonly _tag: "AssociationAccepted"
  readonly contexts: ReadonlyArray<string>
}

/** We rejected (PS3.8 §9.3.4 result/source/reason and their meaning). @category models */
export interface AssociationRejected extends AssociationInfo {
  readonly _tag: "AssociationRejected"
  readonly result: number
  readonly source: number
  readonly reason: number
  readonly description: string
}

/** The association was released (A-RELEASE-RQ/RP). @category models */
export interface AssociationReleased extends AssociationInfo {
  readonly _tag: "AssociationReleased"
}

/** The association was aborted, by either side, or a timer or the transport ended it. @category models */
export interface AssociationAborted extends AssociationInfo {
  readonly _tag: "AssociationAborted"
  readonly reason: string
}

/** Any lifecycle event. @category models */
export type LifecycleEvent =
  | AssociationRequested
  | AssociationAccepted
  | AssociationRejected
  | AssociationReleased
  | AssociationAborted
