import { execFileSync } from "node:child_process"
import { availableParallelism } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { supportsWasmThreads } from "../src/wasm/threads.ts"
import { relativeError } from "./agreement.ts"

const fixture = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "threadedGradient.ts")

/** Runs the fixture in a fresh Node process; it must print its result and exit by itself (no hanging workers). */
const runWith = (threads: number): { threads: number; gradient: Array<number> } => {
  const out = execFileSync(process.execPath, ["--conditions=@reidfx/source", fixture], {
    env: { ...process.env, REIDFX_BACKEND: "wasm", REIDFX_WASM_THREADS: String(threads) },
    encoding: "utf8",
    timeout: 60_000
  })
  const line = out.split("\n").find((l) => l.startsWith("{"))
  if (line === undefined) throw new Error(`no result from the fixture: ${out}`)
  return JSON.parse(line)
}

describe("wasm threads", () => {
  it("the threaded build runs with the requested threads (when supported), exits by itself, and computes the same gradients as one thread", () => {
    const single = runWith(1)
    expect(single.threads).toBe(1)
    const wanted = Math.max(2, availableParallelism())
    const threaded = runWith(wanted)
    expect(threaded.threads).toBe(supportsWasmThreads() ? wanted : 1)
    expect(relativeError(Float32Array.from(threaded.gradient), Float32Array.from(single.gradient))).toBeLessThanOrEqual(
      1e-5
    )
  })
})
