/**
 * The command dictionary of PS3.7 Annex E (group 0000) as a small local table, and for each command the
 * ordered list of elements it may carry (derived from the command Schemas, so the two never disagree).
 *
 * A local table rather than @dicomnet/data's Dictionary: the codec needs only these ~25 elements, and a
 * switch over a dozen fixed VRs is faster than a generic dictionary lookup on the per-message hot path.
 */
import { SchemaAST } from "effect"
import * as Command from "../Command.js"

/** The VRs that occur in non-retired command elements. */
export type FieldVR = "UI" | "US" | "AE" | "AT" | "LO"

export interface FieldSpec {
  readonly tag: number
  readonly key: string
  readonly vr: FieldVR
  /** Largest value in bytes (strings) before padding. */
  readonly maxLength: number
}

/** Command Group Length (0000,0000), UL. */
export const CommandGroupLength = 0x00000000
/** Command Field (0000,0100), US. */
export const CommandFieldTag = 0x00000100
/** Command Data Set Type (0000,0800), US. */
export const CommandDataSetTypeTag = 0x00000800

/** PS3.7 Table E.1-1, non-retired elements other than the group length, command field and data set type. */
export const fields: ReadonlyArray<FieldSpec> = [
  { tag: 0x00000002, key: "affectedSopClassUid", vr: "UI", maxLength: 64 },
  { tag: 0x00000003, key: "requestedSopClassUid", vr: "UI", maxLength: 64 },
  { tag: 0x00000110, key: "messageId", vr: "US", maxLength: 2 },
  { tag: 0x00000120, key: "messageIdBeingRespondedTo", vr: "US", maxLength: 2 },
  { tag: 0x00000600, key: "moveDestination", vr: "AE", maxLength: 16 },
  { tag: 0x00000700, key: "priority", vr: "US", maxLength: 2 },
  { tag: 0x00000900, key: "status", vr: "US", maxLength: 2 },
  { tag: 0x00000901, key: "offendingElement", vr: "AT", maxLength: 0 },
  { tag: 0x00000902, key: "errorComment", vr: "LO", maxLength: 64 },
  { tag: 0x00000903, key: "errorId", vr: "US", maxLength: 2 },
  { tag: 0x00001000, key: "affectedSopInstanceUid", vr: "UI", maxLength: 64 },
  { tag: 0x00001001, key: "requestedSopInstanceUid", vr: "UI", maxLength: 64 },
  { tag: 0x00001002, key: "eventTypeId", vr: "US", maxLength: 2 },
  { tag: 0x00001005, key: "attributeIdentifierList", vr: "AT", maxLength: 0 },
  { tag: 0x00001008, key: "actionTypeId", vr: "US", maxLength: 2 },
  { tag: 0x00001020, key: "numberOfRemainingSuboperations", vr: "US", maxLength: 2 },
  { tag: 0x00001021, key: "numberOfCompletedSuboperations", vr: "US", maxLength: 2 },
  { tag: 0x00001022, key: "numberOfFailedSuboperations", vr: "US", maxLength: 2 },
  { tag: 0x00001023, key: "numberOfWarningSuboperations", vr: "US", maxLength: 2 },
  { tag: 0x00001030, key: "moveOriginatorApplicationEntityTitle", vr: "AE", maxLength: 16 },
  { tag: 0x00001031, key: "moveOriginatorMessageId", vr: "US", maxLength: 2 }
]

/** Field spec by tag, for the decoder. */
export const byTag: ReadonlyMap<number, FieldSpec> = new Map(fields.map((f) => [f.tag, f] as const))

export interface Layout {
  readonly tag: Command.CommandTag
  readonly commandField: number
  /** Elements the command may carry, in ascending tag order (command field and data set type excluded). */
  readonly fields: ReadonlyArray<FieldSpec>
  /** Elements the command must carry (PS3.7 "M"). */
  readonly required: ReadonlyArray<FieldSpec>
}

const schemas: { readonly [T in Command.CommandTag]: { readonly fields: Record<string, { readonly ast: SchemaAST.AST }> } } = Command.schemas

const makeLayout = (tag: Command.CommandTag): Layout => {
  const schemaFields = schemas[tag].fields
  const own = fields.filter((f) => f.key in schemaFields)
  return {
    tag,
    commandField: Command.CommandField[tag],
    fields: own,
    required: own.filter((f) => {
      const field = schemaFields[f.key]
      return field !== undefined && !SchemaAST.isOptional(field.ast)
    })
  }
}

/** Layout of each command by `_tag`. */
export const layouts: { readonly [T in Command.CommandTag]: Layout } = Object.fromEntries(
  (Object.keys(Command.CommandField) as Array<Command.CommandTag>).map((t) => [t, makeLayout(t)] as const)
) as { readonly [T in Command.CommandTag]: Layout }

/** Layout by Command Field value. */
export const byCommandField: ReadonlyMap<number, Layout> = new Map(
  Object.values(layouts).map((l) => [l.commandField, l] as const)
)
