import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli } from "../src/cli.ts"
import { toyProtocol } from "./toyProtocol.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } }))))
const dir = mkdtempSync(join(tmpdir(), "reidfx-run-cli-"))

// a toy protocol: 16x8 images, a two-stage net, one batch per epoch
const toy = toyProtocol("toy-cli", ["bot-ft", "dwopp"])
const file = join(dir, "toy.yaml")
writeFileSync(file, toy)

const userMessage = (args: Array<string>) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(run(args))
    assert.strictEqual((error as { _tag: string })._tag, "UserError")
    return String((error as { userMessage?: string }).userMessage)
  })

describe("reidfx run", () => {
  it.effect("runs a protocol file, prints the table and writes the reports", () =>
    Effect.gen(function*() {
      const out = join(dir, "out")
      yield* run(["run", file, "--out", out])
      const text = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(text, "seen avg.")
      assert.include(text, "BoT-FT")
      assert.include(text, "DwoPP")
      for (const f of ["results.json", "report.md", "report.html"]) assert.isTrue(existsSync(join(out, f)))
      const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { methods: Array<{ name: string }> }
      assert.deepStrictEqual(json.methods.map((m) => m.name), ["bot-ft", "dwopp"])
    }).pipe(env))

  it.effect("a bad protocol file is a one-line error naming the key", () =>
    Effect.gen(function*() {
      const bad = join(dir, "bad.yaml")
      writeFileSync(bad, toy.replace("tasks: 2", "taks: 2"))
      const message = yield* userMessage(["run", bad])
      assert.include(message, 'unknown key "taks"')
      assert.include(message, "allowed keys")
    }).pipe(env))

  it.effect("--methods must name methods of the protocol", () =>
    Effect.gen(function*() {
      const message = yield* userMessage(["run", file, "--methods", "lwf", "--out", join(dir, "x")])
      assert.include(message, "lwf not in the protocol")
    }).pipe(env))
})
