/**
 * Per-operation spans for the client and the server, only while someone can see them: a Tracer other than Effect's default in-memory one
 * is installed (`Effect.withTracer`, an OpenTelemetry layer) and tracing is enabled (`References.TracerEnabled`).
 * With the default tracer nothing exports a span, and making one per DIMSE message is a large part of its cost.
 *
 * @since 0.1.0
 */
import { Effect, type Fiber, References, Tracer } from "effect"

/** Whether spans made now reach an installed tracer. @category predicates */
export const isTracing = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  fiber.getRef(References.TracerEnabled) && fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer

const noStack = { captureStackTrace: false } as const

/** `self` in a span `name` (a child of `parent` when given) while tracing, else `self` as it is. @category combinators */
export const withOperationSpan =
  (name: string, options: Tracer.SpanOptionsNoTrace, parent?: Tracer.AnySpan | undefined) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) => {
      if (!isTracing(fiber)) return self
      const traced = Effect.withSpan(name, options, noStack)(self)
      return parent === undefined ? traced : Effect.withParentSpan(parent, noStack)(traced)
    })

/**
 * Sets an attribute of the current span while tracing (the operation span of `withOperationSpan`); the value is
 * computed only then. @category combinators
 */
export const annotate = (key: string, value: () => unknown): Effect.Effect<void> =>
  Effect.withFiber((fiber) => (isTracing(fiber) ? Effect.annotateCurrentSpan(key, value()) : Effect.void))
