// DCMTK compatibility (dcmdump / dump2dcm of DCMTK 3.6.7): our command sets read by DCMTK, DCMTK's read by us.
// These tests fail (never skip) when DCMTK is missing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Command, CommandSet } from "@dicomnet/dimse"
import { Dcmtk } from "@dicomnet/testkit"
import { ok, toHex } from "./helpers.js"

const dir = mkdtempSync(join(tmpdir(), "dimse-dcmtk-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const uid = "1.2.840.10008.5.1.4.1.1.2"
const inst = "1.2.826.0.1.3680043.2.1125.1.2"
const detail = { errorComment: "Some failure", errorId: 5, offendingElement: [0x00100010, 0x00100020] }
const commands: ReadonlyArray<Command.DimseCommand> = [
  Command.cEchoRq({ messageId: 1, affectedSopClassUid: "1.2.840.10008.1.1" }),
  Command.cEchoRsp({ messageIdBeingRespondedTo: 1, status: 0, affectedSopClassUid: "1.2.840.10008.1.1" }),
  Command.cStoreRq({ messageId: 2, affectedSopClassUid: uid, affectedSopInstanceUid: inst, priority: 2, moveOriginatorApplicationEntityTitle: "MOVESCU", moveOriginatorMessageId: 9 }),
  Command.cStoreRsp({ messageIdBeingRespondedTo: 2, status: 0xa900, affectedSopClassUid: uid, affectedSopInstanceUid: inst, ...detail }),
  Command.cFindRq({ messageId: 3, affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.1", priority: 0 }),
  Command.cFindRsp({ messageIdBeingRespondedTo: 3, status: 0xff00, hasDataset: true }),
  Command.cGetRq({ messageId: 4, affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.3", priority: 1 }),
  Command.cGetRsp({ messageIdBeingRespondedTo: 4, status: 0xff00, numberOfRemainingSuboperations: 3, numberOfCompletedSuboperations: 2, numberOfFailedSuboperations: 1, numberOfWarningSuboperations: 0 }),
  Command.cMoveRq({ messageId: 5, affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.2", priority: 0, moveDestination: "STORESCP" }),
  Command.cMoveRsp({ messageIdBeingRespondedTo: 5, status: 0xb000, numberOfCompletedSuboperations: 7, numberOfFailedSuboperations: 1 }),
  Command.cCancelRq({ messageIdBeingRespondedTo: 5 }),
  Command.nEventReportRq({ messageId: 6, affectedSopClassUid: "1.2.840.10008.1.20.1", affectedSopInstanceUid: "1.2.840.10008.1.20.1.1", eventTypeId: 1, hasDataset: true }),
  Command.nEventReportRsp({ messageIdBeingRespondedTo: 6, status: 0, eventTypeId: 1 }),
  Command.nGetRq({ messageId: 7, requestedSopClassUid: "1.2.840.10008.3.1.2.3.3", requestedSopInstanceUid: inst, attributeIdentifierList: [0x00081150, 0x00400252] }),
  Command.nGetRsp({ messageIdBeingRespondedTo: 7, status: 0x0107, attributeIdentifierList: [0x00081150], hasDataset: true }),
  Command.nSetRq({ messageId: 8, requestedSopClassUid: "1.2.840.10008.3.1.2.3.3", requestedSopInstanceUid: inst }),
  Command.nSetRsp({ messageIdBeingRespondedTo: 8, status: 0x0106, ...detail }),
  Command.nActionRq({ messageId: 9, requestedSopClassUid: "1.2.840.10008.1.20.1", requestedSopInstanceUid: "1.2.840.10008.1.20.1.1", actionTypeId: 1, hasDataset: true }),
  Command.nActionRsp({ messageIdBeingRespondedTo: 9, status: 0, actionTypeId: 1 }),
  Command.nCreateRq({ messageId: 10, affectedSopClassUid: "1.2.840.10008.3.1.2.3.3", affectedSopInstanceUid: inst, hasDataset: true }),
  Command.nCreateRsp({ messageIdBeingRespondedTo: 10, status: 0, affectedSopInstanceUid: inst }),
  Command.nDeleteRq({ messageId: 11, requestedSopClassUid: "1.2.840.10008.5.1.1.1", requestedSopInstanceUid: inst }),
  Command.nDeleteRsp({ messageIdBeingRespondedTo: 11, status: 0x0112 })
]

// "(0000,0100) US 48   # 2, 1 CommandField" -> Map("00000100" -> "48")
const parseDump = (text: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const line of text.split("\n")) {
    const m = /^\((0000),([0-9a-f]{4})\) [A-Z]{2} (.*?)\s+#/.exec(line)
    if (m !== null) out.set(`${m[1]}${m[2]}`, (m[3] as string).trim())
  }
  return out
}

const atText = (tags: ReadonlyArray<number>) =>
  tags.map((t) => `(${(t >>> 16).toString(16).padStart(4, "0")},${(t & 0xffff).toString(16).padStart(4, "0")})`).join("\\")

describe("DCMTK 3.6.7 compatibility", () => {
  it("dcmdump reads every command set we encode, with the same group length and values", async () => {
    expect(commands.map((c) => c._tag).sort()).toEqual(Object.keys(Command.CommandField).sort())
    for (const command of commands) {
      const bytes = ok(CommandSet.encode(command))
      const file = join(dir, `${command._tag}.bin`)
      writeFileSync(file, bytes)
      const result = await Dcmtk.run("dcmdump", ["-f", "-ti", "+L", "-Un", file])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toBe("")
      const dump = parseDump(result.stdout)
      expect(dump.get("00000000")).toBe(String(bytes.byteLength - 12))
      expect(dump.get("00000100")).toBe(String(Command.commandField(command)))
      expect(dump.get("00000800")).toBe(command.hasDataset ? "1" : "257")
      const c = command as unknown as Record<string, unknown>
      const expectations: ReadonlyArray<readonly [string, string]> = [
        ["affectedSopClassUid", "00000002"],
        ["requestedSopClassUid", "00000003"],
        ["affectedSopInstanceUid", "00001000"],
        ["requestedSopInstanceUid", "00001001"],
        ["moveDestination", "00000600"],
        ["moveOriginatorApplicationEntityTitle", "00001030"],
        ["errorComment", "00000902"]
      ]
      for (const [key, tag] of expectations) if (c[key] !== undefined) expect(dump.get(tag)).toBe(`[${String(c[key])}]`)
      for (const [key, tag] of [
        ["messageId", "00000110"],
        ["messageIdBeingRespondedTo", "00000120"],
        ["priority", "00000700"],
        ["status", "00000900"],
        ["errorId", "00000903"],
        ["eventTypeId", "00001002"],
        ["actionTypeId", "00001008"],
        ["numberOfRemainingSuboperations", "00001020"],
        ["numberOfCompletedSuboperations", "00001021"],
        ["numberOfFailedSuboperations", "00001022"],
        ["numberOfWarningSuboperations", "00001023"],
        ["moveOriginatorMessageId", "00001031"]
      ] as const) {
        if (c[key] !== undefined) expect(dump.get(tag)).toBe(String(c[key]))
      }
      if (c["offendingElement"] !== undefined) expect(dump.get("00000901")).toBe(atText(c["offendingElement"] as Array<number>))
      if (c["attributeIdentifierList"] !== undefined) {
        expect(dump.get("00001005")).toBe(atText(c["attributeIdentifierList"] as Array<number>))
      }
    }
  })

  it("we decode what dump2dcm writes (Implicit VR LE, group length created by DCMTK), retired elements included", async () => {
    const text = [
      "(0000,0002) UI [1.2.840.10008.5.1.4.1.2.2.2]",
      "(0000,0100) US 32801", // 8021H C-MOVE-RSP
      "(0000,0120) US 5",
      "(0000,0800) US 257",
      "(0000,0900) US 45056", // B000H
      "(0000,0902) LO [Two failed]",
      "(0000,1020) US 0",
      "(0000,1021) US 8",
      "(0000,1022) US 2",
      "(0000,1023) US 0",
      "(0000,4000) LT [retired Dialog Receiver]"
    ].join("\n")
    writeFileSync(join(dir, "move-rsp.txt"), text)
    const out = join(dir, "move-rsp.bin")
    const result = await Dcmtk.run("dump2dcm", ["-F", "+ti", "+g", join(dir, "move-rsp.txt"), out])
    expect(result.code, result.stderr).toBe(0)
    expect(ok(CommandSet.decode(new Uint8Array(readFileSync(out))))).toEqual({
      _tag: "CMoveRsp",
      affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.2",
      messageIdBeingRespondedTo: 5,
      hasDataset: false,
      status: 0xb000,
      errorComment: "Two failed",
      numberOfRemainingSuboperations: 0,
      numberOfCompletedSuboperations: 8,
      numberOfFailedSuboperations: 2,
      numberOfWarningSuboperations: 0
    })
  })

  it("dump2dcm and our encoder write the same bytes for a C-ECHO-RQ", async () => {
    writeFileSync(join(dir, "echo.txt"), "(0000,0002) UI [1.2.840.10008.1.1]\n(0000,0100) US 48\n(0000,0110) US 7\n(0000,0800) US 257\n")
    const out = join(dir, "echo.bin")
    const result = await Dcmtk.run("dump2dcm", ["-F", "+ti", "+g", join(dir, "echo.txt"), out])
    expect(result.code, result.stderr).toBe(0)
    const ours = ok(CommandSet.encode(Command.cEchoRq({ messageId: 7, affectedSopClassUid: "1.2.840.10008.1.1" })))
    expect(toHex(ours)).toBe(toHex(new Uint8Array(readFileSync(out))))
  })
})
