import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@dicomnet/source"] },
  // The condition must reach the SSR (node) environment too, else @dicomnet/* resolve to a possibly stale dist.
  ssr: { resolve: { conditions: ["@dicomnet/source"], externalConditions: ["@dicomnet/source"] } },
  test: {
    name: "cli",
    include: ["test/**/*.test.ts"],
    // End-to-end tests start processes (node, DCMTK, openssl); each run is bounded by its own kill timer.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The end-to-end tests spawn the built binary: build it (and its dependencies) first.
    globalSetup: ["./test/support/build.ts"]
  }
})
