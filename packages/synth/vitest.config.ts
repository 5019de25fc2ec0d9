import { defineProject } from "vitest/config"

// The "@dicomnet/source" condition must reach the SSR (node) environment too, else @dicomnet/* resolve to dist.
export default defineProject({
  resolve: { conditions: ["@dicomnet/source"] },
  ssr: { resolve: { conditions: ["@dicomnet/source"], externalConditions: ["@dicomnet/source"] } },
  test: { name: "synth", include: ["test/**/*.test.ts"] }
})
