/**
 * Access control on a running server (in-memory transport): user identities, what reaches the
 * logs, and (once wired) the policy's verdicts on the wire.
 */
import { Association, Echo, Find, Move, NServices, Store } from "@dicomnet/client"
import { Dataset, DatasetCodec, SopClass } from "@dicomnet/data"
import { Command } from "@dicomnet/dimse"
import { AccessControl, DicomServer, type LifecycleEvent } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Layer, Logger, References, type Scope, Stream } from "effect"

const host = "pacs"
const port = 104
const verification = [{ abstractSyntax: SopClass.Verification }]
const utf8 = (s: string) => new TextEncoder().encode(s)
const passcode = "Tr0ub4dor&3-secret"

/** Every log line (Debug and up) of client and server, rendered with its annotations and cause. */
const capture = (lines: Array<string>) =>
  Layer.mergeAll(
    Logger.layer([
      Logger.make(({ message, fiber, cause }) => {
        const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
        const annotations = JSON.stringify(fiber.getRef(References.CurrentLogAnnotations))
        lines.push(`${text} ${annotations} ${cause.reasons.length > 0 ? Cause.pretty(cause) : ""}`)
      })
    ]),
    Layer.succeed(References.MinimumLogLevel, "Debug")
  )

const withServer = <A, E>(
  options: Omit<DicomServer.ServerOptions, "host" | "port">,
  body: (server: DicomServer.DicomServerShape, events: Array<LifecycleEvent.LifecycleEvent>) => Effect.Effect<A, E, Transport.Transport | Scope.Scope>
) =>
  Effect.gen(function* () {
    const server = yield* DicomServer.make({ host, port, ...options })
    const events: Array<LifecycleEvent.LifecycleEvent> = []
    const stream = yield* server.subscribe
    yield* Effect.forkScoped(Stream.runForEach(stream, (e) => Effect.sync(() => events.push(e))))
    return yield* body(server, events)
  }).pipe(Effect.provide(Transport.layerInMemory()))

const identity = (username: string) => ({
  userIdentityType: 2 as const,
  positiveResponseRequested: true,
  primaryField: utf8(username),
  secondaryField: utf8(passcode)
})

describe("Access control · passcodes never reach a log line", () => {
  it.effect("associations with a username and passcode, accepted and rejected, log at Debug without the passcode", () => {
    const lines: Array<string> = []
    return withServer(
      {
        userIdentity: (id) => Effect.succeed(new TextDecoder().decode(id.primaryField) === "alice" ? { _tag: "Accept" } : { _tag: "Reject" })
      },
      () =>
        Effect.gen(function* () {
          const ok = yield* Effect.scoped(
            Effect.flatMap(Association.request({ host, port, contexts: verification, userIdentity: identity("alice") }), Echo.echo)
          )
          expect(ok.status).toBe(0)
          const refused = yield* Effect.flip(
            Effect.scoped(Association.request({ host, port, contexts: verification, userIdentity: identity("mallory") }))
          )
          expect(refused).toMatchObject({ _tag: "AssociationRejected", result: 1, source: 1, reason: 1 })
        })
    ).pipe(
      Effect.provide(capture(lines)),
      Effect.andThen(
        Effect.sync(() => {
          // The capture worked (PDU dumps of the A-ASSOCIATE-RQ at Debug, both sides) ...
          expect(lines.filter((l) => l.includes("A-ASSOCIATE-RQ")).length).toBeGreaterThanOrEqual(4)
          expect(lines.some((l) => l.includes("alice"))).toBe(true)
          // ... and no line holds the passcode, in clear or as its bytes.
          expect(lines.filter((l) => l.includes(passcode))).toEqual([])
          expect(lines.filter((l) => l.includes(Array.from(utf8(passcode)).join(",")))).toEqual([])
        })
      )
    )
  })
})

const rejectedWith = (callingAeTitle: string, userIdentity?: ReturnType<typeof identity>) =>
  Effect.flip(Effect.scoped(Association.request({ host, port, callingAeTitle, contexts: verification, userIdentity })))

const echoAs = (callingAeTitle: string, userIdentity?: ReturnType<typeof identity>) =>
  Effect.scoped(Effect.flatMap(Association.request({ host, port, callingAeTitle, contexts: verification, userIdentity }), Echo.echo)).pipe(
    Effect.map((r) => r.status)
  )

describe("Access control · association negotiation (PS3.8 §9.3.4)", () => {
  it.effect("a peer the policy allows nothing is rejected RJ 1/1/3; an allowed one is served", () =>
    withServer({ accessControl: AccessControl.make({ rules: [AccessControl.allow({ callingAeTitle: "CT01" }, ["echo", "store"])] }) }, (_s, events) =>
      Effect.gen(function* () {
        expect(yield* rejectedWith("INTRUDER")).toMatchObject({ _tag: "AssociationRejected", result: 1, source: 1, reason: 3 })
        expect(yield* echoAs("CT01")).toBe(0)
        const rejection = events.find((e) => e._tag === "AssociationRejected")
        expect(rejection).toMatchObject({ callingAeTitle: "INTRUDER", reason: 3 })
      })
    )
  )

  it.effect("an AE title bound to a user is rejected RJ 1/1/3 with another verified user or none (a spoofed AE title)", () =>
    withServer(
      {
        userIdentity: () => Effect.succeed({ _tag: "Accept" }),
        accessControl: AccessControl.make({ otherwise: "allow", bindings: [{ callingAeTitle: "READER", user: "bob" }] })
      },
      () =>
        Effect.gen(function* () {
          expect(yield* echoAs("READER", identity("bob"))).toBe(0)
          expect(yield* rejectedWith("READER", identity("mallory"))).toMatchObject({ result: 1, source: 1, reason: 3 })
          expect(yield* rejectedWith("READER")).toMatchObject({ result: 1, source: 1, reason: 3 })
          expect(yield* echoAs("OTHER", identity("mallory"))).toBe(0)
        })
    )
  )

  it.effect("an identity the verifier did not accept is not a user: a user binding cannot be met by a claimed name", () =>
    withServer({ accessControl: AccessControl.make({ otherwise: "allow", bindings: [{ callingAeTitle: "READER", user: "bob" }] }) }, () =>
      Effect.gen(function* () {
        // No userIdentity verifier: the identity item is ignored (PS3.7 §D.3.3.7.3), so "bob" is only a claim.
        expect(yield* rejectedWith("READER", identity("bob"))).toMatchObject({ result: 1, source: 1, reason: 3 })
      })
    )
  )

  it.effect("per calling AE title limit: a second association from CT01 is rejected RJ 2/3/2 while CT02 is served", () =>
    withServer(
      { accessControl: AccessControl.make({ otherwise: "allow", associationLimits: [{ peer: {}, max: 1, per: "callingAeTitle" }] }) },
      (server) =>
        Effect.gen(function* () {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const first = yield* Association.request({ host, port, callingAeTitle: "CT01", contexts: verification })
              expect(yield* rejectedWith("CT01")).toMatchObject({ _tag: "AssociationRejected", result: 2, source: 3, reason: 2 })
              expect(yield* echoAs("CT02")).toBe(0)
              expect((yield* Echo.echo(first)).status).toBe(0)
            })
          )
          // Released: CT01 has its slot back.
          expect(yield* echoAs("CT01")).toBe(0)
          expect(yield* server.activeAssociations).toBe(0)
        })
    )
  )
})

describe("Access control · operations (PS3.7 Annex C 0124H Refused: Not Authorized)", () => {
  const ct = "1.2.840.10008.5.1.4.1.1.2"
  const ele = "1.2.840.10008.1.2.1"
  const syntaxes = [ele, "1.2.840.10008.1.2"]
  const contexts = [SopClass.Verification, ct, SopClass.StudyRootFind, SopClass.StudyRootMove, SopClass.StudyRootGet, SopClass.StorageCommitmentPushModel]
  const calls: Array<string> = []
  const options = {
    acceptance: { contexts: contexts.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: syntaxes })) },
    handlers: {
      store: (request: { readonly sopInstanceUid: string; readonly dataset: Stream.Stream<Uint8Array, unknown> }) =>
        Effect.as(Effect.andThen(Effect.sync(() => calls.push(`store ${request.sopInstanceUid}`)), Stream.runDrain(request.dataset)), 0),
      nServices: { action: () => Effect.sync(() => void calls.push("n-action")) },
      queryRetrieve: {
        find: () => Stream.fromEffect(Effect.sync(() => calls.push("find"))).pipe(Stream.flatMap(() => Stream.empty)),
        retrieve: () =>
          Effect.sync(() => {
            calls.push("retrieve")
            return []
          }),
        destinations: { EVIL: { host: "203.0.113.66", port: 104 }, VIEWER: { host: "10.2.0.7", port: 11112 } }
      }
    },
    accessControl: AccessControl.make({
      rules: [
        AccessControl.allow({ callingAeTitle: "ECHOONLY" }, ["echo"]),
        AccessControl.allow({ callingAeTitle: "MODALITY" }, ["store"]),
        AccessControl.allow({ callingAeTitle: "VIEWER" }, ["echo", "find", "move"]),
        AccessControl.allow({ callingAeTitle: "GETTER" }, ["echo", "get"])
      ],
      moveDestinations: [{ aeTitle: "VIEWER", host: "10.2.0.7", port: 11112 }]
    })
  } satisfies Omit<DicomServer.ServerOptions, "host" | "port">

  const open = (callingAeTitle: string) =>
    Association.request({ host, port, callingAeTitle, contexts: contexts.map((abstractSyntax) => ({ abstractSyntax })) })

  it.effect("a denied C-ECHO is answered 0124H", () =>
    withServer(options, () =>
      Effect.gen(function* () {
        const association = yield* open("MODALITY")
        expect(yield* Effect.flip(Echo.echo(association))).toMatchObject({ _tag: "DimseFailure", status: 0x0124 })
        const viewer = yield* open("VIEWER")
        expect((yield* Echo.echo(viewer)).status).toBe(0)
      })
    )
  )

  it.effect("a denied C-STORE is answered 0124H, its data set drained and never given to the store handler", () =>
    withServer(options, () =>
      Effect.gen(function* () {
        calls.length = 0
        const denied = yield* open("ECHOONLY")
        const source = { sopClassUid: ct, sopInstanceUid: "2.25.77", transferSyntaxUid: ele, data: Stream.make(new Uint8Array(40000).fill(7)) }
        expect(yield* Effect.flip(Store.stream(denied, source))).toMatchObject({ _tag: "DimseFailure", status: 0x0124 })
        // The association goes on after the refusal (the data set was drained).
        expect((yield* Echo.echo(denied)).status).toBe(0)
        expect(calls).toEqual([])
        const modality = yield* open("MODALITY")
        expect((yield* Store.stream(modality, { ...source, sopInstanceUid: "2.25.78" })).status).toBe(0)
        expect(calls).toEqual(["store 2.25.78"])
      })
    )
  )

  it.effect("a denied N-ACTION (storage commitment) is answered 0124H without calling the handler", () =>
    withServer(options, () =>
      Effect.gen(function* () {
        calls.length = 0
        const association = yield* open("VIEWER")
        const failure = yield* Effect.flip(
          NServices.action(association, { sopClassUid: SopClass.StorageCommitmentPushModel, sopInstanceUid: "1.2.840.10008.1.20.1.1", actionTypeId: 1 })
        )
        expect(failure).toMatchObject({ _tag: "DimseFailure", status: 0x0124 })
        expect(calls).toEqual([])
      })
    )
  )

  it.effect("a denied C-FIND is answered C000H with the comment 'not authorized' and nothing else", () =>
    withServer(options, () =>
      Effect.gen(function* () {
        calls.length = 0
        const association = yield* open("MODALITY")
        const failure = yield* Effect.flip(Find.findAll(association, { model: "study", keys: { PatientID: "*" } }))
        expect(failure).toMatchObject({ _tag: "DimseFailure", status: 0xc000, comment: "not authorized" })
        expect(calls).toEqual([])
        const viewer = yield* open("VIEWER")
        expect(yield* Find.findAll(viewer, { model: "study", keys: { PatientID: "*" } })).toEqual([])
        expect(calls).toEqual(["find"])
      })
    )
  )

  it.effect("C-MOVE goes only to the policy's known AEs: another AE in the handler's table is answered A801H", () =>
    withServer(options, () =>
      Effect.gen(function* () {
        calls.length = 0
        const viewer = yield* open("VIEWER")
        const evil = yield* Effect.flip(Move.moveAll(viewer, { model: "study", keys: { StudyInstanceUID: "1.2.3" }, destination: "EVIL" }))
        expect(evil).toMatchObject({ _tag: "DimseFailure", status: 0xa801 })
        expect(calls).toEqual([])
        // To the known AE: the retrieve runs (nothing matches here, so success with no sub-operations).
        expect(yield* Move.moveAll(viewer, { model: "study", keys: { StudyInstanceUID: "1.2.3" }, destination: "VIEWER" })).toMatchObject({ completed: 0 })
        expect(calls).toEqual(["retrieve"])
        // A peer without the move right: every destination is unknown.
        const modality = yield* open("MODALITY")
        const refused = yield* Effect.flip(Move.moveAll(modality, { model: "study", keys: { StudyInstanceUID: "1.2.3" }, destination: "VIEWER" }))
        expect(refused).toMatchObject({ _tag: "DimseFailure", status: 0xa801 })
      })
    )
  )

  it.effect("a denied C-GET is answered A701H before any sub-operation, the retrieve handler never called", () =>
    withServer(options, () =>
      Effect.gen(function* () {
        calls.length = 0
        const identifier = DatasetCodec.encode(Dataset.Dataset.unsafeFromRecord({ QueryRetrieveLevel: "STUDY", StudyInstanceUID: "1.2.3" }), ele)
        assert(identifier._tag === "Success")
        const get = (association: Association.Association) =>
          Stream.runCollect(
            association.request(Command.cGetRq({ affectedSopClassUid: SopClass.StudyRootGet, messageId: 0, priority: 0 }), identifier.success)
          ).pipe(Effect.map((replies) => replies.map((r) => r.command.status)))
        expect(yield* get(yield* open("VIEWER"))).toEqual([0xa701])
        expect(calls).toEqual([])
        expect(yield* get(yield* open("GETTER"))).toEqual([0])
        expect(calls).toEqual(["retrieve"])
      })
    )
  )
})
