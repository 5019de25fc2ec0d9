/**
 * DCMTK 3.6.7 findscu, movescu and getscu against our Q/R SCP (QueryRetrieve.fromDirectory over
 * synthetic files) over TCP; the C-MOVE destination is DCMTK storescp. DCMTK must be installed
 * (these tests fail, never skip, without it).
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { TransferSyntax } from "@dicomnet/data"
import { Synth } from "@dicomnet/synth"
import { Dcmtk } from "@dicomnet/testkit"
import { NodeTransport } from "@dicomnet/transport-node"
import { NodeServices } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DicomServer from "../src/DicomServer.js"
import * as QueryRetrieve from "../src/QueryRetrieve.js"

const CT = "1.2.840.10008.5.1.4.1.1.2"
const syntaxes = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]
const synth = { patients: 2, studiesPerPatient: 2, seriesPerStudy: 2, instancesPerSeries: 2, rows: 8, columns: 8, seed: "dcmtk" } as const
const instances = Array.from(Synth.study(synth), (i) => i.dataset)
const uidsWhere = (key: string, value: string | undefined) => instances.filter((i) => i.uid(key) === value).map((i) => i.uid("SOPInstanceUID") ?? "")

const root = Dcmtk.tempDir("dicomnet-qrscp-")
const archive = join(root.path, "archive")
for (const f of Synth.generate(synth)) {
  const p = join(archive, f.path)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, f.bytes)
}

let dest: { readonly port: number; readonly peer: Dcmtk.Peer; readonly dir: string }
beforeAll(async () => {
  const dir = join(root.path, "storescp")
  mkdirSync(dir)
  const port = await Dcmtk.freePort()
  const peer = Dcmtk.start("storescp", ["-aet", "STORESCP", "-od", dir, String(port)])
  await Dcmtk.waitForPort(port)
  dest = { port, peer, dir }
})
afterAll(async () => {
  await dest?.peer.stop()
  root.cleanup()
})

const qrContexts = [...QueryRetrieve.sopClasses.find, ...QueryRetrieve.sopClasses.move, ...QueryRetrieve.sopClasses.get].map((abstractSyntax) => ({
  abstractSyntax,
  transferSyntaxes: syntaxes
}))

/** Our Q/R SCP "QRSCP" on a free TCP port over the archive; `body` gets the port. */
const withQrScp = <A, E>(body: (port: number) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const source = yield* QueryRetrieve.fromDirectory(archive)
    const queryRetrieve = yield* QueryRetrieve.withTransport({
      find: source.find,
      retrieve: source.retrieve,
      destinations: { STORESCP: { host: "127.0.0.1", port: dest.port } },
      aeTitle: "QRSCP"
    })
    const server = yield* DicomServer.make({
      host: "127.0.0.1",
      port: 0,
      aeTitle: "QRSCP",
      acceptance: { contexts: [...qrContexts, { abstractSyntax: CT, transferSyntaxes: syntaxes }] },
      handlers: { queryRetrieve }
    })
    return yield* body(server.address.port)
  }).pipe(Effect.provide([NodeTransport.layerTcp(), NodeServices.layer]))

const tool = (name: string, args: ReadonlyArray<string>, cwd?: string) =>
  Effect.promise(() => Dcmtk.run(name, args, cwd === undefined ? {} : { cwd }))

describe("Our Q/R SCP · DCMTK findscu", () => {
  it.live("Study Root STUDY level: one response per study, extracted and read back", () =>
    withQrScp((port) =>
      Effect.gen(function* () {
        const out = join(root.path, "find-study")
        mkdirSync(out)
        const r = yield* tool("findscu", ["-S", "-aec", "QRSCP", "-X", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID", "-k", "PatientID", "127.0.0.1", String(port)], out)
        expect(r.code).toBe(0)
        const files = readdirSync(out).filter((n) => n.startsWith("rsp"))
        expect(files.length).toBe(4)
        const dumps = yield* Effect.forEach(files, (f) => tool("dcmdump", ["-q", "+P", "StudyInstanceUID", join(out, f)]))
        const got = dumps.map((d) => /\[([0-9.]+)\]/.exec(d.stdout)?.[1])
        expect(new Set(got)).toEqual(new Set(instances.map((i) => i.uid("StudyInstanceUID"))))
      })
    )
  )

  it.live("Patient Root IMAGE level under a series, and a wildcard on the patient's name", () =>
    withQrScp((port) =>
      Effect.gen(function* () {
        const first = instances[0]
        const out = join(root.path, "find-image")
        mkdirSync(out)
        const r = yield* tool(
          "findscu",
          [
            "-P", "-aec", "QRSCP", "-X",
            "-k", "QueryRetrieveLevel=IMAGE",
            "-k", `PatientID=${first?.string("PatientID")}`,
            "-k", `PatientName=${(first?.string("PatientName") ?? "").slice(0, 2)}*`,
            "-k", `StudyInstanceUID=${first?.uid("StudyInstanceUID")}`,
            "-k", `SeriesInstanceUID=${first?.uid("SeriesInstanceUID")}`,
            "-k", "SOPInstanceUID",
            "127.0.0.1", String(port)
          ],
          out
        )
        expect(r.code).toBe(0)
        expect(readdirSync(out).filter((n) => n.startsWith("rsp")).length).toBe(2)
      })
    )
  )
})

describe("Our Q/R SCP · DCMTK movescu and getscu", () => {
  it.live("movescu: a study goes to storescp (known AE) in sub-operations", () =>
    withQrScp((port) =>
      Effect.gen(function* () {
        const study = instances[0]?.uid("StudyInstanceUID")
        const r = yield* tool("movescu", ["-v", "-S", "-aec", "QRSCP", "-aem", "STORESCP", "-k", "QueryRetrieveLevel=STUDY", "-k", `StudyInstanceUID=${study}`, "127.0.0.1", String(port)])
        expect(r.code).toBe(0)
        const log = r.stdout + r.stderr
        expect(log.match(/Received Move Response \d+ \(Pending\)/g)?.length).toBe(3)
        expect(log).toMatch(/Received Final Move Response \(Success\)/)
        const got = readdirSync(dest.dir).map((n) => n.replace(/^[A-Z]{2}\./, ""))
        for (const uid of uidsWhere("StudyInstanceUID", study)) expect(got).toContain(uid)
      })
    )
  )

  it.live("movescu to an unknown AE: the C-MOVE-RSP is A801H", () =>
    withQrScp((port) =>
      Effect.gen(function* () {
        const r = yield* tool("movescu", ["-v", "-S", "-aec", "QRSCP", "-aem", "NOWHERE", "-k", "QueryRetrieveLevel=STUDY", "-k", `StudyInstanceUID=${instances[0]?.uid("StudyInstanceUID")}`, "127.0.0.1", String(port)])
        expect(r.stdout + r.stderr).toMatch(/Received Final Move Response \(Refused: MoveDestinationUnknown\)/)
      })
    )
  )

  it.live("getscu: a series comes back on the same association as files", () =>
    withQrScp((port) =>
      Effect.gen(function* () {
        const target = instances[3]
        const out = join(root.path, "getscu")
        mkdirSync(out)
        const r = yield* tool("getscu", [
          "-S", "-aec", "QRSCP", "-od", out,
          "-k", "QueryRetrieveLevel=SERIES",
          "-k", `StudyInstanceUID=${target?.uid("StudyInstanceUID")}`,
          "-k", `SeriesInstanceUID=${target?.uid("SeriesInstanceUID")}`,
          "127.0.0.1", String(port)
        ])
        expect(r.code).toBe(0)
        const got = readdirSync(out).map((n) => n.replace(/^[A-Z]{2}\./, ""))
        expect(got.sort()).toEqual(uidsWhere("SeriesInstanceUID", target?.uid("SeriesInstanceUID")).sort())
      })
    )
  )
})
