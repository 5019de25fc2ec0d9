/**
 * The DIMSE-C and DIMSE-N command sets of PS3.7 §9.3 and §10.3 as typed values, with PS3.7 field names.
 *
 * A command is a tagged union member whose `_tag` is the PascalCase name of the message: `CEchoRq`,
 * `CStoreRsp`, `NEventReportRq`, ... (the same convention as `@dicomnet/pdu`: `AAssociateRq`).
 * `hasDataset` stands for Command Data Set Type (0000,0800): `false` is 0101H, `true` is any other value
 * (written as 0001H). Each command has a Schema carrying the constraints of PS3.7 / PS3.5 (UID syntax,
 * AE title, uint16 message id, priority 0/1/2); the codec in `CommandSet` needs no Schema at run time.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** PS3.7 Annex E Command Field (0000,0100) values. @since 0.1.0 @category constants */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  NEventReportRq: 0x0100,
  NEventReportRsp: 0x8100,
  NGetRq: 0x0110,
  NGetRsp: 0x8110,
  NSetRq: 0x0120,
  NSetRsp: 0x8120,
  NActionRq: 0x0130,
  NActionRsp: 0x8130,
  NCreateRq: 0x0140,
  NCreateRsp: 0x8140,
  NDeleteRq: 0x0150,
  NDeleteRsp: 0x8150,
  CCancelRq: 0x0fff
} as const

/** The `_tag` of a command: a key of `CommandField`. @since 0.1.0 @category models */
export type CommandTag = keyof typeof CommandField

/** PS3.7 §9.1.1.1.4 Priority (0000,0700): MEDIUM 0000H, HIGH 0001H, LOW 0002H. @since 0.1.0 @category constants */
export const Priority = { Medium: 0, High: 1, Low: 2 } as const

/** A Priority (0000,0700) value. @since 0.1.0 @category models */
export type Priority = 0 | 1 | 2

/** Command Data Set Type (0000,0800) meaning "no data set" (PS3.7 Annex E). @since 0.1.0 @category constants */
export const NoDataSet = 0x0101

/** Command Data Set Type written when a data set follows (any value but 0101H is accepted on decode). @since 0.1.0 @category constants */
export const DataSetPresent = 0x0001

// PS3.5 §9.1: components of digits, no leading zero in a multi-digit component, 64 bytes at most.
const uidPattern = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/
// PS3.5 Table 6.2-1 AE: 16 bytes of the default repertoire without backslash or control characters, not only spaces.
const aePattern = /^[\x20-\x5b\x5d-\x7e]*[\x21-\x5b\x5d-\x7e][\x20-\x5b\x5d-\x7e]*$/

/** A UID (PS3.5 §9.1): 1 to 64 characters, dot-separated numeric components. @since 0.1.0 @category schemas */
export const Uid = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64), Schema.isPattern(uidPattern))

/** An application entity title (PS3.5 AE): 1 to 16 characters, not only spaces, no backslash. @since 0.1.0 @category schemas */
export const AeTitle = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(16), Schema.isPattern(aePattern))

/** An unsigned 16-bit value (US), e.g. Message ID (0000,0110). @since 0.1.0 @category schemas */
export const Uint16 = Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 0xffff }))

/** Message ID (0000,0110) and Message ID Being Responded To (0000,0120). @since 0.1.0 @category schemas */
export const MessageId = Uint16

/** Priority (0000,0700). @since 0.1.0 @category schemas */
export const PrioritySchema = Schema.Literals([0, 1, 2])

/** An attribute tag (AT) as an unsigned 32-bit number. @since 0.1.0 @category schemas */
export const AttributeTag = Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 0xffffffff }))

/** Error Comment (0000,0902): LO, 64 characters at most. @since 0.1.0 @category schemas */
export const ErrorComment = Schema.String.check(Schema.isMaxLength(64), Schema.isPattern(/^[\x20-\x5b\x5d-\x7e]*$/))

// Fields every response may carry to qualify its status (PS3.7 Annex C).
const statusDetail = {
  /** Offending Element (0000,0901). */
  offendingElement: Schema.optional(Schema.Array(AttributeTag)),
  /** Error Comment (0000,0902). */
  errorComment: Schema.optional(ErrorComment),
  /** Error ID (0000,0903). */
  errorId: Schema.optional(Uint16),
  /** Attribute Identifier List (0000,1005), e.g. with status 0107H attribute list error. */
  attributeIdentifierList: Schema.optional(Schema.Array(AttributeTag))
}

const response = {
  affectedSopClassUid: Schema.optional(Uid),
  messageIdBeingRespondedTo: MessageId,
  hasDataset: Schema.Boolean,
  /** Status (0000,0900); see the `Status` module. */
  status: Uint16,
  ...statusDetail
}

const suboperations = {
  numberOfRemainingSuboperations: Schema.optional(Uint16),
  numberOfCompletedSuboperations: Schema.optional(Uint16),
  numberOfFailedSuboperations: Schema.optional(Uint16),
  numberOfWarningSuboperations: Schema.optional(Uint16)
}

/** PS3.7 Table 9.3-12 C-ECHO-RQ. @since 0.1.0 @category schemas */
export const CEchoRq = Schema.TaggedStruct("CEchoRq", {
  affectedSopClassUid: Uid,
  messageId: MessageId,
  hasDataset: Schema.Boolean
})
/** PS3.7 Table 9.3-13 C-ECHO-RSP. @since 0.1.0 @category schemas */
export const CEchoRsp = Schema.TaggedStruct("CEchoRsp", response)

/** PS3.7 Table 9.3-1 C-STORE-RQ. @since 0.1.0 @category schemas */
export const CStoreRq = Schema.TaggedStruct("CStoreRq", {
  affectedSopClassUid: Uid,
  messageId: MessageId,
  priority: PrioritySchema,
  hasDataset: Schema.Boolean,
  affectedSopInstanceUid: Uid,
  moveOriginatorApplicationEntityTitle: Schema.optional(AeTitle),
  moveOriginatorMessageId: Schema.optional(MessageId)
})
/** PS3.7 Table 9.3-2 C-STORE-RSP. @since 0.1.0 @category schemas */
export const CStoreRsp = Schema.TaggedStruct("CStoreRsp", { ...response, affectedSopInstanceUid: Schema.optional(Uid) })

/** PS3.7 Table 9.3-3 C-FIND-RQ. @since 0.1.0 @category schemas */
export const CFindRq = Schema.TaggedStruct("CFindRq", {
  affectedSopClassUid: Uid,
  messageId: MessageId,
  priority: PrioritySchema,
  hasDataset: Schema.Boolean
})
/** PS3.7 Table 9.3-4 C-FIND-RSP. @since 0.1.0 @category schemas */
export const CFindRsp = Schema.TaggedStruct("CFindRsp", response)

/** PS3.7 Table 9.3-6 C-GET-RQ. @since 0.1.0 @category schemas */
export const CGetRq = Schema.TaggedStruct("CGetRq", {
  affectedSopClassUid: Uid,
  messageId: MessageId,
  priority: PrioritySchema,
  hasDataset: Schema.Boolean
})
/** PS3.7 Table 9.3-7 C-GET-RSP. @since 0.1.0 @category schemas */
export const CGetRsp = Schema.TaggedStruct("CGetRsp", { ...response, ...suboperations })

/** PS3.7 Table 9.3-9 C-MOVE-RQ. @since 0.1.0 @category schemas */
export const CMoveRq = Schema.TaggedStruct("CMoveRq", {
  affectedSopClassUid: Uid,
  messageId: MessageId,
  priority: PrioritySchema,
  hasDataset: Schema.Boolean,
  moveDestination: AeTitle
})
/** PS3.7 Table 9.3-10 C-MOVE-RSP. @since 0.1.0 @category schemas */
export const CMoveRsp = Schema.TaggedStruct("CMoveRsp", { ...response, ...suboperations })

/** PS3.7 Table 9.3-5 / 9.3-8 / 9.3-11 C-CANCEL-RQ (C-FIND, C-GET and C-MOVE cancel). @since 0.1.0 @category schemas */
export const CCancelRq = Schema.TaggedStruct("CCancelRq", {
  messageIdBeingRespondedTo: MessageId,
  hasDataset: Schema.Boolean
})

/** PS3.7 Table 10.3-1 N-EVENT-REPORT-RQ. @since 0.1.0 @category schemas */
export const NEventReportRq = Schema.TaggedStruct("NEventReportRq", {
  affectedSopClassUid: Uid,
  messageId: MessageId,
  hasDataset: Schema.Boolean,
  affectedSopInstanceUid: Uid,
  eventTypeId: Uint16
})
/** PS3.7 Table 10.3-2 N-EVENT-REPORT-RSP. @since 0.1.0 @category schemas */
export const NEventReportRsp = Schema.TaggedStruct("NEventReportRsp", {
  ...response,
  affectedSopInstanceUid: Schema.optional(Uid),
  eventTypeId: Schema.optional(Uint16)
})

/** PS3.7 Table 10.3-3 N-GET-RQ. @since 0.1.0 @category schemas */
export const NGetRq = Schema.TaggedStruct("NGetRq", {
  requestedSopClassUid: Uid,
  messageId: MessageId,
  hasDataset: Schema.Boolean,
  requestedSopInstanceUid: Uid,
  attributeIdentifierList: Schema.optional(Schema.Array(AttributeTag))
})
/** PS3.7 Table 10.3-4 N-GET-RSP. @since 0.1.0 @category schemas */
export const NGetRsp = Schema.TaggedStruct("NGetRsp", { ...response, affectedSopInstanceUid: Schema.optional(Uid) })

/** PS3.7 Table 10.3-5 N-SET-RQ. @since 0.1.0 @category schemas */
export const NSetRq = Schema.TaggedStruct("NSetRq", {
  requestedSopClassUid: Uid,
  messageId: MessageId,
  hasDataset: Schema.Boolean,
  requestedSopInstanceUid: Uid
})
/** PS3.7 Table 10.3-6 N-SET-RSP. @since 0.1.0 @category schemas */
export const NSetRsp = Schema.TaggedStruct("NSetRsp", { ...response, affectedSopInstanceUid: Schema.optional(Uid) })

/** PS3.7 Table 10.3-7 N-ACTION-RQ. @since 0.1.0 @category schemas */
export const NActionRq = Schema.TaggedStruct("NActionRq", {
  requestedSopClassUid: Uid,
  messageId: MessageId,
  hasDataset: Schema.Boolean,
  requestedSopInstanceUid: Uid,
  actionTypeId: Uint16
})
/** PS3.7 Table 10.3-8 N-ACTION-RSP. @since 0.1.0 @category schemas */
export const NActionRsp = Schema.TaggedStruct("NActionRsp", {
  ...response,
  affectedSopInstanceUid: Schema.optional(Uid),
  actionTypeId: Schema.optional(Uint16)
})

/** PS3.7 Table 10.3-9 N-CREATE-RQ. @since 0.1.0 @category schemas */
export const NCreateRq = Schema.TaggedStruct("NCreateRq", {
  affectedSopClassUid: Uid,
  messageId: MessageId,
  hasDataset: Schema.Boolean,
  affectedSopInstanceUid: Schema.optional(Uid)
})
/** PS3.7 Table 10.3-10 N-CREATE-RSP. @since 0.1.0 @category schemas */
export const NCreateRsp = Schema.TaggedStruct("NCreateRsp", { ...response, affectedSopInstanceUid: Schema.optional(Uid) })

/** PS3.7 Table 10.3-11 N-DELETE-RQ. @since 0.1.0 @category schemas */
export const NDeleteRq = Schema.TaggedStruct("NDeleteRq", {
  requestedSopClassUid: Uid,
  messageId: MessageId,
  hasDataset: Schema.Boolean,
  requestedSopInstanceUid: Uid
})
/** PS3.7 Table 10.3-12 N-DELETE-RSP. @since 0.1.0 @category schemas */
export const NDeleteRsp = Schema.TaggedStruct("NDeleteRsp", { ...response, affectedSopInstanceUid: Schema.optional(Uid) })

/** C-ECHO-RQ. @since 0.1.0 @category models */
export interface CEchoRq extends Schema.Schema.Type<typeof CEchoRq> {}
/** C-ECHO-RSP. @since 0.1.0 @category models */
export interface CEchoRsp extends Schema.Schema.Type<typeof CEchoRsp> {}
/** C-STORE-RQ. @since 0.1.0 @category models */
export interface CStoreRq extends Schema.Schema.Type<typeof CStoreRq> {}
/** C-STORE-RSP. @since 0.1.0 @category models */
export interface CStoreRsp extends Schema.Schema.Type<typeof CStoreRsp> {}
/** C-FIND-RQ. @since 0.1.0 @category models */
export interface CFindRq extends Schema.Schema.Type<typeof CFindRq> {}
/** C-FIND-RSP. @since 0.1.0 @category models */
export interface CFindRsp extends Schema.Schema.Type<typeof CFindRsp> {}
/** C-GET-RQ. @since 0.1.0 @category models */
export interface CGetRq extends Schema.Schema.Type<typeof CGetRq> {}
/** C-GET-RSP. @since 0.1.0 @category models */
export interface CGetRsp extends Schema.Schema.Type<typeof CGetRsp> {}
/** C-MOVE-RQ. @since 0.1.0 @category models */
export interface CMoveRq extends Schema.Schema.Type<typeof CMoveRq> {}
/** C-MOVE-RSP. @since 0.1.0 @category models */
export interface CMoveRsp extends Schema.Schema.Type<typeof CMoveRsp> {}
/** C-CANCEL-RQ. @since 0.1.0 @category models */
export interface CCancelRq extends Schema.Schema.Type<typeof CCancelRq> {}
/** N-EVENT-REPORT-RQ. @since 0.1.0 @category models */
export interface NEventReportRq extends Schema.Schema.Type<typeof NEventReportRq> {}
/** N-EVENT-REPORT-RSP. @since 0.1.0 @category models */
export interface NEventReportRsp extends Schema.Schema.Type<typeof NEventReportRsp> {}
/** N-GET-RQ. @since 0.1.0 @category models */
export interface NGetRq extends Schema.Schema.Type<typeof NGetRq> {}
/** N-GET-RSP. @since 0.1.0 @category models */
export interface NGetRsp extends Schema.Schema.Type<typeof NGetRsp> {}
/** N-SET-RQ. @since 0.1.0 @category models */
export interface NSetRq extends Schema.Schema.Type<typeof NSetRq> {}
/** N-SET-RSP. @since 0.1.0 @category models */
export interface NSetRsp extends Schema.Schema.Type<typeof NSetRsp> {}
/** N-ACTION-RQ. @since 0.1.0 @category models */
export interface NActionRq extends Schema.Schema.Type<typeof NActionRq> {}
/** N-ACTION-RSP. @since 0.1.0 @category models */
export interface NActionRsp extends Schema.Schema.Type<typeof NActionRsp> {}
/** N-CREATE-RQ. @since 0.1.0 @category models */
export interface NCreateRq extends Schema.Schema.Type<typeof NCreateRq> {}
/** N-CREATE-RSP. @since 0.1.0 @category models */
export interface NCreateRsp extends Schema.Schema.Type<typeof NCreateRsp> {}
/** N-DELETE-RQ. @since 0.1.0 @category models */
export interface NDeleteRq extends Schema.Schema.Type<typeof NDeleteRq> {}
/** N-DELETE-RSP. @since 0.1.0 @category models */
export interface NDeleteRsp extends Schema.Schema.Type<typeof NDeleteRsp> {}

/** Every DIMSE request. @since 0.1.0 @category models */
export type DimseRequest =
  | CEchoRq
  | CStoreRq
  | CFindRq
  | CGetRq
  | CMoveRq
  | CCancelRq
  | NEventReportRq
  | NGetRq
  | NSetRq
  | NActionRq
  | NCreateRq
  | NDeleteRq

/** Every DIMSE response. @since 0.1.0 @category models */
export type DimseResponse =
  | CEchoRsp
  | CStoreRsp
  | CFindRsp
  | CGetRsp
  | CMoveRsp
  | NEventReportRsp
  | NGetRsp
  | NSetRsp
  | NActionRsp
  | NCreateRsp
  | NDeleteRsp

/** Any DIMSE command, discriminated by `_tag`. @since 0.1.0 @category models */
export type DimseCommand = DimseRequest | DimseResponse

/** The Schema of any DIMSE command (validates every constraint). @since 0.1.0 @category schemas */
export const DimseCommand = Schema.Union([
  CEchoRq,
  CEchoRsp,
  CStoreRq,
  CStoreRsp,
  CFindRq,
  CFindRsp,
  CGetRq,
  CGetRsp,
  CMoveRq,
  CMoveRsp,
  CCancelRq,
  NEventReportRq,
  NEventReportRsp,
  NGetRq,
  NGetRsp,
  NSetRq,
  NSetRsp,
  NActionRq,
  NActionRsp,
  NCreateRq,
  NCreateRsp,
  NDeleteRq,
  NDeleteRsp
])

/** The Schema of each command, by `_tag` (its `fields` name every element the command may carry). @since 0.1.0 @category schemas */
export const schemas = {
  CEchoRq,
  CEchoRsp,
  CStoreRq,
  CStoreRsp,
  CFindRq,
  CFindRsp,
  CGetRq,
  CGetRsp,
  CMoveRq,
  CMoveRsp,
  CCancelRq,
  NEventReportRq,
  NEventReportRsp,
  NGetRq,
  NGetRsp,
  NSetRq,
  NSetRsp,
  NActionRq,
  NActionRsp,
  NCreateRq,
  NCreateRsp,
  NDeleteRq,
  NDeleteRsp
} as const

/** The command with the given `_tag`. @since 0.1.0 @category models */
export type CommandOf<T extends CommandTag> = Extract<DimseCommand, { readonly _tag: T }>

/** True for a response (Command Field bit 15 set). @since 0.1.0 @category predicates */
export const isResponse = (command: DimseCommand): command is DimseResponse => (CommandField[command._tag] & 0x8000) !== 0

/** True for a request (including C-CANCEL-RQ). @since 0.1.0 @category predicates */
export const isRequest = (command: DimseCommand): command is DimseRequest => (CommandField[command._tag] & 0x8000) === 0

/** The command's Command Field (0000,0100) value. @since 0.1.0 @category getters */
export const commandField = (command: DimseCommand): number => CommandField[command._tag]

/** The `_tag` of a Command Field value, or undefined for an unknown value. @since 0.1.0 @category getters */
export const tagOfCommandField = (field: number): CommandTag | undefined => byField.get(field)

const byField: ReadonlyMap<number, CommandTag> = new Map(
  (Object.keys(CommandField) as Array<CommandTag>).map((tag) => [CommandField[tag], tag] as const)
)

/**
 * The message id a command carries: Message ID (0000,0110) for a request, Message ID Being Responded To
 * (0000,0120) for a response and for C-CANCEL-RQ.
 *
 * @since 0.1.0
 * @category getters
 */
export const messageIdOf = (command: DimseCommand): number =>
  "messageId" in command ? command.messageId : command.messageIdBeingRespondedTo

/** Validates an unknown value against the command schemas (every constraint). @since 0.1.0 @category decoding */
export const validate = Schema.decodeUnknownResult(DimseCommand)

type Input<C extends DimseCommand> = Omit<C, "_tag" | "hasDataset"> & { readonly hasDataset?: boolean | undefined }

const maker =
  <T extends CommandTag>(_tag: T, hasDataset: boolean) =>
  (fields: Input<CommandOf<T>>): CommandOf<T> =>
    ({ ...fields, _tag, hasDataset: fields.hasDataset ?? hasDataset }) as unknown as CommandOf<T>

/** Builds a C-ECHO-RQ (no data set). @since 0.1.0 @category constructors */
export const cEchoRq = maker("CEchoRq", false)
/** Builds a C-ECHO-RSP (no data set). @since 0.1.0 @category constructors */
export const cEchoRsp = maker("CEchoRsp", false)
/** Builds a C-STORE-RQ (a data set follows). @since 0.1.0 @category constructors */
export const cStoreRq = maker("CStoreRq", true)
/** Builds a C-STORE-RSP (no data set). @since 0.1.0 @category constructors */
export const cStoreRsp = maker("CStoreRsp", false)
/** Builds a C-FIND-RQ (the identifier follows). @since 0.1.0 @category constructors */
export const cFindRq = maker("CFindRq", true)
/** Builds a C-FIND-RSP (no data set unless `hasDataset` says so: pending responses carry an identifier). @since 0.1.0 @category constructors */
export const cFindRsp = maker("CFindRsp", false)
/** Builds a C-GET-RQ (the identifier follows). @since 0.1.0 @category constructors */
export const cGetRq = maker("CGetRq", true)
/** Builds a C-GET-RSP (no data set unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const cGetRsp = maker("CGetRsp", false)
/** Builds a C-MOVE-RQ (the identifier follows). @since 0.1.0 @category constructors */
export const cMoveRq = maker("CMoveRq", true)
/** Builds a C-MOVE-RSP (no data set unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const cMoveRsp = maker("CMoveRsp", false)
/** Builds a C-CANCEL-RQ (no data set). @since 0.1.0 @category constructors */
export const cCancelRq = maker("CCancelRq", false)
/** Builds an N-EVENT-REPORT-RQ (no event information unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const nEventReportRq = maker("NEventReportRq", false)
/** Builds an N-EVENT-REPORT-RSP (no data set unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const nEventReportRsp = maker("NEventReportRsp", false)
/** Builds an N-GET-RQ (no data set). @since 0.1.0 @category constructors */
export const nGetRq = maker("NGetRq", false)
/** Builds an N-GET-RSP (no attribute list unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const nGetRsp = maker("NGetRsp", false)
/** Builds an N-SET-RQ (the modification list follows). @since 0.1.0 @category constructors */
export const nSetRq = maker("NSetRq", true)
/** Builds an N-SET-RSP (no data set unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const nSetRsp = maker("NSetRsp", false)
/** Builds an N-ACTION-RQ (no action information unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const nActionRq = maker("NActionRq", false)
/** Builds an N-ACTION-RSP (no action reply unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const nActionRsp = maker("NActionRsp", false)
/** Builds an N-CREATE-RQ (no attribute list unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const nCreateRq = maker("NCreateRq", false)
/** Builds an N-CREATE-RSP (no data set unless `hasDataset` says so). @since 0.1.0 @category constructors */
export const nCreateRsp = maker("NCreateRsp", false)
/** Builds an N-DELETE-RQ (no data set). @since 0.1.0 @category constructors */
export const nDeleteRq = maker("NDeleteRq", false)
/** Builds an N-DELETE-RSP (no data set). @since 0.1.0 @category constructors */
export const nDeleteRsp = maker("NDeleteRsp", false)

/** The response `_tag` of each request (C-CANCEL-RQ has none). @since 0.1.0 @category models */
export const ResponseTag = {
  CEchoRq: "CEchoRsp",
  CStoreRq: "CStoreRsp",
  CFindRq: "CFindRsp",
  CGetRq: "CGetRsp",
  CMoveRq: "CMoveRsp",
  NEventReportRq: "NEventReportRsp",
  NGetRq: "NGetRsp",
  NSetRq: "NSetRsp",
  NActionRq: "NActionRsp",
  NCreateRq: "NCreateRsp",
  NDeleteRq: "NDeleteRsp"
} as const

/** A request that has a response (every request but C-CANCEL-RQ). @since 0.1.0 @category models */
export type AnsweredRequest = Exclude<DimseRequest, CCancelRq>

/** The response type of a request type. @since 0.1.0 @category models */
export type ResponseOf<R extends AnsweredRequest> = CommandOf<(typeof ResponseTag)[R["_tag"]]>

type ResponseFields<R extends AnsweredRequest> = Partial<
  Omit<ResponseOf<R>, "_tag" | "messageIdBeingRespondedTo" | "status" | "hasDataset">
> & { readonly hasDataset?: boolean | undefined }

/**
 * Builds the response to a request with a status: Message ID Being Responded To is the request's Message
 * ID, and the fields PS3.7 marks "U(=)"/"C(=)" are copied from it (Affected SOP Class/Instance UID from the
 * request's affected or requested ones; Event Type ID; Action Type ID). `fields` adds or overrides others
 * (e.g. sub-operation counts, error comment, `hasDataset` for a pending C-FIND-RSP).
 *
 * @since 0.1.0
 * @category constructors
 */
export const responseTo = <R extends AnsweredRequest>(request: R, status: number, fields?: ResponseFields<R>): ResponseOf<R> => {
  const rq = request as unknown as Record<string, unknown>
  const copied: Record<string, unknown> = {
    _tag: ResponseTag[request._tag],
    messageIdBeingRespondedTo: request.messageId,
    status,
    hasDataset: false
  }
  const classUid = rq["affectedSopClassUid"] ?? rq["requestedSopClassUid"]
  if (classUid !== undefined) copied["affectedSopClassUid"] = classUid
  // C-ECHO, C-FIND, C-GET and C-MOVE responses carry no Affected SOP Instance UID.
  if (request._tag !== "CEchoRq" && request._tag !== "CFindRq" && request._tag !== "CGetRq" && request._tag !== "CMoveRq") {
    const instanceUid = rq["affectedSopInstanceUid"] ?? rq["requestedSopInstanceUid"]
    if (instanceUid !== undefined) copied["affectedSopInstanceUid"] = instanceUid
  }
  if (rq["eventTypeId"] !== undefined) copied["eventTypeId"] = rq["eventTypeId"]
  if (rq["actionTypeId"] !== undefined) copied["actionTypeId"] = rq["actionTypeId"]
  if (fields !== undefined) {
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) copied[k] = v
  }
  return copied as unknown as ResponseOf<R>
}
