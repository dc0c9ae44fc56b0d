import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { History } from "@reidfx/train"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as YAML from "yaml"
import { cli } from "../src/cli.ts"
import { tinyMdkt } from "./tinyMdkt.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } })))
)
const dir = mkdtempSync(join(tmpdir(), "reidfx-run-mdkt-"))

// the shipped protocol, shrunk to 16x8 frames, 4 identities, one batch per stage, two Table 1 rows
const tiny = tinyMdkt("mdkt-cli-tiny", "seed")
const file = join(dir, "mdkt.yaml")
writeFileSync(file, YAML.stringify(tiny))

describe("reidfx run (kind: mdkt)", () => {
  it.effect("dispatches an MDKT protocol file to @reidfx/reid's Mdkt and writes its reports; --mlflow logs it", () =>
    Effect.gen(function* () {
      const out = join(dir, "out")
      const mlruns = join(dir, "mlruns")
      yield* run(["run", file, "--out", out, "--mlflow", mlruns])
      const text = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(text, "I2V")
      assert.include(text, "V2V")
      assert.include(text, "ALL")
      for (const f of ["report.md", "report.html"]) assert.isTrue(existsSync(join(out, f)), f)
      // the evaluations in the run folder's history: the teacher and each stage-2 configuration, I2V and V2V,
      // the teacher's equal to the scores the terminal printed for stage 1
      const evaluations = History.readJsonLines(join(out, "history", "evaluations.jsonl")) as Array<{
        method: string
        testSet: string
        values: { mAP: number; rank1: number }
      }>
      const methods = [...new Set(evaluations.map((e) => e.method))]
      assert.deepStrictEqual(methods, [
        "teacher",
        "tr@mutual",
        "tr+mkd+pd+mtcl@mutual",
        "tr+mkd+pd+mtcl@frozen",
        "tr+mkd+pd+mtcl@withoutMutual"
      ])
      assert.deepStrictEqual(
        evaluations.map((e) => e.testSet),
        methods.flatMap(() => ["i2v", "v2v"])
      )
      // the student scores logged for TR equal those of the TR row in the printed Table 1 (I2V, V2V: cmc1, mAP)
      const [trI2v, trV2v] = evaluations.filter((e) => e.method === "tr@mutual").map((e) => e.values)
      const cells = [trI2v!.rank1, trI2v!.mAP, trV2v!.rank1, trV2v!.mAP].map((v) =>
        (100 * v).toFixed(1).replace(".", "\\.")
      )
      assert.match(text, new RegExp(`^TR\\s.*\\s${cells.join("\\s+")}$`, "m"))
      const [i2v] = evaluations.filter((e) => e.method === "teacher").map((e) => e.values)
      // the MLflow file store: a finished run with the same teacher mAP, and the stages' losses
      const [runId] = readdirSync(join(mlruns, "0")).filter((f) => f !== "meta.yaml")
      assert.include(readFileSync(join(mlruns, "0", runId!, "meta.yaml"), "utf8"), "status: 3")
      const line = readFileSync(join(mlruns, "0", runId!, "metrics", "teacher", "seed-0", "eval", "i2v", "mAP"), "utf8")
      assert.strictEqual(Number(line.trim().split(" ")[1]), i2v!.mAP)
      assert.isTrue(existsSync(join(mlruns, "0", runId!, "metrics", "teacher", "seed-0", "train")))
    }).pipe(env)
  )

  it.effect("--print-config prints the MDKT protocol as it would run; --dry-run says what would run", () =>
    Effect.gen(function* () {
      yield* run(["run", file, "--print-config", "--seeds", "3,4"])
      const printed = YAML.parse((yield* TestConsole.logLines).map(String).join("\n"))
      assert.strictEqual(printed.kind, "mdkt")
      assert.deepStrictEqual(printed.seeds, [3, 4])
      assert.strictEqual(printed.teacher.frames, 3)
      assert.strictEqual(printed.data.flip, 0.5) // a default filled in
      const fresh = join(dir, "dry")
      yield* run(["run", file, "--dry-run", "--out", fresh])
      yield* run(["run", file, "--dry-run", "--out", join(dir, "out")])
      const text = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(text, "dry run of mdkt-cli-tiny: nothing is trained or written")
      assert.include(
        text,
        "1 seed(s): 0; per seed the teacher (stage 1), then 4 stage-2 configuration(s): tr@mutual, tr+mkd+pd+mtcl@mutual"
      )
      assert.include(text, `run folder ${fresh}: new`)
      assert.include(text, `run folder ${join(dir, "out")}: holds this run: it would resume`)
      assert.isFalse(existsSync(fresh))
      const missing = yield* Effect.flip(
        run(["run", file, "--dry-run", "--set", "data.world={kind: layout, layout: mars, root: /no/such/mars}"])
      )
      assert.include(
        String((missing as { userMessage?: string }).userMessage),
        "at data.world.root: folder not found: /no/such/mars"
      )
    }).pipe(env)
  )

  it.effect("refuses lifelong-only flags on an MDKT protocol with a one-line error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(run(["run", file, "--epochs", "2"]))
      assert.strictEqual((error as { _tag: string })._tag, "UserError")
      assert.include(
        String((error as { userMessage?: string }).userMessage),
        "--methods and --epochs apply to lifelong protocols"
      )
    }).pipe(env)
  )

  it.effect("--set overrides a key of an MDKT protocol too; an unknown declared kind names the allowed kinds", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.flip(run(["run", file, "--set", "student.frames=0"]))
      assert.include(String((bad as { userMessage?: string }).userMessage), "student.frames")
      const unknown = yield* Effect.flip(run(["run", file, "--set", "kind=mdtk"]))
      assert.include(String((unknown as { userMessage?: string }).userMessage), 'must be one of "lifelong", "mdkt"')
    }).pipe(env)
  )
})
