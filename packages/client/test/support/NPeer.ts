/**
 * The N-service SCP of the client tests: a `DicomServer` accepting the given SOP classes and serving
 * DIMSE-N requests with `handlers` (through the server's dispatch: `NServices.perform` on the DIMSE session).
 */
import { TransferSyntax } from "@dicomnet/data"
import { DicomServer, type NServices } from "@dicomnet/server"

/** Listens on host:port and serves DIMSE-N requests with `handlers` (C-ECHO built in). */
export const listen = (
  host: string,
  port: number,
  abstractSyntaxes: ReadonlyArray<string>,
  handlers: NServices.NServiceHandlers,
  transferSyntaxes: ReadonlyArray<string> = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
) =>
  DicomServer.make({
    host,
    port,
    acceptance: { contexts: abstractSyntaxes.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes })) },
    handlers: { nServices: handlers }
  })
