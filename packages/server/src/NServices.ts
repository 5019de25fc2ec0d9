/**
 * DIMSE-N service handlers (PS3.7 §10.1): N-EVENT-REPORT, N-GET, N-SET, N-ACTION, N-CREATE and
 * N-DELETE as performer. A handler receives the request with its data set decoded and returns a
 * reply (status, data set); its typed failures map to the statuses of PS3.7 §C.4–C.5, and any other
 * failure or defect answers 0110H (processing failure): a handler never brings down the association.
 *
 * @since 0.1.0
 */
import { Driver, Negotiation } from "@dicomnet/association"
import { type Dataset, DatasetCodec, TransferSyntax } from "@dicomnet/data"
import { Command, MessageStream, Session, Status } from "@dicomnet/dimse"
import { Transport } from "@dicomnet/transport"
import { Cause, Data, type Duration, Effect, Option, Result, Stream } from "effect"
import type { KnownAe } from "./AccessControl.js"
import * as Wire from "./internal/Wire.js"
import type { AssociationInfo } from "./LifecycleEvent.js"

// --- typed failures ---------------------------------------------------------------------------------

/** 0112H: the requested SOP instance is not managed here. @category errors */
export class NoSuchSopInstance extends Data.TaggedError("NoSuchSopInstance")<{
  readonly sopInstanceUid: string
  readonly comment?: string | undefined
}> {}

/** 0118H: the SOP class is not recognised. @category errors */
export class NoSuchSopClass extends Data.TaggedError("NoSuchSopClass")<{
  readonly sopClassUid: string
  readonly comment?: string | undefined
}> {}

/** 0105H: an attribute of the request is not supported; the tags go back in Attribute Identifier List (0000,1005). @category errors */
export class NoSuchAttribute extends Data.TaggedError("NoSuchAttribute")<{
  readonly tags: ReadonlyArray<number>
  readonly comment?: string | undefined
}> {}

/** 0106H: an attribute value is out of range or otherwise inappropriate; the tags go back in (0000,1005). @category errors */
export class InvalidAttributeValue extends Data.TaggedError("InvalidAttributeValue")<{
  readonly tags: ReadonlyArray<number>
  readonly comment?: string | undefined
}> {}

/** 0123H: the Action Type ID is not supported for this SOP class. @category errors */
export class NoSuchActionType extends Data.TaggedError("NoSuchActionType")<{
  readonly actionTypeId: number
  readonly comment?: string | undefined
}> {}

/** 0113H: the Event Type ID is not supported for this SOP class. @category errors */
export class NoSuchEventType extends Data.TaggedError("NoSuchEventType")<{
  readonly eventTypeId: number
  readonly comment?: string | undefined
}> {}

/** 0111H: N-CREATE of an instance that already exists. @category errors */
export class DuplicateSopInstance extends Data.TaggedError("DuplicateSopInstance")<{
  readonly sopInstanceUid: string
  readonly comment?: string | undefined
}> {}

/** 0110H: the operation could not be performed. @category errors */
export class ProcessingFailure extends Data.TaggedError("ProcessingFailure")<{
  readonly comment?: string | undefined
}> {}

/** Any other failure status (e.g. 0124H not authorized, 0213H resource limitation, a class-specific Cxxx). @category errors */
export class NServiceStatus extends Data.TaggedError("NServiceStatus")<{
  readonly status: number
  readonly comment?: string | undefined
}> {}

/** The typed failures an N-service handler may return. @category errors */
export type NServiceError =
  | NoSuchSopInstance
  | NoSuchSopClass
  | NoSuchAttribute
  | InvalidAttributeValue
  | NoSuchActionType
  | NoSuchEventType
  | DuplicateSopInstance
  | ProcessingFailure
  | NServiceStatus

/** The response fields a failure sets: Status, Error Comment, Attribute Identifier List. @category models */
export interface FailureFields {
  readonly status: number
  readonly errorComment?: string | undefined
  readonly attributeIdentifierList?: ReadonlyArray<number> | undefined
}

/** The status (and related fields, PS3.7 §C.4–C.5) that answers a typed failure. @category mapping */
export const failureFields = (error: NServiceError): FailureFields => {
  switch (error._tag) {
    case "NoSuchSopInstance":
      return { status: Status.Code.NoSuchSopInstance, errorComment: error.comment }
    case "NoSuchSopClass":
      return { status: Status.Code.NoSuchSopClass, errorComment: error.comment }
    case "NoSuchAttribute":
      return { status: Status.Code.NoSuchAttribute, errorComment: error.comment, attributeIdentifierList: error.tags }
    case "InvalidAttributeValue":
      return { status: Status.Code.InvalidAttributeValue, errorComment: error.comment, attributeIdentifierList: error.tags }
    case "NoSuchActionType":
      return { status: Status.Code.NoSuchActionType, errorComment: error.comment }
    case "NoSuchEventType":
      return { status: Status.Code.NoSuchEventType, errorComment: error.comment }
    case "DuplicateSopInstance":
      return { status: Status.Code.DuplicateSopInstance, errorComment: error.comment }
    case "ProcessingFailure":
      return { status: Status.Code.ProcessingFailure, errorComment: error.comment }
    case "NServiceStatus":
      return { status: error.status, errorComment: error.comment }
  }
}

// --- requests, replies, handlers ----------------------------------------------------------------------

/** The DIMSE-N requests. @category models */
export type NRequestCommand =
  | Command.NEventReportRq
  | Command.NGetRq
  | Command.NSetRq
  | Command.NActionRq
  | Command.NCreateRq
  | Command.NDeleteRq

/** A DIMSE-N event report to send to the peer (see `NRequest.reportEvent`). @category models */
export interface EventReport {
  readonly sopClassUid: string
  readonly sopInstanceUid: string
  readonly eventTypeId: number
  readonly eventInformation?: Dataset.Dataset | undefined
}

/** What an N-service handler is given. @category models */
export interface NRequest<C extends NRequestCommand> {
  readonly association: AssociationInfo
  readonly negotiated: Negotiation.Negotiated
  readonly presentationContextId: number
  /** The transfer syntax of the presentation context (the data sets' encoding). */
  readonly transferSyntax: string
  readonly command: C
  /** The request's data set, decoded (modification list, action information, attribute list, event information). */
  readonly dataset: Dataset.Dataset | undefined
  /**
   * Sends an N-EVENT-REPORT to the requester on this association (performer-initiated request) and
   * returns its response status; absent when the server cannot send requests on the association.
   */
  readonly reportEvent?: ((report: EventReport) => Effect.Effect<number, unknown>) | undefined
}

/** What a handler answers; the status defaults to 0000H (a warning status is allowed). @category models */
export interface NReply {
  readonly status?: number | undefined
  /** The response's data set (N-GET attribute list, N-SET/N-CREATE attribute list, N-ACTION reply, N-EVENT-REPORT reply). */
  readonly dataset?: Dataset.Dataset | undefined
  /** N-CREATE: the UID of the instance created (when the request did not name one). */
  readonly affectedSopInstanceUid?: string | undefined
  readonly errorComment?: string | undefined
  /**
   * Runs once the response has been sent, in a fiber that outlives the association (e.g. the
   * storage commitment N-EVENT-REPORT); its failures are logged.
   */
  readonly afterResponse?: Effect.Effect<void, unknown> | undefined
}

/** A DIMSE-N handler: a reply (or nothing, for plain success), or a typed failure. @category models */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler written as Effect.gen with no return answers plain success
export type NHandler<C extends NRequestCommand> = (request: NRequest<C>) => Effect.Effect<NReply | void, NServiceError>

/** The N-service handlers a server runs; a request without a handler is answered 0211H (unrecognized operation). @category models */
export interface NServiceHandlers {
  readonly eventReport?: NHandler<Command.NEventReportRq> | undefined
  readonly get?: NHandler<Command.NGetRq> | undefined
  readonly set?: NHandler<Command.NSetRq> | undefined
  readonly action?: NHandler<Command.NActionRq> | undefined
  readonly create?: NHandler<Command.NCreateRq> | undefined
  readonly delete?: NHandler<Command.NDeleteRq> | undefined
}

/** True for the DIMSE-N requests. @category predicates */
export const isNRequest = (command: Command.DimseRequest): command is NRequestCommand =>
  command._tag === "NEventReportRq" ||
  command._tag === "NGetRq" ||
  command._tag === "NSetRq" ||
  command._tag === "NActionRq" ||
  command._tag === "NCreateRq" ||
  command._tag === "NDeleteRq"

/** "N-GET" for an N-GET-RQ. @category getters */
export const serviceOf = (command: NRequestCommand): Status.Service => Session.serviceOf(command._tag)

/** A request as received, before its data set is decoded. @category models */
export interface RawNRequest {
  readonly association: AssociationInfo
  readonly negotiated: Negotiation.Negotiated
  readonly presentationContextId: number
  readonly command: NRequestCommand
  /** The data set's bytes (concatenated), when the request has one. */
  readonly dataset: Uint8Array | undefined
  /** See `NRequest.reportEvent`. */
  readonly reportEvent?: ((report: EventReport) => Effect.Effect<number, unknown>) | undefined
}

/** The response to send: its command, and its data set encoded in the context's transfer syntax. @category models */
export interface NAnswer {
  readonly response: Command.DimseResponse
  readonly dataset: Uint8Array | undefined
  /** To run after the response is sent (see `NReply.afterResponse`), in a fiber that outlives the association. */
  readonly afterResponse: Effect.Effect<void> | undefined
}

const handlerOf = (handlers: NServiceHandlers, command: NRequestCommand) => {
  switch (command._tag) {
    case "NEventReportRq":
      return handlers.eventReport as NHandler<NRequestCommand> | undefined
    case "NGetRq":
      return handlers.get as NHandler<NRequestCommand> | undefined
    case "NSetRq":
      return handlers.set as NHandler<NRequestCommand> | undefined
    case "NActionRq":
      return handlers.action as NHandler<NRequestCommand> | undefined
    case "NCreateRq":
      return handlers.create as NHandler<NRequestCommand> | undefined
    case "NDeleteRq":
      return handlers.delete as NHandler<NRequestCommand> | undefined
  }
}

const isNServiceError = (error: unknown): error is NServiceError =>
  typeof error === "object" &&
  error !== null &&
  "_tag" in error &&
  [
    "NoSuchSopInstance",
    "NoSuchSopClass",
    "NoSuchAttribute",
    "InvalidAttributeValue",
    "NoSuchActionType",
    "NoSuchEventType",
    "DuplicateSopInstance",
    "ProcessingFailure",
    "NServiceStatus"
  ].includes((error as { readonly _tag: string })._tag)

// Error Comment (0000,0902) is LO: 64 characters of the default repertoire, no backslash.
const comment = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : text.replace(/[^\x20-\x5b\x5d-\x7e]/g, " ").slice(0, 64)

/**
 * Runs the handler for an N-service request and builds its response: the data set is decoded with
 * the context's transfer syntax, the reply's data set encoded with it; typed failures become their
 * statuses, anything else (an undecodable data set 0110H aside) 0110H; no handler answers 0211H.
 * Interruption is not caught.
 * @category serving
 */
export const answer = (handlers: NServiceHandlers, raw: RawNRequest): Effect.Effect<NAnswer> =>
  Effect.gen(function* () {
    const command = raw.command
    const service = serviceOf(command)
    const transferSyntax = raw.negotiated.acceptedContexts.get(raw.presentationContextId)?.transferSyntax
    const fail = (fields: FailureFields): NAnswer => ({
      response: Command.responseTo(command, fields.status, {
        errorComment: comment(fields.errorComment),
        attributeIdentifierList: fields.attributeIdentifierList
      }),
      dataset: undefined,
      afterResponse: undefined
    })
    const handler = handlerOf(handlers, command)
    if (handler === undefined || transferSyntax === undefined) return fail({ status: Status.Code.UnrecognizedOperation })
    let dataset: Dataset.Dataset | undefined
    if (raw.dataset !== undefined) {
      const decoded = DatasetCodec.decode(raw.dataset, transferSyntax)
      if (Result.isFailure(decoded)) {
        yield* Effect.logWarning(`${service}: undecodable data set: ${decoded.failure.message}`)
        return fail({ status: Status.Code.ProcessingFailure, errorComment: "undecodable data set" })
      }
      dataset = decoded.success
    }
    const outcome = yield* Effect.exit(
      Effect.suspend(() =>
        handler({
          association: raw.association,
          negotiated: raw.negotiated,
          presentationContextId: raw.presentationContextId,
          transferSyntax,
          command,
          dataset,
          reportEvent: raw.reportEvent
        })
      )
    )
    if (outcome._tag === "Failure") {
      if (Cause.hasInterruptsOnly(outcome.cause)) return yield* Effect.failCause(outcome.cause as Cause.Cause<never>)
      const error = Cause.findErrorOption(outcome.cause)
      if (error._tag === "Some" && isNServiceError(error.value)) return fail(failureFields(error.value))
      yield* Effect.logWarning(`${service} handler failed: answering 0x0110`, outcome.cause)
      return fail({ status: Status.Code.ProcessingFailure, errorComment: `${service} handler failed` })
    }
    const reply: NReply = outcome.value ?? {}
    let bytes: Uint8Array | undefined
    if (reply.dataset !== undefined) {
      const encoded = DatasetCodec.encode(reply.dataset, transferSyntax)
      if (Result.isFailure(encoded)) {
        yield* Effect.logWarning(`${service}: the reply data set cannot be encoded: ${encoded.failure.message}`)
        return fail({ status: Status.Code.ProcessingFailure, errorComment: "reply data set cannot be encoded" })
      }
      bytes = encoded.success
    }
    const fields: Record<string, unknown> = { hasDataset: bytes !== undefined, errorComment: comment(reply.errorComment) }
    if (reply.affectedSopInstanceUid !== undefined) fields["affectedSopInstanceUid"] = reply.affectedSopInstanceUid
    return {
      response: Command.responseTo(command, reply.status ?? Status.Code.Success, fields),
      dataset: bytes,
      afterResponse:
        reply.afterResponse === undefined
          ? undefined
          : reply.afterResponse.pipe(Effect.catchCause((cause) => Effect.logWarning(`${service}: the work after the response failed`, cause)))
    }
  })

// --- server-originated N-EVENT-REPORT on a new association ------------------------------------------

/** An N-EVENT-REPORT we originated could not be delivered (connection, negotiation, DIMSE or timeout). @category errors */
export class EventReportNotSent extends Data.TaggedError("EventReportNotSent")<{
  readonly aeTitle: string
  readonly reason: string
}> {
  override get message(): string {
    return `N-EVENT-REPORT to ${this.aeTitle} not sent: ${this.reason}`
  }
}

/** Options of `sendEventReport`. @category options */
export interface SendEventReportOptions {
  /** Our calling AE title (default "DICOMNET"). */
  readonly aeTitle?: string | undefined
  /** ARTIM/associate, release, and the wait for the N-EVENT-REPORT-RSP (default 30 s each). */
  readonly timeouts?:
    | { readonly artim?: Duration.Input | undefined; readonly release?: Duration.Input | undefined; readonly dimse?: Duration.Input | undefined }
    | undefined
}

/**
 * Sends one N-EVENT-REPORT on a new association to a known AE: proposes the SOP class with the SCP
 * role (PS3.7 §D.3.3.4: we perform the SOP class and report its events), waits for the
 * N-EVENT-REPORT-RSP, releases, and returns the response's status.
 * @category event reports
 */
export const sendEventReport = (
  destination: KnownAe,
  report: EventReport,
  options: SendEventReportOptions = {}
): Effect.Effect<number, EventReportNotSent, Transport.Transport> => {
  const notSent = (reason: string) => new EventReportNotSent({ aeTitle: destination.aeTitle, reason })
  const timeouts = options.timeouts ?? {}
  return Effect.scoped(
    Effect.gen(function* () {
      const rq = Negotiation.makeAssociateRq({
        callingAeTitle: options.aeTitle ?? "DICOMNET",
        calledAeTitle: destination.aeTitle,
        contexts: [{ abstractSyntax: report.sopClassUid, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] }],
        roleSelections: [{ sopClassUid: report.sopClassUid, scuRole: false, scpRole: true }]
      })
      if (Result.isFailure(rq)) return yield* Effect.fail(notSent(rq.failure.message))
      const transport = yield* Transport.Transport
      const connection = yield* transport.connect({ host: destination.host, port: destination.port })
      const wire = yield* Wire.make(connection)
      const handle = yield* Driver.request({
        associateRq: rq.success,
        input: wire.input,
        write: wire.write,
        close: connection.close,
        timeouts: { artim: timeouts.artim, associateResponse: timeouts.artim, releaseResponse: timeouts.release }
      })
      const negotiated = handle.negotiated
      // The same DIMSE session as everywhere else; the peer may not send us requests here (0211H).
      const session = yield* Session.make(
        { incoming: handle.incoming, sendPData: handle.sendPData, sendPDataMany: handle.sendPDataMany, peerMaxPduLength: negotiated.peerMaxPduLength },
        {
          onReleaseRequested: Effect.ignore(handle.releaseResponse),
          onFatal: () => handle.abort,
          isAcceptedContext: (id) => negotiated.acceptedContexts.has(id),
          dimseTimeout: timeouts.dimse ?? "30 seconds"
        }
      )
      const status = yield* reportOnSession(session, negotiated, report).pipe(
        Effect.mapError((error) => notSent(error.reason)),
        Effect.tapError(() => handle.abort)
      )
      yield* Effect.ignore(handle.release)
      return status
    })
  ).pipe(
    Effect.catchTag(
      ["AssociationRejected", "AssociationAborted", "AssociationTimeout", "TransportError", "TransportTimeout"],
      (error: { readonly _tag: string; readonly message: string }) => Effect.fail(notSent(`${error._tag}: ${error.message}`))
    ),
    Effect.withSpan("dicomnet.operation", { attributes: { "dicomnet.service": "N-EVENT-REPORT", "dicomnet.destination": destination.aeTitle } }, { captureStackTrace: false })
  ) as Effect.Effect<number, EventReportNotSent, Transport.Transport>
}

// --- on the shared DIMSE session ----------------------------------------------------------------------

/** What `perform` knows about the association. @category serving */
export interface PerformContext {
  readonly association: AssociationInfo
  readonly negotiated: Negotiation.Negotiated
  /** Largest request data set accepted (default 16 MiB); beyond it the request is answered 0213H (resource limitation). */
  readonly maxDatasetLength?: number | undefined
  /**
   * Runs a reply's `afterResponse` work. Default: a detached fiber, so that it outlives the association
   * (a storage commitment report falls back to a new association); its own timers bound it.
   */
  readonly runAfterResponse?: ((work: Effect.Effect<void>) => Effect.Effect<void>) | undefined
}

/** Default bound of an N-service request data set: 16 MiB. @category constants */
export const defaultMaxDatasetLength = 16 * 1024 * 1024

const describeFailure = (error: unknown): string => {
  if (typeof error !== "object" || error === null || !("_tag" in error)) return String(error)
  if (error._tag === "DimseTimeout") return "no N-EVENT-REPORT-RSP in time (DIMSE timeout)"
  return "message" in error && typeof error.message === "string" && error.message !== "" ? `${String(error._tag)}: ${error.message}` : String(error._tag)
}

/**
 * Sends an N-EVENT-REPORT on a session (the association the request came on) and returns the response's
 * status; the presentation context is the first accepted one for the report's SOP class.
 * @category event reports
 */
export const reportOnSession = <E>(
  session: Session.Session<E>,
  negotiated: Negotiation.Negotiated,
  report: EventReport
): Effect.Effect<number, EventReportNotSent> =>
  Effect.gen(function* () {
    const notSent = (reason: string) => new EventReportNotSent({ aeTitle: negotiated.callingAeTitle, reason })
    const context = Negotiation.findContext(negotiated, report.sopClassUid)
    if (Result.isFailure(context)) return yield* Effect.fail(notSent(`no accepted presentation context for ${report.sopClassUid}`))
    let dataset: Uint8Array | undefined
    if (report.eventInformation !== undefined) {
      const encoded = DatasetCodec.encode(report.eventInformation, context.success.transferSyntax)
      if (Result.isFailure(encoded)) return yield* Effect.fail(notSent(encoded.failure.message))
      dataset = encoded.success
    }
    const command = Command.nEventReportRq({
      affectedSopClassUid: report.sopClassUid,
      affectedSopInstanceUid: report.sopInstanceUid,
      eventTypeId: report.eventTypeId,
      messageId: 0
    })
    const last = yield* Stream.runLast(session.request(context.success.presentationContextId, command, dataset)).pipe(
      Effect.mapError((error) => notSent(describeFailure(error)))
    )
    if (Option.isNone(last)) return yield* Effect.fail(notSent("no N-EVENT-REPORT-RSP"))
    return last.value.command.status
  })

/**
 * The session's performer for DIMSE-N requests: collects the request's data set (bounded), runs
 * `answer` (reports on the same association go through the session), sends the response, then starts
 * the reply's `afterResponse` work. Any other request is answered 0211H.
 * @category serving
 */
export const perform =
  (handlers: NServiceHandlers, context: PerformContext) =>
  <E>(request: Session.IncomingRequest<E>): Effect.Effect<void, unknown> =>
    Effect.gen(function* () {
      const command = request.command
      if (!isNRequest(command)) {
        return yield* request.respond(Command.responseTo(command, Status.Code.UnrecognizedOperation))
      }
      let dataset: Uint8Array | undefined
      if (request.dataset !== undefined) {
        const collected = yield* Effect.result(MessageStream.collect(request.dataset, context.maxDatasetLength ?? defaultMaxDatasetLength))
        if (Result.isFailure(collected)) {
          const failure: unknown = collected.failure
          if (!(typeof failure === "object" && failure !== null && "_tag" in failure && failure._tag === "DatasetTooLarge")) {
            return yield* Effect.fail(failure)
          }
          return yield* request.respond(
            Command.responseTo(command, Status.Code.ResourceLimitation, { errorComment: "data set too large" })
          )
        }
        dataset = collected.success
      }
      const result = yield* answer(handlers, {
        association: context.association,
        negotiated: context.negotiated,
        presentationContextId: request.presentationContextId,
        command,
        dataset,
        reportEvent: (report) => reportOnSession(request.session, context.negotiated, report)
      })
      yield* request.respond(result.response, result.dataset)
      if (result.afterResponse !== undefined) {
        const run = context.runAfterResponse ?? ((work: Effect.Effect<void>) => Effect.asVoid(Effect.forkDetach(work)))
        yield* run(result.afterResponse)
      }
    }).pipe(
      Effect.withSpan("dicomnet.operation", {
        attributes: { "dicomnet.service": isNRequest(request.command) ? serviceOf(request.command) : request.command._tag }
      }, { captureStackTrace: false })
    )
