import { assert, describe, expect, it } from "@effect/vitest"
import { Command, CommandSet } from "@dicomnet/dimse"
import { Arbitrary, Effect, Result } from "effect"
import { ascii, err, hex, normalized, ok, toHex } from "./helpers.js"

// PS3.7 §9.3.5.1 C-ECHO-RQ, Implicit VR Little Endian, worked out by hand from PS3.7 Annex E:
//   (0000,0000) UL 4   = 56 (the bytes after this element)
//   (0000,0002) UI 18  = "1.2.840.10008.1.1" + NUL pad (17 characters -> even length 18)
//   (0000,0100) US 2   = 0030H (C-ECHO-RQ)
//   (0000,0110) US 2   = 0001H (message id 1)
//   (0000,0800) US 2   = 0101H (no data set)
const echoRqBytes = hex(`
  00 00 00 00 04 00 00 00 38 00 00 00
  00 00 02 00 12 00 00 00 ${ascii("1.2.840.10008.1.1")} 00
  00 00 00 01 02 00 00 00 30 00
  00 00 10 01 02 00 00 00 01 00
  00 00 00 08 02 00 00 00 01 01`)

// PS3.7 §9.3.5.2 C-ECHO-RSP, success, message id 1 being responded to.
const echoRspBytes = hex(`
  00 00 00 00 04 00 00 00 42 00 00 00
  00 00 02 00 12 00 00 00 ${ascii("1.2.840.10008.1.1")} 00
  00 00 00 01 02 00 00 00 30 80
  00 00 20 01 02 00 00 00 01 00
  00 00 00 08 02 00 00 00 01 01
  00 00 00 09 02 00 00 00 00 00`)

const echoRq = Command.cEchoRq({ messageId: 1, affectedSopClassUid: "1.2.840.10008.1.1" })

describe("PS3.7 §6.3 + Annex E · command set encoding", () => {
  it("encodes a C-ECHO-RQ byte for byte as PS3.7 specifies (group length first, UI padded with NUL)", () => {
    expect(toHex(ok(CommandSet.encode(echoRq)))).toBe(toHex(echoRqBytes))
  })

  it("encodes a C-ECHO-RSP byte for byte (Command Field 8030H, Status last)", () => {
    const rsp = Command.cEchoRsp({ messageIdBeingRespondedTo: 1, status: 0, affectedSopClassUid: "1.2.840.10008.1.1" })
    expect(echoRspBytes.byteLength).toBe(12 + 0x42)
    expect(toHex(ok(CommandSet.encode(rsp)))).toBe(toHex(echoRspBytes))
  })

  it("pads AE titles and LO values with a space, and writes Command Data Set Type 0001H when a data set follows", () => {
    const move = Command.cMoveRq({ messageId: 7, affectedSopClassUid: "1.2", priority: 0, moveDestination: "DEST" })
    const rsp = Command.cStoreRsp({ messageIdBeingRespondedTo: 9, status: 0xc000, errorComment: "bad" })
    const moveBytes = ok(CommandSet.encode(move))
    const rspBytes = ok(CommandSet.encode(rsp))
    expect(toHex(moveBytes)).toContain(`00 00 00 06 04 00 00 00 ${ascii("DEST")}`)
    expect(toHex(moveBytes)).toContain("00 00 00 08 02 00 00 00 01 00")
    expect(toHex(rspBytes)).toContain(`00 00 02 09 04 00 00 00 ${ascii("bad ")}`)
  })

  it("writes elements in ascending tag order and a group length equal to the bytes that follow", () => {
    const store = Command.cStoreRq({
      messageId: 3,
      affectedSopClassUid: "1.2.840.10008.5.1.4.1.1.2",
      affectedSopInstanceUid: "1.2.3.4",
      priority: 2,
      moveOriginatorApplicationEntityTitle: "MOVER",
      moveOriginatorMessageId: 99
    })
    const bytes = ok(CommandSet.encode(store))
    const view = new DataView(bytes.buffer)
    expect(view.getUint32(8, true)).toBe(bytes.byteLength - 12)
    const tags: Array<number> = []
    for (let o = 0; o < bytes.byteLength; o += 8 + view.getUint32(o + 4, true)) {
      tags.push(view.getUint16(o + 2, true))
      expect(view.getUint32(o + 4, true) % 2).toBe(0)
    }
    expect(tags).toEqual([0x0000, 0x0002, 0x0100, 0x0110, 0x0700, 0x0800, 0x1000, 0x1030, 0x1031])
  })

  it("refuses values outside their VR instead of truncating them", () => {
    const e1 = err(CommandSet.encode(Command.cEchoRq({ messageId: 70000, affectedSopClassUid: "1.2" })))
    expect(e1._tag).toBe("DimseEncodeError")
    expect(e1.tag).toBe(0x00000110)
    const e2 = err(CommandSet.encode(Command.cEchoRq({ messageId: 1, affectedSopClassUid: "1.2.x" })))
    expect(e2.tag).toBe(0x00000002)
    const e3 = err(
      CommandSet.encode(Command.cMoveRq({ messageId: 1, affectedSopClassUid: "1.2", priority: 0, moveDestination: "A".repeat(17) }))
    )
    expect(e3.tag).toBe(0x00000600)
    const e4 = err(CommandSet.encode(Command.cStoreRsp({ messageIdBeingRespondedTo: 1, status: 0, errorComment: "é" })))
    expect(e4.reason).toContain("repertoire")
  })
})

describe("PS3.7 §6.3 + Annex E · command set decoding", () => {
  it("decodes the golden C-ECHO-RQ", () => {
    expect(ok(CommandSet.decode(echoRqBytes))).toEqual(echoRq)
  })

  it("decodes the golden C-ECHO-RSP", () => {
    expect(ok(CommandSet.decode(echoRspBytes))).toEqual({
      _tag: "CEchoRsp",
      affectedSopClassUid: "1.2.840.10008.1.1",
      messageIdBeingRespondedTo: 1,
      hasDataset: false,
      status: 0
    })
  })

  it("reads any Command Data Set Type other than 0101H as 'a data set follows'", () => {
    for (const type of [0x0000, 0x0001, 0x0102, 0xfefe]) {
      const bytes = echoRqBytes.slice()
      new DataView(bytes.buffer).setUint16(bytes.byteLength - 2, type, true)
      expect(ok(CommandSet.decode(bytes)).hasDataset).toBe(true)
    }
  })

  it("skips unknown and retired group-0000 elements and tolerates a missing or wrong group length", () => {
    // Retired (0000,0001) Command Length To End, (0000,4000) Dialog Receiver, and an unknown (0000,7777).
    const extra = hex(`00 00 01 00 04 00 00 00 00 00 00 00  00 00 00 40 02 00 00 00 ${ascii("AB")}  00 00 77 77 00 00 00 00`)
    const noGroupLength = echoRqBytes.subarray(12)
    const bytes = new Uint8Array(extra.byteLength + noGroupLength.byteLength)
    bytes.set(extra)
    bytes.set(noGroupLength, extra.byteLength)
    expect(ok(CommandSet.decode(bytes))).toEqual(echoRq)
    const wrongLength = echoRqBytes.slice()
    new DataView(wrongLength.buffer).setUint32(8, 1234, true)
    expect(ok(CommandSet.decode(wrongLength))).toEqual(echoRq)
  })

  it("drops space padding of UIDs and AE titles written by lenient peers", () => {
    const bytes = ok(CommandSet.encode(Command.cMoveRq({ messageId: 1, affectedSopClassUid: "1.2", priority: 1, moveDestination: "  DEST" })))
    expect(ok(CommandSet.decode(bytes))).toMatchObject({ moveDestination: "DEST", affectedSopClassUid: "1.2" })
    const spaced = echoRqBytes.slice()
    spaced[12 + 8 + 17] = 0x20 // UID padded with a space instead of NUL
    expect(ok(CommandSet.decode(spaced))).toEqual(echoRq)
  })

  describe("rejects truncated or malformed input with a DimseDecodeError naming offset and tag", () => {
    it("a truncated element header", () => {
      const e = err(CommandSet.decode(echoRqBytes.subarray(0, 16)))
      expect(e).toMatchObject({ _tag: "DimseDecodeError", offset: 12 })
      expect(e.reason).toContain("truncated")
    })
    it("a value length past the end (never allocated)", () => {
      const bytes = echoRqBytes.slice()
      new DataView(bytes.buffer).setUint32(16, 0xfffffff0, true)
      expect(err(CommandSet.decode(bytes))).toMatchObject({ offset: 12, tag: 0x00000002 })
    })
    it("every truncation of a valid command set", () => {
      for (let n = 1; n < echoRqBytes.byteLength; n++) {
        expect(Result.isFailure(CommandSet.decode(echoRqBytes.subarray(0, n)))).toBe(true)
      }
    })
    it("an element outside group 0000", () => {
      const bytes = echoRqBytes.slice()
      bytes[12] = 0x08
      expect(err(CommandSet.decode(bytes))).toMatchObject({ offset: 12, tag: 0x00080002 })
    })
    it("a US value whose length is not 2", () => {
      const bytes = hex(`00 00 00 01 04 00 00 00 30 00 00 00`)
      expect(err(CommandSet.decode(bytes))).toMatchObject({ offset: 0, tag: 0x00000100 })
    })
    it("an AT value whose length is not a multiple of 4", () => {
      const bytes = hex(`00 00 01 09 02 00 00 00 10 00`)
      expect(err(CommandSet.decode(bytes)).tag).toBe(0x00000901)
    })
    it("a missing or unknown Command Field", () => {
      expect(err(CommandSet.decode(new Uint8Array(0))).tag).toBe(0x00000100)
      const bytes = echoRqBytes.slice()
      bytes[12 + 26 + 8] = 0x31
      expect(err(CommandSet.decode(bytes)).reason).toContain("unknown Command Field 0x0031")
    })
    it("a missing Command Data Set Type", () => {
      expect(err(CommandSet.decode(echoRqBytes.subarray(0, echoRqBytes.byteLength - 10))).tag).toBe(0x00000800)
    })
    it("a missing required field (C-ECHO-RQ without Message ID)", () => {
      const bytes = new Uint8Array([...echoRqBytes.subarray(12, 48), ...echoRqBytes.subarray(58)])
      expect(err(CommandSet.decode(bytes))).toMatchObject({ tag: 0x00000110 })
    })
    it("a Priority other than 0, 1 or 2", () => {
      const find = ok(CommandSet.encode(Command.cFindRq({ messageId: 1, affectedSopClassUid: "1.2", priority: 2 })))
      const view = new DataView(find.buffer)
      for (let o = 12; o < find.byteLength; o += 8 + view.getUint32(o + 4, true)) {
        if (view.getUint16(o + 2, true) === 0x0700) view.setUint16(o + 8, 3, true)
      }
      expect(err(CommandSet.decode(find)).tag).toBe(0x00000700)
    })
    it("a UID longer than 64 bytes", () => {
      const long = hex(`00 00 02 00 42 00 00 00 ${ascii("1".repeat(66))}`)
      expect(err(CommandSet.decode(long)).tag).toBe(0x00000002)
    })
  })
})

describe("PS3.7 §9.3 + §10.3 · every command type round-trips", () => {
  const samples = Effect.runSync(Arbitrary.sampleEffect(Arbitrary.schema(Command.DimseCommand), { count: 3000, seed: 1 }))

  it("the generator covers every DIMSE-C and DIMSE-N request and response", () => {
    const seen = new Set(samples.map((c) => c._tag))
    expect([...seen].sort()).toEqual(Object.keys(Command.CommandField).sort())
  })

  it.prop("decode(encode(command)) = command (AE/LO trimmed) for generated commands", [Command.DimseCommand], ([command]) => {
    const bytes = ok(CommandSet.encode(command))
    assert.deepStrictEqual(ok(CommandSet.decode(bytes)), normalized(command))
  }, { arbitrary: { runs: 2000 } })

  it("decode(encode(command)) = command for 3000 sampled commands, every decoded command valid per its Schema", () => {
    for (const command of samples) {
      const decoded = ok(CommandSet.decode(ok(CommandSet.encode(command))))
      expect(decoded).toEqual(normalized(command))
      expect(Result.isSuccess(Command.validate(decoded))).toBe(true)
    }
  })

  it("encode(decode(bytes)) = bytes for encoded commands without padding spaces", () => {
    for (const command of samples.slice(0, 500)) {
      const bytes = ok(CommandSet.encode(normalized(command)))
      expect(toHex(ok(CommandSet.encode(ok(CommandSet.decode(bytes)))))).toBe(toHex(bytes))
    }
  })
})

describe("Command · constructors and getters", () => {
  it("constructors set the PS3.7 default of Command Data Set Type per message", () => {
    expect(Command.cStoreRq({ messageId: 1, affectedSopClassUid: "1", affectedSopInstanceUid: "2", priority: 0 }).hasDataset).toBe(true)
    expect(Command.cFindRq({ messageId: 1, affectedSopClassUid: "1", priority: 0 }).hasDataset).toBe(true)
    expect(Command.nSetRq({ messageId: 1, requestedSopClassUid: "1", requestedSopInstanceUid: "2" }).hasDataset).toBe(true)
    expect(echoRq.hasDataset).toBe(false)
    expect(Command.cFindRsp({ messageIdBeingRespondedTo: 1, status: 0xff00, hasDataset: true }).hasDataset).toBe(true)
  })

  it("tells requests from responses and finds the message id", () => {
    const cancel = Command.cCancelRq({ messageIdBeingRespondedTo: 5 })
    expect(Command.isRequest(cancel)).toBe(true)
    expect(Command.isResponse(Command.cEchoRsp({ messageIdBeingRespondedTo: 1, status: 0 }))).toBe(true)
    expect(Command.messageIdOf(cancel)).toBe(5)
    expect(Command.messageIdOf(echoRq)).toBe(1)
    expect(Command.commandField(cancel)).toBe(0x0fff)
    expect(Command.tagOfCommandField(0x8021)).toBe("CMoveRsp")
    expect(Command.tagOfCommandField(0x1234)).toBeUndefined()
  })

  it("the Schemas reject what PS3.5/PS3.7 forbid", () => {
    const bad = [
      { ...echoRq, messageId: 65536 },
      { ...echoRq, affectedSopClassUid: "1.02" },
      { ...echoRq, affectedSopClassUid: `1.${"2".repeat(63)}` },
      { _tag: "CFindRq", messageId: 1, affectedSopClassUid: "1.2", priority: 3, hasDataset: true },
      { _tag: "CMoveRq", messageId: 1, affectedSopClassUid: "1.2", priority: 0, hasDataset: true, moveDestination: "    " }
    ]
    for (const b of bad) expect(Result.isFailure(Command.validate(b))).toBe(true)
    expect(Result.isSuccess(Command.validate(echoRq))).toBe(true)
  })
})
