/**
 * The learner of a protocol on the reidfx stack: `@reidfx/model` networks, the `@reidfx/train` trainer and
 * optimizers, `@reidfx/data` samplers and image pipeline, `@reidfx/metric` and `@reidfx/distill` terms,
 * `@reidfx/eval` ranking metrics.
 *
 * **The classifier grows.** A model is created with the classifier of the first task's identities (joint
 * training: all of them); at the start of each task it grows by that task's new identities (the old columns
 * are kept, the new ones initialised), so the head never knows a future class. The old model is a snapshot
 * of the model as it was, so its logits are exactly the old classes (what LwF reads).
 *
 * **Pretraining.** With `pretraining` in the protocol, every created model first loads the shared pretrained
 * weights (all but the classifier), computed once and cached (see `Pretraining`).
 *
 * Per task: a fresh optimizer (the protocol's, with warmup on the first task only), the method's sampler over
 * the task's training items, and the Objective of the method's terms. Terms that read the old model are
 * `Term<OldModel>`: they are built only when the runner passes an old model, which is provided to them as
 * the `OldModel` service (types make the Objective require it). The old model's logits are cut to the old
 * classes (those of earlier tasks, first in the classifier) for LwF.
 *
 * Evaluation: retrieval embeddings (after the BNNeck when there is one), Euclidean distance, Market-1501
 * rules (same identity and camera as the query is junk), mAP, CMC and mINP from `@reidfx/eval`, under the
 * protocol's evaluation setting (`EvaluationSetting`: flip test-time augmentation, L2 normalisation, AP variant).
 * @since 0.1.0
 */
import { Augment, Batch, ImageCache, Loader, Sampling } from "@reidfx/data"
import * as Distill from "@reidfx/distill"
import { evaluateRanking } from "@reidfx/eval"
import { type Catalog, Objective, type Term } from "@reidfx/metric"
import { BackboneCatalog, Model, type ModelConfig, type TrainableModel, Weights, WeightsInit } from "@reidfx/model"
import { Backend, type RandomStream, type Registry, Rng } from "@reidfx/tensor"
import { Optimizer, Progress as TrainProgress, Trainer } from "@reidfx/train"
import * as tf from "@tensorflow/tfjs-core"
import { Context, Effect, Exit, Layer, Option, Scope, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Learner as Learners, type Methods, type Metrics as MetricsModule } from "@reidfx/continual"
import type { MethodSpec, Protocol, TermSpec } from "../Protocol.ts"
import { TaskData } from "@reidfx/continual"
import * as BaselinePersistence from "../baselines/Persistence.ts"
import * as Baselines from "../baselines/Strategy.ts"
import * as Companion from "../krkc/Companion.ts"
import * as Consolidation from "../lstkc/Consolidation.ts"
import * as Lstkc from "../lstkc/Lstkc.ts"
import { Dataset, type Item } from "@reidfx/data"
import { botTerms } from "../Strategy.ts"
import * as Catalogs from "../Catalogs.ts"
import * as ReidMethods from "../ReidMethods.ts"
import * as SamplerCatalog from "../SamplerCatalog.ts"
import * as TermCatalog from "../TermCatalog.ts"
import type * as ObjectiveTerm from "../terms/ObjectiveTerm.ts"
import * as EvaluationSetting from "./EvaluationSetting.ts"
import * as Pretraining from "./Pretraining.ts"
import { type TestPayload, type TrainPayload, worldDataset } from "./ReidBenchmark.ts"

const { Learner, LearnerError } = Learners
type Learner = Learners.Learner
type LearnerError = Learners.LearnerError
type Metrics = MetricsModule.Metrics
/** The learner's service, typed by this recipe's protocol, method and term (erased by `Learner.typed` in {@link layer}). */
type LearnerService = Learners.TypedLearnerService<
  ReidModel,
  ReidFrozenModel,
  Protocol,
  MethodSpec,
  TermSpec,
  Backend.Backend
>
type TrainInput = Learners.TrainInput<ReidModel, ReidFrozenModel, Protocol, MethodSpec, TermSpec>

/** What a model handle holds (mutable: the network is replaced when its classifier grows). */
export interface ReidModel {
  /** The current network. */
  model: TrainableModel
  /** Classes of its classifier. */
  classes: number
  /**
   * The state of each of the method's terms whose catalog entry declares one (`ObjectiveTerm.State`, e.g. AKA's
   * knowledge graph), by term name. The learner only creates, trains, freezes and saves them through the entry.
   */
  readonly states: ReadonlyArray<TermState>
  /** The exemplar memory and regulariser state of a rehearsal / EWC / MAS / SI method. */
  readonly baselines?: Baselines.BaselineState | undefined
  /** The scope owning the current network (closed when the network is replaced, or with the handle). */
  scope: Scope.Closeable
}

/**
 * The state of one term of a method (see `ObjectiveTerm.State`): the entry and its state, of the entry's state
 * type `S` (a list of them holds every term's, `S` erased; {@link stateOf} gets it back by the entry).
 */
// biome-ignore lint/suspicious/noExplicitAny: a list holds the states of every term type
export interface TermState<S = any> {
  // biome-ignore lint/suspicious/noExplicitAny: the entry's options and frozen state are of any type
  readonly entry: ObjectiveTerm.ObjectiveTerm<string, any, S, any>
  readonly spec: TermSpec
  readonly value: S
}

/** What a frozen model handle holds: the frozen network, and the frozen states of its terms (by term name). */
export interface ReidFrozenModel {
  readonly model: Model.FrozenModel
  readonly states: ReadonlyMap<string, unknown>
}

/** The key of this learner's model handles (`Learner.handleValue(handle, ReidModelKey)`: see {@link modelOf}). */
export const ReidModelKey = Learners.handleKey<ReidModel>("ReidModel")

/** The key of this learner's frozen model handles (see {@link frozenOf}). */
export const ReidFrozenModelKey = Learners.handleKey<ReidFrozenModel>("ReidFrozenModel")

/** The model of a handle this learner made (e.g. a custom stage's `context.model`), typed; another learner's is a defect. */
export const modelOf = (handle: Learners.ModelHandle): ReidModel => Learners.handleValue(handle, ReidModelKey)

/** The frozen model of a handle this learner made (a custom stage's `context.oldModel`), typed. */
export const frozenOf = (handle: Learners.FrozenModelHandle): ReidFrozenModel =>
  Learners.handleValue(handle, ReidFrozenModelKey)

/**
 * The state of a term of a model, typed by the term's entry (e.g. `stateOf(model, akaTerm)`: AKA's knowledge
 * graph), if its method has one.
 */
export const stateOf = <S>(
  model: ReidModel,
  // biome-ignore lint/suspicious/noExplicitAny: any options and frozen state
  entry: ObjectiveTerm.ObjectiveTerm<string, any, S, any>
): S | undefined => model.states.find((s) => s.entry.name === entry.name)?.value

/** The `@reidfx/model` config of a protocol's model spec with `classes` identities. */
export const modelConfig = (protocol: Protocol, classes: number): typeof ModelConfig.ModelConfig.Encoded => {
  const m = protocol.model
  return {
    backbone: BackboneCatalog.builtin.require(m.backbone).fromProtocol(m) as typeof ModelConfig.BackboneConfig.Encoded,
    head: {
      pooling: m.pooling,
      neck: m.neck,
      classes,
      ...(m.embedding === undefined ? {} : { embedding: m.embedding })
    }
  }
}

const fail = (operation: string) => (cause: unknown) => new LearnerError({ operation, cause })

/**
 * The Objective of a task, each term built by its catalog entry (`Catalogs`: the built-in one by default).
 * Old-model terms are built only with an old model, which is then provided as the `OldModel` service (its
 * logits cut to the old classes). `states` are the terms' states (by term name; see `ObjectiveTerm.State`).
 */
export const objectiveFor = (
  terms: ReadonlyArray<TermSpec | ObjectiveTerm.AnySpec>,
  states: ReadonlyMap<string, unknown> | undefined,
  old: Option.Option<{ readonly model: ReidFrozenModel; readonly oldClasses: number }>,
  context: Catalog.Context = {},
  extra: ReadonlyArray<Term.Term<never>> = []
): Effect.Effect<Objective.ObjectiveService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const catalog = (yield* Catalogs.Catalogs).terms
    const built = terms.map((spec) => {
      const entry = catalog.require(spec.loss)
      const termContext: ObjectiveTerm.Context = {
        catalog: context,
        state: states?.get(entry.name),
        oldState: Option.isSome(old) ? old.value.model.states.get(entry.name) : undefined,
        old: Option.isSome(old) ? { model: old.value.model.model, classes: old.value.oldClasses } : undefined
      }
      return { entry, spec, termContext }
    })
    const plain = [...built.flatMap(({ entry, spec, termContext }) => entry.make?.(spec, termContext) ?? []), ...extra]
    if (Option.isNone(old)) return yield* Objective.make(...plain)
    const distill = built.flatMap(({ entry, spec, termContext }) => entry.makeWithOldModel?.(spec, termContext) ?? [])
    const {
      model: { model },
      oldClasses
    } = old.value
    const service = Distill.FrozenModel.make(
      (inputs) => {
        const out = model.forward(inputs as tf.Tensor4D)
        if (out.logits === undefined || oldClasses <= 0 || oldClasses >= out.logits.shape[1]) return out
        return { ...out, logits: tf.slice(out.logits, [0, 0], [-1, oldClasses]) }
      },
      { name: "oldModel" }
    )
    return yield* Objective.make(...plain, ...distill).pipe(Effect.provide(Distill.OldModel.layer(service)))
  })

/** The `@reidfx/data` sampler of a method, shrunk to what the task's identities allow. */
export const samplerFor = (method: MethodSpec, identities: number): Sampling.SamplerSpec =>
  SamplerCatalog.builtin.require(method.sampler.kind).toData(method.sampler, identities)

/** The model with its terms' state variables: trained with it, checkpointed with its weights. */
const withStates = (model: TrainableModel, states: ReadonlyArray<TermState>): TrainableModel => {
  const named = new Map(
    states.flatMap((s) => [...(s.entry.state?.variables(s.value) ?? new Map<string, tf.Variable>())])
  )
  if (named.size === 0) return model
  const names = new Map([...named].map(([name, v]) => [v.name, name] as const))
  return {
    ...model,
    // running statistics (non-trainable) travel with the weights only
    trainableVariables: [...model.trainableVariables, ...[...named.values()].filter((v) => v.trainable)],
    nameOf: (v) => names.get(v.name) ?? model.nameOf(v),
    // the states' variables travel with the model's weights (a mid-task checkpoint restores both)
    weights: () => new Map<string, tf.Tensor>([...model.weights(), ...named]),
    assign: (weights) => {
      const entries = weights instanceof Map ? [...weights] : Object.entries(weights)
      model.assign(new Map(entries.filter(([name]) => !named.has(name))))
      for (const [name, value] of entries) named.get(name)?.assign(value)
    }
  }
}

/** The terms' states by term name. */
const stateMap = (states: ReadonlyArray<TermState>): ReadonlyMap<string, unknown> =>
  new Map(states.map((s) => [s.entry.name, s.value] as const))

const readRows = (t: tf.Tensor2D): Effect.Effect<Float32Array> =>
  Effect.promise(() => t.data() as Promise<Float32Array>)

/**
 * The embedding a method is evaluated on: the one its metric losses shape. With a classifier loss (the "bag of
 * tricks") that is the BNNeck's output, as in Luo et al. 2019; for metric-only methods (DMML, DwPP, DwoPP),
 * whose losses act on the features before the neck, the features themselves.
 */
export const retrievalEmbedding = (
  method: MethodSpec,
  terms: Registry.Registry<ObjectiveTerm.Any> = TermCatalog.builtin
): "neckFeatures" | "features" =>
  // LSTKC retrieves with the pooled features before the neck, as its authors' eval-mode model does
  Lstkc.consolidates(method)
    ? "features"
    : method.terms.some((t) => terms.get(t.loss)?.needs.classifier === true)
      ? "neckFeatures"
      : "features"

/** Embeds items in evaluation order: the image's embedding, plus its flip's (`flip`), L2-normalised (`normalize`). */
const embedItems = (
  model: Pick<TrainableModel, "forward" | "embed">,
  which: "neckFeatures" | "features",
  items: ReadonlyArray<Parameters<typeof Sampling.evaluationPlans>[0][number]>,
  options: {
    readonly height: number
    readonly width: number
    readonly batchSize: number
    readonly cache: ImageCache.ImageCache
    readonly flip: boolean
    readonly normalize: boolean
  }
) =>
  Effect.gen(function* () {
    const plans = Sampling.evaluationPlans(items, options.batchSize)
    const chunks: Array<Float32Array> = []
    let dim = 0
    yield* Stream.runForEach(
      Loader.hostStream(Stream.fromIterable(plans), {
        height: options.height,
        width: options.width,
        cache: options.cache,
        prefetch: 2
      }),
      (host) =>
        Effect.gen(function* () {
          const batch = Batch.toTensors(host)
          const one = (images: tf.Tensor4D): tf.Tensor2D =>
            which === "neckFeatures"
              ? model.embed(images)
              : tf.tidy(() => model.forward(images, { training: false }).features)
          const emb = tf.tidy(() => {
            const images = batch.images as tf.Tensor4D
            const sum = options.flip ? (tf.add(one(images), one(tf.reverse(images, 2))) as tf.Tensor2D) : one(images)
            return options.normalize ? (tf.div(sum, tf.maximum(tf.norm(sum, 2, 1, true), 1e-12)) as tf.Tensor2D) : sum
          })
          Batch.dispose(batch)
          dim = emb.shape[1]
          chunks.push(yield* readRows(emb))
          emb.dispose()
        })
    )
    const data = new Float32Array(chunks.reduce((n, c) => n + c.length, 0))
    let at = 0
    for (const c of chunks) {
      data.set(c, at)
      at += c.length
    }
    return { data, rows: items.length, dim }
  })

/** What the end of a task gives the baseline state (see `baselines/Strategy.ts`). */
const afterTaskOf = (
  state: Baselines.BaselineState,
  input: {
    readonly model: TrainableModel
    readonly named: ReadonlyArray<{ readonly name: string; readonly variable: tf.Variable }>
    readonly method: MethodSpec
    readonly taskItems: ReadonlyArray<Parameters<typeof Sampling.evaluationPlans>[0][number]>
    readonly batches: Effect.Effect<ReadonlyArray<Trainer.StepInput>, unknown>
    readonly taskObjective: Effect.Effect<Objective.ObjectiveService, never, Scope.Scope>
    readonly embed: (
      items: ReadonlyArray<Parameters<typeof Sampling.evaluationPlans>[0][number]>
    ) => Effect.Effect<{ readonly data: Float32Array; readonly rows: number; readonly dim: number }, unknown>
    readonly rng: RandomStream
  }
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const needsGradients = Baselines.needsGradients(state)
      const batches = needsGradients ? (yield* input.batches).map((b) => ("images" in b ? b : b[0])) : []
      const objective = needsGradients ? yield* input.taskObjective : undefined
      const which = retrievalEmbedding(input.method, (yield* Catalogs.Catalogs).terms)
      try {
        yield* Baselines.afterTask(state, {
          variables: input.named,
          batches: batches.length,
          gradients: (b, of) => {
            const batch = batches[b]!
            const vars = input.named.map((v) => v.variable)
            const { value, grads } = tf.variableGrads(() => {
              const outputs = input.model.forward(batch.images as tf.Tensor4D, { training: false })
              if (of === "outputNorm") {
                const f = which === "neckFeatures" ? (outputs.neckFeatures ?? outputs.features) : outputs.features
                return tf.mean(tf.sum(tf.square(f), 1)) as tf.Scalar
              }
              return objective!.compute({
                outputs,
                labels: batch.labels,
                inputs: batch.images,
                index: -1 - b,
                ...(batch.cams === undefined ? {} : { cameras: batch.cams }),
                ...(batch.episode === undefined ? {} : { episode: batch.episode })
              }).total
            }, vars)
            value.dispose()
            return new Map(
              input.named.flatMap((v) =>
                grads[v.variable.name] === undefined ? [] : [[v.name, grads[v.variable.name]!] as const]
              )
            )
          },
          candidates: () =>
            Effect.gen(function* () {
              if (state.memory === undefined) return []
              const byId = new Map<number, Array<(typeof input.taskItems)[number]>>()
              for (const item of input.taskItems) byId.set(item.id, [...(byId.get(item.id) ?? []), item])
              const groups = [...byId].sort((a, b) => a[0] - b[0])
              if (state.memory.spec.selection === "random")
                return groups.map(([identity, items]) => ({ identity, items }))
              const ordered = groups.flatMap(([, items]) => items)
              const e = yield* input.embed(ordered).pipe(Effect.orDie)
              let at = 0
              return groups.map(([identity, items]) => {
                const features = items.map((_, i) => e.data.subarray((at + i) * e.dim, (at + i + 1) * e.dim))
                at += items.length
                return { identity, items, features }
              })
            }),
          rng: input.rng
        })
      } finally {
        for (const b of batches) tf.dispose([b.images, b.labels, ...(b.cams === undefined ? [] : [b.cams])])
      }
    })
  )

/** Options of the learner. */
export interface Options {
  /** Bytes of decoded images kept in memory (default 512 MB): the synthetic world renders each image once. */
  readonly cacheBytes?: number
  /** Where pretrained weights are cached (default `Pretraining.defaultCacheDir()`). */
  readonly cacheDir?: string
  /** Called each time a model gets the pretrained weights: `computed` is true when they were trained now. */
  readonly onPretraining?: (event: {
    readonly key: string
    readonly computed: boolean
    readonly seconds: number
  }) => void
}

/** What one fit needs (a task, joint training, or the pretraining). */
interface FitInput {
  readonly model: TrainableModel
  readonly states: ReadonlyArray<TermState>
  readonly items: ReadonlyArray<Item.Item>
  readonly labels: ReadonlyMap<number, number>
  readonly method: MethodSpec
  readonly objective: Objective.ObjectiveService
  readonly epochs: number
  readonly batchesPerEpoch: number | undefined
  readonly learningRate: number
  readonly warmupEpochs: number
  readonly label: string
  readonly onProgress: TrainInput["onProgress"]
  /** The mid-task checkpoint (resumed from when it exists). */
  readonly checkpoint?: TrainInput["checkpoint"]
  /** Called around each optimizer update (SI's path integral). */
  readonly onUpdate?: Trainer.Learner["onUpdate"]
  /** Runs after training, with the fit's batch source (the importance pass and the memory update of a baseline). */
  readonly afterFit?: (source: Trainer.EpochSource<unknown>) => Effect.Effect<void, LearnerError>
  /**
   * A second network trained in the same steps on the same batches (the trainer's learner `companion`, with its
   * own optimizer at `learningRateFactor` times the model's schedule), each reading the other's outputs as
   * `Step.peer` (KRKC's knowledge network, `krkc/Companion.ts`).
   */
  readonly companion?: {
    readonly model: TrainableModel
    readonly objective: Objective.ObjectiveService
    readonly learningRateFactor: number
  }
}

/** The learner of a protocol as a service value. */
export const make = (protocol: Protocol, options: Options = {}): LearnerService => {
  const cache = ImageCache.make(options.cacheBytes ?? 512 * 1024 * 1024)
  const { height, width } = protocol.training

  const fit = (input: FitInput) =>
    Effect.gen(function* () {
      const { model, states, items, objective, epochs } = input
      const identities = new Set(items.map((i) => i.id)).size
      const spec = samplerFor(input.method, identities)
      const perEpoch = input.batchesPerEpoch ?? Sampling.batchesPerEpoch(items, spec)
      const o = protocol.training.optimizer
      const optimizer = yield* Optimizer.make(
        o.kind === "sgd"
          ? { kind: "sgd", momentum: o.momentum, weightDecay: o.weightDecay }
          : { kind: o.kind, weightDecay: o.weightDecay }
      ).pipe(Effect.mapError(fail("optimizer")))
      const warmup = input.warmupEpochs
      const schedule = (step: number) => {
        const e = step / perEpoch
        return e < warmup ? input.learningRate * (0.01 + 0.99 * (e / warmup)) : input.learningRate
      }
      const augment = new Augment.AugmentOptions({
        flip: protocol.training.flip,
        pad: protocol.training.pad,
        ...(protocol.training.erasing > 0
          ? { erasing: new Augment.ErasingOptions({ p: protocol.training.erasing }) }
          : {})
      })
      const source: Trainer.EpochSource<unknown> = {
        stepsPerEpoch: perEpoch,
        epoch: (epoch, rng) => {
          const seed = rng.nextUint32()
          return Stream.fromEffect(Sampling.epochPlansEffect(items, spec, { seed, epoch, labels: input.labels })).pipe(
            Stream.flatMap((plans) => {
              // a fixed number of batches per epoch: repeat the epoch's plans when the sampler gives fewer
              const all =
                plans.length >= perEpoch
                  ? plans.slice(0, perEpoch)
                  : Array.from({ length: perEpoch }, (_, i) => plans[i % plans.length]!)
              return Loader.hostStream(Stream.fromIterable(all), { height, width, augment, seed, cache, prefetch: 2 })
            }),
            Stream.map((host): Trainer.StepInput => {
              const b = Batch.toTensors(host)
              return {
                images: b.images,
                labels: b.labels,
                cams: b.cams,
                ...(b.episode === undefined ? {} : { episode: b.episode })
              }
            })
          )
        }
      }
      let images = 0
      let seconds = 0
      const lastEpoch: Array<{ loss: number; terms: Readonly<Record<string, number>> }> = []
      const progress: TrainProgress.ProgressService = {
        start: () => Effect.void,
        message: () => Effect.void,
        end: () => Effect.void,
        step: (report, p) => {
          images += report.images
          seconds += report.seconds
          const l = report.learners[0]!
          if (p.epoch === epochs - 1) lastEpoch.push({ loss: l.loss, terms: l.terms })
          return input.onProgress({
            epoch: p.epoch + 1,
            epochs,
            step: (p.step % perEpoch) + 1,
            steps: perEpoch,
            loss: l.loss,
            terms: l.terms,
            imagesPerSecond: report.images / Math.max(report.seconds, 1e-9)
          })
        }
      }
      const companion = input.companion
      const companionOptimizer =
        companion === undefined
          ? undefined
          : yield* Optimizer.make(
              o.kind === "sgd"
                ? { kind: "sgd", momentum: o.momentum, weightDecay: o.weightDecay }
                : { kind: o.kind, weightDecay: o.weightDecay }
            ).pipe(Effect.mapError(fail("companion optimizer")))
      const summary = yield* Trainer.fit({
        learners: [
          { name: "model", model: withStates(model, states), objective, optimizer, schedule, onUpdate: input.onUpdate },
          ...(companion === undefined || companionOptimizer === undefined
            ? []
            : [
                {
                  name: "companion",
                  model: companion.model,
                  objective: companion.objective,
                  optimizer: companionOptimizer,
                  schedule: (step: number) => schedule(step) * companion.learningRateFactor
                }
              ])
        ],
        source,
        epochs,
        label: input.label,
        ...(input.checkpoint === undefined
          ? {}
          : {
              checkpoint: {
                path: input.checkpoint.path,
                ...(input.checkpoint.everySteps > 0 ? { everySteps: input.checkpoint.everySteps } : {})
              }
            })
      }).pipe(Effect.provideService(TrainProgress.Progress, progress), Effect.mapError(fail(`train ${input.label}`)))
      if (input.afterFit !== undefined) yield* input.afterFit(source)
      const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
      const termNames = objective.terms.map((t) => t.name)
      return {
        steps: summary.steps,
        images,
        seconds,
        finalLoss: mean(lastEpoch.map((x) => x.loss)),
        finalTerms: Object.fromEntries(termNames.map((n) => [n, mean(lastEpoch.map((x) => x.terms[n] ?? Number.NaN))])),
        formula: objective.formula
      }
    })

  /** Replaces the handle's network by one whose classifier has `classes` columns, the old ones kept. */
  const grow = (handle: ReidModel, classes: number) =>
    Effect.gen(function* () {
      if (classes <= handle.classes) return
      const scope = yield* Scope.make()
      const next = yield* Model.make(modelConfig(protocol, classes)).pipe(
        Scope.provide(scope),
        Effect.mapError(fail("grow the classifier")),
        Effect.tapError(() => Scope.close(scope, Exit.void))
      )
      Model.copyWeights(handle.model, next, { keepClassifierColumns: true })
      const previous = handle.scope
      handle.model = next
      handle.classes = classes
      handle.scope = scope
      yield* Scope.close(previous, Exit.void)
    })

  const train = (input: TrainInput) =>
    Effect.scoped(
      Effect.gen(function* () {
        const payload = (yield* TaskData.read(input.data, "train")) as TrainPayload
        const taskItems = yield* payload.data.train.pipe(Effect.mapError(fail("read task data")))
        const handle = input.model.value
        // the classifier grows by this task's new identities (no class of a later task)
        yield* grow(handle, payload.oldClasses + new Set(taskItems.map((i) => i.id)).size)
        const { baselines, states, model } = handle
        const { terms: termCatalog } = yield* Catalogs.Catalogs
        // rehearsal: the task's items and the exemplar memory, nothing else of earlier tasks (checked)
        const items =
          baselines === undefined
            ? taskItems
            : yield* Baselines.trainingItems(baselines, input.task.index, taskItems).pipe(
                Effect.mapError(fail("rehearsal"))
              )
        const named = model.trainableVariables.map((variable) => ({ name: model.nameOf(variable), variable }))
        const old = Option.map(input.oldModel, (f) => ({
          model: f.value,
          oldClasses: payload.oldClasses
        }))
        const context = { classes: handle.classes, dimension: model.featureDim }
        const objective = yield* objectiveFor(
          input.terms,
          stateMap(states),
          old,
          context,
          baselines === undefined ? [] : Baselines.penaltyTerms(baselines, named)
        )
        if (baselines !== undefined) Baselines.startTask(baselines, named)
        // KRKC: the companion (knowledge network) starts as a copy of the model, owned by this task's scope
        const companionSpec = input.method.companion
        const tasks = Companion.taskCount(protocol)
        const companion =
          companionSpec === undefined || Option.isNone(old)
            ? undefined
            : yield* Effect.gen(function* () {
                const twin = yield* Model.make(modelConfig(protocol, handle.classes)).pipe(
                  Effect.mapError(fail("create the companion"))
                )
                Model.copyWeights(model, twin)
                return {
                  model: twin,
                  objective: yield* objectiveFor(input.terms, stateMap(states), old, context),
                  learningRateFactor: Companion.learningRateFactor(companionSpec, input.task.index, tasks)
                }
              })
        const o = protocol.training.optimizer
        const epochs = protocol.training.epochs
        const rng = yield* Rng.Rng
        const result = yield* fit({
          model,
          states,
          items,
          labels: payload.labels,
          method: input.method,
          objective,
          epochs,
          batchesPerEpoch: protocol.training.batchesPerEpoch,
          learningRate: o.learningRate,
          warmupEpochs: input.task.index === 0 || input.method.joint ? o.warmupEpochs : 0,
          label: input.task.name,
          onProgress: input.onProgress,
          ...(companion === undefined ? {} : { companion }),
          // no mid-task checkpoint for SI: its running path integral is not saved (a killed task restarts)
          ...(input.checkpoint === undefined || (baselines !== undefined && Baselines.tracksUpdates(baselines))
            ? {}
            : { checkpoint: input.checkpoint }),
          ...(baselines === undefined
            ? {}
            : {
                onUpdate: Baselines.updateHook(baselines, named),
                afterFit: (source: Trainer.EpochSource<unknown>) =>
                  Effect.gen(function* () {
                    yield* afterTaskOf(baselines, {
                      model,
                      named,
                      method: input.method,
                      taskItems,
                      batches: Stream.runCollect(source.epoch(epochs, rng.stream("baselines/importance"))),
                      taskObjective: objectiveFor(input.terms, stateMap(states), Option.none(), context),
                      embed: (xs) =>
                        embedItems(model, retrievalEmbedding(input.method, termCatalog), xs, {
                          height,
                          width,
                          batchSize: protocol.evaluation.batchSize,
                          cache,
                          flip: false,
                          normalize: false
                        }),
                      rng: rng.stream("baselines/memory")
                    }).pipe(Effect.mapError(fail(`after ${input.task.name}`)))
                  })
              })
        })
        // KRKC: model space consolidation, theta <- alpha theta + (1 - alpha) theta_companion (reported as `krkc/alpha`)
        if (companion !== undefined) {
          const alpha = Companion.fusionWeight(input.task.index, tasks)
          if (alpha !== undefined) {
            yield* Effect.try({
              try: () => {
                const fused = Consolidation.fuseWeights(model.weights(), companion.model.weights(), alpha)
                try {
                  model.assign(fused)
                } finally {
                  for (const t of fused.values()) t.dispose()
                }
              },
              catch: fail("krkc consolidation")
            })
          }
          return { ...result, finalTerms: { ...result.finalTerms, "krkc/alpha": alpha ?? 1 } }
        }
        // LSTKC: fuse the new and old models with the weight their affinities on this task's images give
        const spec = input.method.consolidation
        if (spec !== undefined && Option.isSome(old)) {
          const opts = { height, width, batchSize: protocol.evaluation.batchSize, cache, flip: false, normalize: true }
          const current = yield* embedItems(model, "features", taskItems, opts).pipe(
            Effect.mapError(fail("lstkc consolidation"))
          )
          const previous = yield* embedItems(old.value.model.model, "features", taskItems, opts).pipe(
            Effect.mapError(fail("lstkc consolidation"))
          )
          // the fusion weight is reported with the task's final terms (`lstkc/alpha`)
          const alpha = yield* Effect.try({
            try: () => {
              const alpha = tf.tidy(() =>
                Consolidation.fusionWeight(
                  tf.tensor2d(current.data, [current.rows, current.dim]),
                  tf.tensor2d(previous.data, [previous.rows, previous.dim]),
                  spec.scale
                )
              )
              const fused = Consolidation.fuseWeights(model.weights(), old.value.model.model.weights(), alpha)
              try {
                model.assign(fused)
              } finally {
                for (const t of fused.values()) t.dispose()
              }
              return alpha
            },
            catch: fail("lstkc consolidation")
          })
          return { ...result, finalTerms: { ...result.finalTerms, "lstkc/alpha": alpha } }
        }
        return result
      })
    )

  const cacheDir = options.cacheDir ?? Pretraining.defaultCacheDir()
  /** The pretrained weights' folder, trained now when the cache has no entry for the protocol's key. */
  const pretrained = (k: string) =>
    Effect.gen(function* () {
      const dir = Pretraining.entryDir(cacheDir, k)
      if (Pretraining.exists(cacheDir, k)) return { dir, computed: false }
      const spec = protocol.pretraining!
      const source = yield* worldDataset(spec.world, { height, width }).pipe(Effect.mapError(fail("pretraining data")))
      const ids = Dataset.identities(source.train)
      const labels = new Map(ids.map((id, i) => [id, i] as const))
      const method: MethodSpec = {
        name: "pretraining",
        sampler: { kind: "pk", identities: 16, instances: 4 },
        terms: botTerms,
        joint: false
      }
      yield* Effect.scoped(
        Effect.gen(function* () {
          const model = yield* Model.make(modelConfig(protocol, ids.length)).pipe(
            Effect.mapError(fail("pretraining model"))
          )
          const objective = yield* objectiveFor(botTerms, undefined, Option.none())
          yield* fit({
            model,
            states: [],
            items: source.train,
            labels,
            method,
            objective,
            epochs: spec.epochs,
            batchesPerEpoch: spec.batchesPerEpoch,
            learningRate: spec.learningRate,
            warmupEpochs: 1,
            label: "pretraining",
            onProgress: () => Effect.void
          })
          const tmp = `${dir}.tmp-${process.pid}`
          yield* Effect.sync(() => fs.rmSync(tmp, { recursive: true, force: true }))
          yield* Weights.save(model, path.join(tmp, "model")).pipe(Effect.mapError(fail("save pretraining")))
          yield* Effect.try({
            try: () => {
              fs.writeFileSync(path.join(tmp, "done.json"), `${Pretraining.keyText(protocol)}\n`)
              fs.rmSync(dir, { recursive: true, force: true })
              fs.renameSync(tmp, dir)
            },
            catch: fail("save pretraining")
          })
        })
      ).pipe(Rng.withSeed(spec.seed))
      return { dir, computed: true }
    })

  const service: LearnerService = {
    create: ({ protocol: p, method, classes }) =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const model = yield* Model.make(modelConfig(p, classes)).pipe(
          Scope.provide(scope),
          Effect.mapError(fail("create model")),
          Effect.tapError(() => Scope.close(scope, Exit.void))
        )
        // the terms' states (AKA's knowledge graph), each created by its entry from the stream "<name>/init"
        const { terms: catalog } = yield* Catalogs.Catalogs
        const states: Array<TermState> = []
        for (const spec of method.terms) {
          const entry = catalog.require(spec.loss)
          if (entry.state === undefined || states.some((s) => s.entry.name === entry.name)) continue
          const value = yield* entry.state.create(spec, {
            featureDim: model.featureDim,
            rng: (yield* Rng.Rng).stream(`${entry.name}/init`)
          })
          states.push({ entry, spec, value })
        }
        const baselines = Baselines.isBaseline(method) ? yield* Baselines.make(method) : undefined
        const handle: ReidModel = { model, classes, states, baselines, scope }
        yield* Effect.addFinalizer(() => Scope.close(handle.scope, Exit.void))
        const k = Pretraining.key(p)
        if (k !== undefined) {
          const t0 = performance.now()
          const { dir, computed } = yield* pretrained(k)
          yield* Weights.load(handle.model, path.join(dir, "model"), {
            strict: false,
            rename: (name) => (name.startsWith("head/classifier/") ? undefined : name)
          }).pipe(Effect.mapError(fail("load pretrained weights")))
          options.onPretraining?.({ key: k, computed, seconds: (performance.now() - t0) / 1000 })
        }
        // weights the protocol names are applied last: they override the shared pretraining
        if (p.model.weights !== undefined)
          yield* WeightsInit.apply(handle.model, p.model.weights).pipe(Effect.mapError(fail("import weights")))
        return Learners.modelHandle(handle, ReidModelKey)
      }),
    train,
    snapshot: (handle) =>
      Effect.gen(function* () {
        const { model, states } = handle.value
        const frozen = yield* model.snapshot
        const frozenStates = new Map<string, unknown>()
        for (const s of states) frozenStates.set(s.entry.name, yield* s.entry.state!.freeze(s.value))
        return Learners.frozenHandle<ReidFrozenModel>({ model: frozen, states: frozenStates }, ReidFrozenModelKey)
      }),
    evaluate: ({ protocol: p, method, model: handle, data }) =>
      Effect.gen(function* () {
        const set = data as TestPayload
        const { model } = handle.value
        const setting = EvaluationSetting.resolve(p.evaluation)
        const opts = {
          height,
          width,
          batchSize: p.evaluation.batchSize,
          cache,
          flip: setting.flip,
          normalize: setting.normalize
        }
        const which = retrievalEmbedding(method, (yield* Catalogs.Catalogs).terms)
        const query = yield* embedItems(model, which, set.query, opts).pipe(Effect.mapError(fail(`load ${set.name}`)))
        const gallery = yield* embedItems(model, which, set.gallery, opts).pipe(
          Effect.mapError(fail(`load ${set.name}`))
        )
        const maxRank = Math.max(...p.evaluation.ranks, 10)
        const r = yield* Effect.try({
          try: () =>
            evaluateRanking(
              {
                query: { features: query, ids: set.query.map((i) => i.id), cams: set.query.map((i) => i.cam) },
                gallery: { features: gallery, ids: set.gallery.map((i) => i.id), cams: set.gallery.map((i) => i.cam) }
              },
              { maxRank: Math.min(maxRank, set.gallery.length), averagePrecision: setting.averagePrecision }
            ),
          catch: fail(`evaluate ${set.name}`)
        })
        return { mAP: r.mAP, mINP: r.mINP, cmc: r.cmc } satisfies Metrics
      }).pipe(Effect.catchDefect((cause) => Effect.fail(new LearnerError({ operation: "evaluate", cause })))),
    save: (handle, directory) =>
      Effect.gen(function* () {
        const { model, states, baselines } = handle.value
        yield* Weights.save(model, path.join(directory, "model")).pipe(Effect.mapError(fail("save model")))
        if (baselines !== undefined)
          yield* BaselinePersistence.save(baselines, path.join(directory, "baselines"), { height, width }).pipe(
            Effect.mapError(fail("save the exemplar memory and regulariser state"))
          )
        for (const s of states) {
          yield* Weights.writeDirectory(path.join(directory, s.entry.name), s.entry.state!.variables(s.value), {}).pipe(
            Effect.mapError(fail(`save the state of ${s.entry.name}`))
          )
        }
      }),
    load: (handle, directory) =>
      Effect.gen(function* () {
        const h = handle.value
        // rehearsal / EWC / MAS / SI: the exemplar memory and the regulariser's state, saved as data by `save`
        if (h.baselines !== undefined)
          yield* BaselinePersistence.load(h.baselines, path.join(directory, "baselines")).pipe(
            Effect.mapError(fail("resume"))
          )
        // a checkpoint of a later task has a wider classifier: grow to it first
        const saved = yield* Effect.scoped(
          Effect.map(
            Weights.readDirectory(path.join(directory, "model")),
            ({ tensors }) => tensors.get("head/classifier/kernel")?.shape[1]
          )
        ).pipe(Effect.mapError(fail("load model")))
        if (saved !== undefined) yield* grow(h, saved)
        const { model, states } = h
        yield* Weights.load(model, path.join(directory, "model")).pipe(Effect.mapError(fail("load model")))
        for (const s of states) {
          const what = `load the state of ${s.entry.name}`
          yield* Effect.scoped(
            Effect.gen(function* () {
              const { tensors } = yield* Weights.readDirectory(path.join(directory, s.entry.name)).pipe(
                Effect.mapError(fail(what))
              )
              s.entry.state!.restore?.(s.value, tensors)
              for (const [name, v] of s.entry.state!.variables(s.value)) {
                const t = tensors.get(name)
                if (t === undefined) return yield* fail(what)(new Error(`${name} missing`))
                v.assign(t)
              }
            })
          )
        }
      })
  }
  return service
}

/** The learner's service as this recipe types it, its `Backend` provided (`Learner.typed` erases it for the engine). */
export type Service = Learners.TypedLearnerService<ReidModel, ReidFrozenModel, Protocol, MethodSpec, TermSpec>

/**
 * The learner of a protocol as a layer, with the methods it trains (`ReidMethods`). Its models live on the
 * backend of the `Backend` layer it is built with (captured here, so the engine's service requires nothing).
 * @category layers
 */
export const layer = (
  protocol: Protocol,
  options: Options = {}
): Layer.Layer<Learner | Methods.Methods, never, Backend.Backend> =>
  Layer.merge(
    Layer.effect(
      Learner,
      Effect.map(Backend.Backend, (backend) =>
        Learners.typed(Learners.provide(make(protocol, options), Context.make(Backend.Backend, backend)))
      )
    ),
    ReidMethods.layer
  )
