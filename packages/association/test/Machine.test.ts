import { describe, expect, it } from "@effect/vitest"
import { Machine } from "@dicomnet/association"
import { ac, pdata, rj, rq } from "./fixtures.js"

type State = Machine.State
type Event = Machine.Event
type Output = Machine.Output

const requestor: Machine.Context = { role: "requestor", associateRq: rq }
const acceptor: Machine.Context = { role: "acceptor" }

/** One sample event (with a payload where the event has one) per event name. */
const sample: Record<Machine.EventName, Event> = {
  Evt1: { _tag: "Evt1", rq },
  Evt2: { _tag: "Evt2" },
  Evt3: { _tag: "Evt3", pdu: ac },
  Evt4: { _tag: "Evt4", pdu: rj },
  Evt5: { _tag: "Evt5" },
  Evt6: { _tag: "Evt6", pdu: rq },
  Evt7: { _tag: "Evt7", ac },
  Evt8: { _tag: "Evt8", rj },
  Evt9: { _tag: "Evt9", pdata },
  Evt10: { _tag: "Evt10", pdu: pdata },
  Evt11: { _tag: "Evt11" },
  Evt12: { _tag: "Evt12", pdu: { _tag: "AReleaseRq" } },
  Evt13: { _tag: "Evt13", pdu: { _tag: "AReleaseRp" } },
  Evt14: { _tag: "Evt14" },
  Evt15: { _tag: "Evt15" },
  Evt16: { _tag: "Evt16", pdu: { _tag: "AAbort", source: 0, reason: 0 } },
  Evt17: { _tag: "Evt17" },
  Evt18: { _tag: "Evt18" },
  Evt19: { _tag: "Evt19", error: { _tag: "PduDecodeError" } }
}

// PS3.8 Table 9-10 transcribed independently of src: for each event, the non-empty cells.
const expectedTable: Record<Machine.EventName, Partial<Record<State, Machine.ActionName>>> = {
  Evt1: { Sta1: "AE-1" },
  Evt2: { Sta4: "AE-2" },
  Evt3: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AE-3", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6" },
  Evt4: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AE-4", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6" },
  Evt5: { Sta1: "AE-5" },
  Evt6: { Sta2: "AE-6", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-7" },
  Evt7: { Sta3: "AE-7" },
  Evt8: { Sta3: "AE-8" },
  Evt9: { Sta6: "DT-1", Sta8: "AR-7" },
  Evt10: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "DT-2", Sta7: "AR-6", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6" },
  Evt11: { Sta6: "AR-1" },
  Evt12: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AR-2", Sta7: "AR-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6" },
  Evt13: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AR-3", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AR-10", Sta11: "AR-3", Sta12: "AA-8", Sta13: "AA-6" },
  Evt14: { Sta8: "AR-4", Sta9: "AR-9", Sta12: "AR-4" },
  Evt15: { Sta3: "AA-1", Sta4: "AA-2", Sta5: "AA-1", Sta6: "AA-1", Sta7: "AA-1", Sta8: "AA-1", Sta9: "AA-1", Sta10: "AA-1", Sta11: "AA-1", Sta12: "AA-1" },
  Evt16: { Sta2: "AA-2", Sta3: "AA-3", Sta5: "AA-3", Sta6: "AA-3", Sta7: "AA-3", Sta8: "AA-3", Sta9: "AA-3", Sta10: "AA-3", Sta11: "AA-3", Sta12: "AA-3", Sta13: "AA-2" },
  Evt17: { Sta2: "AA-5", Sta3: "AA-4", Sta4: "AA-4", Sta5: "AA-4", Sta6: "AA-4", Sta7: "AA-4", Sta8: "AA-4", Sta9: "AA-4", Sta10: "AA-4", Sta11: "AA-4", Sta12: "AA-4", Sta13: "AR-5" },
  Evt18: { Sta2: "AA-2", Sta13: "AA-2" },
  Evt19: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-7" }
}

const send = (pdu: Extract<Output, { _tag: "SendPdu" }>["pdu"]): Output => ({ _tag: "SendPdu", pdu })
const indicate = (primitive: Machine.Primitive): Output => ({ _tag: "Indicate", primitive })
const startArtim: Output = { _tag: "StartArtim" }
const stopArtim: Output = { _tag: "StopArtim" }
const close: Output = { _tag: "CloseTransport" }

/** Expected reason of a provider A-ABORT for the sample event (Table 9-26). */
const reasonOf = (event: Event) => (event._tag === "Evt19" ? 6 : 2)

/** PS3.8 Tables 9-6 … 9-9, written from the standard's wording: next state and outputs of each action for the sample event. */
const expectedOf = (action: Machine.ActionName, event: Event): { state: State; outputs: ReadonlyArray<Output> } => {
  switch (action) {
    case "AE-1": return { state: "Sta4", outputs: [{ _tag: "OpenTransport" }] }
    case "AE-2": return { state: "Sta5", outputs: [send(rq)] }
    case "AE-3": return { state: "Sta6", outputs: [indicate({ _tag: "AAssociateConfirmationAccept", ac })] }
    case "AE-4": return { state: "Sta1", outputs: [indicate({ _tag: "AAssociateConfirmationReject", rj }), close] }
    case "AE-5": return { state: "Sta2", outputs: [startArtim] }
    case "AE-6": return { state: "Sta3", outputs: [stopArtim, indicate({ _tag: "AAssociateIndication", rq })] }
    case "AE-7": return { state: "Sta6", outputs: [send(ac)] }
    case "AE-8": return { state: "Sta13", outputs: [send(rj), startArtim] }
    case "DT-1": return { state: "Sta6", outputs: [send(pdata)] }
    case "DT-2": return { state: "Sta6", outputs: [indicate({ _tag: "PDataIndication", pdu: pdata })] }
    case "AR-1": return { state: "Sta7", outputs: [send({ _tag: "AReleaseRq" })] }
    case "AR-2": return { state: "Sta8", outputs: [indicate({ _tag: "AReleaseIndication", collision: false })] }
    case "AR-3": return { state: "Sta1", outputs: [indicate({ _tag: "AReleaseConfirmation" }), close] }
    case "AR-4": return { state: "Sta13", outputs: [send({ _tag: "AReleaseRp" }), startArtim] }
    case "AR-5": return { state: "Sta1", outputs: [stopArtim] }
    case "AR-6": return { state: "Sta7", outputs: [indicate({ _tag: "PDataIndication", pdu: pdata })] }
    case "AR-7": return { state: "Sta8", outputs: [send(pdata)] }
    case "AR-8": return { state: "Sta9", outputs: [indicate({ _tag: "AReleaseIndication", collision: true })] } // requestor
    case "AR-9": return { state: "Sta11", outputs: [send({ _tag: "AReleaseRp" })] }
    case "AR-10": return { state: "Sta12", outputs: [indicate({ _tag: "AReleaseConfirmation" })] }
    case "AA-1": return { state: "Sta13", outputs: [send({ _tag: "AAbort", source: 0, reason: 0 }), startArtim] }
    case "AA-2": return { state: "Sta1", outputs: [stopArtim, close] }
    case "AA-3": return { state: "Sta1", outputs: [indicate({ _tag: "AAbortIndication", source: 0, reason: 0 }), close] }
    case "AA-4": return { state: "Sta1", outputs: [indicate({ _tag: "APAbortIndication", source: "transport", reason: 0 })] }
    case "AA-5": return { state: "Sta1", outputs: [stopArtim] }
    case "AA-6": return { state: "Sta13", outputs: [] }
    case "AA-7": return { state: "Sta13", outputs: [send({ _tag: "AAbort", source: 2, reason: reasonOf(event) })] }
    case "AA-8": {
      const reason = reasonOf(event)
      return {
        state: "Sta13",
        outputs: [send({ _tag: "AAbort", source: 2, reason }), indicate({ _tag: "APAbortIndication", source: "local", reason }), startArtim]
      }
    }
  }
}

for (const state of Machine.allStates) {
  for (const eventName of Machine.allEvents) {
    describe(`PS3.8 Table 9-10 · ${state} + ${eventName}`, () => {
      const expectedAction = expectedTable[eventName][state]
      const event = sample[eventName]
      if (expectedAction === undefined) {
        it("is not applicable: no action, state unchanged, no outputs", () => {
          expect(Machine.actionFor(eventName, state)).toBeUndefined()
          expect(Machine.transition(state, event, requestor)).toEqual({ state, outputs: [], action: undefined })
        })
      } else {
        it(`runs ${expectedAction}: ${Machine.Actions[expectedAction].description}`, () => {
          const result = Machine.transition(state, event, requestor)
          const expected = expectedOf(expectedAction, event)
          expect(result.action).toBe(expectedAction)
          expect(result.state).toBe(expected.state)
          expect(result.outputs).toEqual(expected.outputs)
        })
      }
    })
  }
}

describe("PS3.8 Table 9-10 · the table", () => {
  it("has 13 states and 19 events", () => {
    expect(Machine.allStates).toHaveLength(13)
    expect(Machine.allEvents).toHaveLength(19)
  })
  it("names 28 actions (AE-1…AE-8, DT-1, DT-2, AR-1…AR-10, AA-1…AA-8)", () => {
    expect(Object.keys(Machine.Actions)).toHaveLength(28)
  })
})

describe("PS3.8 Table 9-10 · structural properties", () => {
  const pduEvents = ["Evt3", "Evt4", "Evt6", "Evt10", "Evt12", "Evt13", "Evt16", "Evt17", "Evt19"] as const
  it("every state with an open transport connection (Sta2, Sta3, Sta5–Sta13) handles every PDU, Evt17 and Evt19", () => {
    for (const state of Machine.allStates.filter((s) => s !== "Sta1" && s !== "Sta4")) {
      for (const event of pduEvents) {
        expect([state, event, Machine.actionFor(event, state) !== undefined]).toEqual([state, event, true])
      }
    }
  })
  it("no PDU can arrive in Sta1 (Idle) or Sta4 (transport not open yet)", () => {
    for (const state of ["Sta1", "Sta4"] as const) {
      for (const event of pduEvents.filter((e) => e !== "Evt17")) expect(Machine.actionFor(event, state)).toBeUndefined()
    }
  })
  it("every action of the table is used and every action named in Tables 9-6…9-9 appears in it", () => {
    const used = new Set<string>()
    for (const event of Machine.allEvents) for (const state of Machine.allStates) used.add(Machine.actionFor(event, state) ?? "")
    used.delete("")
    expect([...used].sort()).toEqual(Object.keys(Machine.Actions).sort())
  })
})

describe("PS3.8 §9.2.2 · actions that depend on context or payload", () => {
  it("AR-8 goes to Sta10 on the association-acceptor side", () => {
    const t = Machine.transition("Sta7", sample.Evt12, acceptor)
    expect(t.state).toBe("Sta10")
    expect(t.outputs).toEqual([indicate({ _tag: "AReleaseIndication", collision: true })])
  })
  it("AE-6 sends the provider's A-ASSOCIATE-RJ and restarts ARTIM when the RQ is not acceptable", () => {
    const providerRj = { _tag: "AAssociateRj", result: 1, source: 2, reason: 2 } as const
    const t = Machine.transition("Sta2", sample.Evt6, { role: "acceptor", providerCheck: () => providerRj })
    expect(t.state).toBe("Sta13")
    expect(t.outputs).toEqual([stopArtim, send(providerRj), startArtim])
  })
  it("AA-3 issues an A-P-ABORT indication when the A-ABORT's source is the service provider", () => {
    const t = Machine.transition("Sta6", { _tag: "Evt16", pdu: { _tag: "AAbort", source: 2, reason: 6 } }, requestor)
    expect(t.outputs).toEqual([indicate({ _tag: "APAbortIndication", source: "peer", reason: 6 }), close])
  })
  it("AA-8 for an unknown PDU type gives reason 1 (unrecognized PDU)", () => {
    const t = Machine.transition("Sta6", { _tag: "Evt19", error: { _tag: "UnknownPduType" } }, requestor)
    expect(t.outputs[0]).toEqual(send({ _tag: "AAbort", source: 2, reason: 1 }))
  })
})

/** Folds a list of events through the machine from a state, returning every transition. */
const run = (from: State, context: Machine.Context, events: ReadonlyArray<Event>) => {
  let state = from
  const steps: Array<{ action: Machine.ActionName | undefined; state: State }> = []
  const outputs: Array<Output> = []
  for (const event of events) {
    const t = Machine.transition(state, event, context)
    state = t.state
    steps.push({ action: t.action, state })
    outputs.push(...t.outputs)
  }
  return { state, steps, outputs }
}

describe("PS3.8 §9.2 · scenarios", () => {
  it("association-requestor lifecycle: connect, associate, P-DATA, release", () => {
    const r = run("Sta1", requestor, [sample.Evt1, sample.Evt2, sample.Evt3, sample.Evt9, sample.Evt10, sample.Evt11, sample.Evt13])
    expect(r.steps.map((s) => `${s.action}->${s.state}`)).toEqual([
      "AE-1->Sta4", "AE-2->Sta5", "AE-3->Sta6", "DT-1->Sta6", "DT-2->Sta6", "AR-1->Sta7", "AR-3->Sta1"
    ])
    expect(r.outputs.at(-1)).toEqual(close)
  })
  it("association-acceptor lifecycle: connection, indication, accept, P-DATA, release response, close", () => {
    const r = run("Sta1", acceptor, [sample.Evt5, sample.Evt6, sample.Evt7, sample.Evt10, sample.Evt9, sample.Evt12, sample.Evt9, sample.Evt14, sample.Evt17])
    expect(r.steps.map((s) => `${s.action}->${s.state}`)).toEqual([
      "AE-5->Sta2", "AE-6->Sta3", "AE-7->Sta6", "DT-2->Sta6", "DT-1->Sta6", "AR-2->Sta8", "AR-7->Sta8", "AR-4->Sta13", "AR-5->Sta1"
    ])
  })
  it("acceptor rejects: AE-8 then the requestor closes (AR-5)", () => {
    const r = run("Sta1", acceptor, [sample.Evt5, sample.Evt6, sample.Evt8, sample.Evt17])
    expect(r.steps.map((s) => s.action)).toEqual(["AE-5", "AE-6", "AE-8", "AR-5"])
    expect(r.state).toBe("Sta1")
  })
  it("release collision, requestor side: AR-8 (Sta9), AR-9 (Sta11), AR-3 (Sta1)", () => {
    const r = run("Sta6", requestor, [sample.Evt11, sample.Evt12, sample.Evt14, sample.Evt13])
    expect(r.steps.map((s) => `${s.action}->${s.state}`)).toEqual(["AR-1->Sta7", "AR-8->Sta9", "AR-9->Sta11", "AR-3->Sta1"])
    expect(r.outputs).toEqual([
      send({ _tag: "AReleaseRq" }),
      indicate({ _tag: "AReleaseIndication", collision: true }),
      send({ _tag: "AReleaseRp" }),
      indicate({ _tag: "AReleaseConfirmation" }),
      close
    ])
  })
  it("release collision, acceptor side: AR-8 (Sta10), AR-10 (Sta12), AR-4 (Sta13), AR-5 (Sta1)", () => {
    const r = run("Sta6", acceptor, [sample.Evt11, sample.Evt12, sample.Evt13, sample.Evt14, sample.Evt17])
    expect(r.steps.map((s) => `${s.action}->${s.state}`)).toEqual([
      "AR-1->Sta7", "AR-8->Sta10", "AR-10->Sta12", "AR-4->Sta13", "AR-5->Sta1"
    ])
  })
  it("ARTIM expiry in Sta2 (no A-ASSOCIATE-RQ arrived) closes the transport", () => {
    const r = run("Sta1", acceptor, [sample.Evt5, sample.Evt18])
    expect(r.steps.map((s) => s.action)).toEqual(["AE-5", "AA-2"])
    expect(r.outputs).toEqual([startArtim, stopArtim, close])
  })
  it("ARTIM expiry in Sta13 (peer never closed after our A-ABORT) closes the transport", () => {
    const r = run("Sta6", requestor, [sample.Evt15, sample.Evt18])
    expect(r.steps.map((s) => `${s.action}->${s.state}`)).toEqual(["AA-1->Sta13", "AA-2->Sta1"])
    expect(r.outputs).toEqual([send({ _tag: "AAbort", source: 0, reason: 0 }), startArtim, stopArtim, close])
  })
  it("PDUs arriving in Sta13 are ignored (AA-6) until the transport closes (AR-5)", () => {
    const r = run("Sta13", requestor, [sample.Evt10, sample.Evt12, sample.Evt17])
    expect(r.steps.map((s) => s.action)).toEqual(["AA-6", "AA-6", "AR-5"])
    expect(r.outputs).toEqual([stopArtim])
  })
  describe("an invalid PDU (Evt19) aborts in every state where a PDU can arrive", () => {
    for (const state of ["Sta2", "Sta3", "Sta5", "Sta6", "Sta7", "Sta8", "Sta9", "Sta10", "Sta11", "Sta12", "Sta13"] as const) {
      it(`${state}: sends an A-ABORT and ends in Sta13`, () => {
        const t = Machine.transition(state, sample.Evt19, requestor)
        expect(t.state).toBe("Sta13")
        const abort = t.outputs.find((o) => o._tag === "SendPdu")
        expect(abort?._tag === "SendPdu" ? abort.pdu._tag : undefined).toBe("AAbort")
      })
    }
  })
})
