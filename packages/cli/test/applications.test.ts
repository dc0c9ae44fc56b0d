import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { clusteringScores, encodeNpy, verifyWithValidation } from "@reidfx/eval"
import { cli } from "../src/cli.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } })))
)

const dir = mkdtempSync(join(tmpdir(), "reidfx-apps-cli-"))
const path = (name: string) => join(dir, name)
const npy = (name: string, data: Float32Array | Int32Array, shape: Array<number>) => {
  writeFileSync(path(name), encodeNpy(data, shape))
  return path(name)
}

// 6 identities x 3 items on the unit circle, each identity around its own angle
const ids: Array<number> = []
const feats: Array<number> = []
for (let id = 0; id < 6; id++) {
  for (let k = 0; k < 3; k++) {
    const a = (id * 2 * Math.PI) / 6 + (k - 1) * 0.1
    feats.push(Math.cos(a), Math.sin(a))
    ids.push(id)
  }
}
const featuresFile = npy("f.npy", Float32Array.from(feats), [18, 2])
const idsFile = npy("ids.npy", Int32Array.from(ids), [18])
const logs = Effect.map(TestConsole.logLines, (lines) => lines.map(String).join("\n"))
const failureOf = (args: Array<string>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(run(args))
    assert.strictEqual((error as { _tag: string })._tag, "UserError")
    return String((error as { userMessage?: string }).userMessage)
  })

describe("reidfx verify / identify / cluster", () => {
  it.effect("verify writes verify.json and roc.svg with the library's threshold and test rates", () =>
    Effect.gen(function* () {
      const out = path("verify")
      yield* run(["verify", "--features", featuresFile, "--ids", idsFile, "--far", "0.05", "--seed", "2", "--out", out])
      const report = JSON.parse(readFileSync(join(out, "verify.json"), "utf8"))
      const expected = verifyWithValidation({ data: Float32Array.from(feats), rows: 18, dim: 2 }, ids, {
        far: 0.05,
        seed: 2,
        metric: "cosine"
      })
      assert.closeTo(report.threshold, expected.threshold, 1e-9)
      assert.deepStrictEqual(report.test.atThreshold, expected.testAtThreshold)
      assert.deepStrictEqual(report.testIdentities, expected.testIdentities)
      assert.match(readFileSync(join(out, "roc.svg"), "utf8"), /<g class="mark-line role-mark[^>]*><path /)
      assert.include(yield* logs, "threshold")
    }).pipe(env)
  )

  it.effect("identify ranks the gallery and scores rank-k rates", () =>
    Effect.gen(function* () {
      const out = path("identify")
      // probes: the middle item of each identity; gallery: the others
      const probeRows = [1, 4, 7, 10, 13, 16]
      const galleryRows = ids.map((_, i) => i).filter((i) => !probeRows.includes(i))
      const pick = (rows: Array<number>) => Float32Array.from(rows.flatMap((r) => [feats[2 * r]!, feats[2 * r + 1]!]))
      const pf = npy("pf.npy", pick(probeRows), [6, 2])
      const gf = npy("gf.npy", pick(galleryRows), [12, 2])
      const pid = npy("pid.npy", Int32Array.from(probeRows.map((r) => ids[r]!)), [6])
      const gid = npy("gid.npy", Int32Array.from(galleryRows.map((r) => ids[r]!)), [12])
      yield* run([
        "identify",
        "--probe-features",
        pf,
        "--gallery-features",
        gf,
        "--gallery-ids",
        gid,
        "--probe-ids",
        pid,
        "--top-k",
        "3",
        "--out",
        out
      ])
      const report = JSON.parse(readFileSync(join(out, "identify.json"), "utf8"))
      assert.deepStrictEqual(report.rates.rates, [1, 1, 1])
      assert.strictEqual(report.probes[0].candidates.length, 3)
      assert.strictEqual(report.probes[2].candidates[0].id, 2)
      assert.include(yield* logs, "rank-1 100.00%")
    }).pipe(env)
  )

  it.effect("cluster recovers the identities (NMI = ARI = 1) with --clusters and with --threshold", () =>
    Effect.gen(function* () {
      const out = path("cluster")
      yield* run(["cluster", "--features", featuresFile, "--ids", idsFile, "--clusters", "6", "--out", out])
      const report = JSON.parse(readFileSync(join(out, "clusters.json"), "utf8"))
      assert.strictEqual(report.clusters.length, 6)
      assert.closeTo(report.scores.nmi, 1, 1e-9)
      assert.closeTo(report.scores.ari, 1, 1e-9)
      assert.deepStrictEqual(report.scores, clusteringScores(report.assignment, ids))
      yield* run([
        "cluster",
        "--features",
        featuresFile,
        "--method",
        "threshold",
        "--threshold",
        "0.1",
        "--out",
        path("cluster2")
      ])
      const second = JSON.parse(readFileSync(join(path("cluster2"), "clusters.json"), "utf8"))
      assert.strictEqual(second.clusters.length, 6)
    }).pipe(env)
  )

  // bad input: each case is one command and the part of its one-line message that names the problem
  const badInput: ReadonlyArray<{ readonly args: ReadonlyArray<string>; readonly message: string }> = [
    { args: ["cluster", "--features", featuresFile, "--out", path("x")], message: "exactly one of --threshold" },
    {
      args: [
        "verify",
        "--features",
        featuresFile,
        "--ids",
        npy("short.npy", Int32Array.from([1, 2]), [2]),
        "--out",
        path("y")
      ],
      message: "2 identities for 18 feature rows"
    },
    {
      args: ["verify", "--features", featuresFile, "--ids", idsFile, "--far", "2", "--out", path("z")],
      message: "--far: 2 is not in"
    },
    {
      args: [
        "identify",
        "--probe-features",
        path("missing.npy"),
        "--gallery-features",
        featuresFile,
        "--gallery-ids",
        idsFile
      ],
      message: "cannot read"
    }
  ]
  for (const c of badInput)
    it.effect(`bad input: ${c.args[0]} ... -> "${c.message}"`, () =>
      Effect.gen(function* () {
        assert.include(yield* failureOf([...c.args]), c.message)
      }).pipe(env)
    )
})

describe("reidfx track", () => {
  it.effect("tracks two people in two cameras: IDF1 100% and the tracks file", () =>
    Effect.gen(function* () {
      const looks = [
        [1, 0, 0],
        [0, 1, 0]
      ]
      const dets: Array<object> = []
      for (let f = 0; f < 6; f++) {
        for (const p of [0, 1])
          dets.push({
            frame: f,
            camera: 0,
            box: [10 * f + 50 * p, 0, 20, 40],
            feature: looks[p]!.map((v, k) => v + 0.01 * Math.sin(f + k)),
            id: p
          })
      }
      for (let f = 10; f < 14; f++) {
        for (const p of [0, 1])
          dets.push({
            frame: f,
            camera: 1,
            box: [8 * f + 60 * p, 5, 20, 40],
            feature: looks[p]!.map((v, k) => v + 0.01 * Math.cos(f + k)),
            id: p
          })
      }
      const file = path("dets.json")
      writeFileSync(file, JSON.stringify(dets))
      const out = path("track")
      yield* run(["track", "--detections", file, "--out", out])
      const report = JSON.parse(readFileSync(join(out, "tracks.json"), "utf8"))
      assert.strictEqual(report.scores.identities.idf1, 1)
      assert.strictEqual(report.scores.tracklets.idSwitches, 0)
      assert.strictEqual(new Set(report.detections.map((d: { tracklet: number }) => d.tracklet)).size, 4)
      assert.include(yield* logs, "across cameras: IDF1 100.00%")
      writeFileSync(path("bad.json"), JSON.stringify([{ frame: 0, camera: 0, box: [1, 2] }]))
      assert.include(yield* failureOf(["track", "--detections", path("bad.json")]), "detection 0 needs")
    }).pipe(env)
  )
})

describe("reidfx eval with AlignedReID's local distance", () => {
  it.effect("adds the local and global + local rows from stripe features", () =>
    Effect.gen(function* () {
      // 3 queries / 3 gallery items of identities 1 2 3 on cameras 0 / 1; stripes agree with the identities
      const qf = npy("aq.npy", Float32Array.from([1, 0, 0, 1, 1, 1]), [3, 2])
      const gf = npy("ag.npy", Float32Array.from([1, 0.1, 0.1, 1, 1, 0.9]), [3, 2])
      // the same stripes on both sides: 3 items x 2 stripes x 2 dims
      const stripes = Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, -1])
      const ql = npy("aql.npy", stripes, [3, 2, 2])
      const gl = npy("agl.npy", stripes, [3, 2, 2])
      const ids = npy("aid.npy", Int32Array.from([1, 2, 3]), [3])
      const qc = npy("aqc.npy", Int32Array.from([0, 0, 0]), [3])
      const gc = npy("agc.npy", Int32Array.from([1, 1, 1]), [3])
      const out = path("aligned.json")
      // the global features, identities and cameras of both sides (the same in both commands below)
      const global = [
        "eval",
        "--query-features",
        qf,
        "--gallery-features",
        gf,
        "--query-ids",
        ids,
        "--query-cams",
        qc,
        "--gallery-ids",
        ids,
        "--gallery-cams",
        gc
      ]
      yield* run([...global, "--query-local", ql, "--gallery-local", gl, "--json", out])
      const report = JSON.parse(readFileSync(out, "utf8"))
      assert.strictEqual(report.local.mAP, 1)
      assert.strictEqual(report.globalLocal.mAP, 1)
      assert.match(yield* logs, /global\+local/)
      assert.include(yield* failureOf([...global, "--query-local", ql]), "give both --query-local and --gallery-local")
    }).pipe(env)
  )
})
