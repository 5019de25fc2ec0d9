/**
 * storescp's decisions around a received instance: where it goes (`--layout flat|study|patient`), what happens
 * when the file exists (`--on-collision overwrite|keep|rename`), and the DCMTK-style hooks run after a reception
 * (`--exec-on-reception`) and after the end of a study (`--exec-on-eostudy`, once no instance of the study has
 * arrived for `--eostudy-timeout` seconds).
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { type Duration, Effect, Fiber, type Scope } from "effect"

/**
 * Directory layouts: flat (SOPInstanceUID.dcm), study (Study/Series/), patient (Patient/Study/Series/).
 *
 * @since 0.1.0
 * @category models
 */
export type Layout = "flat" | "study" | "patient"

/**
 * What to do when the target file exists.
 *
 * @since 0.1.0
 * @category models
 */
export type Collision = "overwrite" | "keep" | "rename"

/**
 * The identifiers that place an instance.
 *
 * @since 0.1.0
 * @category models
 */
export interface Placement {
  readonly sopInstanceUid: string
  readonly studyInstanceUid?: string | undefined
  readonly seriesInstanceUid?: string | undefined
  readonly patientId?: string | undefined
}

/**
 * A path component from a value: characters other than letters, digits, '.', '-' and '_' become '_'; empty
 * or '.'/'..' becomes "UNKNOWN".
 *
 * @since 0.1.0
 * @category paths
 */
export const component = (value: string | undefined): string => {
  const cleaned = (value ?? "").trim().replace(/[^A-Za-z0-9._-]/g, "_")
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "UNKNOWN" : cleaned
}

/**
 * The directory of an instance under `root` for a layout.
 *
 * @since 0.1.0
 * @category paths
 */
export const directoryOf = (root: string, layout: Layout, p: Placement): string => {
  switch (layout) {
    case "flat":
      return root
    case "study":
      return join(root, component(p.studyInstanceUid), component(p.seriesInstanceUid))
    case "patient":
      return join(root, component(p.patientId), component(p.studyInstanceUid), component(p.seriesInstanceUid))
  }
}

/**
 * The file an instance is written to: SOPInstanceUID.dcm in its directory.
 *
 * @since 0.1.0
 * @category paths
 */
export const pathOf = (root: string, layout: Layout, p: Placement): string => join(directoryOf(root, layout, p), `${component(p.sopInstanceUid)}.dcm`)

/**
 * Applies the collision policy: the path to write, or undefined to keep the existing file (the new copy is
 * dropped, the sender still gets success). `rename` appends _1, _2... before ".dcm".
 *
 * @since 0.1.0
 * @category paths
 */
export const resolveCollision = (path: string, policy: Collision, exists: (p: string) => boolean = existsSync): string | undefined => {
  if (policy === "overwrite" || !exists(path)) return path
  if (policy === "keep") return undefined
  const base = path.endsWith(".dcm") ? path.slice(0, -4) : path
  for (let i = 1; ; i++) {
    const candidate = `${base}_${i}.dcm`
    if (!exists(candidate)) return candidate
  }
}

/**
 * The directories to flush so that a file renamed into `fileDirectory` survives a crash: that directory (it holds
 * the new entry) and, when `mkdir -p` made directories for it (`firstCreated`, what `mkdir` returns), the parent of
 * each one made (they are new entries too), up to the parent of the first.
 *
 * @since 0.1.0
 * @category paths
 */
export const directoriesToSync = (fileDirectory: string, firstCreated: string | undefined): ReadonlyArray<string> => {
  const dirs = [fileDirectory]
  if (firstCreated === undefined) return dirs
  for (let d = fileDirectory; d !== firstCreated && d !== dirname(d); d = dirname(d)) dirs.push(dirname(d))
  dirs.push(dirname(firstCreated))
  return dirs
}

/**
 * The placeholders of the hooks (DCMTK storescp): #p the directory, #f the file name, #a the calling AE title,
 * #c the called AE title, #r the remote host.
 *
 * @since 0.1.0
 * @category models
 */
export interface HookValues {
  readonly p: string
  readonly f: string
  readonly a: string
  readonly c: string
  readonly r: string
}

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`

/**
 * The command line with its placeholders replaced by shell-quoted values (so AE titles with spaces or quotes
 * stay one argument).
 *
 * @since 0.1.0
 * @category hooks
 */
export const expandHook = (template: string, values: HookValues): string =>
  template.replace(/#([pfacr])/g, (_, key: keyof HookValues) => quote(values[key]))

/**
 * Runs a hook command with `sh -c`, waiting for it; a non-zero exit or a failure to start is logged as a
 * warning (a hook never fails the reception).
 *
 * @since 0.1.0
 * @category hooks
 */
export const runHook = (name: string, command: string): Effect.Effect<void> =>
  Effect.callback<number | null>((resume) => {
    const child = spawn("sh", ["-c", command], { stdio: ["ignore", "inherit", "inherit"] })
    child.on("error", () => resume(Effect.succeed(null)))
    child.on("close", (code) => resume(Effect.succeed(code)))
  }).pipe(
    Effect.flatMap((code) =>
      code === 0
        ? Effect.logDebug(`${name}: ${command} exited 0`)
        : Effect.logWarning(`${name}: '${command}' ${code === null ? "could not run" : `exited ${code}`}`)
    )
  )

/**
 * End-of-study detection: `touch(study, values)` at every reception restarts the study's idle timer; when it
 * runs out, `onEnd` runs with the values of the last reception. Timers live in the given scope.
 *
 * @since 0.1.0
 * @category hooks
 */
export const endOfStudy = (
  timeout: Duration.Input,
  onEnd: (studyInstanceUid: string, values: HookValues) => Effect.Effect<void>
): Effect.Effect<{ readonly touch: (studyInstanceUid: string, values: HookValues) => Effect.Effect<void> }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const timers = new Map<string, Fiber.Fiber<void>>()
    return {
      touch: (study, values) =>
        Effect.gen(function*() {
          const previous = timers.get(study)
          if (previous !== undefined) yield* Fiber.interrupt(previous)
          const fiber = yield* Effect.sleep(timeout).pipe(
            Effect.andThen(Effect.sync(() => timers.delete(study))),
            Effect.andThen(onEnd(study, values)),
            Effect.forkIn(scope)
          )
          timers.set(study, fiber)
        })
    }
  })
