/** The association's instrumented wire (byte counters, PDU dumps at Debug), shared with the other role. */
import { Wire } from "@dicomnet/association"
import type { Connection } from "@dicomnet/transport"

/** Instruments a connection for one association. */
export const make = (connection: Connection.Connection) => Wire.make(connection)
