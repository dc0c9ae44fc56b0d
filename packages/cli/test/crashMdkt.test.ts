/**
 * MDKT on the shared run engine: `reidfx run` of a `kind: mdkt` protocol, stopped in a child process (SIGKILL
 * inside a file write, via the test hook `REIDFX_TEST_PAUSE_WRITE=<n>`, then SIGTERM after the resumed run's
 * first finished stage), resumes after its last completed stage and gives the same numbers as an uninterrupted
 * run, with no temporary file or lock left behind.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { AtomicFile } from "@reidfx/tensor"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as YAML from "yaml"
import { cli } from "../src/cli.ts"
import { files, runChild } from "./childRun.ts"
import { tinyMdkt } from "./tinyMdkt.ts"

const dir = mkdtempSync(join(tmpdir(), "reidfx-crash-mdkt-"))

// the shipped protocol, shrunk to 16x8 frames, 4 identities, one batch per stage, two Table 1 rows (3 stages)
const tiny = tinyMdkt("mdkt-crash", "none")
const file = join(dir, "mdkt.yaml")
writeFileSync(file, YAML.stringify(tiny))

// a finished stage prints "  stage <n> train+evaluate: <scores> (<seconds> s)"
const stageLine = /^ {2}stage \d train\+evaluate: .*\(\d+\.\d s\)$/gm
const child = (out: string, pauseAt: number, stop: NodeJS.Signals, afterStages = 0) =>
  runChild({ file, out, pauseAt, stop, afterStages, stageLine })

/** The scores of every seed and row (timings left out). */
const scores = (out: string): unknown =>
  JSON.parse(readFileSync(join(out, "results.json"), "utf8"), (key, value) =>
    key === "seconds" || key === "clipsPerSecond" ? undefined : value
  ).seeds

// `REIDFX_BACKEND=torch npm test` reroutes this process's cpu / wasm backend to torch, not the child processes it
// starts (torch-backend/test/suiteOnTorch.ts): a comparison of the two skips then
const rerouted = process.env["REIDFX_BACKEND"] === "torch"

describe("MDKT on the shared run engine", () => {
  if (rerouted)
    it.skip("skipped under REIDFX_BACKEND=torch: the killed runs are children on cpu, the reference runs on torch", () => {})

  it.effect.skipIf(rerouted)(
    "killed inside a write (SIGKILL) and after a finished stage (SIGTERM), then rerun: it resumes and gives the same numbers",
    () =>
      Effect.gen(function* () {
        const reference = join(dir, "reference")
        const before = AtomicFile.testing.writes()
        yield* Command.runWith(cli, { version: "0.0.0" })(["run", file, "--out", reference])
        const writes = AtomicFile.testing.writes() - before
        // protocol.json, the teacher checkpoint (shards, model.json), three journal commits, the reports
        expect(writes).toBeGreaterThanOrEqual(7)
        const expected = scores(reference)
        expect((expected as ReadonlyArray<{ configurations: ReadonlyArray<unknown> }>)[0]!.configurations).toHaveLength(
          2
        )

        const out = join(dir, "crashed")
        // SIGKILL inside the 4th write: after protocol.json and the teacher's checkpoint, before stage 1 is committed
        const killed = yield* Effect.promise(() => child(out, 4, "SIGKILL"))
        expect(killed.stopped).toBe(true)
        expect(killed.signal).toBe("SIGKILL")
        // SIGTERM once the resumed run has finished a stage: the one line names the last committed stage
        const terminated = yield* Effect.promise(() => child(out, 0, "SIGTERM", 1))
        expect(terminated.stopped).toBe(true)
        expect(terminated.code).toBe(143)
        expect(terminated.stderr.trim().split("\n").at(-1)).toMatch(
          /^interrupted \(SIGTERM\) after seed-0 stage(1|2\/\S+); rerun the same command to resume$/
        )
        const state = JSON.parse(readFileSync(join(out, "units", "seed-0", "state.json"), "utf8")) as {
          completed: ReadonlyArray<string>
        }
        expect(state.completed.length).toBeGreaterThanOrEqual(1)
        expect(state.completed.length).toBeLessThan(3)
        // the last rerun in this process (as the reference ran)
        yield* Command.runWith(cli, { version: "0.0.0" })(["run", file, "--out", out])
        expect(scores(out)).toEqual(expected)
        expect(files(out).filter((f) => /\.(tmp|old)-|\.reidfx-lock/.test(f))).toEqual([])
      }).pipe(
        Effect.provide(
          Layer.merge(
            NodeServices.layer,
            ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } }))
          )
        )
      ),
    180_000
  )
})
