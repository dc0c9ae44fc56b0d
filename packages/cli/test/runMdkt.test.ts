import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
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
  it.effect("dispatches an MDKT protocol file to @reidfx/video and writes its reports", () =>
    Effect.gen(function* () {
      const out = join(dir, "out")
      yield* run(["run", file, "--out", out])
      const text = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(text, "I2V")
      assert.include(text, "V2V")
      assert.include(text, "ALL")
      for (const f of ["report.md", "report.html"]) assert.isTrue(existsSync(join(out, f)), f)
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
