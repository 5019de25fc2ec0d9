import { describe, expect, it } from "@effect/vitest"
import { Metrics, Wire } from "@dicomnet/association"
import { Effect, Metric, Stream } from "effect"

describe("Wire · byte counters", () => {
  it.effect("counts every byte read and written", () =>
    Effect.gen(function* () {
      const written: Array<number> = []
      const wire = yield* Wire.make({
        input: Stream.make(new Uint8Array(3), new Uint8Array(5), new Uint8Array(7)),
        write: (chunks) => Effect.sync(() => written.push(chunks.length))
      })
      expect(wire.debug).toBe(false)
      const chunks = yield* Stream.runCollect(wire.input)
      expect(chunks.map((c) => c.length)).toEqual([3, 5, 7])
      yield* wire.write([new Uint8Array(10), new Uint8Array(6)])
      expect(written).toEqual([2])
      expect((yield* Metric.value(Metrics.bytesReceivedTotal)).count).toBe(15)
      expect((yield* Metric.value(Metrics.bytesSentTotal)).count).toBe(16)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("a failed write counts nothing", () =>
    Effect.gen(function* () {
      const wire = yield* Wire.make({ input: Stream.empty, write: () => Effect.fail("closed" as const) })
      expect(yield* Effect.flip(wire.write([new Uint8Array(4)]))).toBe("closed")
      expect((yield* Metric.value(Metrics.bytesSentTotal)).count).toBe(0)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("countOperation and countAssociation count per attribute pair", () =>
    Effect.gen(function* () {
      yield* Metrics.countOperation("C-ECHO", "Success")
      yield* Metrics.countOperation("C-ECHO", "Success")
      yield* Metrics.countOperation("C-ECHO", "Failure")
      yield* Metrics.countOperation("C-STORE", "Success")
      yield* Metrics.countAssociation("acceptor", "released")
      const value = (service: string, status_category: string) =>
        Effect.map(Metric.value(Metric.withAttributes(Metrics.operationsTotal, { service, status_category })), (s) => s.count)
      expect(yield* value("C-ECHO", "Success")).toBe(2)
      expect(yield* value("C-ECHO", "Failure")).toBe(1)
      expect(yield* value("C-STORE", "Success")).toBe(1)
      const released = yield* Metric.value(Metric.withAttributes(Metrics.associationsTotal, { role: "acceptor", outcome: "released" }))
      expect(released.count).toBe(1)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))
})
