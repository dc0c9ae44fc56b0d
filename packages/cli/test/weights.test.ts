/**
 * `reidfx weights inspect | import | export` on a small MobileNetV2 state dict written by the test (torchvision
 * names): import into a reidfx directory, export back to the same tensors; a file that does not fit is a one-line
 * error naming the tensor.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Model, Safetensors, WeightsImport } from "@reidfx/model"
import { Backend } from "@reidfx/tensor"
import { cli } from "../src/cli.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.mergeAll(
    NodeServices.layer,
    TestConsole.layer,
    ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } }))
  )
)
const dir = mkdtempSync(join(tmpdir(), "reidfx-weights-cli-"))
const config = {
  backbone: { kind: "mobilenetv2" },
  head: { pooling: "avg", neck: "none", classes: 4, classifierBias: true, classifierInit: "torch" }
} as const

const lines = Effect.map(TestConsole.logLines, (l) => l.map(String))

const readAll = (file: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const f = yield* Safetensors.open(file)
      const out = new Map<string, Array<number>>()
      for (const e of f.entries) out.set(e.name, Array.from(yield* f.read(e.name)))
      return out
    })
  )

describe("reidfx weights", () => {
  it.effect(
    "inspect lists the tensors; import then export gives back the same state dict; a misfit names the tensor",
    () =>
      Effect.gen(function* () {
        const source = join(dir, "mnv2.safetensors")
        yield* Effect.scoped(
          Effect.flatMap(Model.make(config), (model) => WeightsImport.exportSafetensors(model, source))
        ).pipe(Effect.provide(Backend.layerCpu))
        yield* run(["weights", "inspect", source, "--limit", "2"])
        const inspected = yield* lines
        expect(inspected[0]).toContain(`${source}: safetensors, 262 tensors`)
        expect(inspected[0]).toContain("layout torchvision (detected)")
        expect(inspected).toContain("features.0.0.weight\tF32\t[32, 3, 3, 3]")
        expect(inspected.at(-1)).toBe("... 260 more")
        const imported = join(dir, "imported")
        yield* run(["weights", "import", source, "--backbone", "mobilenetv2", "--out", imported])
        expect((yield* lines).at(-1)).toBe(
          `imported 262 tensors (all, torchvision layout) into mobilenetv2; wrote ${imported}`
        )
        const back = join(dir, "back.safetensors")
        yield* run(["weights", "export", imported, "--out", back])
        const [a, b] = [yield* readAll(source), yield* readAll(back)]
        expect([...b.keys()].sort()).toEqual([...a.keys()].sort())
        for (const [name, v] of a) expect(b.get(name), name).toEqual(v)
        const error = yield* Effect.flip(
          run(["weights", "import", source, "--backbone", "resnet18", "--out", join(dir, "no")])
        )
        assert.strictEqual((error as { _tag: string })._tag, "UserError")
        const message = String((error as { userMessage?: string }).userMessage)
        expect(message).toContain("missing 100 tensor(s): conv1.weight")
        expect(message).toContain("unexpected 262 tensor(s)")
        const notSafetensors = yield* Effect.flip(run(["weights", "export", imported, "--out", join(dir, "x.pth")]))
        expect(String((notSafetensors as { userMessage?: string }).userMessage)).toContain("must end in .safetensors")
      }).pipe(env),
    120_000
  )
})
