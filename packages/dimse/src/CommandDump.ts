/**
 * A readable rendering of a command, in the spirit of DCMTK's `-d` output, for verbose logs and the CLI.
 *
 * @since 0.1.0
 */
import type * as Command from "./Command.js"
import { fields } from "./internal/layout.js"
import { tagString } from "./internal/tagString.js"
import * as Status from "./Status.js"

// PS3.7 names of the DIMSE messages, e.g. "C-STORE-RQ".
const messageName = (tag: Command.CommandTag): string =>
  tag.replace(/^([CN])(.*?)(Rq|Rsp)$/, (_, kind: string, name: string, dir: string) =>
    `${kind}-${name.replace(/([a-z])([A-Z])/g, "$1-$2").toUpperCase()}-${dir.toUpperCase()}`
  )

/** The PS3.7 message name of a command: "C-STORE-RQ", "N-EVENT-REPORT-RSP", "C-CANCEL-RQ". @since 0.1.0 @category formatting */
export const name = (command: Command.DimseCommand): string => messageName(command._tag)

const serviceOf = (tag: Command.CommandTag): Status.Service | undefined => {
  const m = /^(C-ECHO|C-STORE|C-FIND|C-GET|C-MOVE|N-EVENT-REPORT|N-GET|N-SET|N-ACTION|N-CREATE|N-DELETE)-/.exec(messageName(tag))
  return m === null ? undefined : (m[1] as Status.Service)
}

const value = (v: unknown): string =>
  Array.isArray(v) ? v.map((t) => tagString(t as number)).join("\\") : typeof v === "string" ? `[${v}]` : String(v)

/**
 * Renders a command, one element per line with its tag, e.g.
 * "C-ECHO-RSP\n  (0000,0120) messageIdBeingRespondedTo 1\n  (0000,0900) status Success (0x0000)\n...".
 *
 * @since 0.1.0
 * @category formatting
 */
export const render = (command: Command.DimseCommand): string => {
  const c = command as unknown as Record<string, unknown>
  const lines = [name(command)]
  for (const spec of fields) {
    const v = c[spec.key]
    if (v === undefined) continue
    const shown =
      spec.key === "status" && typeof v === "number"
        ? Status.describe(v, serviceOf(command._tag))
        : value(v)
    lines.push(`  ${tagString(spec.tag)} ${spec.key} ${shown}`)
  }
  lines.push(`  (0000,0800) hasDataset ${command.hasDataset ? "yes" : "no (0101H)"}`)
  return lines.join("\n")
}
