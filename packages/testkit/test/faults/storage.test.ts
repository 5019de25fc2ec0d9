/**
 * Storage faults against a live DicomServer over TCP on 127.0.0.1 with `Storage.toDirectory`:
 * transfers cut short, a store directory that cannot be written, data sets over the limit. After
 * each case: the server answers C-ECHO, the directory holds exactly the objects acknowledged with
 * success (complete, byte-identical data sets), and no temporary or partial file is left.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Association, Store } from "@dicomnet/client"
import { Dcmtk, HostilePeer } from "@dicomnet/testkit"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { clientTimeouts, echo, host, note, remainingAssociations, withServer } from "./Harness.js"
import { check, clean, object, secondaryCapture, storeTo, type TestObject } from "./Objects.js"

let dir: { readonly path: string; readonly cleanup: () => void }
beforeEach(() => {
  dir = Dcmtk.tempDir("dicomnet-faults-")
})
afterEach(() => dir.cleanup())

/** Stores `objects` on one association; returns each status (a failure status is a value here, not an error). */
const storeAll = (port: number, objects: ReadonlyArray<TestObject>, callingAeTitle = "STORER") =>
  Effect.scoped(
    Effect.gen(function* () {
      const association = yield* Association.request({
        host,
        port,
        callingAeTitle,
        contexts: [{ abstractSyntax: secondaryCapture }],
        timeouts: { ...clientTimeouts, connect: "20 seconds", artim: "20 seconds", dimse: "20 seconds" }
      })
      const statuses: Array<number> = []
      for (const o of objects) {
        const result = yield* Effect.result(
          Store.stream(association, { sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, transferSyntaxUid: o.transferSyntaxUid, data: Stream.make(o.bytes) })
        )
        statuses.push(result._tag === "Success" ? result.success.status : result.failure._tag === "DimseFailure" ? result.failure.status : -1)
      }
      return statuses
    })
  )

const interrupted = (n: number) => ({
  sopClassUid: secondaryCapture,
  sopInstanceUid: `2.25.${9000000 + n}`,
  dataset: object(9000 + n, 256 * 1024).bytes,
  timeoutMs: 6000
})

describe("Faults · C-STORE cut short (PS3.8 §9.3.8 A-ABORT; TCP reset)", () => {
  it.live("an A-ABORT after half the data set stores nothing; a concurrent store is complete on disk", () =>
    withServer({ handlers: { store: storeTo(dir.path) } }, ({ target, server, awaitEvents }) =>
      Effect.gen(function* () {
        const good = [object(1), object(2), object(3)]
        const [report, statuses] = yield* Effect.all([HostilePeer.abortMidStore(target, interrupted(1)), storeAll(target.port, good)], {
          concurrency: 2
        })
        yield* note("A-ABORT mid C-STORE (storage)", { report, statuses })
        expect(report.ending).toBe("fin")
        expect(statuses).toEqual([0, 0, 0])
        yield* awaitEvents("AssociationAborted", 1)
        expect(yield* remainingAssociations(server)).toBe(0)
        expect(yield* echo(target.port)).toBe(0)
        expect(check(dir.path, good)).toMatchObject(clean)
      })
    )
  , 30_000)

  it.live("a peer vanishing without FIN (TCP reset) mid data set stores nothing and leaves no temporary file", () =>
    withServer({ handlers: { store: storeTo(dir.path) } }, ({ target, server, awaitEvents }) =>
      Effect.gen(function* () {
        for (let i = 0; i < 5; i++) yield* HostilePeer.vanishMidStore(target, interrupted(10 + i))
        yield* awaitEvents("AssociationAborted", 5)
        expect(yield* remainingAssociations(server)).toBe(0)
        expect(yield* echo(target.port)).toBe(0)
        const after = check(dir.path, [])
        yield* note("TCP reset mid C-STORE x5", after)
        expect(after).toMatchObject(clean)
        expect(after.files).toEqual([])
        // And the server still stores.
        expect(yield* storeAll(target.port, [object(20)])).toEqual([0])
        expect(check(dir.path, [object(20)])).toMatchObject(clean)
      })
    )
  , 30_000)
})

describe("Faults · disk errors (A700H out of resources)", () => {
  it.live("a store directory that is a regular file: every C-STORE is answered A700H, the association and the server go on", () => {
    const notADirectory = join(dir.path, "not-a-directory")
    writeFileSync(notADirectory, "a regular file where the store directory should be\n")
    return withServer({ handlers: { store: storeTo(notADirectory) } }, ({ target, server }) =>
      Effect.gen(function* () {
        const statuses = yield* storeAll(target.port, [object(30), object(31)])
        yield* note("store directory is a file", statuses)
        expect(statuses).toEqual([0xa700, 0xa700])
        expect(yield* echo(target.port)).toBe(0)
        expect(yield* remainingAssociations(server)).toBe(0)
        expect(check(dir.path, [])).toMatchObject({ ...clean, unexpected: ["not-a-directory"] })
      })
    )
  }, 30_000)
})

describe("Limits · maxDatasetBytes", () => {
  it.live("a data set over the limit is answered A700H, drained and not stored; the next object on the same association is stored", () =>
    withServer({ maxDatasetBytes: 100 * 1024, handlers: { store: storeTo(dir.path) } }, ({ target }) =>
      Effect.gen(function* () {
        const big = object(40, 512 * 1024)
        const small = object(41, 8 * 1024)
        const statuses = yield* storeAll(target.port, [big, small, object(42, 64 * 1024)])
        yield* note("data set over maxDatasetBytes", statuses)
        expect(statuses).toEqual([0xa700, 0, 0])
        expect(check(dir.path, [small, object(42, 64 * 1024)])).toMatchObject(clean)
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  , 30_000)
})

describe("Faults · forged SOP Instance UIDs (path traversal)", () => {
  it.live("a C-STORE whose SOP Instance UID is a relative path is answered C000H and stores nothing", () => {
    const store = join(dir.path, "store")
    mkdirSync(store)
    return withServer({ handlers: { store: storeTo(store) } }, ({ target }) =>
      Effect.gen(function* () {
        const forged = ["2.25.4242", "../outside", "../../../../../../../../tmp/dicomnet-evil", "/etc/dicomnet-evil", "..\\..\\win"]
        const statuses: Array<number | undefined> = []
        const echoed: Array<boolean> = []
        for (const forgedUid of forged) {
          const report = yield* HostilePeer.storeWithForgedUid(target, { sopClassUid: secondaryCapture, forgedUid, dataset: object(50).bytes, timeoutMs: 6000 })
          statuses.push(report.status)
          echoed.push(report.echoed)
          yield* note(`forged ${forgedUid}`, report)
        }
        yield* note("forged SOP Instance UIDs", statuses)
        // The well-formed UID is stored and acknowledged. The forged ones are refused before the store
        // handler runs: C000H (cannot understand, PS3.4 §B.2.3), a response that does not echo the UID,
        // the data set drained, nothing written anywhere.
        expect(statuses).toEqual([0, 0xc000, 0xc000, 0xc000, 0xc000])
        expect(echoed).toEqual([true, false, false, false, false])
        expect(readdirSync(dir.path)).toEqual(["store"])
        expect(existsSync("/tmp/dicomnet-evil.dcm")).toBe(false)
        expect(existsSync("/etc/dicomnet-evil.dcm")).toBe(false)
        expect(readdirSync(store)).toEqual(["2.25.4242.dcm"])
        expect(yield* echo(target.port)).toBe(0)
      })
    )
  }, 30_000)
})

describe("Faults · a store handler that dies", () => {
  it.live("a defect in the store handler is answered 0110H without its message; the association stores the next object", () => {
    const inner = storeTo(dir.path)
    let calls = 0
    return withServer(
      {
        handlers: {
          store: (request) =>
            ++calls === 1 ? Effect.andThen(Stream.runDrain(request.dataset), Effect.die(new Error("secret internal state: disk controller on fire"))) : inner(request)
        }
      },
      ({ target }) =>
        Effect.gen(function* () {
          const failure = yield* Effect.scoped(
            Effect.gen(function* () {
              const association = yield* Association.request({ host, port: target.port, contexts: [{ abstractSyntax: secondaryCapture }], timeouts: clientTimeouts })
              const first = object(60)
              const error = yield* Effect.flip(
                Store.stream(association, { sopClassUid: first.sopClassUid, sopInstanceUid: first.sopInstanceUid, transferSyntaxUid: first.transferSyntaxUid, data: Stream.make(first.bytes) })
              )
              const second = object(61)
              const ok = yield* Store.stream(association, {
                sopClassUid: second.sopClassUid,
                sopInstanceUid: second.sopInstanceUid,
                transferSyntaxUid: second.transferSyntaxUid,
                data: Stream.make(second.bytes)
              })
              return { error, ok: ok.status }
            })
          )
          yield* note("store handler dies", { status: "status" in failure.error ? failure.error.status : failure.error._tag, ok: failure.ok })
          expect(failure.error).toMatchObject({ _tag: "DimseFailure", status: 0x0110 })
          expect(JSON.stringify(failure.error)).not.toContain("secret")
          expect(failure.ok).toBe(0)
          expect(check(dir.path, [object(61)])).toMatchObject(clean)
          expect(yield* echo(target.port)).toBe(0)
        })
    )
  }, 30_000)
})
