import { NodeServices } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Synthetic, SyntheticScene } from "@reidfx/data"
import { track, trackingScores } from "@reidfx/eval"
import { cli } from "../src/cli.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } })))
)
const dir = mkdtempSync(join(tmpdir(), "reidfx-track-scene-"))

describe("reidfx track on a rendered multi-camera scene", () => {
  it.effect("reports the IDF1 of the scene's ground truth, as the library computes it", () =>
    Effect.gen(function* () {
      const world = Synthetic.makeSync({
        kind: "person",
        seed: 1,
        identities: 12,
        cameras: 3,
        height: 64,
        width: 32,
        difficulty: Synthetic.presets.easy
      })
      const scene = SyntheticScene.make(world)
      const detections = scene.detections.map((d) => ({
        frame: d.frame,
        camera: d.camera,
        box: d.box,
        id: d.id,
        feature: Array.from(SyntheticScene.colourHistogram(d.crop()))
      }))
      const file = join(dir, "detections.json")
      writeFileSync(file, JSON.stringify(detections))
      const out = join(dir, "out")
      yield* run(["track", "--detections", file, "--threshold", "0.4", "--out", out])
      const report = JSON.parse(readFileSync(join(out, "tracks.json"), "utf8"))
      const expected = track(detections, { threshold: 0.4, maxAge: 5, matching: "hungarian" })
      const scores = trackingScores(
        expected.identities,
        detections.map((d) => d.id),
        detections.map((d) => d.frame),
        detections.map((d) => d.camera)
      )
      expect(report.scores.identities.idf1).toBeCloseTo(scores.idf1, 12)
      // colour histograms of whole crops (background included, camera looks differ) link poorly across cameras
      expect(scores.idf1).toBeLessThan(0.6)
      // with an oracle appearance (one-hot identity) the same scene and tracker recover every identity
      const ids = [...new Set(detections.map((d) => d.id))]
      const oracle = join(dir, "oracle.json")
      writeFileSync(
        oracle,
        JSON.stringify(detections.map((d) => ({ ...d, feature: ids.map((i) => (i === d.id ? 1 : 0)) })))
      )
      yield* run(["track", "--detections", oracle, "--threshold", "0.4", "--out", join(dir, "oracle")])
      const perfect = JSON.parse(readFileSync(join(dir, "oracle", "tracks.json"), "utf8")).scores
      expect(perfect.identities.idf1).toBe(1)
      expect(perfect.tracklets.idSwitches).toBe(0)
      const logs = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(logs, `across cameras: IDF1 ${(100 * scores.idf1).toFixed(2)}%`)
    }).pipe(env)
  )
})
