/**
 * The client's metrics: the same effect `Metric`s as @dicomnet/server's (defined once in
 * @dicomnet/association), so one registry counts both roles: `dicomnet_associations_total{role,outcome}`,
 * `dicomnet_operations_total{service,status_category}`, `dicomnet_bytes_sent_total`, `dicomnet_bytes_received_total`.
 *
 * @since 0.1.0
 */
import { Metrics } from "@dicomnet/association"

/** Associations that ended, by `role` and `outcome`. @category metrics */
export const associationsTotal = Metrics.associationsTotal
/** DIMSE operations by `service` and `status_category`. @category metrics */
export const operationsTotal = Metrics.operationsTotal
/** Bytes written to peers. @category metrics */
export const bytesSentTotal = Metrics.bytesSentTotal
/** Bytes read from peers. @category metrics */
export const bytesReceivedTotal = Metrics.bytesReceivedTotal
/** Counts one association outcome. @category metrics */
export const countAssociation = Metrics.countAssociation
/** Counts one operation outcome. @category metrics */
export const countOperation = Metrics.countOperation
