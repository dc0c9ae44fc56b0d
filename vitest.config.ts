import { defineConfig } from "vitest/config"

/**
 * The test projects of the monorepo. Vitest 5 ignores `vitest.workspace.ts` (kept only as a signpost);
 * each `packages/<name>` folder is one project with its own `vitest.config.ts`, and `examples/` is one more.
 * Besides the terminal summary, a JSON report is written to `.tmp/vitest-report.json`, from which
 * `.ci/run` prints the one-line totals.
 */
export default defineConfig({
  test: {
    projects: ["packages/*", "examples"],
    maxWorkers: 2,
    reporters: ["default", "json"],
    outputFile: { json: ".tmp/vitest-report.json" }
  }
})
