/**
 * The metrics of every association (effect `Metric`), shared by @dicomnet/client and @dicomnet/server so that one registry
 * counts both roles: `dicomnet_associations_total{role,outcome}`, `dicomnet_operations_total{service,
 * status_category}`, `dicomnet_bytes_sent_total`, `dicomnet_bytes_received_total`.
 *
 * @since 0.1.0
 */
import { Metric } from "effect"

/** Associations that ended, by `role` (requestor/acceptor) and `outcome` (released, aborted, rejected, timeout, failed). @category metrics */
export const associationsTotal = Metric.counter("dicomnet_associations_total", {
  description: "DICOM associations by role and outcome",
  incremental: true
})

/** DIMSE operations by `service` (C-ECHO, ...) and `status_category` (Success, Warning, Failure, Cancel, Timeout, Aborted). @category metrics */
export const operationsTotal = Metric.counter("dicomnet_operations_total", {
  description: "DIMSE operations by service and status category",
  incremental: true
})

/** Bytes written to peers. @category metrics */
export const bytesSentTotal = Metric.counter("dicomnet_bytes_sent_total", { description: "bytes sent to DICOM peers", incremental: true })

/** Bytes read from peers. @category metrics */
export const bytesReceivedTotal = Metric.counter("dicomnet_bytes_received_total", {
  description: "bytes received from DICOM peers",
  incremental: true
})

// Metrics bound to attributes are cached by their two attribute values in nested maps, so that counting builds no
// string. Each is a counter of its own with the attributes built in (the same series as `withAttributes` would
// update): `Metric.withAttributes` adds them to the context on every update, and the series key (a JSON string)
// is then built again each time.
type Counter = Metric.Metric<number, Metric.CounterState<number>>
const bind = (cache: Map<string, Map<string, Counter>>, first: string, second: string, make: () => Counter): Counter => {
  let inner = cache.get(first)
  if (inner === undefined) {
    inner = new Map()
    cache.set(first, inner)
  }
  let m = inner.get(second)
  if (m === undefined) {
    m = make()
    inner.set(second, m)
  }
  return m
}
const associations = new Map<string, Map<string, Counter>>()
const operations = new Map<string, Map<string, Counter>>()

/** Counts one association outcome. @category metrics */
export const countAssociation = (role: "requestor" | "acceptor", outcome: string) =>
  Metric.update(
    bind(associations, role, outcome, () =>
      Metric.counter(associationsTotal.id, {
        description: associationsTotal.description,
        incremental: true,
        attributes: { role, outcome }
      })),
    1
  )

/** The counter of one operation outcome, bound to its attributes once (for hot paths: `updateUnsafe(1, context)`). @category metrics */
export const operationCounter = (service: string, statusCategory: string): Metric.Metric<number, Metric.CounterState<number>> =>
  bind(operations, service, statusCategory, () =>
    Metric.counter(operationsTotal.id, {
      description: operationsTotal.description,
      incremental: true,
      attributes: { service, status_category: statusCategory }
    }))

/** Counts one operation outcome. @category metrics */
export const countOperation = (service: string, statusCategory: string) => Metric.update(operationCounter(service, statusCategory), 1)
