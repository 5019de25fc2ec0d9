/**
 * The exit code of an interrupted run (SIGINT/SIGTERM). A CLI run is interrupted from outside, so the
 * code cannot be a return value: 130 (128 + SIGINT) by default; a server that was listening sets it to
 * 0, as stopping a server with a signal is its normal end.
 */
export const interruptExitCode: { current: number } = { current: 130 }
