import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@dicomnet/source"] },
  test: { name: "server", include: ["test/**/*.test.ts"] }
})
