/**
 * The main job: the strong ReID baseline of Luo et al. ("Bag of Tricks and a Strong Baseline for Deep Person
 * Re-identification", CVPRW 2019) on the built-in synthetic world.
 *
 * - data: the synthetic world's train split, PK batches (P identities x K images, Hermans et al. 2017),
 *   flip + pad/crop + random erasing;
 * - model: a backbone, global pooling, BNNeck, bias-free classifier;
 * - objective: cross-entropy with label smoothing on the logits + batch-hard triplet on the pre-neck features;
 * - optimizer: Adam with warmup then multistep decay;
 * - evaluation: Rank-1/5/10, mAP and mINP on the world's query/gallery split (cosine distance on the neck
 *   features), before and after training.
 *
 * Writes `<output>/<name>/results.json`, `config.json`, `checkpoint.ckpt` (resumable) and the weights as a tfjs
 * model directory `model/`.
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import { Augment, type CorruptImage, Dataset, ImageCache, Loader, Sampling, Synthetic } from "@reidfx/data"
import { Catalog, crossEntropyLabelSmooth, Objective, tripletBatchHard } from "@reidfx/metric"
import { Model, type ModelConfig, Weights, WeightsInit } from "@reidfx/model"
// biome-ignore lint/correctness/noUnusedImports: `Backend` names the requirement in the emitted declarations (tsc -b)
import { AtomicFile, type Backend, BoundedRead, describeCause, Interrupted, Rng, RunFolder } from "@reidfx/tensor"
import { Effect, Stream } from "effect"
import { LearningRate, Optimizer, OutputError, Progress as Progresses, RunFolderLog, Trainer } from "@reidfx/train"
import { RunConfigError } from "../errors.ts"
import { Provenance, Tracker } from "@reidfx/tensor"
import * as RunConfig from "../RunConfig.ts"
import * as DatasetConfig from "./DatasetConfig.ts"
import { evaluate, type Scores } from "./Evaluate.ts"

const { logged, Progress } = Progresses

/** What the job returns (and writes as `results.json`). */
export interface BaselineResult {
  readonly name: string
  readonly backend: string
  readonly dataset: {
    readonly trainImages: number
    readonly trainIdentities: number
    readonly queries: number
    readonly gallery: number
    readonly testIdentities: number
  }
  readonly model: { readonly backbone: string; readonly parameters: number }
  readonly objective: string
  readonly untrained: Scores
  readonly trained: Scores
  readonly training: {
    readonly epochs: number
    readonly steps: number
    readonly resumedAt: number
    readonly images: number
    readonly seconds: number
    readonly imagesPerSecond: number
    readonly epochSeconds: number
    readonly lastLosses: Readonly<Record<string, number>>
  }
  readonly wallSeconds: number
  readonly outputDir: string
  /** Version, commit, backend, Node, command line and config hash of the run (absent in results written before 0.1.0 had it). */
  readonly provenance?: Provenance.Provenance
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`

/** The side-by-side table of untrained and trained scores. */
export const table = (untrained: Scores, trained: Scores): string => {
  const rows: ReadonlyArray<readonly [string, keyof Scores]> = [
    ["Rank-1", "rank1"],
    ["Rank-5", "rank5"],
    ["Rank-10", "rank10"],
    ["mAP", "mAP"],
    ["mINP", "mINP"]
  ]
  const lines = ["| metric  | untrained | trained |", "|---------|-----------|---------|"]
  for (const [label, key] of rows)
    lines.push(`| ${label.padEnd(7)} | ${pct(untrained[key]).padStart(9)} | ${pct(trained[key]).padStart(7)} |`)
  return lines.join("\n")
}

/** Everything a run is made of, built from a decoded config (owned by the current Scope). */
export const setup = (config: RunConfig.RunConfig) =>
  Effect.gen(function* () {
    const d = config.data
    const world =
      config.dataset !== undefined
        ? undefined
        : yield* Synthetic.make({
            kind: d.objects === "vehicles" ? "vehicle" : "person",
            seed: d.seed ?? config.seed,
            identities: d.identities,
            ...(d.trainIdentities === undefined ? {} : { trainIdentities: d.trainIdentities }),
            cameras: d.cameras,
            imagesPerCamera: d.imagesPerCamera,
            height: d.height,
            width: d.width,
            difficulty: Synthetic.presets[d.difficulty]
          })
    const dataset = world?.dataset ?? (yield* readDataset(config))
    const { train, query, gallery } = dataset
    if (Dataset.identities(train).length < config.sampler.p) {
      return yield* new RunConfigError({
        source: "dataset",
        detail: `sampler.p: ${config.sampler.p} identities per batch, but ${dataset.name}'s train split has ${Dataset.identities(train).length}; lower sampler.p`
      })
    }
    const labels = Dataset.labelMap(train)
    const classes = labels.size
    const cache = ImageCache.make(512 * 1024 * 1024)
    const view = { height: d.height, width: d.width, batchSize: config.evalBatchSize, cache }
    const model = yield* Model.make({
      backbone: config.model.backbone,
      head: { ...config.model.head, classes }
    } as ModelConfig.ModelConfigInput)
    if (config.model.weights !== undefined) yield* WeightsInit.apply(model, config.model.weights)
    const objective = yield* Objective.make(
      crossEntropyLabelSmooth({ epsilon: config.loss.labelSmoothing, weight: config.loss.crossEntropyWeight }),
      tripletBatchHard({ margin: config.loss.tripletMargin, weight: config.loss.tripletWeight }),
      ...config.loss.terms.map((t) =>
        Catalog.term(t.name, { ...t.options, weight: t.weight }, { classes, dimension: model.featureDim })
      )
    )
    const optimizer = yield* Optimizer.fromConfig(config.optimizer)
    const spec = { _tag: "PK", p: config.sampler.p, k: config.sampler.k } as const

    const stepsPerEpoch = Sampling.batchesPerEpoch(train, spec)
    const schedule = LearningRate.make(config.schedule, { stepsPerEpoch, totalEpochs: config.epochs })
    const augment = new Augment.AugmentOptions({
      flip: config.augment.flip,
      pad: config.augment.pad,
      ...(config.augment.erasing > 0 ? { erasing: new Augment.ErasingOptions({ p: config.augment.erasing }) } : {})
    })
    const source: Trainer.EpochSource<CorruptImage> = {
      stepsPerEpoch,
      epoch: (epoch, rng) => {
        const seed = rng.nextUint32()
        const plans = Sampling.epochPlans(train, spec, { seed, epoch, labels })
        return Loader.batchStream(Stream.fromIterable(plans), {
          height: d.height,
          width: d.width,
          augment,
          seed,
          cache,
          prefetch: 2
        }).pipe(Stream.map((b): Trainer.StepInput => ({ images: b.images, labels: b.labels, cams: b.cams })))
      }
    }
    const learner: Trainer.Learner = {
      name: "model",
      model,
      objective,
      optimizer,
      schedule: schedule.at,
      clipNorm: config.clipNorm
    }
    return {
      world,
      dataset,
      train,
      query,
      gallery,
      classes,
      view,
      model,
      objective,
      optimizer,
      spec,
      stepsPerEpoch,
      source,
      learner
    }
  })

/** The run's dataset on disk (`config.dataset`); a missing folder or bad metadata is a {@link RunConfigError}. */
const readDataset = (config: RunConfig.RunConfig) =>
  DatasetConfig.read(config.dataset!).pipe(
    Effect.mapError((e) => new RunConfigError({ source: "dataset", detail: e.message })),
    Effect.flatMap((d) =>
      d.kind === "video"
        ? Effect.fail(
            new RunConfigError({
              source: "dataset",
              detail: `${d.name} is a video dataset (tracklets); reidfx train takes image datasets`
            })
          )
        : d.train.length === 0
          ? Effect.fail(new RunConfigError({ source: "dataset", detail: `${d.name}: the train split is empty` }))
          : Effect.succeed(d)
    )
  )

const CHECKPOINT = "checkpoint.ckpt"

const readJson = (file: string): Effect.Effect<unknown, OutputError> =>
  Effect.tryPromise({
    try: async () => {
      const exists = await fs.stat(file).then(
        () => true,
        () => false
      )
      return exists ? (JSON.parse(await BoundedRead.readTextPromise(file)) as unknown) : undefined
    },
    catch: (e) => new OutputError({ path: file, detail: `cannot read: ${BoundedRead.reasonOf(e)}` })
  })

/**
 * Owns the run folder `out` for the current Scope (a lock refusing a second writer, stale temporaries removed)
 * and checks the run may go on there: without `resume`, a folder holding a run (a checkpoint or results) is
 * refused instead of overwritten; with `resume`, the stored `config.json` must equal the config (the differing
 * keys are listed). Writes `config.json` for a new run. Returns the stored results when the run is already
 * complete and resumed (nothing to train, nothing rewritten).
 */
const guardRunFolder = (out: string, config: RunConfig.RunConfig) =>
  Effect.gen(function* () {
    yield* RunFolder.own(out, "train").pipe(Effect.mapError((e) => new OutputError({ path: out, detail: e.reason })))
    Interrupted.setHint("rerun the same command with --resume to continue")
    const hasCheckpoint = yield* Effect.promise(() =>
      fs.stat(path.join(out, CHECKPOINT)).then(
        () => true,
        () => false
      )
    )
    const results = (yield* readJson(path.join(out, "results.json"))) as BaselineResult | undefined
    const storedConfig = yield* readJson(path.join(out, "config.json"))
    if (!config.resume && (hasCheckpoint || results !== undefined)) {
      return yield* new OutputError({
        path: out,
        detail: `already holds a run (${hasCheckpoint ? "a checkpoint" : "results"}); pass --resume to continue it, or choose another --name (nothing was overwritten)`
      })
    }
    const encoded = RunConfig.encode(config)
    if (config.resume && storedConfig !== undefined) {
      const diff = RunConfig.differences(storedConfig, encoded)
      if (diff.length > 0) {
        return yield* new OutputError({
          path: out,
          detail: `--resume with a different configuration (${diff.join("; ")}); resume with the stored settings or choose another --name`
        })
      }
    }
    if (storedConfig === undefined) {
      yield* Effect.tryPromise({
        try: () => AtomicFile.writeFilePromise(path.join(out, "config.json"), JSON.stringify(encoded, null, 2)),
        catch: (e) => new OutputError({ path: out, detail: `cannot write config.json: ${describeCause(e)}` })
      })
    }
    // a complete run, resumed: report the stored results, rewrite nothing
    if (config.resume && results !== undefined && results.training?.epochs === config.epochs) return results
    return undefined
  })

/** Runs the strong baseline described by a decoded run config. */
export const run = (config: RunConfig.RunConfig, logging: RunFolderLog.LogOptions = {}) =>
  Effect.gen(function* () {
    const started = performance.now()
    const out = path.resolve(config.output, config.name)
    const stored = yield* guardRunFolder(out, config)
    if (stored !== undefined) return stored
    // every step and both evaluations go to the run folder's history, TensorBoard files and trackers
    const provenance = yield* Provenance.current(RunConfig.encode(config))
    const log = yield* Tracker.open(RunFolderLog.trackers(out, logging), {
      name: config.name,
      config: RunConfig.encode(config),
      provenance
    })
    const progress = logged(yield* Progress, log)
    const evaluation = (step: number, scores: Scores) =>
      log.record({
        kind: "evaluation",
        step,
        time: Date.now() / 1000,
        where: { testSet: "synthetic" },
        values: { ...scores }
      })
    yield* progress.message(Provenance.lines(provenance).join("\n"))
    const d = config.data
    const { dataset, train, query, gallery, classes, view, model, objective, spec, stepsPerEpoch, source, learner } =
      yield* setup(config)
    yield* progress.message(
      `${config.dataset === undefined ? `synthetic ${d.objects}` : dataset.name}: ${train.length} train images of ${classes} identities; ${query.length} queries and ${gallery.length} gallery images of ${Dataset.identities(query).length} unseen identities (${d.height}x${d.width}${config.dataset === undefined ? `, ${d.difficulty}` : ""})`
    )
    yield* progress.message(
      `model: ${config.model.backbone.kind}, ${model.parameterCount.toLocaleString("en-US")} parameters; objective: ${objective.formula}`
    )
    yield* progress.message(
      `optimizer: ${config.optimizer.kind}, lr ${config.schedule.learningRate}; ${config.epochs} epochs x ${stepsPerEpoch} steps of ${spec.p}x${spec.k} images`
    )

    const untrained = yield* evaluate(model, { query, gallery }, view)
    yield* evaluation(0, untrained)
    yield* progress.message(`untrained: Rank-1 ${pct(untrained.rank1)}, mAP ${pct(untrained.mAP)}`)

    const checkpoint = path.join(out, CHECKPOINT)
    const fit = yield* Trainer.fit({
      learners: [learner],
      source,
      epochs: config.epochs,
      label: config.name,
      resume: config.resume,
      checkpoint: {
        path: checkpoint,
        meta: RunConfig.encode(config),
        ...(config.checkpointEverySteps === undefined ? {} : { everySteps: config.checkpointEverySteps })
      }
    }).pipe(Effect.provideService(Progress, progress))

    const trained = yield* evaluate(model, { query, gallery }, view)
    yield* evaluation(fit.steps, trained)
    yield* Weights.save(model, path.join(out, "model"))
    const result: BaselineResult = {
      name: config.name,
      backend: tf.getBackend(),
      dataset: {
        trainImages: train.length,
        trainIdentities: classes,
        queries: query.length,
        gallery: gallery.length,
        testIdentities: Dataset.identities(query).length
      },
      model: { backbone: config.model.backbone.kind, parameters: model.parameterCount },
      objective: objective.formula,
      untrained,
      trained,
      training: {
        epochs: config.epochs,
        steps: fit.steps,
        resumedAt: fit.resumedAt,
        images: fit.images,
        seconds: fit.seconds,
        imagesPerSecond: fit.imagesPerSecond,
        epochSeconds: fit.epochs.length === 0 ? 0 : fit.epochs.reduce((s, e) => s + e.seconds, 0) / fit.epochs.length,
        lastLosses: fit.last?.learners[0]?.terms ?? {}
      },
      wallSeconds: (performance.now() - started) / 1000,
      outputDir: out,
      provenance
    }
    yield* Effect.tryPromise({
      try: async () => {
        await AtomicFile.writeFilePromise(path.join(out, "results.json"), JSON.stringify(result, null, 2))
      },
      catch: (e) => new OutputError({ path: out, detail: `cannot write the results: ${describeCause(e)}` })
    })
    return result
  }).pipe(Effect.scoped, Rng.withSeed(config.seed))
