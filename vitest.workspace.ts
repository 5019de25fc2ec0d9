/** The test projects: one per package (each has its own vitest.config.ts) and the repository checks. */
export const projects = [
  "packages/*",
  {
    resolve: { conditions: ["@dicomnet/source"] },
    ssr: { resolve: { conditions: ["@dicomnet/source"], externalConditions: ["@dicomnet/source"] } },
    test: { name: "repo", include: ["test/**/*.test.ts"] }
  }
]
