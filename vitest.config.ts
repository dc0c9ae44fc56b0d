import { defineConfig } from "vitest/config"
import { projects } from "./vitest.workspace.ts"

/**
 * The root test configuration. The list of test projects lives in `vitest.workspace.ts`; Vitest 5 reads it from
 * here (`test.projects`). Besides the terminal summary, a JSON report is written to `.tmp/vitest-report.json`, from
 * which `.ci/run` prints the one-line totals.
 */
export default defineConfig({
  test: {
    projects: [...projects],
    maxWorkers: 2,
    reporters: ["default", "json"],
    outputFile: { json: ".tmp/vitest-report.json" }
  }
})
