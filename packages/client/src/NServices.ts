/**
 * DIMSE-N services as SCU (PS3.7 §10.1): N-EVENT-REPORT, N-GET, N-SET, N-ACTION, N-CREATE and
 * N-DELETE. Each sends its request on the first accepted presentation context of the SOP class,
 * encodes and decodes data sets in that context's transfer syntax, and returns `{ status, dataset? }`;
 * a failure status (or cancel) is a `DimseFailure`, a warning is returned like a success.
 *
 * @since 0.1.0
 */
import { type Negotiation, PresentationContextNotAccepted, Tracing } from "@dicomnet/association"
import { type DataError, type Dataset, DatasetCodec, TransferSyntax, VR } from "@dicomnet/data"
import { Command, MessageStream, Session, Status } from "@dicomnet/dimse"
import { Effect, Option, Result, Stream } from "effect"
import type { Association, DimseReply, OperationError, RequestCommand, SingleResponseCommand } from "./Association.js"
import { DimseFailure } from "./ClientError.js"

/** The outcome of an N-service whose status is success or a warning. @category models */
export interface NResult {
  /** Status (0000,0900): 0000H or a warning (0001H, 0107H, 0116H, Bxxx). */
  readonly status: number
  /** The response's data set, decoded (attribute list, action reply, event reply), if any. */
  readonly dataset: Dataset.Dataset | undefined
  /** Affected SOP Instance UID (0000,1000) of the response, if any (N-CREATE: the instance created). */
  readonly affectedSopInstanceUid: string | undefined
  /** Error Comment (0000,0902) of a warning, if any. */
  readonly comment: string | undefined
  /** Attribute Identifier List (0000,1005) of the response, if any (e.g. with 0107H). */
  readonly attributeIdentifierList: ReadonlyArray<number> | undefined
}

/** Why an N-service failed. @category models */
export type NServiceError = DimseFailure | OperationError | PresentationContextNotAccepted | DataError.DataDecodeError | DataError.DataEncodeError

/** Options shared by every N-service: pick the presentation context explicitly. @category options */
export interface CommonOptions {
  /** Defaults to the first accepted context for the SOP class. */
  readonly presentationContextId?: number | undefined
}

/** N-EVENT-REPORT-RQ (PS3.7 §10.1.1). @category options */
export interface EventReportOptions extends CommonOptions {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly eventTypeId: number
  readonly eventInformation?: Dataset.Dataset | undefined
}

/** N-GET-RQ (PS3.7 §10.1.2): `attributes` empty or absent asks for every attribute. @category options */
export interface GetOptions extends CommonOptions {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly attributes?: ReadonlyArray<number> | undefined
}

/** N-SET-RQ (PS3.7 §10.1.3). @category options */
export interface SetOptions extends CommonOptions {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly modifications: Dataset.Dataset
}

/** N-ACTION-RQ (PS3.7 §10.1.4). @category options */
export interface ActionOptions extends CommonOptions {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly actionTypeId: number
  readonly actionInformation?: Dataset.Dataset | undefined
}

/** N-CREATE-RQ (PS3.7 §10.1.5): without `sopInstanceUid` the performer assigns one (see the result). @category options */
export interface CreateOptions extends CommonOptions {
  readonly sopClassUid: string
  readonly sopInstanceUid?: string | undefined
  readonly attributes?: Dataset.Dataset | undefined
}

/** N-DELETE-RQ (PS3.7 §10.1.6). @category options */
export interface DeleteOptions extends CommonOptions {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
}

const isSingleResponse = (command: RequestCommand): command is SingleResponseCommand =>
  command._tag !== "CFindRq" && command._tag !== "CGetRq" && command._tag !== "CMoveRq"

const serviceOf = (command: RequestCommand): Status.Service => Session.serviceOf(command._tag)

/**
 * Sends one DIMSE-N request with an optional data set and returns its decoded outcome.
 * @category operations
 */
export const send = (
  association: Association,
  sopClassUid: string,
  command: RequestCommand,
  dataset: Dataset.Dataset | undefined,
  options: CommonOptions
): Effect.Effect<NResult, NServiceError> => {
  const service = serviceOf(command)
  return Effect.gen(function* () {
    const context =
      options.presentationContextId === undefined
        ? yield* association.findContext(sopClassUid)
        : association.negotiated.acceptedContexts.get(options.presentationContextId)
    if (context === undefined) return yield* Effect.fail(new PresentationContextNotAccepted({ sopClassUid, transferSyntax: undefined }))
    let bytes: Uint8Array | undefined
    if (dataset !== undefined) {
      const encoded = DatasetCodec.encode(dataset, context.transferSyntax)
      if (Result.isFailure(encoded)) return yield* Effect.fail(encoded.failure)
      bytes = encoded.success
    }
    const withDataset = { ...command, hasDataset: bytes !== undefined } as RequestCommand
    const requestOptions = { presentationContextId: context.presentationContextId }
    let reply: DimseReply
    if (isSingleResponse(withDataset)) {
      reply = yield* association.requestOne(withDataset, bytes, requestOptions)
    } else {
      const last = yield* Stream.runLast(association.request(withDataset, bytes, requestOptions))
      if (Option.isNone(last)) return yield* Effect.die(new Error(`${service}: the response stream ended without a final response`))
      reply = last.value
    }
    const rsp = reply.command
    yield* Tracing.annotate("dicomnet.status", () => Status.toHex(rsp.status))
    const category = Status.category(rsp.status)
    if (category !== "Success" && category !== "Warning") {
      return yield* Effect.fail(new DimseFailure({ status: rsp.status, comment: rsp.errorComment, service }))
    }
    let decoded: Dataset.Dataset | undefined
    if (reply.dataset !== undefined && rsp.hasDataset) {
      const ts = association.negotiated.acceptedContexts.get(reply.presentationContextId)?.transferSyntax ?? context.transferSyntax
      const r = DatasetCodec.decode(reply.dataset, ts)
      if (Result.isFailure(r)) return yield* Effect.fail(r.failure)
      decoded = r.success
    }
    return {
      status: rsp.status,
      dataset: decoded,
      affectedSopInstanceUid: "affectedSopInstanceUid" in rsp ? rsp.affectedSopInstanceUid : undefined,
      comment: rsp.errorComment,
      attributeIdentifierList: rsp.attributeIdentifierList
    }
  }).pipe(
    Tracing.withOperationSpan("dicomnet.operation", { attributes: { "dicomnet.service": service, "dicomnet.sop_class_uid": sopClassUid } }, association.span)
  )
}

/** N-EVENT-REPORT: reports an event of a managed SOP instance to the peer (PS3.7 §10.1.1). @category operations */
export const eventReport = (association: Association, options: EventReportOptions): Effect.Effect<NResult, NServiceError> =>
  send(
    association,
    options.sopClassUid,
    Command.nEventReportRq({
      affectedSopClassUid: options.sopClassUid,
      affectedSopInstanceUid: options.sopInstanceUid,
      eventTypeId: options.eventTypeId,
      messageId: 0
    }),
    options.eventInformation,
    options
  )

/** N-GET: retrieves attribute values of a SOP instance (PS3.7 §10.1.2). @category operations */
export const get = (association: Association, options: GetOptions): Effect.Effect<NResult, NServiceError> =>
  send(
    association,
    options.sopClassUid,
    Command.nGetRq({
      requestedSopClassUid: options.sopClassUid,
      requestedSopInstanceUid: options.sopInstanceUid,
      messageId: 0,
      ...(options.attributes !== undefined && options.attributes.length > 0 ? { attributeIdentifierList: options.attributes } : {})
    }),
    undefined,
    options
  )

/** N-SET: modifies attribute values of a SOP instance (PS3.7 §10.1.3). @category operations */
export const set = (association: Association, options: SetOptions): Effect.Effect<NResult, NServiceError> =>
  send(
    association,
    options.sopClassUid,
    Command.nSetRq({ requestedSopClassUid: options.sopClassUid, requestedSopInstanceUid: options.sopInstanceUid, messageId: 0 }),
    options.modifications,
    options
  )

/** N-ACTION: asks the peer to perform an action on a SOP instance (PS3.7 §10.1.4). @category operations */
export const action = (association: Association, options: ActionOptions): Effect.Effect<NResult, NServiceError> =>
  send(
    association,
    options.sopClassUid,
    Command.nActionRq({
      requestedSopClassUid: options.sopClassUid,
      requestedSopInstanceUid: options.sopInstanceUid,
      actionTypeId: options.actionTypeId,
      messageId: 0
    }),
    options.actionInformation,
    options
  )

/** N-CREATE: creates a SOP instance (PS3.7 §10.1.5); the result's `affectedSopInstanceUid` names it. @category operations */
export const create = (association: Association, options: CreateOptions): Effect.Effect<NResult, NServiceError> =>
  send(
    association,
    options.sopClassUid,
    Command.nCreateRq({
      affectedSopClassUid: options.sopClassUid,
      messageId: 0,
      ...(options.sopInstanceUid !== undefined ? { affectedSopInstanceUid: options.sopInstanceUid } : {})
    }),
    options.attributes,
    options
  )

/** N-DELETE: deletes a SOP instance (PS3.7 §10.1.6). @category operations */
export const del = (association: Association, options: DeleteOptions): Effect.Effect<NResult, NServiceError> =>
  send(
    association,
    options.sopClassUid,
    Command.nDeleteRq({ requestedSopClassUid: options.sopClassUid, requestedSopInstanceUid: options.sopInstanceUid, messageId: 0 }),
    undefined,
    options
  )
export { del as delete }

// --- performer side on our association: incoming N-EVENT-REPORT ---------------------------------------

/** An N-EVENT-REPORT the peer sent us on our association (e.g. a storage commitment result). @category models */
export interface IncomingEventReport {
  readonly presentationContextId: number
  readonly messageId: number
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly eventTypeId: number
  /** Event Information, decoded with the context's transfer syntax. */
  readonly eventInformation: Dataset.Dataset | undefined
  /** The peer's AE title (the called AE title of our association), when `negotiated` was given. */
  readonly aeTitle: string | undefined
}

/** What an event report handler answers; the status defaults to 0000H. @category models */
export interface EventReportReply {
  readonly status?: number | undefined
  /** Event Reply (the N-EVENT-REPORT-RSP data set), if any. */
  readonly eventReply?: Dataset.Dataset | undefined
  readonly errorComment?: string | undefined
}

/** Handles incoming N-EVENT-REPORTs; a failure or defect is answered 0110H (processing failure). @category models */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler written as Effect.gen with no return answers plain success
export type EventReportHandler = (event: IncomingEventReport) => Effect.Effect<EventReportReply | void, unknown>

/** Default bound of an incoming Event Information: 1 MiB. @category constants */
export const defaultMaxEventInformationLength = 1024 * 1024

/** Options of `performEventReports`. @category options */
export interface PerformOptions {
  /**
   * The association's negotiation, to decode in the exact transfer syntax of the context. Without it
   * (handlers are given before the association exists) Explicit and Implicit VR Little Endian are told
   * apart from the first element, as DCMTK does for files without a meta header.
   */
  readonly negotiated?: Negotiation.Negotiated | undefined
  /** Largest Event Information accepted (default 1 MiB); beyond it 0213H. */
  readonly maxEventInformationLength?: number | undefined
}

// An explicit VR little-endian data set has two letters naming a VR right after the first tag.
const guessSyntax = (bytes: Uint8Array): string => {
  if (bytes.length < 8) return TransferSyntax.ExplicitVRLittleEndian
  const vr = String.fromCharCode(bytes[4] ?? 0, bytes[5] ?? 0)
  return VR.isVR(vr) ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian
}

/**
 * The performer for requests the peer sends on our association, serving N-EVENT-REPORT with `handler`
 * (any other request is answered 0211H): the association's `handlers.request`.
 * @category performer
 */
export const performEventReports =
  (handler: EventReportHandler, options: PerformOptions = {}) =>
  <E>(request: Session.IncomingRequest<E>): Effect.Effect<void, unknown> =>
    Effect.gen(function* () {
      const command = request.command
      if (command._tag !== "NEventReportRq") {
        return yield* request.respond(Command.responseTo(command, Status.Code.UnrecognizedOperation))
      }
      const answer = (status: number, errorComment?: string) =>
        request.respond(Command.responseTo(command, status, errorComment === undefined ? {} : { errorComment }))
      const negotiated = options.negotiated
      const known = negotiated?.acceptedContexts.get(request.presentationContextId)?.transferSyntax
      let transferSyntax = known ?? TransferSyntax.ExplicitVRLittleEndian
      let eventInformation: Dataset.Dataset | undefined
      if (request.dataset !== undefined) {
        const bytes = yield* Effect.result(MessageStream.collect(request.dataset, options.maxEventInformationLength ?? defaultMaxEventInformationLength))
        if (Result.isFailure(bytes)) return yield* answer(Status.Code.ResourceLimitation, "event information too large")
        if (known === undefined) transferSyntax = guessSyntax(bytes.success)
        const decoded = DatasetCodec.decode(bytes.success, transferSyntax)
        if (Result.isFailure(decoded)) return yield* answer(Status.Code.ProcessingFailure, "undecodable event information")
        eventInformation = decoded.success
      }
      const outcome = yield* Effect.exit(
        Effect.suspend(() =>
          handler({
            presentationContextId: request.presentationContextId,
            messageId: command.messageId,
            sopClassUid: command.affectedSopClassUid,
            sopInstanceUid: command.affectedSopInstanceUid,
            eventTypeId: command.eventTypeId,
            eventInformation,
            aeTitle: negotiated?.calledAeTitle
          })
        )
      )
      if (outcome._tag === "Failure") {
        yield* Effect.logWarning("N-EVENT-REPORT handler failed: answering 0x0110", outcome.cause)
        return yield* answer(Status.Code.ProcessingFailure)
      }
      const reply: EventReportReply = outcome.value ?? {}
      let bytes: Uint8Array | undefined
      if (reply.eventReply !== undefined) {
        const encoded = DatasetCodec.encode(reply.eventReply, transferSyntax)
        if (Result.isFailure(encoded)) return yield* answer(Status.Code.ProcessingFailure)
        bytes = encoded.success
      }
      yield* request.respond(
        Command.responseTo(command, reply.status ?? Status.Code.Success, reply.errorComment === undefined ? {} : { errorComment: reply.errorComment }),
        bytes
      )
    })
