/**
 * @dicomnet/cli: the `dicomnet` binary (DCMTK-style tools: echoscu, echoscp) and the option, logging,
 * transport and exit-code modules later tools reuse.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
export * as Failure from "./Failure.js"
export * as Logging from "./Logging.js"
export * as Options from "./Options.js"
export * as Tls from "./Tls.js"
export * as V8Settings from "./V8Settings.js"
export * as Echoscp from "./tools/echoscp.js"
export * as Echoscu from "./tools/echoscu.js"
