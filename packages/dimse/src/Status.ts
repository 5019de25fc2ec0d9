/**
 * DIMSE status codes (Status (0000,0900)): their category (PS3.7 Annex C) and their meaning, general
 * (PS3.7 §C.4, §C.5) or specific to a service (PS3.4 Annex B Storage, Annex C Query/Retrieve, Annex K
 * Basic Worklist Management).
 *
 * @since 0.1.0
 */

/** PS3.7 Annex C status categories. @since 0.1.0 @category models */
export type Category = "Success" | "Warning" | "Failure" | "Cancel" | "Pending"

/** The DIMSE service a status answers, for `describe`. @since 0.1.0 @category models */
export type Service =
  | "C-ECHO"
  | "C-STORE"
  | "C-FIND"
  | "C-GET"
  | "C-MOVE"
  | "N-EVENT-REPORT"
  | "N-GET"
  | "N-SET"
  | "N-ACTION"
  | "N-CREATE"
  | "N-DELETE"

/** Common status codes by name. @since 0.1.0 @category constants */
export const Code = {
  Success: 0x0000,
  /** PS3.7 §C.4.4: Requested optional attributes are not supported. */
  AttributeListWarning: 0x0001,
  NoSuchAttribute: 0x0105,
  InvalidAttributeValue: 0x0106,
  AttributeListError: 0x0107,
  ProcessingFailure: 0x0110,
  DuplicateSopInstance: 0x0111,
  NoSuchSopInstance: 0x0112,
  NoSuchEventType: 0x0113,
  NoSuchArgument: 0x0114,
  InvalidArgumentValue: 0x0115,
  AttributeValueOutOfRange: 0x0116,
  InvalidObjectInstance: 0x0117,
  NoSuchSopClass: 0x0118,
  ClassInstanceConflict: 0x0119,
  MissingAttribute: 0x0120,
  MissingAttributeValue: 0x0121,
  SopClassNotSupported: 0x0122,
  NoSuchActionType: 0x0123,
  NotAuthorized: 0x0124,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  ResourceLimitation: 0x0213,
  /** C-STORE / C-FIND: out of resources (A7xx). */
  OutOfResources: 0xa700,
  /** C-MOVE / C-GET: unable to calculate the number of matches. */
  OutOfResourcesNumberOfMatches: 0xa701,
  /** C-MOVE / C-GET: unable to perform sub-operations. */
  OutOfResourcesSuboperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  /** C-STORE: data set does not match SOP class; C-FIND/C-GET/C-MOVE: identifier does not match SOP class. */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** C-STORE: cannot understand; Q/R: unable to process (Cxxx). */
  CannotUnderstand: 0xc000,
  /** C-STORE warning: coercion of data elements; C-MOVE/C-GET: sub-operations complete, one or more failures. */
  CoercionOfDataElements: 0xb000,
  SuboperationsCompleteWithFailures: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  Cancel: 0xfe00,
  Pending: 0xff00,
  /** C-FIND: pending, one or more optional keys were not supported. */
  PendingWithWarning: 0xff01
} as const

/**
 * The category of a status code (PS3.7 Annex C): 0000H success; FF00H/FF01H pending; FE00H cancel;
 * 0001H, 0107H, 0116H and Bxxx warning; everything else failure.
 *
 * @since 0.1.0
 * @category getters
 */
export const category = (code: number): Category => {
  if (code === 0x0000) return "Success"
  if (code === 0xff00 || code === 0xff01) return "Pending"
  if (code === 0xfe00) return "Cancel"
  if (code === 0x0001 || code === 0x0107 || code === 0x0116 || (code & 0xf000) === 0xb000) return "Warning"
  return "Failure"
}

/** True for 0000H. @since 0.1.0 @category predicates */
export const isSuccess = (code: number): boolean => code === 0x0000
/** True for a warning status. @since 0.1.0 @category predicates */
export const isWarning = (code: number): boolean => category(code) === "Warning"
/** True for a failure status. @since 0.1.0 @category predicates */
export const isFailure = (code: number): boolean => category(code) === "Failure"
/** True for FE00H (cancel). @since 0.1.0 @category predicates */
export const isCancel = (code: number): boolean => code === 0xfe00
/** True for FF00H and FF01H: more responses follow. @since 0.1.0 @category predicates */
export const isPending = (code: number): boolean => code === 0xff00 || code === 0xff01
/** True when this is the final response of an operation (anything but pending). @since 0.1.0 @category predicates */
export const isFinal = (code: number): boolean => !isPending(code)

interface Meaning {
  readonly from: number
  readonly to: number
  readonly text: string
}
const exact = (code: number, text: string): Meaning => ({ from: code, to: code, text })
const range = (from: number, to: number, text: string): Meaning => ({ from, to, text })

// PS3.7 §C.4 and §C.5 (general statuses of DIMSE-C and DIMSE-N).
const general: ReadonlyArray<Meaning> = [
  exact(0x0000, "Success"),
  exact(0x0001, "Warning: requested optional attributes are not supported"),
  exact(0x0105, "Failure: no such attribute"),
  exact(0x0106, "Failure: invalid attribute value"),
  exact(0x0107, "Warning: attribute list error"),
  exact(0x0110, "Failure: processing failure"),
  exact(0x0111, "Failure: duplicate SOP instance"),
  exact(0x0112, "Failure: no such SOP instance"),
  exact(0x0113, "Failure: no such event type"),
  exact(0x0114, "Failure: no such argument"),
  exact(0x0115, "Failure: invalid argument value"),
  exact(0x0116, "Warning: attribute value out of range"),
  exact(0x0117, "Failure: invalid object instance"),
  exact(0x0118, "Failure: no such SOP class"),
  exact(0x0119, "Failure: class-instance conflict"),
  exact(0x0120, "Failure: missing attribute"),
  exact(0x0121, "Failure: missing attribute value"),
  exact(0x0122, "Refused: SOP class not supported"),
  exact(0x0123, "Failure: no such action type"),
  exact(0x0124, "Refused: not authorized"),
  exact(0x0210, "Failure: duplicate invocation"),
  exact(0x0211, "Failure: unrecognized operation"),
  exact(0x0212, "Failure: mistyped argument"),
  exact(0x0213, "Failure: resource limitation"),
  exact(0xfe00, "Cancel"),
  exact(0xff00, "Pending")
]

// PS3.4 §B.2.3 Storage Service Class statuses.
const store: ReadonlyArray<Meaning> = [
  range(0xa700, 0xa7ff, "Refused: out of resources"),
  range(0xa900, 0xa9ff, "Error: data set does not match SOP class"),
  range(0xc000, 0xcfff, "Error: cannot understand"),
  exact(0xb000, "Warning: coercion of data elements"),
  exact(0xb006, "Warning: elements discarded"),
  exact(0xb007, "Warning: data set does not match SOP class")
]

// PS3.4 §C.4.1.1.4 (C-FIND) and §K.4.1.1.4 (worklist).
const find: ReadonlyArray<Meaning> = [
  exact(0xa700, "Refused: out of resources"),
  exact(0xa900, "Failed: identifier does not match SOP class"),
  range(0xc000, 0xcfff, "Failed: unable to process"),
  exact(0xfe00, "Cancel: matching terminated due to cancel request"),
  exact(0xff00, "Pending: matches are continuing, current match supplied"),
  exact(0xff01, "Pending: matches are continuing, one or more optional keys were not supported")
]

// PS3.4 §C.4.2.1.5 (C-MOVE) and §C.4.3.1.4 (C-GET).
const retrieve = (service: "C-MOVE" | "C-GET"): ReadonlyArray<Meaning> => [
  exact(0xa701, "Refused: out of resources, unable to calculate number of matches"),
  exact(0xa702, "Refused: out of resources, unable to perform sub-operations"),
  ...(service === "C-MOVE" ? [exact(0xa801, "Refused: move destination unknown")] : []),
  exact(0xa900, "Failed: identifier does not match SOP class"),
  range(0xaa00, 0xaaff, "Failed: none of the frames requested were found in the SOP instance"),
  range(0xab00, 0xabff, "Failed: unable to create new object for this SOP class"),
  range(0xac00, 0xacff, "Failed: unable to extract frames"),
  range(0xad00, 0xadff, "Failed: time-based request received for a non-time-based original SOP instance"),
  range(0xae00, 0xaeff, "Failed: invalid request"),
  range(0xc000, 0xcfff, "Failed: unable to process"),
  exact(0xfe00, "Cancel: sub-operations terminated due to cancel indication"),
  exact(0xb000, "Warning: sub-operations complete, one or more failures or warnings"),
  exact(0x0000, "Success: sub-operations complete, no failures"),
  exact(0xff00, "Pending: sub-operations are continuing")
]

const services: { readonly [S in Service]: ReadonlyArray<Meaning> } = {
  "C-ECHO": [],
  "C-STORE": store,
  "C-FIND": find,
  "C-GET": retrieve("C-GET"),
  "C-MOVE": retrieve("C-MOVE"),
  // DIMSE-N statuses are the general ones of PS3.7 §C.4/§C.5 (class-specific ones, e.g. UPS, are not tabulated).
  "N-EVENT-REPORT": [],
  "N-GET": [],
  "N-SET": [],
  "N-ACTION": [],
  "N-CREATE": [],
  "N-DELETE": []
}

const lookup = (table: ReadonlyArray<Meaning>, code: number): string | undefined => {
  for (const m of table) if (code >= m.from && code <= m.to) return m.text
  return undefined
}

/** "0xA700": a status code in the hexadecimal notation of PS3.7. @since 0.1.0 @category formatting */
export const toHex = (code: number): string => `0x${code.toString(16).toUpperCase().padStart(4, "0")}`

/**
 * The meaning of a status code: the service-specific one when `service` is given and defines it, else the
 * general one of PS3.7 Annex C, else its category; always followed by the code, e.g.
 * `describe(0xA801, "C-MOVE")` = "Refused: move destination unknown (0xA801)".
 *
 * @since 0.1.0
 * @category formatting
 */
export const describe = (code: number, service?: Service): string => {
  const text =
    (service === undefined ? undefined : lookup(services[service], code)) ??
    lookup(general, code) ??
    (service === undefined ? lookupAnyService(code) : undefined) ??
    category(code)
  return `${text} (${toHex(code)})`
}

// Without a service: a meaning that all DIMSE-C services defining the code agree upon, if any.
const lookupAnyService = (code: number): string | undefined => {
  if ((code & 0xff00) === 0xa700) return "Refused: out of resources"
  if ((code & 0xff00) === 0xa900) return "Error: data set or identifier does not match SOP class"
  if ((code & 0xf000) === 0xc000) return "Error: cannot understand / unable to process"
  if (code === 0xa801) return "Refused: move destination unknown"
  if (code === 0xff01) return "Pending: one or more optional keys were not supported"
  return undefined
}
