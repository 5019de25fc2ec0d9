import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@dicomnet/source"] },
  test: { name: "dimse", include: ["test/**/*.test.ts"] }
})
