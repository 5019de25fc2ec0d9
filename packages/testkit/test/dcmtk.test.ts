import { describe, expect, it } from "@effect/vitest"
import { Dcmtk } from "@dicomnet/testkit"

describe("testkit · DCMTK harness", () => {
  it("finds every DCMTK tool the suite relies on (CI installs them; a missing peer fails)", () => {
    for (const tool of Dcmtk.tools) expect(Dcmtk.requireTool(tool)).toMatch(new RegExp(`/${tool}$`))
  })

  it("runs every DCMTK process with TCP_NODELAY=1", async () => {
    const result = await Dcmtk.run("sh", ["-c", "echo $TCP_NODELAY"])
    expect(result.stdout.trim()).toBe("1")
  })

  it("starts storescp as a peer and sees its port open, then stops it", async () => {
    const port = await Dcmtk.freePort()
    const peer = Dcmtk.start("storescp", ["--ignore", String(port)])
    try {
      await Dcmtk.waitForPort(port)
      const echo = await Dcmtk.run("echoscu", ["127.0.0.1", String(port)])
      expect(echo.code).toBe(0)
    } finally {
      const exit = await peer.stop()
      expect(exit.signal ?? exit.code).not.toBeNull()
    }
  })
})
