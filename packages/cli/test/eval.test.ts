import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { encodeNpy, Features, rankingFromDistances, reRankFeatures } from "@reidfx/eval"
import { cli } from "../src/cli.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const env = Effect.provide(
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } })))
)

const dir = mkdtempSync(join(tmpdir(), "reidfx-eval-cli-"))
const path = (name: string) => join(dir, name)
const npy = (name: string, data: Float32Array | Int32Array, shape: Array<number>) => {
  writeFileSync(path(name), encodeNpy(data, shape))
  return path(name)
}
const text = (name: string, content: string) => {
  writeFileSync(path(name), content)
  return path(name)
}

// 3 identities, 2 cameras; queries on camera 0, gallery on both cameras, features = identity + small offsets
const qf = npy("q.npy", Float32Array.from([1, 0, 2, 0, 3, 0]), [3, 2])
const gf = npy("g.npy", Float32Array.from([1, 0.1, 2, 0.1, 3, 0.1, 1, 0, 2.6, 0, 9, 9]), [6, 2])
const qLabels = text("q.csv", "id,cam\n1,0\n2,0\n3,0\n")
const gIds = npy("gid.npy", Int32Array.from([1, 2, 3, 1, 3, 0]), [6])
const gCams = text("gcam.json", "[1, 1, 1, 0, 1, 1]")

const failureOf = (args: Array<string>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(run(args))
    assert.strictEqual((error as { _tag: string })._tag, "UserError")
    return String((error as { userMessage?: string }).userMessage)
  })

const base = [
  "eval",
  "--query-features",
  qf,
  "--gallery-features",
  gf,
  "--query-labels",
  qLabels,
  "--gallery-ids",
  gIds,
  "--gallery-cams",
  gCams
]

describe("reidfx eval", () => {
  it.effect("prints the table and writes --json (npy features, csv/npy/json labels)", () =>
    Effect.gen(function* () {
      const out = path("result.json")
      yield* run([...base, "--json", out])
      const lines = yield* TestConsole.logLines
      const table = lines.map(String).join("\n")
      assert.include(table, "3 queries (3 with a valid match), 6 gallery items, 2-d")
      assert.include(table, "rank-1")
      // query 3: gallery item 2 (id 3) at distance 0.1 is first -> every query matches at rank 1
      assert.match(table, /original\s+100\.00\s+100\.00\s+100\.00\s+100\.00\s+100\.00/)
      const report = JSON.parse(readFileSync(out, "utf8"))
      assert.strictEqual(report.original.mAP, 1)
      assert.strictEqual(report.original.numValidQueries, 3)
      assert.strictEqual(report.original.cmc.length, 50)
    }).pipe(env)
  )

  it.effect("junk rule off: the same-camera item becomes a positive; options reach the protocol", () =>
    Effect.gen(function* () {
      const out = path("result2.json")
      yield* run([...base, "--no-same-camera-junk", "--ap", "trapezoid", "--max-rank", "3", "--json", out])
      const report = JSON.parse(readFileSync(out, "utf8"))
      assert.strictEqual(report.options.sameCameraJunk, false)
      assert.strictEqual(report.original.cmc.length, 3)
      // query 1 (at [1,0]) now has gallery 3 ([1,0], distance 0) first and gallery 0 second: still perfect
      assert.strictEqual(report.original.mAP, 1)
      // on a single-camera gallery every match is junk by default (no valid query); without the rule all 3 are valid
      const sameCam = text("samecam-nojunk.json", "[0, 0, 0, 0, 0, 0]")
      const out3 = path("result3.json")
      yield* run([...base.slice(0, -2), "--gallery-cams", sameCam, "--no-same-camera-junk", "--json", out3])
      const single = JSON.parse(readFileSync(out3, "utf8"))
      assert.strictEqual(single.original.numValidQueries, 3)
      assert.strictEqual(single.original.mAP, 1)
    }).pipe(env)
  )

  it.effect("--rerank prints before and after", () =>
    Effect.gen(function* () {
      const out = path("rr.json")
      yield* run([...base, "--rerank", "--k1", "3", "--k2", "2", "--json", out])
      const table = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(table, "original")
      assert.include(table, "re-ranked")
      const report = JSON.parse(readFileSync(out, "utf8"))
      // the re-ranked numbers are those of the library on the same features and labels
      const features = (data: Array<number>, rows: number) => ({ data: Float32Array.from(data), rows, dim: 2 })
      const q = features([1, 0, 2, 0, 3, 0], 3)
      const g = features([1, 0.1, 2, 0.1, 3, 0.1, 1, 0, 2.6, 0, 9, 9], 6)
      const expected = rankingFromDistances(
        reRankFeatures(q, g, { k1: 3, k2: 2, lambda: 0.3 }),
        { ids: [1, 2, 3], cams: [0, 0, 0] },
        { ids: [1, 2, 3, 1, 3, 0], cams: [1, 1, 1, 0, 1, 1] }
      )
      assert.strictEqual(report.reRanked.mAP, expected.mAP)
      assert.strictEqual(report.reRanked.mINP, expected.mINP)
      assert.deepStrictEqual(report.reRanked.cmc, expected.cmc)
      // with --metric cosine, re-ranking sees L2-normalised features (not the raw norms)
      const outCosine = path("rr-cosine.json")
      yield* run([...base, "--metric", "cosine", "--rerank", "--k1", "3", "--k2", "2", "--json", outCosine])
      const cosine = JSON.parse(readFileSync(outCosine, "utf8"))
      const expectedCosine = rankingFromDistances(
        reRankFeatures(Features.l2Normalize(q), Features.l2Normalize(g), { k1: 3, k2: 2, lambda: 0.3 }),
        { ids: [1, 2, 3], cams: [0, 0, 0] },
        { ids: [1, 2, 3, 1, 3, 0], cams: [1, 1, 1, 0, 1, 1] }
      )
      assert.strictEqual(cosine.options.reRanking.distance, "squaredEuclidean of L2-normalised features")
      assert.strictEqual(cosine.reRanked.mAP, expectedCosine.mAP)
      assert.deepStrictEqual(cosine.reRanked.cmc, expectedCosine.cmc)
      assert.deepStrictEqual(report.options.reRanking, { k1: 3, k2: 2, lambda: 0.3, distance: "squaredEuclidean" })
    }).pipe(env)
  )

  it.effect("JSON features and JSON labels", () =>
    Effect.gen(function* () {
      const q = text(
        "q.json",
        JSON.stringify({
          features: [
            [0, 0],
            [5, 5]
          ]
        })
      )
      const g = text(
        "g.json",
        JSON.stringify([
          [0, 0.1],
          [5, 5.1],
          [2, 2]
        ])
      )
      const ql = text("ql.json", JSON.stringify({ ids: [1, 2], cams: [0, 0] }))
      const gl = text(
        "gl.json",
        JSON.stringify([
          { id: 1, cam: 1 },
          { id: 2, cam: 1 },
          { id: 3, cam: 1 }
        ])
      )
      yield* run(["eval", "--query-features", q, "--gallery-features", g, "--query-labels", ql, "--gallery-labels", gl])
      const table = (yield* TestConsole.logLines).map(String).join("\n")
      assert.match(table, /original\s+100\.00/)
    }).pipe(env)
  )

  it.effect("mismatched lengths fail with one clear line", () =>
    Effect.gen(function* () {
      const shortIds = npy("short.npy", Int32Array.from([1, 2]), [2])
      const message = yield* failureOf([
        "eval",
        "--query-features",
        qf,
        "--gallery-features",
        gf,
        "--query-labels",
        qLabels,
        "--gallery-ids",
        shortIds,
        "--gallery-cams",
        gCams
      ])
      assert.include(message, "gallery identities (one per gallery feature row): expected length 6, got 2")
      assert.notInclude(message, "\n")
    }).pipe(env)
  )

  it.effect("NaN or infinite features fail", () =>
    Effect.gen(function* () {
      const bad = npy("nan.npy", Float32Array.from([1, Number.NaN, 2, 0, 3, Number.POSITIVE_INFINITY]), [3, 2])
      const message = yield* failureOf([
        "eval",
        "--query-features",
        bad,
        "--gallery-features",
        gf,
        "--query-labels",
        qLabels,
        "--gallery-ids",
        gIds,
        "--gallery-cams",
        gCams
      ])
      assert.include(message, "query features: 2 value(s) are NaN or infinite")
    }).pipe(env)
  )

  it.effect("an empty gallery fails", () =>
    Effect.gen(function* () {
      const g = text("empty.json", "[]")
      const gl = text("empty-labels.json", JSON.stringify({ ids: [], cams: [] }))
      const message = yield* failureOf([
        "eval",
        "--query-features",
        qf,
        "--gallery-features",
        g,
        "--query-labels",
        qLabels,
        "--gallery-labels",
        gl
      ])
      assert.include(message, "the gallery is empty")
    }).pipe(env)
  )

  it.effect("no valid query fails (single camera: every match is junk)", () =>
    Effect.gen(function* () {
      const sameCam = text("samecam.json", "[0, 0, 0, 0, 0, 0]")
      const message = yield* failureOf([...base.slice(0, -2), "--gallery-cams", sameCam])
      assert.include(message, "none of the 3 queries has a valid match")
    }).pipe(env)
  )

  it.effect("missing labels, unreadable files and bad files fail with a message", () =>
    Effect.gen(function* () {
      const m1 = yield* failureOf(["eval", "--query-features", qf, "--gallery-features", gf, "--query-labels", qLabels])
      assert.include(m1, "give the gallery identities and cameras")
      const m2 = yield* failureOf([...base.slice(0, 2), path("nope.npy"), ...base.slice(3)])
      assert.include(m2, "cannot read")
      const txt = text("feat.txt", "1 2 3")
      const m3 = yield* failureOf(["eval", "--query-features", txt, ...base.slice(3)])
      assert.include(m3, 'unknown features file type ".txt"')
      const m4 = yield* failureOf([...base, "--junk-ids", "a"])
      assert.include(m4, '--junk-ids: "a" is not an integer')
    }).pipe(env)
  )
})
