import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@dicomnet/source"] },
  test: {
    name: "cli",
    include: ["test/**/*.test.ts"],
    // The end-to-end tests spawn the built binary: build it (and its dependencies) first.
    globalSetup: ["./test/support/build.ts"]
  }
})
