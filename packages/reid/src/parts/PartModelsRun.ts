/**
 * Runs a `parts` protocol (`PartModelsProtocol.ts`): per seed, the AlignedReID mutual pair and the PCB model are
 * trained on the synthetic world's training identities and evaluated on its queries and gallery (single-query
 * mAP, same-camera matches of the query's own camera left out, as Market-1501):
 *
 * - each AlignedReID model by `d_g` (Euclidean distance of the L2-normalised BNNeck features), `d_l` (the
 *   aligned local distance, `LocalDistance.blocked`: shortest path over normalised stripe distances) and
 *   `d_g + w d_l` (`combinedLocalWeight`), as the paper evaluates;
 * - PCB by its part descriptor (`pcbDescriptor`: the L2-normalised parts concatenated, Euclidean) and by its
 *   global (BNNeck) features; the attribute head by mA (and instance F1) on the query images' identity labels.
 *
 * Each (seed, model) is a stage of the run engine's journal (`StageJournal`), so an interrupted run resumes after
 * its last trained model. The results are the mean and sample standard deviation over seeds.
 * @since 0.1.0
 */
import {
  Batch,
  type CorruptImage,
  Dataset,
  ImageCache,
  type Item,
  Loader,
  Sampling,
  type SamplerError,
  Synthetic,
  SyntheticAnnotations
} from "@reidfx/data"
import { localMetricMutual, metricMutual, Peer } from "@reidfx/distill"
import { attributeScores, type FeatureMatrix, pairwiseDistances, rankingFromDistances } from "@reidfx/eval"
import {
  alignedTriplet,
  attributeBce,
  crossEntropyLabelSmooth,
  LocalDistance,
  Objective,
  partCrossEntropy,
  tripletBatchHard
} from "@reidfx/metric"
import { Model, type ModelConfig, pcbDescriptor, type TrainableModel } from "@reidfx/model"
import { type Backend, type InvalidOption, Rng } from "@reidfx/tensor"
import { type CheckpointError, type NonFiniteLoss, Optimizer, type StepFailed, Trainer } from "@reidfx/train"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Stream } from "effect"
import { Progress, type RunStoreError, StageJournal } from "@reidfx/continual"
import type { PartsProtocol } from "./PartModelsProtocol.ts"
import * as PoseGuided from "./PoseGuided.ts"

/** mAP (0..1) of one AlignedReID model by each distance. @category models */
export interface AlignedScores {
  readonly global: number
  readonly local: number
  readonly combined: number
}

/** mAP (0..1) of the PCB model by its parts and by its global features; attribute mA and F1 when it has the head. */
export interface PcbScores {
  readonly parts: number
  readonly global: number
  readonly mA?: number
  readonly f1?: number
}

/** mAP (0..1) of the pose-guided model by its visibility-weighted part distance and its global features. */
export interface PoseScores {
  readonly parts: number
  readonly global: number
}

/** One seed's results (`pose` when the protocol enables the pose-guided model). @category models */
export interface SeedScores {
  readonly seed: number
  readonly aligned: readonly [AlignedScores, AlignedScores]
  readonly pcb: PcbScores
  readonly pose?: PoseScores
}

/** A figure over seeds: mean and sample standard deviation (0 with one seed). */
export interface Spread {
  readonly mean: number
  readonly std: number
}

/** The rows of the report: mAP (0..1) by model and distance, over seeds. @category models */
export interface PartsSummary {
  readonly rows: ReadonlyArray<{ readonly model: string; readonly distance: string; readonly mAP: Spread }>
  readonly attributes?: { readonly mA: Spread; readonly f1: Spread }
}

/** What a run returns. @category models */
export interface PartsRun {
  readonly protocol: string
  readonly world: { readonly train: number; readonly query: number; readonly gallery: number; readonly classes: number }
  readonly seeds: ReadonlyArray<SeedScores>
  readonly summary: PartsSummary
  readonly seconds: number
}

/** Everything a run can fail with. @category errors */
export type PartsRunError =
  | InvalidOption
  | NonFiniteLoss
  | StepFailed
  | CheckpointError
  | CorruptImage
  | SamplerError
  | RunStoreError

/** Mean and sample standard deviation. @category math */
export const spread = (xs: ReadonlyArray<number>): Spread => {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length
  const std = xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1))
  return { mean, std }
}

/** The summary rows of seeds' results (AlignedReID a and b by each distance, PCB by parts and global). @category math */
export const summarize = (seeds: ReadonlyArray<SeedScores>): PartsSummary => {
  const rows: Array<PartsSummary["rows"][number]> = []
  for (const [k, name] of ["AlignedReID a", "AlignedReID b"].entries())
    for (const distance of ["global", "local", "combined"] as const)
      rows.push({ model: name, distance, mAP: spread(seeds.map((s) => s.aligned[k]![distance])) })
  rows.push({ model: "PCB", distance: "parts", mAP: spread(seeds.map((s) => s.pcb.parts)) })
  rows.push({ model: "PCB", distance: "global", mAP: spread(seeds.map((s) => s.pcb.global)) })
  const posed = seeds.flatMap((s) => (s.pose === undefined ? [] : [s.pose]))
  if (posed.length > 0) {
    rows.push({ model: "Pose-guided", distance: "parts", mAP: spread(posed.map((s) => s.parts)) })
    rows.push({ model: "Pose-guided", distance: "global", mAP: spread(posed.map((s) => s.global)) })
  }
  const withAttributes = seeds.filter((s) => s.pcb.mA !== undefined)
  return withAttributes.length === 0
    ? { rows }
    : {
        rows,
        attributes: {
          mA: spread(withAttributes.map((s) => s.pcb.mA!)),
          f1: spread(withAttributes.map((s) => s.pcb.f1!))
        }
      }
}

const matrix = (t: tf.Tensor2D): FeatureMatrix => ({
  data: t.dataSync() as Float32Array,
  rows: t.shape[0],
  dim: t.shape[1]
})

/** The world, its loader and its label map for a protocol. @category constructors */
export const prepareWorld = (protocol: PartsProtocol) =>
  Effect.map(
    Synthetic.make({
      identities: protocol.world.identities,
      cameras: protocol.world.cameras,
      ...(protocol.world.camerasPerIdentity === undefined
        ? {}
        : { camerasPerIdentity: protocol.world.camerasPerIdentity }),
      imagesPerCamera: protocol.world.imagesPerCamera,
      difficulty: Synthetic.presets[protocol.world.difficulty],
      seed: protocol.world.seed
    }),
    (world) => ({
      world,
      labels: Dataset.labelMap(world.dataset.train),
      loader: {
        height: protocol.training.height,
        width: protocol.training.width,
        cache: ImageCache.make(256 * 1024 * 1024),
        prefetch: 2
      }
    })
  )
type Prepared = Effect.Success<ReturnType<typeof prepareWorld>>

/** The 51 keypoint numbers of each image of a host batch, at the loader's size (`world.annotate`). */
const keypointsOfPlan = (w: Prepared, items: ReadonlyArray<ReadonlyArray<Item.Item>>) =>
  items.map((entry) => {
    const item = entry[0]!
    const shot = item.source._tag === "Rendered" ? w.world.shotOf(item.source.key) : undefined
    return PoseGuided.flatKeypoints(
      shot === undefined ? undefined : w.world.annotate(shot, w.loader.height, w.loader.width).keypoints
    )
  })

const attributesOf = (world: Synthetic.SyntheticWorld, id: number) => SyntheticAnnotations.attributes(world.person(id))

/** PK batches of the training identities, with their attribute labels. */
const source = (
  protocol: PartsProtocol,
  w: Prepared,
  keypoints = false
): Trainer.EpochSource<CorruptImage | SamplerError> => {
  const t = protocol.training
  return {
    stepsPerEpoch: t.stepsPerEpoch,
    epoch: (epoch, rng) =>
      Stream.fromEffect(
        Sampling.epochPlansEffect(
          w.world.dataset.train,
          { _tag: "PK", p: t.identities, k: t.instances },
          { seed: rng.nextUint32(), epoch, labels: w.labels }
        )
      ).pipe(
        Stream.flatMap((plans) =>
          Loader.hostStream(
            Stream.fromIterable(Array.from({ length: t.stepsPerEpoch }, (_, i) => plans[i % plans.length]!)),
            w.loader
          )
        ),
        Stream.map((host): Trainer.StepInput => {
          const b = Batch.toTensors(host)
          return {
            images: b.images,
            ...(keypoints ? { keypoints: PoseGuided.keypointsTensor(keypointsOfPlan(w, host.plan.entries)) } : {}),
            labels: b.labels,
            cams: b.cams,
            attributes: tf.tensor2d(Array.from(b.ids).map((id) => attributesOf(w.world, id)))
          }
        })
      )
  }
}

const learner = (protocol: PartsProtocol, name: string, model: TrainableModel, objective: Objective.ObjectiveService) =>
  Effect.map(
    Optimizer.make({ kind: "adam", weightDecay: protocol.training.weightDecay }),
    (optimizer): Trainer.Learner => ({
      name,
      model,
      objective,
      optimizer,
      schedule: () => protocol.training.learningRate
    })
  )

/** Inference outputs of items, in order: global (BNNeck) features, local features, attribute logits. */
const outputsOf = (model: TrainableModel, items: ReadonlyArray<Item.Item>, w: Prepared) =>
  Effect.gen(function* () {
    const globals: Array<tf.Tensor> = []
    const locals: Array<tf.Tensor> = []
    const attrs: Array<tf.Tensor> = []
    yield* Stream.runForEach(
      Loader.hostStream(Stream.fromIterable(Sampling.evaluationPlans(items, 32)), w.loader),
      (host) =>
        Effect.sync(() => {
          const batch = Batch.toTensors(host)
          const out = tf.tidy(() => {
            const o = model.forward(batch.images as tf.Tensor4D, { training: false })
            return { global: o.neckFeatures ?? o.features, local: o.localFeatures, attributes: o.attributeLogits }
          })
          globals.push(out.global)
          if (out.local !== undefined) locals.push(out.local)
          if (out.attributes !== undefined) attrs.push(out.attributes)
          Batch.dispose(batch)
        })
    )
    const cat = (ts: Array<tf.Tensor>) => {
      if (ts.length === 0) return undefined
      const t = tf.concat(ts)
      tf.dispose(ts)
      return t
    }
    return {
      global: cat(globals) as tf.Tensor2D,
      local: cat(locals) as tf.Tensor3D | undefined,
      attributes: cat(attrs) as tf.Tensor2D | undefined
    }
  })

const labelsOf = (items: ReadonlyArray<Item.Item>) => ({ ids: items.map((i) => i.id), cams: items.map((i) => i.cam) })

const mAPOf = (distances: Float32Array, w: Prepared) => {
  const { query, gallery } = w.world.dataset
  return rankingFromDistances(distances, labelsOf(query), labelsOf(gallery), {
    maxRank: Math.min(10, gallery.length)
  }).mAP
}

/** mAP of an AlignedReID model by the global, the local and the combined distance. @category evaluation */
export const alignedScores = (model: TrainableModel, w: Prepared, localWeight: number) =>
  Effect.gen(function* () {
    const q = yield* outputsOf(model, w.world.dataset.query, w)
    const g = yield* outputsOf(model, w.world.dataset.gallery, w)
    const [qn, gn] = tf.tidy(() => [q.global, g.global].map((t) => tf.div(t, tf.norm(t, 2, 1, true)) as tf.Tensor2D))
    const dg = pairwiseDistances(matrix(qn!), matrix(gn!), { metric: "euclidean" })
    const dl = LocalDistance.blocked(q.local!, g.local!)
    const combined = dg.map((v, k) => v + localWeight * dl[k]!)
    tf.dispose([q.global, q.local!, g.global, g.local!, qn!, gn!])
    return { global: mAPOf(dg, w), local: mAPOf(dl, w), combined: mAPOf(combined, w) } satisfies AlignedScores
  })

/** mAP of a PCB model by its part descriptor and its global features; its attribute mA. @category evaluation */
export const pcbScores = (model: TrainableModel, w: Prepared) =>
  Effect.gen(function* () {
    const q = yield* outputsOf(model, w.world.dataset.query, w)
    const g = yield* outputsOf(model, w.world.dataset.gallery, w)
    const [qd, gd] = [pcbDescriptor(q.local!), pcbDescriptor(g.local!)]
    const parts = mAPOf(pairwiseDistances(matrix(qd), matrix(gd), { metric: "euclidean" }), w)
    const global = mAPOf(pairwiseDistances(matrix(q.global), matrix(g.global), { metric: "euclidean" }), w)
    let attributes: { mA: number; f1: number } | undefined
    if (q.attributes !== undefined) {
      const truth = w.world.dataset.query.flatMap((i) => attributesOf(w.world, i.id))
      const s = attributeScores(q.attributes.dataSync(), truth, SyntheticAnnotations.attributeNames.length)
      attributes = { mA: s.mA, f1: s.f1 }
    }
    tf.dispose([q.global, q.local!, g.global, g.local!, qd, gd])
    if (q.attributes !== undefined) tf.dispose([q.attributes, g.attributes!])
    return { parts, global, ...attributes } satisfies PcbScores
  })

/** mAP of the pose-guided model by its visibility-weighted part distance and its global features. */
export const poseScores = (model: TrainableModel, w: Prepared, margin: number) =>
  Effect.gen(function* () {
    const forward = PoseGuided.poseForward(model, { margin })
    const outputs = (items: ReadonlyArray<Item.Item>) =>
      Effect.gen(function* () {
        const parts: Array<Float32Array> = []
        const visible: Array<Float32Array> = []
        const globals: Array<Float32Array> = []
        yield* Stream.runForEach(
          Loader.hostStream(Stream.fromIterable(Sampling.evaluationPlans(items, 32)), w.loader),
          (host) =>
            Effect.sync(() => {
              const batch = Batch.toTensors(host)
              const [u, v, g] = tf.tidy(() => {
                const o = forward(batch.images as tf.Tensor4D, false, keypointsOfPlan(w, host.plan.entries))
                return [o.localFeatures, o.partVisibility, o.neckFeatures ?? o.features]
              })
              parts.push(u!.dataSync() as Float32Array)
              visible.push(v!.dataSync() as Float32Array)
              globals.push(g!.dataSync() as Float32Array)
              tf.dispose([u!, v!, g!])
              Batch.dispose(batch)
            })
        )
        const cat = (xs: Array<Float32Array>) => {
          const out = new Float32Array(xs.reduce((n, x) => n + x.length, 0))
          let offset = 0
          for (const x of xs) {
            out.set(x, offset)
            offset += x.length
          }
          return out
        }
        const rows = items.length
        const u = cat(parts)
        const g = cat(globals)
        return {
          parts: { data: u, rows, dim: u.length / rows, parts: PoseGuided.poseParts, visible: cat(visible) },
          global: { data: g, rows, dim: g.length / rows }
        }
      })
    const q = yield* outputs(w.world.dataset.query)
    const g = yield* outputs(w.world.dataset.gallery)
    return {
      parts: mAPOf(PoseGuided.partDistance(q.parts, g.parts), w),
      global: mAPOf(pairwiseDistances(q.global, g.global, { metric: "euclidean" }), w)
    } satisfies PoseScores
  })

/** The model configs of the protocol (`classes`: training identities). @category constructors */
export const modelConfigs = (protocol: PartsProtocol, classes: number) => {
  const { aligned, pcb } = protocol
  const alignedConfig: typeof ModelConfig.ModelConfig.Encoded = {
    backbone: protocol.backbone,
    head: {
      classes,
      embedding: aligned.embedding,
      local: { channels: aligned.localChannels, pooling: aligned.localPooling }
    }
  }
  const pcbConfig: typeof ModelConfig.ModelConfig.Encoded = {
    backbone: protocol.backbone,
    head: {
      classes,
      embedding: pcb.embedding,
      parts: { parts: pcb.parts, channels: pcb.channels, refined: pcb.refined },
      ...(pcb.attributes ? { attributes: SyntheticAnnotations.attributeNames.length } : {})
    }
  }
  return { aligned: alignedConfig, pcb: pcbConfig }
}

const trainFor = (protocol: PartsProtocol, w: Prepared, label: string, learners: ReadonlyArray<Trainer.Learner>) =>
  Trainer.fit({ learners, source: source(protocol, w), epochs: protocol.training.epochs, label })

/** Trains and evaluates the AlignedReID mutual pair of one seed (scoped: the models are freed after). */
const alignedStage = (protocol: PartsProtocol, w: Prepared, seed: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const { aligned } = modelConfigs(protocol, w.labels.size)
      const spec = protocol.aligned
      const a = yield* Rng.withSeed(Model.make(aligned), 1000 * seed + 1)
      const b = yield* Rng.withSeed(Model.make(aligned), 1000 * seed + 2)
      const objective = (peer: TrainableModel) =>
        Objective.make(
          crossEntropyLabelSmooth({ epsilon: spec.labelSmoothing }),
          alignedTriplet({
            globalMargin: spec.globalMargin,
            localMargin: spec.localMargin,
            localWeight: spec.localWeight
          }),
          ...(spec.mutualGlobal > 0
            ? [metricMutual({ normalize: true, directions: "fromPeer", weight: spec.mutualGlobal })]
            : []),
          ...(spec.mutualLocal > 0 ? [localMetricMutual({ directions: "fromPeer", weight: spec.mutualLocal })] : [])
        ).pipe(
          Effect.provide(
            Peer.fromForward((x) => peer.forward(x as tf.Tensor4D, { training: true }), {
              name: "peer",
              variables: peer.trainableVariables
            })
          )
        )
      yield* trainFor(protocol, w, `seed ${seed}: AlignedReID mutual pair`, [
        yield* learner(protocol, "a", a, yield* objective(b)),
        yield* learner(protocol, "b", b, yield* objective(a))
      ])
      const sa = yield* alignedScores(a, w, spec.combinedLocalWeight)
      const sb = yield* alignedScores(b, w, spec.combinedLocalWeight)
      return [sa, sb] as const
    })
  )

/** Trains and evaluates the PCB model (with its attribute head) of one seed. */
const pcbStage = (protocol: PartsProtocol, w: Prepared, seed: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const { pcb } = modelConfigs(protocol, w.labels.size)
      const spec = protocol.pcb
      const model = yield* Rng.withSeed(Model.make(pcb), 1000 * seed + 3)
      const objective = yield* Objective.make(
        partCrossEntropy(),
        tripletBatchHard({ margin: spec.tripletMargin }),
        ...(spec.attributes ? [attributeBce({ weighting: spec.attributeWeighting, weight: spec.attributeWeight })] : [])
      )
      yield* trainFor(protocol, w, `seed ${seed}: PCB`, [yield* learner(protocol, "pcb", model, objective)])
      return yield* pcbScores(model, w)
    })
  )

/** Trains and evaluates the pose-guided model of one seed (`PoseGuided.ts`). */
const poseStage = (protocol: PartsProtocol, w: Prepared, seed: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const spec = protocol.pose
      const model = yield* Rng.withSeed(
        Model.make(
          PoseGuided.poseModelConfig({
            backbone: protocol.backbone,
            classes: w.labels.size,
            embedding: spec.embedding,
            channels: spec.channels
          })
        ),
        1000 * seed + 4
      )
      const forward = PoseGuided.poseForward(model, { margin: spec.margin })
      const objective = yield* Objective.make(
        crossEntropyLabelSmooth({ epsilon: spec.labelSmoothing }),
        tripletBatchHard({ margin: spec.tripletMargin }),
        ...(spec.partClassifiers ? [partCrossEntropy()] : [])
      )
      const l = yield* learner(protocol, "pose", model, objective)
      yield* Trainer.fit({
        learners: [{ ...l, forward: (x, training, side) => forward(x as tf.Tensor4D, training, side.keypoints) }],
        source: source(protocol, w, true),
        epochs: protocol.training.epochs,
        label: `seed ${seed}: pose-guided`
      })
      return yield* poseScores(model, w, spec.margin)
    })
  )

/** A stage's detail line: mAP (in %) by distance, e.g. `mAP global 12.3, local 10.1`. */
const mAPText = (scores: Readonly<Record<string, number>>): string =>
  `mAP ${Object.entries(scores)
    .map(([distance, mAP]) => `${distance} ${(100 * mAP).toFixed(1)}`)
    .join(", ")}`

/**
 * Runs every seed of a protocol (see the module doc); with `out`, each (seed, model) is committed to the run
 * folder's journal and skipped when the run is started again. @category running
 */
export const run = (
  protocol: PartsProtocol,
  options: { readonly out?: string } = {}
): Effect.Effect<PartsRun, PartsRunError, Backend.Backend> =>
  Effect.gen(function* () {
    const started = performance.now()
    const w = yield* prepareWorld(protocol)
    const { train, query, gallery } = w.world.dataset
    yield* Progress.emit({
      _tag: "RunStarted",
      protocol: protocol.name,
      units: protocol.seeds.length,
      out: options.out
    })
    yield* Progress.emit({
      _tag: "Note",
      method: protocol.name,
      seed: -1,
      line: `${protocol.name}: ${w.labels.size} training identities (${train.length} images), ${query.length} queries, ${gallery.length} gallery images`
    })
    const seeds: Array<SeedScores> = []
    for (const [i, seed] of protocol.seeds.entries()) {
      const journal = yield* StageJournal.open(options.out, `seed-${seed}`)
      yield* Progress.emit({
        _tag: "UnitStarted",
        method: protocol.name,
        seed,
        unit: i + 1,
        units: protocol.seeds.length,
        resumed: journal.state().completed.length
      })
      const t0 = performance.now()
      // each stage reports StageStarted / StageDone to the Progress service, as a lifelong run's stages do
      const progress = <A>(task: string, detail: (value: A) => string): StageJournal.StageProgress<A> => ({
        method: protocol.name,
        seed,
        task,
        stage: "train+evaluate",
        detail
      })
      const aligned = yield* StageJournal.stage(
        journal,
        "aligned",
        alignedStage(protocol, w, seed).pipe(Rng.withSeed(seed)),
        progress("aligned", (pair) => pair.map((p, i) => `${"ab"[i]} ${mAPText(p)}`).join("; "))
      )
      const pcb = yield* StageJournal.stage(
        journal,
        "pcb",
        pcbStage(protocol, w, seed).pipe(Rng.withSeed(seed)),
        progress("pcb", (scores: PcbScores) => mAPText({ parts: scores.parts, global: scores.global }))
      )
      const pose = protocol.pose.enabled
        ? (yield* StageJournal.stage(
            journal,
            "pose",
            poseStage(protocol, w, seed).pipe(Rng.withSeed(seed)),
            progress("pose", mAPText)
          )).value
        : undefined
      seeds.push({ seed, aligned: aligned.value, pcb: pcb.value, ...(pose === undefined ? {} : { pose }) })
      yield* Progress.emit({ _tag: "UnitDone", method: protocol.name, seed, seconds: (performance.now() - t0) / 1000 })
    }
    const seconds = (performance.now() - started) / 1000
    yield* Progress.emit({ _tag: "RunDone", seconds })
    return {
      protocol: protocol.name,
      world: { train: train.length, query: query.length, gallery: gallery.length, classes: w.labels.size },
      seeds,
      summary: summarize(seeds),
      seconds
    }
  })

const percent = (s: Spread, seeds: number) =>
  seeds > 1 ? `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)}` : (100 * s.mean).toFixed(1)

/** The results as a Markdown table (mAP %, mean ± std over seeds). @category reporting */
export const toMarkdown = (r: PartsRun): string => {
  const n = r.seeds.length
  const lines = [
    `# ${r.protocol}`,
    "",
    `Synthetic world: ${r.world.classes} training identities (${r.world.train} images), ${r.world.query} queries, ${r.world.gallery} gallery images; seeds ${r.seeds.map((s) => s.seed).join(", ")}${n > 1 ? " (mean ± sample std)" : ""}.`,
    "",
    "| model | distance | mAP (%) |",
    "|---|---|---:|",
    ...r.summary.rows.map((row) => `| ${row.model} | ${row.distance} | ${percent(row.mAP, n)} |`)
  ]
  if (r.summary.attributes !== undefined)
    lines.push(
      "",
      `PCB attribute head on the query identities: mA ${percent(r.summary.attributes.mA, n)} %, instance F1 ${percent(r.summary.attributes.f1, n)} %.`
    )
  return `${lines.join("\n")}\n`
}
