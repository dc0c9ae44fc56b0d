/**
 * Smoke-runs every example under `examples/` (type-checking is done by the root `npm run typecheck`).
 * Each example runs as its own Node process with `REIDFX_SMOKE=1`, which examples read to pick a tiny
 * configuration, and must exit with code 0.
 */
import { execFileSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..")
const examples = readdirSync(root).filter((f) => f.endsWith(".ts"))

describe("examples", () => {
  it("there are examples", () => {
    expect(examples.length).toBeGreaterThan(0)
  })
  it.each(examples)("%s runs", (file) => {
    const out = execFileSync(process.execPath, ["--conditions=@reidfx/source", join(root, file)], {
      env: { ...process.env, REIDFX_SMOKE: "1" },
      encoding: "utf8",
      timeout: 540_000
    })
    expect(out.length).toBeGreaterThan(0)
  })
})
