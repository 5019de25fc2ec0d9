import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@dicomnet/source"] },
  test: { name: "pdu", include: ["test/**/*.test.ts"] }
})
