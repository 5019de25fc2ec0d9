/**
 * The DICOM Upper Layer protocol state machine of PS3.8 §9.2: states Sta1–Sta13, events
 * Evt1–Evt19, the actions AE-1…AA-8 and the state transition table (PS3.8 Table 9-10) as data.
 *
 * `transition(state, event, context)` is pure: no IO, no clock, never async. It returns the next
 * state and a list of `Output` commands (send a PDU, indicate a primitive to the local user,
 * start/stop the ARTIM timer, open/close the transport) that a driver runs in order.
 *
 * @since 0.1.0
 */
import type { AAbort, AAssociateAc, AAssociateRj, AAssociateRq, AReleaseRp, AReleaseRq, PDataTf } from "@dicomnet/pdu"

// ---------------------------------------------------------------------------------------------
// States (PS3.8 §9.2.1, Tables 9-1 … 9-5)
// ---------------------------------------------------------------------------------------------

/** PS3.8 §9.2.1 machine states with the standard's definitions. @category states */
export const States = {
  Sta1: "Idle",
  Sta2: "Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)",
  Sta3: "Awaiting local A-ASSOCIATE response primitive (from local user)",
  Sta4: "Awaiting transport connection opening to complete (from local transport service)",
  Sta5: "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
  Sta6: "Association established and ready for data transfer",
  Sta7: "Awaiting A-RELEASE-RP PDU",
  Sta8: "Awaiting local A-RELEASE response primitive (from local user)",
  Sta9: "Release collision requestor side; awaiting A-RELEASE response (from local user)",
  Sta10: "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
  Sta11: "Release collision requestor side; awaiting A-RELEASE-RP PDU",
  Sta12: "Release collision acceptor side; awaiting A-RELEASE response primitive (from local user)",
  Sta13: "Awaiting Transport Connection Close Indication (Association no longer exists)"
} as const

/** One of Sta1–Sta13. @category states */
export type State = keyof typeof States

/** All states in order, Sta1 first. @category states */
export const allStates: ReadonlyArray<State> = Object.keys(States) as ReadonlyArray<State>

// ---------------------------------------------------------------------------------------------
// Events (PS3.8 §9.2.3, the rows of Table 9-10)
// ---------------------------------------------------------------------------------------------

/** PS3.8 Table 9-10 event definitions. @category events */
export const Events = {
  Evt1: "A-ASSOCIATE request (local user)",
  Evt2: "Transport connect confirmation (local transport service)",
  Evt3: "A-ASSOCIATE-AC PDU (received on transport connection)",
  Evt4: "A-ASSOCIATE-RJ PDU (received on transport connection)",
  Evt5: "Transport connection indication (local transport service)",
  Evt6: "A-ASSOCIATE-RQ PDU (received on transport connection)",
  Evt7: "A-ASSOCIATE response primitive (accept)",
  Evt8: "A-ASSOCIATE response primitive (reject)",
  Evt9: "P-DATA request primitive",
  Evt10: "P-DATA-TF PDU (received on transport connection)",
  Evt11: "A-RELEASE request primitive",
  Evt12: "A-RELEASE-RQ PDU (received on transport connection)",
  Evt13: "A-RELEASE-RP PDU (received on transport connection)",
  Evt14: "A-RELEASE response primitive",
  Evt15: "A-ABORT request primitive",
  Evt16: "A-ABORT PDU (received on transport connection)",
  Evt17: "Transport connection closed indication (local transport service)",
  Evt18: "ARTIM timer expired (Association reject/release timer)",
  Evt19: "Unrecognized or invalid PDU received"
} as const

/** One of Evt1–Evt19. @category events */
export type EventName = keyof typeof Events

/** All event names in order, Evt1 first. @category events */
export const allEvents: ReadonlyArray<EventName> = Object.keys(Events) as ReadonlyArray<EventName>

/**
 * Why a received PDU could not be used (the payload of Evt19): the pdu package's decode errors
 * (`PduDecodeError`, `PduTooLarge`, `UnknownPduType`) fit this shape.
 * @category events
 */
export interface InvalidPdu {
  readonly _tag: string
}

/** An event with its payload. @category events */
export type Event =
  | { readonly _tag: "Evt1"; readonly rq: AAssociateRq }
  | { readonly _tag: "Evt2" }
  | { readonly _tag: "Evt3"; readonly pdu: AAssociateAc }
  | { readonly _tag: "Evt4"; readonly pdu: AAssociateRj }
  | { readonly _tag: "Evt5" }
  | { readonly _tag: "Evt6"; readonly pdu: AAssociateRq }
  | { readonly _tag: "Evt7"; readonly ac: AAssociateAc }
  | { readonly _tag: "Evt8"; readonly rj: AAssociateRj }
  | { readonly _tag: "Evt9"; readonly pdata: PDataTf }
  | { readonly _tag: "Evt10"; readonly pdu: PDataTf }
  | { readonly _tag: "Evt11" }
  | { readonly _tag: "Evt12"; readonly pdu: AReleaseRq }
  | { readonly _tag: "Evt13"; readonly pdu: AReleaseRp }
  | { readonly _tag: "Evt14" }
  | { readonly _tag: "Evt15" }
  | { readonly _tag: "Evt16"; readonly pdu: AAbort }
  | { readonly _tag: "Evt17" }
  | { readonly _tag: "Evt18" }
  | { readonly _tag: "Evt19"; readonly error: InvalidPdu }

// ---------------------------------------------------------------------------------------------
// Outputs: data commands for the driver
// ---------------------------------------------------------------------------------------------

/** A primitive issued to the local service user (PS3.8 §7). @category outputs */
export type Primitive =
  | { readonly _tag: "AAssociateIndication"; readonly rq: AAssociateRq }
  | { readonly _tag: "AAssociateConfirmationAccept"; readonly ac: AAssociateAc }
  | { readonly _tag: "AAssociateConfirmationReject"; readonly rj: AAssociateRj }
  | { readonly _tag: "PDataIndication"; readonly pdu: PDataTf }
  | { readonly _tag: "AReleaseIndication"; readonly collision: boolean }
  | { readonly _tag: "AReleaseConfirmation" }
  /** A-ABORT indication: the peer's service user aborted (source 0) */
  | { readonly _tag: "AAbortIndication"; readonly source: 0 | 1 | 2; readonly reason: number }
  /** A-P-ABORT indication: the service provider aborted (peer provider, local provider or transport). */
  | { readonly _tag: "APAbortIndication"; readonly source: "peer" | "local" | "transport"; readonly reason: number }

/** A command for the driver, run in order. @category outputs */
export type Output =
  | { readonly _tag: "OpenTransport" }
  | { readonly _tag: "SendPdu"; readonly pdu: AAssociateRq | AAssociateAc | AAssociateRj | PDataTf | AReleaseRq | AReleaseRp | AAbort }
  | { readonly _tag: "Indicate"; readonly primitive: Primitive }
  | { readonly _tag: "StartArtim" }
  | { readonly _tag: "StopArtim" }
  | { readonly _tag: "CloseTransport" }

const openTransport: Output = { _tag: "OpenTransport" }
const startArtim: Output = { _tag: "StartArtim" }
const stopArtim: Output = { _tag: "StopArtim" }
const closeTransport: Output = { _tag: "CloseTransport" }
const send = (pdu: Extract<Output, { _tag: "SendPdu" }>["pdu"]): Output => ({ _tag: "SendPdu", pdu })
const indicate = (primitive: Primitive): Output => ({ _tag: "Indicate", primitive })
const releaseRq: AReleaseRq = { _tag: "AReleaseRq" }
const releaseRp: AReleaseRp = { _tag: "AReleaseRp" }

// ---------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------

/**
 * What the pure machine needs to know about its surroundings: its role (AR-8 chooses Sta9 or
 * Sta10), the A-ASSOCIATE-RQ to send once the transport is open (AE-2), and the service
 * provider's own check of a received A-ASSOCIATE-RQ (AE-6; `undefined` means acceptable).
 * @category context
 */
export type Context =
  | { readonly role: "requestor"; readonly associateRq: AAssociateRq }
  | { readonly role: "acceptor"; readonly providerCheck?: ((rq: AAssociateRq) => AAssociateRj | undefined) | undefined }

// ---------------------------------------------------------------------------------------------
// Actions (PS3.8 §9.2.2, Tables 9-6 … 9-9)
// ---------------------------------------------------------------------------------------------

/** The result of one transition. `action` is undefined for a not-applicable (empty) cell. @category models */
export interface Transition {
  readonly state: State
  readonly outputs: ReadonlyArray<Output>
  readonly action: ActionName | undefined
}

/** PS3.8 §9.3.8 A-ABORT reason (service-provider source), Table 9-26. @category constants */
export const AbortReason = {
  notSpecified: 0,
  unrecognizedPdu: 1,
  unexpectedPdu: 2,
  unrecognizedPduParameter: 4,
  unexpectedPduParameter: 5,
  invalidPduParameterValue: 6
} as const

/** The A-ABORT reason a provider abort gives for an event that is wrong here (Table 9-26). */
const providerReason = (event: Event): number =>
  event._tag === "Evt19" ? invalidPduReason(event.error) : AbortReason.unexpectedPdu

/** PS3.8 Table 9-26: the A-ABORT reason for an invalid PDU (unknown type: 1, malformed: 6, otherwise 0). @category constants */
export const invalidPduReason = (error: InvalidPdu): number => {
  switch (error._tag) {
    case "UnknownPduType":
      return AbortReason.unrecognizedPdu
    case "PduDecodeError":
      return AbortReason.invalidPduParameterValue
    default:
      return AbortReason.notSpecified
  }
}

type ActionFn = (event: Event, context: Context) => { readonly state: State; readonly outputs: ReadonlyArray<Output> }

interface ActionDefinition {
  readonly description: string
  readonly run: ActionFn
}

const to = (state: State, ...outputs: ReadonlyArray<Output>) => ({ state, outputs })

/** PS3.8 §9.2.2: every action with the standard's wording and its effect. @category actions */
export const Actions = {
  // Table 9-6 Association establishment related actions
  "AE-1": {
    description: "Issue TRANSPORT CONNECT request primitive to local transport service. Next state is Sta4",
    run: () => to("Sta4", openTransport)
  },
  "AE-2": {
    description: "Send A-ASSOCIATE-RQ-PDU. Next state is Sta5",
    run: (_, context) => (context.role === "requestor" ? to("Sta5", send(context.associateRq)) : to("Sta4"))
  },
  "AE-3": {
    description: "Issue A-ASSOCIATE confirmation (accept) primitive. Next state is Sta6",
    run: (event) =>
      event._tag === "Evt3" ? to("Sta6", indicate({ _tag: "AAssociateConfirmationAccept", ac: event.pdu })) : to("Sta6")
  },
  "AE-4": {
    description: "Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection. Next state is Sta1",
    run: (event) =>
      event._tag === "Evt4"
        ? to("Sta1", indicate({ _tag: "AAssociateConfirmationReject", rj: event.pdu }), closeTransport)
        : to("Sta1", closeTransport)
  },
  "AE-5": {
    description: "Issue Transport connection response primitive; start ARTIM timer. Next state is Sta2",
    run: () => to("Sta2", startArtim)
  },
  "AE-6": {
    description:
      "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue A-ASSOCIATE indication primitive, next state is Sta3; otherwise: issue A-ASSOCIATE-RJ-PDU and start ARTIM timer, next state is Sta13",
    run: (event, context) => {
      if (event._tag !== "Evt6") return to("Sta3", stopArtim)
      const rj = context.role === "acceptor" && context.providerCheck ? context.providerCheck(event.pdu) : undefined
      return rj === undefined
        ? to("Sta3", stopArtim, indicate({ _tag: "AAssociateIndication", rq: event.pdu }))
        : to("Sta13", stopArtim, send(rj), startArtim)
    }
  },
  "AE-7": {
    description: "Send A-ASSOCIATE-AC PDU. Next state is Sta6",
    run: (event) => (event._tag === "Evt7" ? to("Sta6", send(event.ac)) : to("Sta6"))
  },
  "AE-8": {
    description: "Send A-ASSOCIATE-RJ PDU and start ARTIM timer. Next state is Sta13",
    run: (event) => (event._tag === "Evt8" ? to("Sta13", send(event.rj), startArtim) : to("Sta13", startArtim))
  },
  // Table 9-7 Data transfer related actions
  "DT-1": {
    description: "Send P-DATA-TF PDU. Next state is Sta6",
    run: (event) => (event._tag === "Evt9" ? to("Sta6", send(event.pdata)) : to("Sta6"))
  },
  "DT-2": {
    description: "Send P-DATA indication primitive. Next state is Sta6",
    run: (event) => (event._tag === "Evt10" ? to("Sta6", indicate({ _tag: "PDataIndication", pdu: event.pdu })) : to("Sta6"))
  },
  // Table 9-8 Association release related actions
  "AR-1": { description: "Send A-RELEASE-RQ PDU. Next state is Sta7", run: () => to("Sta7", send(releaseRq)) },
  "AR-2": {
    description: "Issue A-RELEASE indication primitive. Next state is Sta8",
    run: () => to("Sta8", indicate({ _tag: "AReleaseIndication", collision: false }))
  },
  "AR-3": {
    description: "Issue A-RELEASE confirmation primitive, and close transport connection. Next state is Sta1",
    run: () => to("Sta1", indicate({ _tag: "AReleaseConfirmation" }), closeTransport)
  },
  "AR-4": {
    description: "Issue A-RELEASE-RP PDU and start ARTIM timer. Next state is Sta13",
    run: () => to("Sta13", send(releaseRp), startArtim)
  },
  "AR-5": { description: "Stop ARTIM timer. Next state is Sta1", run: () => to("Sta1", stopArtim) },
  "AR-6": {
    description: "Issue P-DATA indication. Next state is Sta7",
    run: (event) => (event._tag === "Evt10" ? to("Sta7", indicate({ _tag: "PDataIndication", pdu: event.pdu })) : to("Sta7"))
  },
  "AR-7": {
    description: "Issue P-DATA-TF PDU. Next state is Sta8",
    run: (event) => (event._tag === "Evt9" ? to("Sta8", send(event.pdata)) : to("Sta8"))
  },
  "AR-8": {
    description:
      "Issue A-RELEASE indication (release collision): if association-requestor, next state is Sta9, if not, next state is Sta10",
    run: (_, context) =>
      to(context.role === "requestor" ? "Sta9" : "Sta10", indicate({ _tag: "AReleaseIndication", collision: true }))
  },
  "AR-9": { description: "Send A-RELEASE-RP PDU. Next state is Sta11", run: () => to("Sta11", send(releaseRp)) },
  "AR-10": {
    description: "Issue A-RELEASE confirmation primitive. Next state is Sta12",
    run: () => to("Sta12", indicate({ _tag: "AReleaseConfirmation" }))
  },
  // Table 9-9 Association abort related actions
  "AA-1": {
    description:
      "Send A-ABORT PDU (service-user source) and start (or restart if already started) ARTIM timer. Next state is Sta13",
    run: () => to("Sta13", send({ _tag: "AAbort", source: 0, reason: 0 }), startArtim)
  },
  "AA-2": {
    description: "Stop ARTIM timer if running. Close transport connection. Next state is Sta1",
    run: () => to("Sta1", stopArtim, closeTransport)
  },
  "AA-3": {
    description:
      "If (service-user initiated abort): issue A-ABORT indication and close transport connection; otherwise (service-provider initiated abort): issue A-P-ABORT indication and close transport connection. Next state is Sta1",
    run: (event) => {
      if (event._tag !== "Evt16") return to("Sta1", closeTransport)
      const { reason, source } = event.pdu
      return source === 2
        ? to("Sta1", indicate({ _tag: "APAbortIndication", source: "peer", reason }), closeTransport)
        : to("Sta1", indicate({ _tag: "AAbortIndication", source, reason }), closeTransport)
    }
  },
  "AA-4": {
    description: "Issue A-P-ABORT indication primitive. Next state is Sta1",
    run: () => to("Sta1", indicate({ _tag: "APAbortIndication", source: "transport", reason: AbortReason.notSpecified }))
  },
  "AA-5": { description: "Stop ARTIM timer. Next state is Sta1", run: () => to("Sta1", stopArtim) },
  "AA-6": { description: "Ignore PDU. Next state is Sta13", run: () => to("Sta13") },
  "AA-7": {
    description: "Send A-ABORT PDU. Next state is Sta13",
    run: (event) => to("Sta13", send({ _tag: "AAbort", source: 2, reason: providerReason(event) }))
  },
  "AA-8": {
    description:
      "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and start ARTIM timer. Next state is Sta13",
    run: (event) => {
      const reason = providerReason(event)
      return to(
        "Sta13",
        send({ _tag: "AAbort", source: 2, reason }),
        indicate({ _tag: "APAbortIndication", source: "local", reason }),
        startArtim
      )
    }
  }
} as const satisfies Record<string, ActionDefinition>

/** One of AE-1…AE-8, DT-1, DT-2, AR-1…AR-10, AA-1…AA-8. @category actions */
export type ActionName = keyof typeof Actions

// ---------------------------------------------------------------------------------------------
// PS3.8 Table 9-10, one row per event, one column per state (Sta1 … Sta13). "" = not applicable.
// ---------------------------------------------------------------------------------------------

type Cell = ActionName | ""
type Row = readonly [Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell]

const table: Readonly<Record<EventName, Row>> = {
  //       Sta1    Sta2    Sta3    Sta4    Sta5    Sta6    Sta7    Sta8    Sta9    Sta10    Sta11   Sta12   Sta13
  Evt1:  ["AE-1", "",     "",     "",     "",     "",     "",     "",     "",     "",      "",     "",     ""    ],
  Evt2:  ["",     "",     "",     "AE-2", "",     "",     "",     "",     "",     "",      "",     "",     ""    ],
  Evt3:  ["",     "AA-1", "AA-8", "",     "AE-3", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8",  "AA-8", "AA-8", "AA-6"],
  Evt4:  ["",     "AA-1", "AA-8", "",     "AE-4", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8",  "AA-8", "AA-8", "AA-6"],
  Evt5:  ["AE-5", "",     "",     "",     "",     "",     "",     "",     "",     "",      "",     "",     ""    ],
  Evt6:  ["",     "AE-6", "AA-8", "",     "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8",  "AA-8", "AA-8", "AA-7"],
  Evt7:  ["",     "",     "AE-7", "",     "",     "",     "",     "",     "",     "",      "",     "",     ""    ],
  Evt8:  ["",     "",     "AE-8", "",     "",     "",     "",     "",     "",     "",      "",     "",     ""    ],
  Evt9:  ["",     "",     "",     "",     "",     "DT-1", "",     "AR-7", "",     "",      "",     "",     ""    ],
  Evt10: ["",     "AA-1", "AA-8", "",     "AA-8", "DT-2", "AR-6", "AA-8", "AA-8", "AA-8",  "AA-8", "AA-8", "AA-6"],
  Evt11: ["",     "",     "",     "",     "",     "AR-1", "",     "",     "",     "",      "",     "",     ""    ],
  Evt12: ["",     "AA-1", "AA-8", "",     "AA-8", "AR-2", "AR-8", "AA-8", "AA-8", "AA-8",  "AA-8", "AA-8", "AA-6"],
  Evt13: ["",     "AA-1", "AA-8", "",     "AA-8", "AA-8", "AR-3", "AA-8", "AA-8", "AR-10", "AR-3", "AA-8", "AA-6"],
  Evt14: ["",     "",     "",     "",     "",     "",     "",     "AR-4", "AR-9", "",      "",     "AR-4", ""    ],
  Evt15: ["",     "",     "AA-1", "AA-2", "AA-1", "AA-1", "AA-1", "AA-1", "AA-1", "AA-1",  "AA-1", "AA-1", ""    ],
  Evt16: ["",     "AA-2", "AA-3", "",     "AA-3", "AA-3", "AA-3", "AA-3", "AA-3", "AA-3",  "AA-3", "AA-3", "AA-2"],
  Evt17: ["",     "AA-5", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4",  "AA-4", "AA-4", "AR-5"],
  Evt18: ["",     "AA-2", "",     "",     "",     "",     "",     "",     "",     "",      "",     "",     "AA-2"],
  Evt19: ["",     "AA-1", "AA-8", "",     "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8",  "AA-8", "AA-8", "AA-7"]
}

/** PS3.8 Table 9-10 (the transition table): the action for an (event, state) cell, or undefined when not applicable. @category table */
export const actionFor = (event: EventName, state: State): ActionName | undefined => {
  const cell = table[event][stateIndex(state)]
  return cell === "" || cell === undefined ? undefined : cell
}

const stateIndex = (state: State): number => Number(state.slice(3)) - 1

/** PS3.8 §9.2: run the table's action for `event` in `state`; a not-applicable cell leaves the state and emits nothing. @category transition */
export const transition = (state: State, event: Event, context: Context): Transition => {
  const action = actionFor(event._tag, state)
  if (action === undefined) return { state, outputs: [], action: undefined }
  const result = (Actions[action] as ActionDefinition).run(event, context)
  return { state: result.state, outputs: result.outputs, action }
}

/** The initial state of every association: Sta1 (Idle). @category states */
export const initial: State = "Sta1"
