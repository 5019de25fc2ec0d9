import { defineProject } from "vitest/config"

// The suite itself is a script (npm run bench); the tests only cover the report writer.
export default defineProject({
  resolve: { conditions: ["@dicomnet/source"] },
  ssr: { resolve: { conditions: ["@dicomnet/source"], externalConditions: ["@dicomnet/source"] } },
  test: { name: "bench", include: ["test/**/*.test.ts"] }
})
