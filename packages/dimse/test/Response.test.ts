import { describe, expect, it } from "@effect/vitest"
import { Command, CommandDump, CommandSet } from "@dicomnet/dimse"
import { ok } from "./helpers.js"

const storeRq = Command.cStoreRq({ messageId: 12, affectedSopClassUid: "1.2.3", affectedSopInstanceUid: "1.2.3.4", priority: 0 })

describe("PS3.7 §9.3 / §10.3 · responses built from their requests (U(=) and C(=) fields copied)", () => {
  it("C-STORE-RSP copies the message id and the affected SOP class and instance", () => {
    expect(Command.responseTo(storeRq, 0)).toEqual({
      _tag: "CStoreRsp",
      messageIdBeingRespondedTo: 12,
      status: 0,
      hasDataset: false,
      affectedSopClassUid: "1.2.3",
      affectedSopInstanceUid: "1.2.3.4"
    })
  })

  it("C-FIND-RSP: no instance UID; pending responses may announce an identifier", () => {
    const find = Command.cFindRq({ messageId: 3, affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.1", priority: 0 })
    const rsp = Command.responseTo(find, 0xff00, { hasDataset: true })
    expect(rsp).toEqual({ _tag: "CFindRsp", messageIdBeingRespondedTo: 3, status: 0xff00, hasDataset: true, affectedSopClassUid: find.affectedSopClassUid })
  })

  it("C-MOVE-RSP takes sub-operation counts from the fields", () => {
    const move = Command.cMoveRq({ messageId: 4, affectedSopClassUid: "1.2", priority: 0, moveDestination: "X" })
    const rsp = Command.responseTo(move, 0xb000, { numberOfCompletedSuboperations: 3, numberOfFailedSuboperations: 1 })
    expect(rsp).toMatchObject({ _tag: "CMoveRsp", numberOfCompletedSuboperations: 3, numberOfFailedSuboperations: 1 })
    expect("affectedSopInstanceUid" in rsp).toBe(false)
  })

  it("N-ACTION-RSP answers the requested SOP class/instance as affected ones and copies the Action Type ID", () => {
    const action = Command.nActionRq({ messageId: 5, requestedSopClassUid: "1.2.840.10008.1.20.1", requestedSopInstanceUid: "1.2.840.10008.1.20.1.1", actionTypeId: 1, hasDataset: true })
    expect(Command.responseTo(action, 0)).toEqual({
      _tag: "NActionRsp",
      messageIdBeingRespondedTo: 5,
      status: 0,
      hasDataset: false,
      affectedSopClassUid: "1.2.840.10008.1.20.1",
      affectedSopInstanceUid: "1.2.840.10008.1.20.1.1",
      actionTypeId: 1
    })
  })

  it("every response built this way encodes and decodes back", () => {
    const event = Command.nEventReportRq({ messageId: 6, affectedSopClassUid: "1.2", affectedSopInstanceUid: "1.2.3", eventTypeId: 2 })
    for (const rsp of [Command.responseTo(storeRq, 0x0111, { errorComment: "duplicate" }), Command.responseTo(event, 0)]) {
      expect(ok(CommandSet.decode(ok(CommandSet.encode(rsp))))).toEqual(rsp)
    }
  })
})

describe("CommandDump · readable commands", () => {
  it("names messages as PS3.7 does", () => {
    expect(CommandDump.name(storeRq)).toBe("C-STORE-RQ")
    expect(CommandDump.name(Command.nEventReportRsp({ messageIdBeingRespondedTo: 1, status: 0 }))).toBe("N-EVENT-REPORT-RSP")
    expect(CommandDump.name(Command.cCancelRq({ messageIdBeingRespondedTo: 1 }))).toBe("C-CANCEL-RQ")
  })

  it("renders one element per line, with the status meaning for the service", () => {
    const rsp = Command.cMoveRsp({ messageIdBeingRespondedTo: 7, status: 0xa801, offendingElement: [0x00100010] })
    expect(CommandDump.render(rsp)).toBe(
      [
        "C-MOVE-RSP",
        "  (0000,0120) messageIdBeingRespondedTo 7",
        "  (0000,0900) status Refused: move destination unknown (0xA801)",
        "  (0000,0901) offendingElement (0010,0010)",
        "  (0000,0800) hasDataset no (0101H)"
      ].join("\n")
    )
  })
})
