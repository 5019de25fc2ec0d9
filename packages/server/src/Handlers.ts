/**
 * Service handlers: what the server does with each DIMSE request. A handler is an Effect; a
 * failure or defect never reaches the association, it becomes a failure status in the response.
 *
 * @since 0.1.0
 */
import type { Negotiation } from "@dicomnet/association"
import type { Command } from "@dicomnet/dimse"
import type { Effect } from "effect"
import type { AssociationInfo } from "./LifecycleEvent.js"

/** What a handler knows about the request. @category models */
export interface RequestContext<C extends Command.DimseRequest> {
  readonly association: AssociationInfo
  readonly negotiated: Negotiation.Negotiated
  readonly presentationContextId: number
  readonly command: C
}

/** C-ECHO handler: returns the Status (0000,0900) to answer; failures answer 0110H (processing failure). @category models */
export type EchoHandler = (context: RequestContext<Command.CEchoRq>) => Effect.Effect<number, unknown>

/** Handlers by service; C-ECHO is built in (answers 0000H) when `echo` is absent. @category models */
export interface Handlers {
  readonly echo?: EchoHandler | undefined
  /** C-STORE (Storage.toDirectory, Storage.ignore, or your own); registering it accepts every storage SOP class. */
  readonly store?: import("./Storage.js").StoreHandler | undefined
  readonly nServices?: import("./NServices.js").NServiceHandlers | undefined // DIMSE-N requests, served by NServices.perform
  readonly queryRetrieve?: import("./QueryRetrieve.js").Options | undefined // C-FIND / C-MOVE / C-GET, served by QueryRetrieve.perform
}
