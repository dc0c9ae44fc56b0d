import { NodeServices } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { History, Provenance } from "@reidfx/train"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli } from "../src/cli.ts"
import { tinyTrainArgs } from "./tinyTrain.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const dir = mkdtempSync(join(tmpdir(), "reidfx-train-cli-"))

// a tiny run: 12 identities at 32x16, a 2-stage reference net, 2 epochs of 2 PK batches, cpu backend
const tiny = tinyTrainArgs(dir)

describe("reidfx train", () => {
  it.effect("trains, prints untrained and trained scores side by side, writes results, checkpoint and weights", () =>
    Effect.gen(function* () {
      yield* run(["train", ...tiny, "--name", "tiny"])
      const out = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(out, "| metric  | untrained | trained |")
      for (const m of ["Rank-1", "Rank-5", "Rank-10", "mAP", "mINP"])
        assert.match(out, new RegExp(`\\| ${m} +\\| +[\\d.]+% \\| +[\\d.]+% \\|`))
      const results = JSON.parse(readFileSync(join(dir, "tiny", "results.json"), "utf8"))
      expect(results.training.epochs).toBe(2)
      expect(results.dataset.trainIdentities).toBe(6)
      expect(results.trained.mAP).toBeGreaterThan(0)
      expect(existsSync(join(dir, "tiny", "checkpoint.ckpt"))).toBe(true)
      expect(existsSync(join(dir, "tiny", "model", "model.json"))).toBe(true)
      // provenance and the history: one step row per optimizer step, the untrained and trained evaluations
      expect(results.provenance.backend).toBe("cpu")
      expect(results.provenance.configHash).toBe(
        Provenance.configHash(JSON.parse(readFileSync(join(dir, "tiny", "config.json"), "utf8")))
      )
      const steps = History.readJsonLines(join(dir, "tiny", "history", "steps.jsonl"))
      expect(steps.map((r) => r.step)).toEqual([...Array(results.training.steps).keys()])
      const evaluations = History.readJsonLines(join(dir, "tiny", "history", "evaluations.jsonl"))
      expect(evaluations.map((r) => [r.step, (r.values as { mAP: number }).mAP])).toEqual([
        [0, results.untrained.mAP],
        [results.training.steps, results.trained.mAP]
      ])
      expect(readdirSync(join(dir, "tiny", "tensorboard"))).toHaveLength(1)
      // resuming a finished run trains no more steps and rewrites nothing
      const before = readFileSync(join(dir, "tiny", "results.json"), "utf8")
      yield* run(["train", ...tiny, "--name", "tiny", "--resume"])
      expect(readFileSync(join(dir, "tiny", "results.json"), "utf8")).toBe(before)
      expect(JSON.parse(before).training.steps).toBeGreaterThan(0)
      // a rerun without --resume is refused instead of overwriting the run
      const again = yield* Effect.flip(run(["train", ...tiny, "--name", "tiny"]))
      expect(String((again as { userMessage?: string }).userMessage)).toBe(
        `output ${join(dir, "tiny")}: already holds a run (a checkpoint); pass --resume to continue it, or choose another --name (nothing was overwritten)`
      )
      // --resume with another learning rate is refused, naming the key
      const other = yield* Effect.flip(
        run(["train", ...tiny, "--name", "tiny", "--resume", "--set", "schedule.learningRate=0.1"])
      )
      expect(String((other as { userMessage?: string }).userMessage)).toBe(
        `output ${join(dir, "tiny")}: --resume with a different configuration (schedule.learningRate: 0.01 -> 0.1); resume with the stored settings or choose another --name`
      )
      expect(readFileSync(join(dir, "tiny", "results.json"), "utf8")).toBe(before)
    }).pipe(Effect.provide(NodeServices.layer))
  )

  it.effect("an unknown key in the config file is a user error naming the key and the allowed ones", () =>
    Effect.gen(function* () {
      const file = join(dir, "bad.yaml")
      writeFileSync(file, "epochs: 2\nsampler:\n  p: 4\n  kk: 2\n")
      const error = yield* Effect.flip(run(["train", "--config", file]))
      assert.strictEqual((error as { _tag: string })._tag, "UserError")
      const message = String((error as { userMessage?: string }).userMessage)
      assert.include(message, `at sampler.kk: unknown key "kk"; allowed keys: p, k`)
    }).pipe(Effect.provide(NodeServices.layer))
  )
})
