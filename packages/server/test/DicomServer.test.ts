import { Association, DimseFailure, Echo } from "@dicomnet/client"
import { Driver, Negotiation } from "@dicomnet/association"
import { SopClass, TransferSyntax } from "@dicomnet/data"
import { Assembler, Command, CommandSet, Status } from "@dicomnet/dimse"
import { DicomServer, type LifecycleEvent, Metrics, Storage } from "@dicomnet/server"
import { Transport } from "@dicomnet/transport"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Logger, Metric, Option, References, Result, Stream, Tracer } from "effect"
import { TestClock } from "effect/testing"

const host = "server"
const port = 104
const verification = [{ abstractSyntax: SopClass.Verification }]
const studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"

/** Runs `body` against a server with `options`, collecting every lifecycle event into `events`. */
const withServer = <A, E>(
  options: Omit<DicomServer.ServerOptions, "host" | "port">,
  body: (server: DicomServer.DicomServerShape, events: Array<LifecycleEvent.LifecycleEvent>) => Effect.Effect<A, E, Transport.Transport>
) =>
  Effect.gen(function* () {
    const server = yield* DicomServer.make({ host, port, ...options })
    const events: Array<LifecycleEvent.LifecycleEvent> = []
    const stream = yield* server.subscribe
    yield* Effect.forkScoped(Stream.runForEach(stream, (e) => Effect.sync(() => events.push(e))))
    return yield* body(server, events)
  }).pipe(Effect.provide(Transport.layerInMemory()))

const tags = (events: ReadonlyArray<LifecycleEvent.LifecycleEvent>) => events.map((e) => e._tag)

/** Lets forked fibers run until they block (no time passes under TestClock). */
const settle = Effect.gen(function* () {
  for (let i = 0; i < 50; i++) yield* Effect.yieldNow
})

describe("DicomServer · association establishment (PS3.8 §7.1)", () => {
  it.effect("accepts an A-ASSOCIATE-RQ for Verification, answers C-ECHO with 0000H and sees the release", () =>
    withServer({}, (server, events) =>
      Effect.gen(function* () {
        const result = yield* Effect.scoped(
          Effect.gen(function* () {
            const association = yield* Association.request({ host, port, contexts: verification })
            expect(yield* server.activeAssociations).toBe(1)
            expect([...association.negotiated.acceptedContexts.values()].map((c) => c.transferSyntax)).toEqual([
              TransferSyntax.ExplicitVRLittleEndian
            ])
            return yield* Echo.echo(association)
          })
        )
        assert.strictEqual(result.status, Status.Code.Success)
        yield* settle
        expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationReleased"])
        expect(events[0]).toMatchObject({ callingAeTitle: "DICOMNET", calledAeTitle: "ANY-SCP" })
        expect(yield* server.activeAssociations).toBe(0)
      })
    )
  )

  it.effect("rejects an unknown called AE title with RJ 1/1/7 when requireCalledAeTitle is set", () =>
    withServer({ aeTitle: "ECHOSCP", requireCalledAeTitle: true }, (_server, events) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Effect.scoped(Association.request({ host, port, calledAeTitle: "WRONG", contexts: verification })))
        assert.strictEqual(error._tag, "AssociationRejected")
        expect(error).toMatchObject({ result: 1, source: 1, reason: 7 })
        yield* settle
        expect(tags(events)).toEqual(["AssociationRequested", "AssociationRejected"])
        expect(events[1]).toMatchObject({ reason: 7, description: expect.stringContaining("called-AE-title-not-recognized") })
        // The right called AE title is accepted.
        const ok = yield* Effect.scoped(
          Effect.flatMap(Association.request({ host, port, calledAeTitle: "ECHOSCP", contexts: verification }), Echo.echo)
        )
        assert.strictEqual(ok.status, 0)
      })
    )
  )

  it.effect("rejects a calling AE title outside the allow-list with RJ 1/1/3", () =>
    withServer({ allowedCallingAeTitles: ["GOOD"] }, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Effect.scoped(Association.request({ host, port, callingAeTitle: "BAD", contexts: verification })))
        expect(error).toMatchObject({ _tag: "AssociationRejected", result: 1, source: 1, reason: 3 })
        const ok = yield* Effect.scoped(
          Effect.flatMap(Association.request({ host, port, callingAeTitle: "GOOD", contexts: verification }), Echo.echo)
        )
        assert.strictEqual(ok.status, 0)
      })
    )
  )

  it.effect("accepts an association whose only context is unsupported; C-ECHO then fails with PresentationContextNotAccepted", () =>
    withServer({}, () =>
      Effect.gen(function* () {
        const error = yield* Effect.scoped(
          Effect.gen(function* () {
            const association = yield* Association.request({ host, port, contexts: [{ abstractSyntax: "1.2.840.10008.5.1.4.1.1.2" }] })
            expect(association.negotiated.acceptedContexts.size).toBe(0)
            expect(association.negotiated.rejectedContexts.map((c) => c.result)).toEqual([3])
            return yield* Effect.flip(Echo.echo(association))
          })
        )
        expect(error).toMatchObject({ _tag: "PresentationContextNotAccepted", sopClassUid: SopClass.Verification })
      })
    )
  )

  it.effect("rejects beyond maxAssociations with RJ 2/3/2 (local limit exceeded) while the others are unaffected", () =>
    withServer({ maxAssociations: 1 }, (server, events) =>
      Effect.gen(function* () {
        yield* Effect.scoped(
          Effect.gen(function* () {
            const first = yield* Association.request({ host, port, contexts: verification })
            const second = yield* Effect.flip(Effect.scoped(Association.request({ host, port, contexts: verification })))
            expect(second).toMatchObject({ _tag: "AssociationRejected", result: 2, source: 3, reason: 2 })
            expect(yield* server.activeAssociations).toBe(1)
            assert.strictEqual((yield* Echo.echo(first)).status, 0)
          })
        )
        yield* settle
        expect(tags(events).filter((t) => t === "AssociationRejected")).toHaveLength(1)
        // Once the first is released, there is room again.
        const again = yield* Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), Echo.echo))
        assert.strictEqual(again.status, 0)
      })
    )
  )
})

describe("DicomServer · idle established associations (timeouts.associationIdle)", () => {
  it.effect("by default, an associated peer that stays silent for 5 minutes is aborted and its slot freed", () =>
    withServer({}, (server, events) =>
      Effect.scoped(
        Effect.gen(function* () {
          yield* Association.request({ host, port, contexts: verification })
          expect(yield* server.activeAssociations).toBe(1)
          yield* settle
          yield* TestClock.adjust("4 minutes")
          yield* settle
          expect(yield* server.activeAssociations).toBe(1)
          yield* TestClock.adjust("1 minute")
          yield* settle
          // Aborted (A-ABORT): the association ends as the peer closes.
          expect(tags(events)).toContain("AssociationAborted")
          expect(yield* server.activeAssociations).toBe(0)
        })
      )
    )
  )

  it.effect("an operation in progress is not idleness: a handler working longer than the idle time is answered", () =>
    withServer(
      { timeouts: { associationIdle: "1 minute" }, handlers: { echo: () => Effect.as(Effect.sleep("3 minutes"), 0) } },
      (server, events) =>
        Effect.scoped(
          Effect.gen(function* () {
            const association = yield* Association.request({ host, port, contexts: verification })
            const echo = yield* Effect.forkChild(Echo.echo(association))
            yield* settle
            yield* TestClock.adjust("3 minutes")
            const result = yield* Fiber.join(echo)
            expect(result.status).toBe(0)
            expect(tags(events)).not.toContain("AssociationAborted")
            expect(yield* server.activeAssociations).toBe(1)
            // Idle again from the end of the operation.
            yield* TestClock.adjust("1 minute")
            yield* settle
            yield* TestClock.adjust("30 seconds")
            yield* settle
            expect(yield* server.activeAssociations).toBe(0)
          })
        )
    )
  )

  it.effect("bytes from the peer are not idleness: command fragments 40 s apart keep an association with a 1 minute idle time", () =>
    withServer({ timeouts: { associationIdle: "1 minute" } }, (server, events) =>
      scriptedRequestor((handle) =>
        Effect.gen(function* () {
          const bytes = echoRq(7)
          // No operation runs before the last fragment: only the received PDUs keep the association alive.
          for (const [from, to] of [[0, 8], [8, 16], [16, 24], [24, 32]] as const) {
            yield* handle.sendPData([{ presentationContextId: 1, isCommand: true, isLast: false, data: bytes.subarray(from, to) }])
            yield* settle
            yield* TestClock.adjust("40 seconds")
            yield* settle
          }
          expect(yield* server.activeAssociations).toBe(1)
          yield* handle.sendPData([{ presentationContextId: 1, isCommand: true, isLast: true, data: bytes.subarray(32) }])
          const message = yield* firstMessage(handle)
          assert.isTrue(Option.isSome(message))
          if (Option.isSome(message)) expect(message.value.command).toMatchObject({ _tag: "CEchoRsp", messageIdBeingRespondedTo: 7, status: 0 })
          expect(tags(events)).not.toContain("AssociationAborted")
          // Then silence: aborted once the idle time has passed.
          yield* TestClock.adjust("61 seconds")
          yield* settle
          expect(yield* server.activeAssociations).toBe(0)
          expect(tags(events)).toContain("AssociationAborted")
        })
      )
    )
  )

  it.effect("associationIdle 0 turns the timer off", () =>
    withServer({ timeouts: { associationIdle: 0 } }, (server, events) =>
      Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification })
          yield* settle
          yield* TestClock.adjust("2 hours")
          yield* settle
          expect(yield* server.activeAssociations).toBe(1)
          expect((yield* Echo.echo(association)).status).toBe(0)
          expect(tags(events)).not.toContain("AssociationAborted")
        })
      )
    )
  )
})

describe("DicomServer · ARTIM (PS3.8 §9.1.5)", () => {
  it.effect("closes a connection that sends no A-ASSOCIATE-RQ within ARTIM", () =>
    withServer({ timeouts: { artim: "10 seconds" } }, (_server, events) =>
      Effect.scoped(
        Effect.gen(function* () {
          const transport = yield* Transport.Transport
          const connection = yield* transport.connect({ host, port })
          const drained = yield* Effect.forkChild(Stream.runCollect(connection.input))
          yield* settle
          yield* TestClock.adjust("9 seconds")
          expect(drained.pollUnsafe()).toBeUndefined()
          yield* TestClock.adjust("1 second")
          const bytes = yield* Fiber.join(drained)
          // Closed without a word: nothing was sent (no PDU is due before an A-ASSOCIATE-RQ).
          expect(bytes).toEqual([])
          expect(events).toEqual([])
        })
      )
    )
  )
})

describe("DicomServer · DIMSE dispatch", () => {
  it.effect("a handler that dies is answered 0110H (processing failure) and the association continues", () => {
    let calls = 0
    return withServer(
      { handlers: { echo: () => Effect.suspend(() => (++calls === 1 ? Effect.die(new Error("boom")) : Effect.succeed(Status.Code.Success))) } },
      (_server, events) =>
        Effect.gen(function* () {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({ host, port, contexts: verification })
              const failure = yield* Effect.flip(Echo.echo(association))
              assert.instanceOf(failure, DimseFailure)
              expect(failure).toMatchObject({ status: 0x0110, service: "C-ECHO" })
              assert.strictEqual((yield* Echo.echo(association)).status, 0)
            })
          )
          yield* settle
          expect(tags(events)).toContain("AssociationReleased")
        })
    )
  })

  it.effect("a handler that fails is answered 0110H; a handler's own status is sent as is", () => {
    let calls = 0
    return withServer(
      { handlers: { echo: () => Effect.suspend(() => (++calls === 1 ? Effect.fail("nope") : Effect.succeed(Status.Code.ResourceLimitation))) } },
      () =>
        Effect.scoped(
          Effect.gen(function* () {
            const association = yield* Association.request({ host, port, contexts: verification })
            expect(yield* Effect.flip(Echo.echo(association))).toMatchObject({ status: 0x0110 })
            expect(yield* Effect.flip(Echo.echo(association))).toMatchObject({ status: 0x0213 })
          })
        )
    )
  })

  it.effect("picks the transfer syntax by our order, or by the proposer's with acceptance.transferSyntaxPreference proposer", () =>
    Effect.gen(function* () {
      const ct = "1.2.840.10008.5.1.4.1.1.2"
      const proposed = [{ abstractSyntax: ct, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian] }]
      const chosen = (acceptance: DicomServer.Acceptance | undefined) =>
        withServer({ handlers: { store: Storage.ignore }, ...(acceptance === undefined ? {} : { acceptance }) }, () =>
          Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({ host, port, contexts: proposed })
              return [...association.negotiated.acceptedContexts.values()].map((c) => c.transferSyntax)
            })
          )
        )
      // Ours: Explicit VR Little Endian first (Storage.uncompressedTransferSyntaxes), whatever the proposer's order.
      expect(yield* chosen(undefined)).toEqual([TransferSyntax.ExplicitVRLittleEndian])
      expect(yield* chosen({ transferSyntaxPreference: "proposer" })).toEqual([TransferSyntax.ImplicitVRLittleEndian])
    })
  )

  it.effect("answers a request it has no handler for with 0211H (unrecognized operation) on the same context", () =>
    withServer(
      {
        acceptance: {
          contexts: [
            { abstractSyntax: SopClass.Verification, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] },
            { abstractSyntax: studyRootFind, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] }
          ]
        }
      },
      () =>
        Effect.scoped(
          Effect.gen(function* () {
            const association = yield* Association.request({ host, port, contexts: [...verification, { abstractSyntax: studyRootFind }] })
            const replies = yield* Stream.runCollect(
              association.request(
                Command.cFindRq({ affectedSopClassUid: studyRootFind, messageId: 0, priority: 0 }),
                new Uint8Array([0x08, 0x00, 0x52, 0x00, 0x06, 0x00, 0x00, 0x00, 0x53, 0x54, 0x55, 0x44, 0x59, 0x20])
              )
            )
            expect(replies).toHaveLength(1)
            const reply = replies[0]
            assert.isDefined(reply)
            expect(reply.command).toMatchObject({ _tag: "CFindRsp", status: 0x0211, messageIdBeingRespondedTo: 1 })
            expect(reply.presentationContextId).toBe(3)
            // The association is still usable.
            assert.strictEqual((yield* Echo.echo(association)).status, 0)
          })
        )
    )
  )

  it.effect("answers an A-RELEASE-RQ only after the outstanding operation has been answered (PS3.8 §7.2)", () =>
    withServer({ handlers: { echo: () => Effect.as(Effect.sleep("5 seconds"), Status.Code.Success) } }, (_server, events) =>
      Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification })
          const echo = yield* Effect.forkChild(Echo.echo(association))
          yield* settle
          const release = yield* Effect.forkChild(association.release)
          yield* settle
          expect(release.pollUnsafe()).toBeUndefined()
          yield* TestClock.adjust("5 seconds")
          assert.strictEqual((yield* Fiber.join(echo)).status, 0)
          yield* Fiber.join(release)
          yield* settle
          expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationReleased"])
        })
      )
    )
  )
})

describe("DicomServer · a release while an operation never finishes (PS3.8 §7.2, bounded)", () => {
  it.effect("the A-RELEASE-RQ waits for the operation at most timeouts.release, then the association is aborted: never a hang", () =>
    withServer({ timeouts: { release: "10 seconds" }, handlers: { echo: () => Effect.never } }, (server, events) =>
      Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification, timeouts: { release: "20 seconds" } })
          yield* Effect.forkChild(Effect.ignore(Echo.echo(association)))
          yield* settle
          const release = yield* Effect.forkChild(Effect.flip(association.release))
          yield* settle
          // The client holds its A-RELEASE-RQ while its C-ECHO awaits a response, up to its release timeout.
          yield* TestClock.adjust("20 seconds")
          yield* settle
          expect(tags(events)).not.toContain("AssociationAborted")
          // The server waits 10 s for the operation, then aborts.
          yield* TestClock.adjust("10 seconds")
          const error = yield* Fiber.join(release)
          expect(error._tag).toBe("AssociationAborted")
          yield* settle
          expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationAborted"])
          expect(yield* server.activeAssociations).toBe(0)
        })
      )
    )
  )
})

describe("DicomServer · scope semantics of the client's association", () => {
  it.effect("a scope that ends with success releases: the server sees AssociationReleased", () =>
    withServer({}, (_server, events) =>
      Effect.gen(function* () {
        yield* Effect.scoped(Association.request({ host, port, contexts: verification }))
        yield* settle
        expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationReleased"])
      })
    )
  )

  it.effect("a scope that ends with a failure aborts: the server sees AssociationAborted", () =>
    withServer({}, (_server, events) =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          Effect.scoped(Effect.andThen(Association.request({ host, port, contexts: verification }), Effect.fail("user failure")))
        )
        assert.isTrue(Exit.isFailure(exit))
        yield* settle
        expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationAborted"])
      })
    )
  )

  it.effect("an interrupted scope aborts: the server sees AssociationAborted", () =>
    withServer({}, (_server, events) =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(Effect.scoped(Effect.andThen(Association.request({ host, port, contexts: verification }), Effect.never)))
        yield* settle
        expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted"])
        yield* Fiber.interrupt(fiber)
        yield* settle
        expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationAborted"])
      })
    )
  )
})

describe("DicomServer · shutdown and abort", () => {
  it.effect("an abort from the server surfaces as AssociationAborted on the client", () =>
    withServer({}, (server) =>
      Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification })
          yield* server.shutdown("0 millis")
          const error = yield* Effect.flip(Echo.echo(association))
          expect(error).toMatchObject({ _tag: "AssociationAborted", source: "peer-user" })
          expect((yield* association.awaitClose)._tag).toBe("Aborted")
        })
      )
    )
  )

  it.effect("graceful shutdown: new requests are rejected 2/3/1, a running association finishes within the deadline", () =>
    withServer({}, (server, events) =>
      Effect.gen(function* () {
        const scope = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({ host, port, contexts: verification })
              yield* Effect.sleep("3 seconds")
              return yield* Echo.echo(association)
            })
          )
        )
        yield* settle
        const shutdown = yield* Effect.forkChild(server.shutdown("10 seconds"))
        yield* settle
        const late = yield* Effect.flip(Effect.scoped(Association.request({ host, port, contexts: verification })))
        expect(late).toMatchObject({ _tag: "AssociationRejected", result: 2, source: 3, reason: 1 })
        yield* TestClock.adjust("3 seconds")
        assert.strictEqual((yield* Fiber.join(scope)).status, 0)
        yield* Fiber.join(shutdown)
        expect(tags(events).filter((t) => t === "AssociationReleased")).toHaveLength(1)
        // The listener is closed: nothing accepts connections any more.
        const refused = yield* Effect.flip(Effect.scoped(Association.request({ host, port, contexts: verification })))
        expect(refused).toMatchObject({ _tag: "TransportError", reason: "ConnectRefused" })
      })
    )
  )

  it.effect("graceful shutdown: associations still open at the deadline are aborted", () =>
    withServer({}, (server, events) =>
      Effect.gen(function* () {
        const client = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({ host, port, contexts: verification })
              return yield* association.awaitClose
            })
          )
        )
        yield* settle
        const shutdown = yield* Effect.forkChild(server.shutdown("10 seconds"))
        yield* settle
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(shutdown)
        expect((yield* Fiber.join(client))._tag).toBe("Aborted")
        expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationAborted"])
      })
    )
  )
})

describe("DicomServer · observability", () => {
  it.effect("counts associations and operations by role, outcome, service and status category", () =>
    withServer({}, () =>
      Effect.gen(function* () {
        yield* Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), Echo.echo))
        yield* settle
        const associations = yield* Metric.value(
          Metric.withAttributes(Metrics.associationsTotal, { role: "acceptor", outcome: "released" })
        )
        const requestor = yield* Metric.value(
          Metric.withAttributes(Metrics.associationsTotal, { role: "requestor", outcome: "released" })
        )
        const operations = yield* Metric.value(
          Metric.withAttributes(Metrics.operationsTotal, { service: "C-ECHO", status_category: "Success" })
        )
        const sent = yield* Metric.value(Metrics.bytesSentTotal)
        expect(associations.count).toBe(1)
        expect(requestor.count).toBe(1)
        // One C-ECHO counted by the server, one by the client.
        expect(operations.count).toBe(2)
        expect(sent.count).toBeGreaterThan(0)
      })
    ).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
  )

  it.effect("opens a dicomnet.association span per association and a dicomnet.operation span per operation, on both sides", () => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span(options) {
        const span = Tracer.nativeTracer.span(options)
        spans.push(span as Tracer.Span)
        return span
      }
    })
    return withServer({}, () =>
      Effect.gen(function* () {
        yield* Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), Echo.echo))
        yield* settle
        const associations = spans.filter((s) => s.name === "dicomnet.association")
        const operations = spans.filter((s) => s.name === "dicomnet.operation")
        expect(associations.map((s) => s.attributes.get("dicomnet.role")).sort()).toEqual(["acceptor", "requestor"])
        for (const s of associations) {
          expect(s.attributes.get("dicomnet.calling_ae_title")).toBe("DICOMNET")
          expect(s.attributes.get("dicomnet.contexts")).toBe(SopClass.Verification)
        }
        expect(operations.map((s) => s.attributes.get("dicomnet.service"))).toEqual(["C-ECHO", "C-ECHO"])
        expect(operations.map((s) => s.attributes.get("dicomnet.status"))).toEqual(["0x0000", "0x0000"])
        expect(spans.every((s) => s.status._tag === "Ended")).toBe(true)
      })
    ).pipe(Effect.withTracer(tracer))
  })

  it.effect("without a Tracer installed, no dicomnet.operation span is made: handlers run in the association's span, the caller's span is not annotated", () => {
    const handlerSpans: Array<string> = []
    return withServer(
      {
        handlers: {
          echo: () =>
            Effect.map(Effect.currentSpan, (span) => {
              handlerSpans.push(span.name)
              return Status.Code.Success
            })
        }
      },
      () =>
        Effect.gen(function* () {
          const caller = yield* Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), (association) =>
            Effect.andThen(Echo.echo(association), Effect.currentSpan)
          )).pipe(Effect.withSpan("caller"))
          expect(caller.name).toBe("caller")
          expect(caller.attributes.has("dicomnet.status")).toBe(false)
          expect(handlerSpans).toEqual(["dicomnet.association"])
        })
    )
  })

  it.effect("with a Tracer installed, a server handler runs in its dicomnet.operation span", () => {
    const handlerSpans: Array<string> = []
    const tracer = Tracer.make({ span: (options) => Tracer.nativeTracer.span(options) })
    return withServer(
      {
        handlers: {
          echo: () =>
            Effect.map(Effect.currentSpan, (span) => {
              handlerSpans.push(span.name)
              return Status.Code.Success
            })
        }
      },
      () => Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), Echo.echo))
    ).pipe(
      Effect.andThen(Effect.sync(() => expect(handlerSpans).toEqual(["dicomnet.operation"]))),
      Effect.withTracer(tracer)
    )
  })

  const capture = (lines: Array<{ message: string; direction: unknown }>) =>
    Logger.layer([
      Logger.make((options) => {
        const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
        const message = Array.isArray(options.message) ? options.message.join(" ") : String(options.message)
        lines.push({ message, direction: annotations["direction"] })
      })
    ])

  it.effect("renders every PDU sent and received at Debug level, annotated with its direction", () => {
    const lines: Array<{ message: string; direction: unknown }> = []
    return withServer({}, () => Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), Echo.echo))).pipe(
      Effect.provide(Layer.mergeAll(capture(lines), Layer.succeed(References.MinimumLogLevel, "Debug"))),
      Effect.andThen(Effect.sync(() => {
        const dumps = lines.filter((l) => l.direction !== undefined)
        // Both sides: RQ, AC, P-DATA (rq), P-DATA (rsp), RELEASE-RQ, RELEASE-RP, each sent once and received once.
        expect(dumps.filter((l) => l.message.includes("A-ASSOCIATE-RQ (0x01)")).map((l) => l.direction).sort()).toEqual(["received", "sent"])
        expect(dumps.filter((l) => l.message.includes("A-RELEASE-RP (0x06)")).map((l) => l.direction).sort()).toEqual(["received", "sent"])
        expect(dumps.filter((l) => l.message.includes("P-DATA-TF (0x04)"))).toHaveLength(4)
      }))
    )
  })

  it.effect("renders no PDU above Debug level", () => {
    const lines: Array<{ message: string; direction: unknown }> = []
    return withServer({}, () => Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), Echo.echo))).pipe(
      Effect.provide(Layer.mergeAll(capture(lines), Layer.succeed(References.MinimumLogLevel, "Info"))),
      Effect.andThen(Effect.sync(() => {
        expect(lines.filter((l) => l.direction !== undefined)).toEqual([])
        expect(lines.some((l) => l.message.includes("association accepted"))).toBe(true)
      }))
    )
  })
})

/** A scripted requestor: the association driver over a raw in-memory connection, for what our client never sends. */
const scriptedRequestor = <A, E>(script: (handle: Driver.AssociationHandle) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const transport = yield* Transport.Transport
      const connection = yield* transport.connect({ host, port })
      const rq = Negotiation.makeAssociateRq({
        callingAeTitle: "SCRIPT",
        calledAeTitle: "DICOMNET",
        contexts: [{ abstractSyntax: SopClass.Verification, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] }]
      })
      if (Result.isFailure(rq)) return yield* Effect.die(rq.failure)
      const handle = yield* Driver.request({ associateRq: rq.success, input: connection.input, write: connection.write, close: connection.close })
      return yield* script(handle)
    })
  )

const echoRq = (messageId: number) => {
  const bytes = CommandSet.encode(Command.cEchoRq({ affectedSopClassUid: SopClass.Verification, messageId }))
  if (Result.isFailure(bytes)) throw bytes.failure
  return bytes.success
}

/** The first complete message a scripted requestor receives. */
const firstMessage = (handle: Driver.AssociationHandle) => {
  const assembler = Assembler.make()
  return handle.incoming.pipe(
    Stream.filter((item) => item._tag === "PData"),
    Stream.flatMap((item) => Stream.fromIterable(Result.getOrElse(assembler.feedPDataTf(item.pdu), () => []))),
    Stream.filter((event) => event._tag === "MessageComplete"),
    Stream.runHead
  )
}

describe("DicomServer · protocol violations from the requestor", () => {
  it.effect("aborts the association when a command arrives on a presentation context that was not accepted", () =>
    withServer({}, (_server, events) =>
      Effect.gen(function* () {
        const reason = yield* scriptedRequestor((handle) =>
          Effect.gen(function* () {
            yield* handle.sendPData([{ presentationContextId: 3, isCommand: true, isLast: true, data: echoRq(1) }])
            return yield* handle.awaitClose
          })
        )
        expect(reason._tag).toBe("Aborted")
        yield* settle
        expect(tags(events)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationAborted"])
      })
    )
  )

  it.effect("aborts the association on a data set PDV that no command announced (PS3.7 §6.3.1)", () =>
    withServer({}, () =>
      Effect.gen(function* () {
        const reason = yield* scriptedRequestor((handle) =>
          Effect.gen(function* () {
            yield* handle.sendPData([{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(8) }])
            return yield* handle.awaitClose
          })
        )
        expect(reason._tag).toBe("Aborted")
        if (reason._tag === "Aborted") expect(reason.error.source).toBe("peer-user")
      })
    )
  )

  it.effect("answers a command fragmented over several PDVs and PDUs", () =>
    withServer({}, () =>
      scriptedRequestor((handle) =>
        Effect.gen(function* () {
          const bytes = echoRq(42)
          yield* handle.sendPData([{ presentationContextId: 1, isCommand: true, isLast: false, data: bytes.subarray(0, 10) }])
          yield* handle.sendPData([
            { presentationContextId: 1, isCommand: true, isLast: false, data: bytes.subarray(10, 20) },
            { presentationContextId: 1, isCommand: true, isLast: true, data: bytes.subarray(20) }
          ])
          const message = yield* firstMessage(handle)
          assert.isTrue(Option.isSome(message))
          if (Option.isSome(message)) {
            expect(message.value.command).toMatchObject({ _tag: "CEchoRsp", messageIdBeingRespondedTo: 42, status: 0 })
          }
          yield* handle.release
        })
      )
    )
  )
})

/** An Implicit VR LE command set from (element, US value) pairs plus an optional Affected SOP Class UID. */
const rawCommand = (fields: ReadonlyArray<readonly [number, number]>, sopClass?: string) => {
  const uid = sopClass === undefined ? undefined : sopClass.length % 2 === 0 ? sopClass : `${sopClass}\0`
  const bytes = new Uint8Array((uid === undefined ? 0 : 8 + uid.length) + fields.length * 10)
  const view = new DataView(bytes.buffer)
  let o = 0
  if (uid !== undefined) {
    view.setUint16(o + 2, 0x0002, true)
    view.setUint32(o + 4, uid.length, true)
    for (let i = 0; i < uid.length; i++) bytes[o + 8 + i] = uid.charCodeAt(i)
    o += 8 + uid.length
  }
  for (const [element, value] of fields) {
    view.setUint16(o + 2, element, true)
    view.setUint32(o + 4, 2, true)
    view.setUint16(o + 8, value, true)
    o += 10
  }
  return bytes
}

/** The US values of a raw command set by element number. */
const usFields = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Map<number, number>()
  for (let o = 0; o + 8 <= bytes.length; ) {
    const element = view.getUint16(o + 2, true)
    const length = view.getUint32(o + 4, true)
    if (length === 2) out.set(element, view.getUint16(o + 8, true))
    o += 8 + length
  }
  return out
}

/** The next P-DATA-TF's first PDV as raw bytes. */
const nextPdv = (handle: Driver.AssociationHandle) =>
  Effect.gen(function* () {
    const item = yield* handle.take
    if (Option.isNone(item) || item.value._tag !== "PData") return yield* Effect.die(new Error("expected a P-DATA-TF"))
    const pdv = item.value.pdu.pdvs[0]
    if (pdv === undefined) return yield* Effect.die(new Error("an empty P-DATA-TF"))
    return pdv
  })

describe("DicomServer · unrecognized operations (0211H)", () => {
  it.effect("answers a request whose Command Field is unknown with 0211H, skips its data set, and the association continues", () =>
    withServer({}, () =>
      scriptedRequestor((handle) =>
        Effect.gen(function* () {
          // Command Field 0FF0H is not defined by PS3.7; a data set follows (0001H).
          const command = rawCommand([[0x0100, 0x0ff0], [0x0110, 7], [0x0800, 0x0001]], SopClass.Verification)
          yield* handle.sendPData([
            { presentationContextId: 1, isCommand: true, isLast: true, data: command },
            { presentationContextId: 1, isCommand: false, isLast: false, data: new Uint8Array(16) }
          ])
          yield* handle.sendPData([{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(16) }])
          const pdv = yield* nextPdv(handle)
          expect(pdv).toMatchObject({ presentationContextId: 1, isCommand: true, isLast: true })
          const fields = usFields(pdv.data)
          expect(fields.get(0x0100)).toBe(0x8ff0)
          expect(fields.get(0x0120)).toBe(7)
          expect(fields.get(0x0800)).toBe(0x0101)
          expect(fields.get(0x0900)).toBe(0x0211)
          // Still in business: a C-ECHO on the same association is answered.
          yield* handle.sendPData([{ presentationContextId: 1, isCommand: true, isLast: true, data: echoRq(8) }])
          const echo = yield* nextPdv(handle)
          expect(usFields(echo.data).get(0x0900)).toBe(0)
          expect(usFields(echo.data).get(0x0120)).toBe(8)
          yield* handle.release
        })
      )
    )
  )
})

describe("DicomServer · user identity (PS3.7 §D.3.3.7)", () => {
  const identity = (name: string) => ({
    userIdentityType: 1 as const,
    positiveResponseRequested: true,
    primaryField: new TextEncoder().encode(name),
    secondaryField: new Uint8Array(0)
  })
  const userIdentity = (id: { readonly primaryField: Uint8Array }) =>
    Effect.succeed<Negotiation.UserIdentityVerdict>(
      new TextDecoder().decode(id.primaryField) === "alice"
        ? { _tag: "Accept", serverResponse: new TextEncoder().encode("welcome") }
        : { _tag: "Reject" }
    )

  it.effect("accepts an identity the policy accepts and returns its server response", () =>
    withServer({ userIdentity }, () =>
      Effect.scoped(
        Effect.gen(function* () {
          const association = yield* Association.request({ host, port, contexts: verification, userIdentity: identity("alice") })
          const response = association.negotiated.userIdentityServerResponse
          assert.isDefined(response)
          expect(new TextDecoder().decode(response)).toBe("welcome")
        })
      )
    )
  )

  it.effect("rejects an identity the policy rejects with RJ 1/1/1", () =>
    withServer({ userIdentity }, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Effect.scoped(Association.request({ host, port, contexts: verification, userIdentity: identity("mallory") })))
        expect(error).toMatchObject({ _tag: "AssociationRejected", result: 1, source: 1, reason: 1 })
      })
    )
  )
})

describe("DicomServer.layer", () => {
  it.effect("provides a listening DicomServer whose events stream reports each association", () =>
    Effect.gen(function* () {
      const server = yield* DicomServer.DicomServer
      const seen = yield* Effect.forkChild(server.events.pipe(Stream.take(3), Stream.runCollect), { startImmediately: true })
      yield* settle
      yield* Effect.scoped(Effect.flatMap(Association.request({ host, port, contexts: verification }), Echo.echo))
      expect((yield* Fiber.join(seen)).map((e) => e._tag)).toEqual(["AssociationRequested", "AssociationAccepted", "AssociationReleased"])
      expect(server.address).toEqual({ host, port })
    }).pipe(Effect.provide(DicomServer.layer({ host, port }).pipe(Layer.provideMerge(Transport.layerInMemory()))))
  )
})
