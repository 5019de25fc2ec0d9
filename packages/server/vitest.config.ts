import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@dicomnet/source"] },
  // The condition must reach the SSR (node) environment too, else @dicomnet/* resolve to a possibly stale dist.
  ssr: { resolve: { conditions: ["@dicomnet/source"], externalConditions: ["@dicomnet/source"] } },
  test: { name: "server", include: ["test/**/*.test.ts"] }
})
