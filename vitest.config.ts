import { defineConfig } from "vitest/config"
import { projects } from "./vitest.workspace.ts"

// Vitest 5 no longer reads vitest.workspace.ts by itself; the list lives there and is used here.
export default defineConfig({
  test: {
    projects,
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
