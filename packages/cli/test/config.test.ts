/** `--print-config`, `--dry-run`, `--backend` on every command, and the caller's folder under `npm run`. */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as YAML from "yaml"
import { callerFolder } from "../src/CallerFolder.ts"
import { cli } from "../src/cli.ts"
import { toyProtocol } from "./toyProtocol.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "wasm" } })))
)
const dir = mkdtempSync(join(tmpdir(), "reidfx-config-cli-"))
const file = join(dir, "toy.yaml")
writeFileSync(file, toyProtocol("toy-config", ["bot-ft", "dwopp"]))
const printed = Effect.map(TestConsole.logLines, (lines) => lines.map(String).join("\n"))

describe("reidfx train / run --print-config and --dry-run", () => {
  it.effect(
    "train --print-config prints the merged configuration with every default, --set into a defaulted object keeping its kind",
    () =>
      Effect.gen(function* () {
        yield* run([
          "train",
          "--print-config",
          "--epochs",
          "3",
          "--set",
          "optimizer.weightDecay=0",
          "--output",
          join(dir, "t")
        ])
        const config = YAML.parse(yield* printed)
        expect(config.epochs).toBe(3)
        expect(config.optimizer).toEqual({
          kind: "adam",
          beta1: 0.9,
          beta2: 0.999,
          epsilon: 1e-8,
          weightDecay: 0,
          decayScope: "all"
        })
        expect(config.sampler).toEqual({ p: 16, k: 4 })
        expect(existsSync(join(dir, "t"))).toBe(false)
      }).pipe(env)
  )

  it.effect("train --dry-run names the plan and the backend given by --backend, and writes nothing", () =>
    Effect.gen(function* () {
      yield* run(["train", "--dry-run", "--backend", "cpu", "--epochs", "2", "--output", join(dir, "t")])
      const text = yield* printed
      expect(text).toContain('dry run of "baseline": nothing is trained or written')
      expect(text).toContain("2 epoch(s) of PK batches 16x4 on 200 synthetic identities")
      expect(text).toContain("backend cpu (1 thread(s))")
      expect(text).toContain(`output ${join(dir, "t", "baseline")}: new`)
      expect(existsSync(join(dir, "t"))).toBe(false)
    }).pipe(env)
  )

  it.effect(
    "train reads the deprecated names (schedule.baseLr, data.kind: person | vehicle) as the current ones, one warning line each",
    () =>
      Effect.gen(function* () {
        yield* run([
          "train",
          "--print-config",
          "--set",
          "schedule.baseLr=0.05",
          "--set",
          "data.kind=vehicle",
          "--output",
          join(dir, "t")
        ])
        const config = YAML.parse(yield* printed)
        expect(config.schedule.learningRate).toBe(0.05)
        expect(config.schedule.baseLr).toBeUndefined()
        expect(config.data.objects).toBe("vehicles")
        expect(config.data.kind).toBeUndefined()
        const warnings = (yield* TestConsole.errorLines).map(String).join("\n")
        expect(warnings).toContain(
          "warning: flags: schedule.baseLr is deprecated: write schedule.learningRate (read as schedule.learningRate: 0.05)"
        )
        expect(warnings).toContain(
          "warning: flags: data.kind is deprecated: write data.objects (read as data.objects: vehicles)"
        )
      }).pipe(env)
  )

  it.effect("run --print-config prints the protocol as it would run (after --set and --seeds)", () =>
    Effect.gen(function* () {
      yield* run(["run", file, "--print-config", "--seeds", "1,2", "--set", "training.epochs=4"])
      const protocol = YAML.parse(yield* printed)
      expect(protocol.seeds).toEqual([1, 2])
      expect(protocol.training.epochs).toBe(4)
      expect(protocol.methods).toEqual(["bot-ft", "dwopp"])
    }).pipe(env)
  )

  it.effect("run --dry-run says what would run and that the folder is new; nothing is written", () =>
    Effect.gen(function* () {
      const out = join(dir, "dry")
      yield* run(["run", file, "--dry-run", "--methods", "dwopp", "--out", out])
      const text = yield* printed
      expect(text).toContain("dry run of toy-config: nothing is trained or written")
      expect(text).toContain("1 method(s) x 1 seed(s) = 1 run(s): dwopp; seeds 0")
      expect(text).toContain(
        "2 task(s); 1 epoch(s) per task of 1 batch(es); input 16x8; stages train -> evaluate -> snapshot"
      )
      expect(text).toContain(`run folder ${out}: new`)
      expect(existsSync(out)).toBe(false)
    }).pipe(env)
  )

  it.effect("--backend is accepted by every command, before or after its name, and wins over REIDFX_BACKEND", () =>
    Effect.gen(function* () {
      yield* run(["backend", "--backend", "cpu"])
      yield* run(["--backend", "cpu", "backend"])
      const lines = (yield* TestConsole.logLines).map(String)
      expect(lines).toHaveLength(2)
      for (const l of lines) expect(l).toMatch(/^backend: cpu \(tfjs "cpu"\)/)
    }).pipe(env)
  )
})

describe("npm run reidfx from a subfolder", () => {
  it("moves to the caller's folder (INIT_CWD) only under the reidfx / demo scripts and when that folder exists", () => {
    expect(callerFolder({ INIT_CWD: dir, npm_lifecycle_event: "reidfx" }, "/repo")).toBe(dir)
    expect(callerFolder({ INIT_CWD: dir, npm_lifecycle_event: "demo" }, "/repo")).toBe(dir)
    expect(callerFolder({ INIT_CWD: dir, npm_lifecycle_event: "test" }, "/repo")).toBeUndefined()
    expect(callerFolder({ INIT_CWD: dir }, "/repo")).toBeUndefined()
    expect(callerFolder({ INIT_CWD: join(dir, "missing"), npm_lifecycle_event: "reidfx" }, "/repo")).toBeUndefined()
    expect(callerFolder({ INIT_CWD: dir, npm_lifecycle_event: "reidfx" }, dir)).toBeUndefined()
  })
})
