/**
 * `reidfx test` (alias `reidfx extract`): loads a saved model (a `reidfx train` run folder, a weights folder, a
 * training checkpoint, or a `.safetensors` / `.npz` state dict with `--model-config`), embeds a dataset in any
 * layout the readers know (`--layout market1501 --root DIR`, `--manifest file.csv`) or an image list (`--images
 * list.txt`) with the evaluation settings (`--flip`, `--normalize`, `--embedding neck|features`), and writes the
 * features as `.npy` with their identities, cameras and paths. With query and gallery splits it evaluates them
 * (Rank-1/5/10, mAP, mINP, the Market-1501 rules, optionally k-reciprocal re-ranking) into `results.json` and draws
 * the ranked lists (`ranked.html` with the real crops, `ranked.png`), as torchreid's `evaluate_only` + visrank and
 * fast-reid's `--eval-only`.
 * @since 0.1.0
 */
import * as BackendFlag from "../BackendFlag.ts"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import type { Item } from "@reidfx/data"
import {
  encodeNpy,
  evaluateRanking,
  Features,
  pairwiseDistances,
  type RankingResult,
  rankingFromDistances,
  reRankFeatures
} from "@reidfx/eval"
import { SavedModel } from "@reidfx/train"
import { AtomicFile, Backend } from "@reidfx/tensor"
import { type Embedded, Evaluate, RunConfig } from "@reidfx/reid"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as DatasetSource from "../DatasetSource.ts"
import * as Visrank from "../Visrank.ts"
import { formatTable, fromFailure, userError } from "./eval.ts"

/** The data-source flags (shared with `reidfx search`). */
export const sourceFlags = {
  layout: Flag.Literals("layout", DatasetSource.layoutNames).pipe(
    Flag.optional,
    Flag.withDescription("Dataset layout of --root (market1501, dukemtmcReid, msmt17, cuhk03, veri776, generic, ...)")
  ),
  root: Flag.String("root").pipe(Flag.optional, Flag.withDescription("Dataset folder (with --layout)")),
  manifest: Flag.String("manifest").pipe(
    Flag.optional,
    Flag.withDescription("CSV manifest: path,id,cam[,split] (paths relative to the CSV)")
  ),
  images: Flag.String("images").pipe(
    Flag.optional,
    Flag.withDescription("Image list: one path per line (relative to the list); features only, no evaluation")
  )
}

/** The model flags (shared with `reidfx search`). */
export const modelFlags = {
  model: Flag.String("model").pipe(
    Flag.withDescription(
      "Saved model: a reidfx train run folder, a weights folder / model.json, a checkpoint.ckpt, or .safetensors / .npz with --model-config"
    )
  ),
  modelConfig: Flag.String("model-config").pipe(
    Flag.optional,
    Flag.withDescription("Model config file (.json / .yaml: { backbone, head }); required for a state dict")
  ),
  weightsLayout: Flag.Literals("weights-layout", ["auto", "torchvision", "fastreid", "torchreid"]).pipe(
    Flag.withDefault("auto" as const),
    Flag.withDescription("State-dict naming of a .safetensors / .npz (default auto)")
  ),
  height: Flag.Int("height").pipe(Flag.optional, Flag.withDescription("Input height (default: the run's, else 256)")),
  width: Flag.Int("width").pipe(Flag.optional, Flag.withDescription("Input width (default: the run's, else 128)")),
  batchSize: Flag.Int("batch-size").pipe(
    Flag.withDefault(64),
    Flag.withDescription("Images per forward pass (default 64)")
  ),
  flip: Flag.Boolean("flip").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Add the embedding of the flipped image (test-time flip)")
  ),
  normalize: Flag.Boolean("normalize").pipe(
    Flag.withDefault(false),
    Flag.withDescription("L2-normalise the embeddings")
  ),
  embedding: Flag.Literals("embedding", ["neck", "features", "parts"]).pipe(
    Flag.withDefault("neck" as const),
    Flag.withDescription(
      "Embedding: neck (after the BNNeck, default), features (before it) or parts (PCB descriptor of a head.parts / head.local model)"
    )
  )
}

/** The flags of `reidfx test`. */
export const testFlags = {
  ...modelFlags,
  ...sourceFlags,
  split: Flag.Literals("split", ["test", "train", "all"]).pipe(
    Flag.withDefault("test" as const),
    Flag.withDescription("Splits embedded: test (query + gallery, evaluated; default), train, or all")
  ),
  metric: Flag.Literals("metric", ["cosine", "euclidean", "squaredEuclidean"]).pipe(
    Flag.withDefault("cosine" as const),
    Flag.withDescription("Distance (default cosine, as reidfx train evaluates)")
  ),
  ap: Flag.Literals("ap", ["nonInterpolated", "trapezoid"]).pipe(
    Flag.withDefault("nonInterpolated" as const),
    Flag.withDescription("Average precision (trapezoid: official Market-1501 code)")
  ),
  rerank: Flag.Boolean("rerank").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Also evaluate with k-reciprocal re-ranking (Zhong et al. 2017)")
  ),
  k1: Flag.Int("k1").pipe(Flag.withDefault(20), Flag.withDescription("Re-ranking k1 (default 20)")),
  k2: Flag.Int("k2").pipe(Flag.withDefault(6), Flag.withDescription("Re-ranking k2 (default 6)")),
  lambda: Flag.Finite("lambda").pipe(Flag.withDefault(0.3), Flag.withDescription("Re-ranking lambda (default 0.3)")),
  output: Flag.String("output").pipe(
    Flag.withDefault("reidfx-test"),
    Flag.withDescription("Output folder (default reidfx-test)")
  ),
  visrank: Flag.Int("visrank").pipe(
    Flag.withDefault(10),
    Flag.withDescription("Gallery items per query in ranked.html / ranked.png (default 10; 0: no picture)")
  ),
  visrankQueries: Flag.Int("visrank-queries").pipe(
    Flag.withDefault(12),
    Flag.withDescription("Queries shown, evenly spaced (default 12)")
  )
}

/** Reads a model config file (JSON or YAML). */
export const readModelConfig = (file: Option.Option<string>) =>
  Option.match(file, {
    onNone: () => Effect.succeed(undefined),
    onSome: (f) => RunConfig.readFile(f).pipe(Effect.mapError((e) => userError(e.message)))
  })

/** Loads the model and resolves the input size (flags, else the run's, else 256 x 128). */
export const loadModel = (flags: {
  readonly model: string
  readonly modelConfig: Option.Option<string>
  readonly weightsLayout: "auto" | "torchvision" | "fastreid" | "torchreid"
  readonly height: Option.Option<number>
  readonly width: Option.Option<number>
}) =>
  Effect.gen(function* () {
    const modelConfig = yield* readModelConfig(flags.modelConfig)
    const saved = yield* SavedModel.load(flags.model, {
      ...(modelConfig === undefined ? {} : { modelConfig }),
      layout: flags.weightsLayout
    }).pipe(Effect.mapError((e) => userError(e.message)))
    const height = Option.getOrElse(flags.height, () => saved.input?.height ?? 256)
    const width = Option.getOrElse(flags.width, () => saved.input?.width ?? 128)
    if (height < 8 || width < 8)
      return yield* Effect.fail(userError(`--height ${height} --width ${width}: the input must be at least 8 x 8`))
    return { saved, height, width }
  })

const writeOut = (file: string, data: string | Uint8Array) =>
  AtomicFile.writeFile(file, data).pipe(Effect.mapError((e) => userError(e.message)))

/** Writes `<prefix>features.npy`, `ids.npy`, `cams.npy` and `paths.txt`. */
export const writeSplit = (out: string, prefix: string, e: Embedded, items: ReadonlyArray<Item.Item>) =>
  Effect.gen(function* () {
    yield* writeOut(path.join(out, `${prefix}features.npy`), encodeNpy(e.data, [e.rows, e.dim]))
    yield* writeOut(path.join(out, `${prefix}ids.npy`), encodeNpy(e.ids, [e.rows]))
    yield* writeOut(path.join(out, `${prefix}cams.npy`), encodeNpy(e.cams, [e.rows]))
    yield* writeOut(path.join(out, `${prefix}paths.txt`), `${items.map(DatasetSource.pathOf).join("\n")}\n`)
  })

const summary = (r: RankingResult) => ({
  rank1: r.rank1,
  rank5: r.rank5,
  rank10: r.rank10,
  mAP: r.mAP,
  mINP: r.mINP,
  cmc: r.cmc.slice(0, 50),
  numQueries: r.numQueries,
  numValidQueries: r.numValidQueries
})

/** `reidfx test`. */
const testHandler = (
  flags: {
    readonly [K in keyof typeof testFlags]: (typeof testFlags)[K] extends Flag.Flag<infer A> ? A : never
  }
) =>
  Effect.gen(function* () {
    const source = yield* DatasetSource.fromFlags(flags)
    const out = path.resolve(flags.output)
    yield* Effect.tryPromise({
      try: () => fs.mkdir(out, { recursive: true }),
      catch: (e) => userError(`--output ${out}: cannot create (${String(e)})`)
    })
    const info = yield* Backend.Backend
    const job = Effect.gen(function* () {
      const { saved, height, width } = yield* loadModel(flags)
      if (
        flags.embedding === "parts" &&
        saved.model.config.head.parts === undefined &&
        saved.model.config.head.local === undefined
      ) {
        return yield* Effect.fail(
          userError("--embedding parts needs a model with PCB parts (head.parts) or a local branch (head.local)")
        )
      }
      const view = {
        height,
        width,
        batchSize: flags.batchSize,
        flip: flags.flip,
        normalize: flags.normalize,
        embedding: flags.embedding
      }
      const embed = (items: ReadonlyArray<Item.Item>) =>
        Evaluate.embedItems(saved.model, items, view).pipe(Effect.mapError((e) => userError(e.message)))
      yield* Console.log(
        `reidfx test: ${saved.kind} ${saved.source} (${saved.model.config.backbone.kind}, ${saved.model.featureDim}-d ${flags.embedding}), input ${height}x${width}` +
          `${flags.flip ? ", flip" : ""}${flags.normalize ? ", L2-normalised" : ""}; backend ${info.name}`
      )
      const report: Record<string, unknown> = {
        model: {
          source: saved.source,
          kind: saved.kind,
          backbone: saved.model.config.backbone.kind,
          featureDim: saved.model.featureDim
        },
        input: { height, width, flip: flags.flip, normalize: flags.normalize, embedding: flags.embedding }
      }
      if (source._tag === "List") {
        const e = yield* embed(source.items)
        yield* writeSplit(out, "", e, source.items)
        yield* writeOut(
          path.join(out, "results.json"),
          `${JSON.stringify({ ...report, images: e.rows, files: ["features.npy", "paths.txt"] }, null, 2)}\n`
        )
        yield* Console.log(
          `embedded ${e.rows} images (${e.dim}-d) into ${out}/features.npy (rows in the order of ${out}/paths.txt)`
        )
        return
      }
      const dataset = source.dataset
      if (flags.split === "train" || flags.split === "all") {
        if (dataset.train.length === 0)
          return yield* Effect.fail(userError(`${dataset.name}: the train split is empty`))
        const e = yield* embed(dataset.train)
        yield* writeSplit(out, "train_", e, dataset.train)
        yield* Console.log(`train: ${e.rows} images -> ${out}/train_features.npy`)
        if (flags.split === "train") {
          yield* writeOut(
            path.join(out, "results.json"),
            `${JSON.stringify({ ...report, dataset: dataset.name, train: e.rows }, null, 2)}\n`
          )
          return
        }
      }
      if (dataset.query.length === 0 || dataset.gallery.length === 0) {
        return yield* Effect.fail(
          userError(
            `${dataset.name}: no query / gallery split to evaluate (${dataset.query.length} queries, ${dataset.gallery.length} gallery items); use --split train`
          )
        )
      }
      const q = yield* embed(dataset.query)
      const g = yield* embed(dataset.gallery)
      yield* writeSplit(out, "query_", q, dataset.query)
      yield* writeSplit(out, "gallery_", g, dataset.gallery)
      const options = { metric: flags.metric, averagePrecision: flags.ap }
      const qm = { data: q.data, rows: q.rows, dim: q.dim }
      const gm = { data: g.data, rows: g.rows, dim: g.dim }
      const original = yield* fromFailure(() =>
        evaluateRanking(
          { query: { features: qm, ids: q.ids, cams: q.cams }, gallery: { features: gm, ids: g.ids, cams: g.cams } },
          options
        )
      )
      const rows: Array<readonly [string, RankingResult]> = [["original", original]]
      let shownDistances: ArrayLike<number> = yield* fromFailure(() =>
        pairwiseDistances(qm, gm, { metric: flags.metric })
      )
      if (flags.rerank) {
        const [rq, rg] = flags.metric === "cosine" ? [Features.l2Normalize(qm), Features.l2Normalize(gm)] : [qm, gm]
        const d = yield* fromFailure(() => reRankFeatures(rq, rg, { k1: flags.k1, k2: flags.k2, lambda: flags.lambda }))
        rows.push(["re-ranked", yield* fromFailure(() => rankingFromDistances(d, q, g, options))])
        shownDistances = d
      }
      yield* Console.log(`${dataset.name}: ${q.rows} queries, ${g.rows} gallery images, ${q.dim}-d, ${flags.metric}`)
      yield* Console.log(formatTable(rows))
      const files = [
        "query_features.npy",
        "query_ids.npy",
        "query_cams.npy",
        "query_paths.txt",
        "gallery_features.npy",
        "gallery_ids.npy",
        "gallery_cams.npy",
        "gallery_paths.txt"
      ]
      if (flags.visrank > 0) {
        const pic = yield* Visrank.write(
          shownDistances,
          { paths: dataset.query.map(DatasetSource.pathOf), ids: q.ids, cams: q.cams },
          { paths: dataset.gallery.map(DatasetSource.pathOf), ids: g.ids, cams: g.cams },
          out,
          {
            topK: flags.visrank,
            queries: flags.visrankQueries,
            title: `${dataset.name}: ${flags.rerank ? "re-ranked" : flags.metric} top-${flags.visrank}`
          }
        )
        files.push("ranked.html", "ranked.png")
        yield* Console.log(`ranked lists of ${pic.rows.length} queries: ${pic.html}, ${pic.png}`)
      }
      const results = {
        ...report,
        dataset: dataset.name,
        options: {
          ...options,
          ...(flags.rerank ? { reRanking: { k1: flags.k1, k2: flags.k2, lambda: flags.lambda } } : {})
        },
        original: summary(original),
        ...(rows.length > 1 ? { reRanked: summary(rows[1]![1]) } : {}),
        files
      }
      yield* writeOut(path.join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`)
      yield* Console.log(`features, labels, paths and results.json in ${out}`)
    })
    yield* Effect.scoped(job)
  }).pipe(
    Effect.provide(BackendFlag.layer),
    Effect.mapError((e) => (e._tag === "UserError" ? e : userError(e.message)))
  )

const describe =
  "Load a saved model, embed a dataset (any layout, a CSV manifest or an image list) into .npy features, evaluate query/gallery (optionally re-ranked) and draw the ranked lists (ranked.html, ranked.png)"

/** `reidfx test`. */
export const testCommand = Command.make("test", testFlags, testHandler).pipe(Command.withDescription(describe))

/** `reidfx extract`: the same command under the name fast-reid / torchreid users look for. */
export const extractCommand = Command.make("extract", testFlags, testHandler).pipe(
  Command.withDescription(`${describe} (alias of test)`)
)
