/**
 * `reidfx run protocols/lreid-seen-order1.yaml` end to end against fixture trees of all eight LReID datasets (plus
 * the other seen ones) written under a temporary REIDFX_DATA, shrunk by `--set` to a smoke run (16x8 inputs, a
 * two-stage reference net, one step per task), ending in the reports; and the error when a folder is missing.
 */
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli } from "../src/cli.ts"
import { writeLReIDFixtures } from "./lreidFixtures.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const protocol = join(import.meta.dirname, "..", "..", "..", "protocols", "lreid-seen-order1.yaml")
const dir = mkdtempSync(join(tmpdir(), "reidfx-lreid-run-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const env = (data: string) =>
  Effect.provide(
    Layer.merge(
      NodeServices.layer,
      ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu", REIDFX_DATA: data } }))
    )
  )

// the test-only shrink: tiny inputs and network, one batch of one epoch per task, two methods
const shrink = [
  "training.height=16",
  "training.width=8",
  "training.epochs=1",
  "training.batchesPerEpoch=1",
  "model={ backbone: reference, stemWidth: 4, widths: [4, 8], blocks: [1, 1] }",
  "methods=[bot-ft, dwopp]"
].flatMap((s) => ["--set", s])

describe("reidfx run protocols/lreid-seen-order1.yaml on fixture trees", () => {
  it.effect("runs the five tasks with LReID-Unseen, prints the table and writes the reports", () =>
    Effect.gen(function* () {
      const data = join(dir, "data")
      yield* Effect.promise(() => writeLReIDFixtures(data))
      const out = join(dir, "out")
      yield* run(["run", protocol, "--out", out, ...shrink])
      const text = (yield* TestConsole.logLines).map(String).join("\n")
      for (const column of [
        "market1501",
        "cuhksysu",
        "dukemtmc",
        "msmt17",
        "cuhk03",
        "unseen",
        "seen avg.",
        "BoT-FT",
        "DwoPP"
      ])
        assert.include(text, column)
      for (const f of ["results.json", "report.md", "report.html"]) assert.isTrue(existsSync(join(out, f)))
      const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { methods: Array<{ name: string }> }
      assert.deepStrictEqual(
        json.methods.map((m) => m.name),
        ["bot-ft", "dwopp"]
      )
      // whole test sets (testIdentities: all): the galleries keep their distractors (identity 0); the unseen set
      // merges the 7 sets: queries 2 VIPeR + 2 i-LIDS + 2 PRID + 2 GRID + 2 SenseReID + 4 CUHK01 (2 identities x 2
      // view-0 images) + 2 CUHK02 = 16; gallery 2 + 2 + 3 (PRID's person 201) + 3 (GRID's distractor) + 3 + 4 + 2 = 19
      const layout = (
        JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as {
          layout: { testSets: Array<{ name: string; queries: number; gallery: number }> }
        }
      ).layout
      assert.deepStrictEqual(
        layout.testSets.map((t) => [t.name, t.queries, t.gallery]),
        [
          ["market1501", 2, 5],
          ["cuhksysu", 2, 4],
          ["dukemtmc", 2, 5],
          ["msmt17", 2, 4],
          ["cuhk03", 2, 5],
          ["unseen", 16, 19]
        ]
      )
    }).pipe(env(join(dir, "data")))
  )

  it.effect("a missing dataset folder is one error listing it with the layout expected there", () =>
    Effect.gen(function* () {
      const data = join(dir, "data")
      rmSync(join(data, "grid"), { recursive: true, force: true })
      const error = yield* Effect.flip(run(["run", protocol, "--out", join(dir, "out-missing"), ...shrink]))
      const message = String((error as { userMessage?: string }).userMessage)
      assert.include(message, `1 dataset folder(s) missing (REIDFX_DATA=${data})`)
      assert.include(message, `${join(data, "grid")} not found`)
      assert.include(message, "features_and_partitions.mat")
    }).pipe(env(join(dir, "data")))
  )
})
