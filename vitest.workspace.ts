import { fileURLToPath } from "node:url"
import type { TestProjectInlineConfiguration } from "vitest/config"

/**
 * The test projects of the monorepo, read by `vitest.config.ts` (`test.projects`).
 *
 * Each project is one folder: every package under `packages/` (its tests in `test/**`), and `examples/` (a smoke
 * run of every example). All share one configuration: sources are resolved through the `@reidfx/source` export
 * condition, so tests run on the TypeScript sources without a build. A new package needs one line here.
 */
const packages = [
  "tensor",
  "torch-backend",
  "metric",
  "eval",
  "data",
  "model",
  "train",
  "distill",
  "chart",
  "continual",
  "reid",
  "video",
  "sweep",
  "cli"
] as const

/**
 * `REIDFX_BACKEND=torch npm test` runs every project on the torch backend: this setup file reroutes the tests'
 * cpu / wasm backends to torch (see the file). Not for torch-backend itself, whose tests compare torch with the
 * real cpu backend. Any other value leaves the tests' own choices alone.
 */
const setupFilesOf = (name: string): Array<string> =>
  process.env["REIDFX_BACKEND"] === "torch" && name !== "torch-backend"
    ? [fileURLToPath(new URL("packages/torch-backend/test/suiteOnTorch.ts", import.meta.url))]
    : []

const project = (name: string, root: string, timeoutMs: number): TestProjectInlineConfiguration => ({
  resolve: { conditions: ["@reidfx/source"] },
  ssr: { resolve: { conditions: ["@reidfx/source"] } },
  test: {
    name,
    root,
    include: ["test/**/*.test.ts"],
    setupFiles: setupFilesOf(name),
    testTimeout: timeoutMs,
    hookTimeout: timeoutMs
  }
})

/** Projects whose tests start several processes (the sweep's loopback runners) get a longer per-test limit. */
const timeouts: Partial<Record<(typeof packages)[number], number>> = { sweep: 300_000 }

export const projects: ReadonlyArray<TestProjectInlineConfiguration> = [
  ...packages.map((name) => project(name, `packages/${name}`, timeouts[name] ?? 120_000)),
  project("examples", "examples", 600_000)
]
