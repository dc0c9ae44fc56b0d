import { NodeServices } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { beforeAll } from "vitest"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Decode, Readers, Synthetic, SyntheticExport } from "@reidfx/data"
import { parseFeatureFile, parseLabelFile } from "@reidfx/eval"
import { cli } from "../src/cli.ts"
import { tinyTrainArgs } from "./tinyTrain.ts"

const run = Command.runWith(cli, { version: "0.0.0" })
const dir = mkdtempSync(join(tmpdir(), "reidfx-test-cli-"))
const failureOf = (args: Array<string>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(run(args))
    assert.strictEqual((error as { _tag: string })._tag, "UserError")
    return String((error as { userMessage?: string }).userMessage)
  })

// the tiny run of train.test.ts: 12 identities at 32x16 (seed 0, 4 cameras, hard), 2 epochs
const tiny = tinyTrainArgs(dir)

/** The Market-1501 export every test reads (the tiny run's synthetic world, see the fixture). */
const root = join(dir, "market")
/** `reidfx test` of the tiny run on the export (top-5 lists of 3 queries drawn), written by the fixture. */
const out = join(dir, "test-out")

/** `reidfx test` of `--model` (default: the tiny run) on the Market-1501 export, plus `extra` flags. */
const testArgs = (extra: ReadonlyArray<string>, model = join(dir, "tiny")) => [
  "test",
  "--backend",
  "cpu",
  "--model",
  model,
  "--layout",
  "market1501",
  "--root",
  root,
  ...extra
]

/** The `reidfx eval` flags of one side (`query` / `gallery`) of the feature files `reidfx test` wrote in `folder`. */
const side = (folder: string, s: string) => [
  `--${s}-features`,
  join(folder, `${s}_features.npy`),
  `--${s}-ids`,
  join(folder, `${s}_ids.npy`),
  `--${s}-cams`,
  join(folder, `${s}_cams.npy`)
]

// the fixture: the tiny run, its synthetic world (the run's seed and data settings) written losslessly in the
// Market-1501 layout, and `reidfx test` of the run on it; the console lines of that test are kept
const fixture = {
  trained: undefined as unknown as { mAP: number; rank1: number; mINP: number },
  world: undefined as unknown as Synthetic.SyntheticWorld,
  testLogs: ""
}
beforeAll(
  () =>
    Effect.runPromise(
      Effect.gen(function* () {
        yield* run(["train", ...tiny, "--name", "tiny"])
        fixture.trained = JSON.parse(readFileSync(join(dir, "tiny", "results.json"), "utf8")).trained
        fixture.world = yield* Synthetic.make({
          kind: "person",
          seed: 0,
          identities: 12,
          cameras: 4,
          imagesPerCamera: 2,
          height: 32,
          width: 16,
          difficulty: Synthetic.presets.hard
        })
        yield* SyntheticExport.writeMarket1501(fixture.world, root, { format: "png" })
        yield* run(testArgs(["--output", out, "--visrank", "5", "--visrank-queries", "3"]))
        fixture.testLogs = (yield* TestConsole.logLines).map(String).join("\n")
      }).pipe(Effect.provide(TestConsole.layer), Effect.provide(NodeServices.layer))
    ),
  180_000
)

describe("reidfx test", () => {
  it.effect(
    "on the run's synthetic world exported as Market-1501, gives the mAP reidfx train evaluated in process",
    () =>
      Effect.gen(function* () {
        const { trained, world } = fixture
        const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"))
        expect(results.input).toEqual({ height: 32, width: 16, flip: false, normalize: false, embedding: "neck" })
        expect(results.original.numQueries).toBe(world.dataset.query.length)
        expect(results.original.mAP).toBeCloseTo(trained.mAP, 6)
        expect(results.original.rank1).toBeCloseTo(trained.rank1, 6)
        expect(results.original.mINP).toBeCloseTo(trained.mINP, 6)
        // the feature files are what `reidfx eval` reads, and give the same mAP there
        const q = parseFeatureFile(readFileSync(join(out, "query_features.npy")), "q.npy")
        expect([q.rows, q.dim]).toEqual([world.dataset.query.length, 16])
        const qIds = parseLabelFile(readFileSync(join(out, "query_ids.npy")), "ids.npy")
        assert.strictEqual(qIds._tag, "Single")
        const market = yield* Readers.market1501(root)
        expect(readFileSync(join(out, "query_paths.txt"), "utf8").trim().split("\n")).toEqual(
          market.query.map((i) => (i.source as { path: string }).path)
        )
        const json = join(dir, "eval.json")
        yield* run(["eval", ...side(out, "query"), ...side(out, "gallery"), "--metric", "cosine", "--json", json])
        expect(JSON.parse(readFileSync(json, "utf8")).original.mAP).toBeCloseTo(results.original.mAP, 9)
        // eval --visrank draws the same page from the features plus the path lists
        const vis = join(dir, "eval-vis")
        yield* run([
          "eval",
          ...side(out, "query"),
          ...side(out, "gallery"),
          "--metric",
          "cosine",
          "--visrank",
          vis,
          "--query-paths",
          join(out, "query_paths.txt"),
          "--gallery-paths",
          join(out, "gallery_paths.txt"),
          "--visrank-top",
          "5",
          "--visrank-queries",
          "3"
        ])
        const strip = (page: string) => page.replace(/<title>.*<\/title>|<h1>.*<\/h1>/g, "")
        expect(strip(readFileSync(join(vis, "ranked.html"), "utf8"))).toBe(
          strip(readFileSync(join(out, "ranked.html"), "utf8"))
        )
        expect(readFileSync(join(vis, "ranked.png")).equals(readFileSync(join(out, "ranked.png")))).toBe(true)
        expect(yield* failureOf(["eval", ...side(out, "query"), ...side(out, "gallery"), "--visrank", vis])).toBe(
          "--visrank needs the image paths: --query-paths and --gallery-paths (one path per line, in feature order)"
        )
        // the ranked-list page embeds the real crops; the PNG is torchreid's grid of 3 rows of 1 + 5 framed tiles
        const html = readFileSync(join(out, "ranked.html"), "utf8")
        expect(html.match(/<div class="row">/g)?.length).toBe(3)
        expect(html.match(/<figure class="(match|nonMatch|junk)">/g)?.length).toBe(15)
        expect(html.match(/src="data:image\/png;base64,/g)?.length).toBe(18)
        const png = yield* Decode.decode(join(out, "ranked.png"), 128 * 3 + 2 * 5, 6 * 64 + 5 * 5 + 45)
        // 64-wide tiles: torchreid's border 5, spacing 10 and query gap 90 scaled by 64 / 128 (3, 5, 45)
        const W = 6 * 64 + 5 * 5 + 45
        const pixel = (y: number, x: number) => Array.from(png.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3))
        expect(pixel(1, 1)).toEqual([0, 0, 0])
        expect(pixel(60, 64 + 20)).toEqual([255, 255, 255])
        const first = /<figure class="(match|nonMatch|junk)">/.exec(html)![1]!
        const colour = { match: [0, 255, 0], nonMatch: [255, 0, 0], junk: [160, 160, 160] }[first]
        expect(pixel(1, 64 + 5 + 45 + 1)).toEqual(colour)
        // the run's last checkpoint (written at the last epoch's end) is the same model: the same mAP, model config
        // rebuilt from the run config in its metadata and the classifier's shape
        const fromCkpt = join(dir, "ckpt-out")
        yield* run(testArgs(["--output", fromCkpt, "--visrank", "0"], join(dir, "tiny", "checkpoint.ckpt")))
        const ckptResults = JSON.parse(readFileSync(join(fromCkpt, "results.json"), "utf8"))
        expect(ckptResults.model.kind).toBe("checkpoint")
        expect(ckptResults.input).toEqual(results.input)
        expect(ckptResults.original.mAP).toBeCloseTo(results.original.mAP, 9)
        expect(ckptResults.files).not.toContain("ranked.png")
        assert.include(fixture.testLogs, "ranked lists of 3 queries")
      }).pipe(Effect.provide(NodeServices.layer)),
    120_000
  )

  it.effect(
    "embeds an image list with flip and normalisation into unit-norm features in the list's order",
    () =>
      Effect.gen(function* () {
        const files = readdirSync(join(root, "query")).slice(0, 4)
        const list = join(root, "list.txt")
        writeFileSync(list, `# four queries\n${files.map((f) => `query/${f}`).join("\n")}\n`)
        const listOut = join(dir, "list-out")
        yield* run([
          "extract",
          "--backend",
          "cpu",
          "--model",
          join(dir, "tiny", "model"),
          "--images",
          list,
          "--height",
          "32",
          "--width",
          "16",
          "--flip",
          "--normalize",
          "--output",
          listOut
        ])
        const f = parseFeatureFile(readFileSync(join(listOut, "features.npy")), "f.npy")
        expect(f.rows).toBe(4)
        for (let i = 0; i < 4; i++) {
          let s = 0
          for (let j = 0; j < f.dim; j++) s += f.data[i * f.dim + j]! ** 2
          expect(Math.sqrt(s)).toBeCloseTo(1, 5)
        }
        expect(readFileSync(join(listOut, "paths.txt"), "utf8").trim().split("\n")).toEqual(
          files.map((x) => join(root, "query", x))
        )
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )

  it.effect("bad input is one line naming what to give", () =>
    Effect.gen(function* () {
      expect(yield* failureOf(["test", "--model", join(dir, "tiny"), "--output", join(dir, "x")])).toBe(
        "give exactly one data source: --layout <market1501|dukeMTMCReID|msmt17|cuhk03NP|cuhk03NPDetected|veri776|folders|cuhkSysu|viper|prid|grid|ilids|cuhk01|cuhk02|senseReID|occludedDuke> --root DIR, --manifest file.csv, or --images list.txt"
      )
      const missing = join(dir, "nope")
      expect(yield* failureOf(testArgs(["--output", join(dir, "x")], missing))).toBe(
        `model ${missing}: no such file or folder (give a run folder, a weights folder, a checkpoint.ckpt or a .safetensors / .npz file)`
      )
      expect(yield* failureOf(testArgs(["--embedding", "parts", "--output", join(dir, "x")]))).toBe(
        "--embedding parts needs a model with PCB parts (head.parts) or a local branch (head.local)"
      )
      const dict = join(dir, "w.safetensors")
      writeFileSync(dict, "")
      expect(yield* failureOf(testArgs(["--output", join(dir, "x")], dict))).toMatch(
        /^model .*w\.safetensors: a state dict holds no model config: give --model-config/
      )
    }).pipe(Effect.provide(NodeServices.layer))
  )

  it.effect(
    "search: a tracklet query (pooled) and an image query against a dataset's gallery, and labelled features from any model",
    () =>
      Effect.gen(function* () {
        const qPaths = readFileSync(join(out, "query_paths.txt"), "utf8").trim().split("\n")
        const qf = parseFeatureFile(readFileSync(join(out, "query_features.npy")), "q.npy")
        const gf = parseFeatureFile(readFileSync(join(out, "gallery_features.npy")), "g.npy")
        const gPaths = readFileSync(join(out, "gallery_paths.txt"), "utf8").trim().split("\n")
        const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
          let ab = 0
          let aa = 0
          let bb = 0
          for (let i = 0; i < a.length; i++) {
            ab += a[i]! * b[i]!
            aa += a[i]! ** 2
            bb += b[i]! ** 2
          }
          return 1 - ab / Math.sqrt(aa * bb)
        }
        const row = (m: { data: Float32Array; dim: number }, i: number) => m.data.subarray(i * m.dim, (i + 1) * m.dim)
        const brute = (q: ArrayLike<number>) =>
          gPaths.map((p, j) => ({ p, d: cosine(q, row(gf, j)) })).sort((a, b) => a.d - b.d)
        // queries 0 and 1 as one tracklet "walk", query 2 alone
        const list = join(dir, "search-list.txt")
        writeFileSync(list, `${qPaths[0]},walk\n${qPaths[2]}\n${qPaths[1]},walk\n`)
        const sOut = join(dir, "search-out")
        yield* run(["search", ...testArgs(["--query-images", list, "--top", "4", "--output", sOut]).slice(1)])
        const found = JSON.parse(readFileSync(join(sOut, "search.json"), "utf8"))
        expect(found.results.map((r: { query: string }) => r.query)).toEqual(["walk", qPaths[2]])
        expect(found.results[0].images).toEqual([qPaths[0], qPaths[1]])
        const pooled = Float32Array.from(row(qf, 0), (v, k) => (v + row(qf, 1)[k]!) / 2)
        for (const [r, q] of [
          [0, pooled],
          [1, row(qf, 2)]
        ] as const) {
          const expected = brute(q).slice(0, 4)
          expect(found.results[r].top.map((t: { image: string }) => t.image)).toEqual(expected.map((e) => e.p))
          found.results[r].top.forEach((t: { distance: number }, k: number) => {
            expect(t.distance).toBeCloseTo(expected[k]!.d, 5)
          })
          expect(found.results[r].top[0].verdict).toBeUndefined()
        }
        const page = readFileSync(join(sOut, "ranked.html"), "utf8")
        expect(page.match(/<figure class="unknown">/g)?.length).toBe(8)
        assert.include(page, "identities unknown")
        // features of any model with labels: verdicts as the evaluation's ranked lists
        const fOut = join(dir, "search-features")
        yield* run([
          "search",
          "--query-features",
          join(out, "query_features.npy"),
          "--query-paths",
          join(out, "query_paths.txt"),
          "--query-ids",
          join(out, "query_ids.npy"),
          "--query-cams",
          join(out, "query_cams.npy"),
          "--gallery-features",
          join(out, "gallery_features.npy"),
          "--gallery-paths",
          join(out, "gallery_paths.txt"),
          "--gallery-ids",
          join(out, "gallery_ids.npy"),
          "--gallery-cams",
          join(out, "gallery_cams.npy"),
          "--top",
          "5",
          "--max-queries",
          "3",
          "--output",
          fOut
        ])
        const labelled = JSON.parse(readFileSync(join(fOut, "search.json"), "utf8"))
        expect(labelled.results).toHaveLength(qf.rows)
        expect(labelled.results[2].top.map((t: { image: string }) => t.image)).toEqual(
          brute(row(qf, 2))
            .slice(0, 5)
            .map((e) => e.p)
        )
        // the same 3 queries and top-5 as reidfx test drew: the same PNG
        expect(readFileSync(join(fOut, "ranked.png")).equals(readFileSync(join(out, "ranked.png")))).toBe(true)
        // attribute-filtered search: column 0 ("even") holds for the even gallery rows, column 1 ("first") for row 0
        // only; requiring even=1 keeps exactly the even rows, ranked as the brute force over them
        const attrs = join(dir, "gallery_attrs.json")
        writeFileSync(attrs, JSON.stringify(gPaths.map((_, j) => [j % 2 === 0 ? 1 : 0, j === 0 ? 1 : 0])))
        const names = join(dir, "attr_names.txt")
        writeFileSync(names, "even\nfirst\n")
        const aOut = join(dir, "search-attrs")
        const featureSides = [
          "--query-features",
          join(out, "query_features.npy"),
          "--query-paths",
          join(out, "query_paths.txt"),
          "--gallery-features",
          join(out, "gallery_features.npy"),
          "--gallery-paths",
          join(out, "gallery_paths.txt")
        ]
        yield* run([
          "search",
          ...featureSides,
          "--gallery-attributes",
          attrs,
          "--attribute-names",
          names,
          "--require",
          "even=1",
          "--top",
          "5",
          "--output",
          aOut
        ])
        const filtered = JSON.parse(readFileSync(join(aOut, "search.json"), "utf8"))
        expect(filtered.gallery).toBe(Math.ceil(gPaths.length / 2))
        const evenPaths = new Set(gPaths.filter((_, j) => j % 2 === 0))
        expect(filtered.results[2].top.map((t: { image: string }) => t.image)).toEqual(
          brute(row(qf, 2))
            .filter((e) => evenPaths.has(e.p))
            .slice(0, 5)
            .map((e) => e.p)
        )
        // by index, both constraints: only gallery row 0 is left
        yield* run(["search", ...featureSides, "--gallery-attributes", attrs, "--require", "0=1,1=1", "--output", aOut])
        const one = JSON.parse(readFileSync(join(aOut, "search.json"), "utf8"))
        expect(one.results[0].top.map((t: { image: string }) => t.image)).toEqual([gPaths[0]])
        expect(
          yield* failureOf(["search", ...featureSides, "--gallery-attributes", attrs, "--require", "backpack=1"])
        ).toBe("--require backpack=1: no attribute backpack (allowed: 0..1)")
        expect(
          yield* failureOf(["search", ...featureSides, "--gallery-attributes", attrs, "--require", "even=yes"])
        ).toBe("--require even=yes: expected attribute=1 or attribute=0")
        expect(yield* failureOf(["search", ...featureSides, "--require", "0=1"])).toBe(
          "give both --gallery-attributes and --require"
        )
        expect(yield* failureOf(["search", "--query-images", list, "--gallery-images", list, "--output", fOut])).toBe(
          "query are images: give --model to embed them (or give features with --query-features)"
        )
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )

  it.effect(
    "train on a dataset in a layout from saved weights: its untrained scores are the saved model's on those files",
    () =>
      Effect.gen(function* () {
        const model = join(dir, "tiny", "model")
        yield* run([
          "train",
          "--backend",
          "cpu",
          "--output",
          dir,
          "--name",
          "from-market",
          "--epochs",
          "1",
          "--layout",
          "market1501",
          "--root",
          root,
          "--set",
          "data.height=32",
          "--set",
          "data.width=16",
          "--set",
          "sampler={p: 3, k: 2}",
          "--set",
          "model.backbone={kind: reference, stemWidth: 8, widths: [8, 16], blocks: [1, 1]}",
          "--set",
          `model.weights=${JSON.stringify({ path: model, part: "all" })}`
        ])
        const r = JSON.parse(readFileSync(join(dir, "from-market", "results.json"), "utf8"))
        const market = yield* Readers.market1501(root)
        expect(r.dataset).toEqual({
          trainImages: market.train.length,
          trainIdentities: 6,
          queries: market.query.length,
          gallery: market.gallery.length,
          testIdentities: 6
        })
        const tested = JSON.parse(readFileSync(join(dir, "test-out", "results.json"), "utf8")).original
        expect(r.untrained.mAP).toBeCloseTo(tested.mAP, 6)
        expect(JSON.parse(readFileSync(join(dir, "from-market", "config.json"), "utf8")).dataset).toEqual({
          layout: "market1501",
          root
        })
        expect(
          yield* failureOf(["train", "--backend", "cpu", "--output", dir, "--name", "x", "--layout", "market1501"])
        ).toBe("give both --layout and --root (the dataset's folder)")
        const nowhere = join(dir, "nowhere")
        expect(
          yield* failureOf([
            "train",
            "--backend",
            "cpu",
            "--output",
            dir,
            "--name",
            "x",
            "--layout",
            "market1501",
            "--root",
            nowhere
          ])
        ).toMatch(/^invalid run configuration \(dataset\):[\s\S]*nowhere/)
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )

  it.effect(
    "--rerank --split all: the re-ranked scores are reidfx eval --rerank's on the written features; the train split is embedded too",
    () =>
      Effect.gen(function* () {
        const reranked = join(dir, "rerank-out")
        yield* run(
          testArgs(["--split", "all", "--rerank", "--k1", "4", "--k2", "2", "--visrank", "0", "--output", reranked])
        )
        const results = JSON.parse(readFileSync(join(reranked, "results.json"), "utf8"))
        const market = yield* Readers.market1501(root)
        expect(parseFeatureFile(readFileSync(join(reranked, "train_features.npy")), "t.npy").rows).toBe(
          market.train.length
        )
        const json = join(dir, "rerank.json")
        yield* run([
          "eval",
          ...side(reranked, "query"),
          ...side(reranked, "gallery"),
          "--metric",
          "cosine",
          "--rerank",
          "--k1",
          "4",
          "--k2",
          "2",
          "--json",
          json
        ])
        const evaluated = JSON.parse(readFileSync(json, "utf8"))
        expect(results.reRanked.mAP).toBeCloseTo(evaluated.reRanked.mAP, 9)
        expect(results.original.mAP).toBeCloseTo(evaluated.original.mAP, 9)
        expect(results.options.reRanking).toEqual({ k1: 4, k2: 2, lambda: 0.3 })
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )
})
