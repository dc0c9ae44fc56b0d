import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli } from "../src/cli.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } })))
)
const dir = mkdtempSync(join(tmpdir(), "reidfx-sweep-cli-"))
const tiny = join(import.meta.dirname, "..", "..", "..", "protocols", "sweep-tiny.yaml")

const userMessage = (args: Array<string>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(run(args))
    assert.strictEqual((error as { _tag: string })._tag, "UserError")
    return String((error as { userMessage?: string }).userMessage)
  })

describe("reidfx sweep / reidfx runner", () => {
  it.effect("a bad sweep file is an error naming the key", () =>
    Effect.gen(function* () {
      const bad = join(dir, "bad.yaml")
      writeFileSync(bad, "name: x\nprotocols: [sweep-tiny.yaml]\nseed: [0]\n")
      const message = yield* userMessage(["sweep", bad, "--store", `sqlite:${join(dir, "s.db")}`])
      assert.include(message, "invalid sweep")
      assert.include(message, "seed")
    }).pipe(env)
  )

  it.effect(
    "a store URL of an unknown kind, and a PostgreSQL store without --work, are errors saying what to give",
    () =>
      Effect.gen(function* () {
        assert.include(yield* userMessage(["sweep", tiny, "--store", "mysql://h/db"]), "sqlite:<file>")
        assert.include(yield* userMessage(["sweep", tiny, "--store", "postgres://u@h/db"]), "--work")
        assert.include(
          yield* userMessage(["runner", "--store", `sqlite:${join(dir, "r.db")}`, "--concurrency", "0"]),
          "--concurrency"
        )
      }).pipe(env)
  )
})
