import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli } from "../src/cli.ts"
import { toyProtocol } from "./toyProtocol.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } })))
)
const dir = mkdtempSync(join(tmpdir(), "reidfx-run-folder-"))
const file = join(dir, "toy.yaml")
writeFileSync(file, toyProtocol("toy-methods", ["bot-ft", "lwf"]))

type Results = { methods: Array<{ name: string }>; cells: Array<{ method: string }> }
const results = (out: string) => JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results

describe("run folders", () => {
  it.effect("--methods subsets merge into the run's results, in protocol order, instead of replacing them", () =>
    Effect.gen(function* () {
      const out = join(dir, "out")
      yield* run(["run", file, "--out", out, "--methods", "lwf"])
      expect(results(out).methods.map((m) => m.name)).toEqual(["lwf"])
      const lwfCells = results(out).cells.filter((c) => c.method === "lwf")
      yield* run(["run", file, "--out", out, "--methods", "bot-ft"])
      const merged = results(out)
      expect(merged.methods.map((m) => m.name)).toEqual(["bot-ft", "lwf"])
      // the earlier method's results are kept as they were
      expect(merged.cells.filter((c) => c.method === "lwf")).toEqual(lwfCells)
      expect(merged.cells.filter((c) => c.method === "bot-ft").length).toBe(lwfCells.length)
      const report = readFileSync(join(out, "report.md"), "utf8")
      expect(report).toContain("BoT-FT")
      expect(report).toContain("LwF")
    }).pipe(env)
  )
})
