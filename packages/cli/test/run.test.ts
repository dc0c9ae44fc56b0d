import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { History, Provenance, TensorBoard } from "@reidfx/train"
import { ProtocolFile } from "@reidfx/reid"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli } from "../src/cli.ts"
import { toyProtocol } from "./toyProtocol.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } })))
)
const dir = mkdtempSync(join(tmpdir(), "reidfx-run-cli-"))

// a toy protocol: 16x8 images, a two-stage net, one batch per epoch
const toy = toyProtocol("toy-cli", ["bot-ft", "dwopp"])
const file = join(dir, "toy.yaml")
writeFileSync(file, toy)

const userMessage = (args: Array<string>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(run(args))
    assert.strictEqual((error as { _tag: string })._tag, "UserError")
    return String((error as { userMessage?: string }).userMessage)
  })

describe("reidfx run", () => {
  it.effect("runs a protocol file, prints the table and writes the reports", () =>
    Effect.gen(function* () {
      const out = join(dir, "out")
      const mlruns = join(dir, "mlruns")
      yield* run(["run", file, "--out", out, "--mlflow", mlruns])
      const text = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(text, "seen avg.")
      assert.include(text, "BoT-FT")
      assert.include(text, "DwoPP")
      for (const f of ["results.json", "report.md", "report.html"]) assert.isTrue(existsSync(join(out, f)))
      const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { methods: Array<{ name: string }> }
      assert.deepStrictEqual(
        json.methods.map((m) => m.name),
        ["bot-ft", "dwopp"]
      )
      // logging: provenance in the results and reports, the step and evaluation history, TensorBoard, MLflow
      const provenance = (json as unknown as { provenance: Provenance.Provenance }).provenance
      assert.strictEqual(provenance.backend, "cpu")
      assert.strictEqual(
        provenance.configHash,
        Provenance.configHash(ProtocolFile.toJson(yield* ProtocolFile.parse(toy)))
      )
      assert.include(readFileSync(join(out, "report.md"), "utf8"), `config hash ${provenance.configHash}`)
      assert.include(readFileSync(join(out, "report.html"), "utf8"), `config hash ${provenance.configHash}`)
      const steps = History.readJsonLines(join(out, "history", "steps.jsonl"))
      // 2 methods x 2 tasks x 1 epoch x 1 batch
      assert.deepStrictEqual(
        steps.map((r) => `${r.method} ${r.task} ${r.step}`),
        ["bot-ft task-1 0", "bot-ft task-2 1", "dwopp task-1 0", "dwopp task-2 1"]
      )
      const evaluations = History.readJsonLines(join(out, "history", "evaluations.jsonl"))
      const cells = (
        json as unknown as {
          cells: Array<{ method: string; after: number; testSet: string; metrics: { mAP: number } }>
        }
      ).cells
      assert.deepStrictEqual(
        evaluations.map((r) => [r.method, r.step, r.testSet, (r.values as { mAP: number }).mAP]),
        cells.map((c) => [c.method, c.after, c.testSet, c.metrics.mAP])
      )
      const [events] = readdirSync(join(out, "tensorboard"))
      const scalars = TensorBoard.readEventFile(join(out, "tensorboard", events!)).flatMap((e) => e.scalars ?? [])
      assert.strictEqual(scalars.filter((s) => s.tag === "dwopp/seed-0/train/loss").length, 2)
      const [runId] = readdirSync(join(mlruns, "0")).filter((f) => f !== "meta.yaml")
      assert.include(readFileSync(join(mlruns, "0", runId!, "meta.yaml"), "utf8"), "status: 3")
      assert.strictEqual(
        readFileSync(join(mlruns, "0", runId!, "metrics", "bot-ft", "seed-0", "train", "loss"), "utf8")
          .trim()
          .split("\n").length,
        2
      )
    }).pipe(env)
  )

  it.effect("a bad protocol file is a one-line error naming the key", () =>
    Effect.gen(function* () {
      const bad = join(dir, "bad.yaml")
      writeFileSync(bad, toy.replace("tasks: 2", "taks: 2"))
      const message = yield* userMessage(["run", bad])
      assert.include(message, 'unknown key "taks"')
      assert.include(message, "allowed keys")
    }).pipe(env)
  )

  it.effect("--methods must name methods of the protocol", () =>
    Effect.gen(function* () {
      const message = yield* userMessage(["run", file, "--methods", "lwf", "--out", join(dir, "x")])
      assert.include(message, "lwf not in the protocol")
    }).pipe(env)
  )

  it.effect("a kind: parts file is dispatched to the parts kind (its own key errors and flag refusals)", () =>
    Effect.gen(function* () {
      const parts = join(dir, "parts.yaml")
      writeFileSync(parts, "name: parts-cli\nkind: parts\npcb: { partz: 2 }\n")
      assert.include(yield* userMessage(["run", parts]), "invalid parts protocol")
      writeFileSync(parts, "name: parts-cli\nkind: parts\n")
      assert.include(
        yield* userMessage(["run", parts, "--epochs", "2", "--out", join(dir, "p")]),
        "a parts protocol sets training.epochs"
      )
    }).pipe(env)
  )
})
