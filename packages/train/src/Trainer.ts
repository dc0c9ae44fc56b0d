/**
 * The trainer: a step is forward, Objective, backward, (clipping), optimizer update; a run consumes a
 * `Stream` of batches. One learner trains alone; two learners train mutually in the same step, each with
 * its own objective, optimizer and input, each seeing the other's outputs as `Step.peer` (detached: no
 * gradient flows into the peer through them, as in deep mutual learning, Zhang et al. CVPR 2018).
 *
 * `fit` adds epochs, checkpoints and exact resume: the batches of epoch e come from the sampling stream
 * derived as `rng.derive("epoch-e")`, so a resumed run replays exactly the batches an uninterrupted run sees.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { EpisodeLayout, ModelOutputs, Objective } from "@reidfx/metric"
import { detachOutputs, type TrainableModel } from "@reidfx/model"
import { Interrupted, type RandomStream, Rng } from "@reidfx/tensor"
import { Effect, Stream } from "effect"
import * as Checkpoint from "./Checkpoint.ts"
import { type CheckpointError, NonFiniteLoss, StepFailed } from "./errors.ts"
import type { Optimizer, ParamUpdate } from "./optim/Optimizer.ts"
import { clipByGlobalNorm } from "./optim/updates.ts"
import { type LearnerReport, Progress, type StepReport } from "./Progress.ts"

/**
 * The per-sample inputs of a batch besides the images that a learner's own `forward` may read (the trainer passes
 * them as its third argument; the objective does not see them).
 */
export interface SideInputs {
  /** `[B, 51]` COCO-17 keypoints (x, y, visibility of each of the 17, at the batch's image size), for pose models. */
  readonly keypoints?: tf.Tensor2D
  /** Further per-sample inputs by name (masks, depth, ...), first dimension `B`. */
  readonly side?: Readonly<Record<string, tf.Tensor>>
}

/** A batch the trainer consumes (structurally the `Batch` of `@reidfx/data`). The trainer disposes it. */
export interface TrainBatch extends SideInputs {
  /** `[B, H, W, C]` images (or clips, for a learner with its own `forward`). */
  readonly images: tf.Tensor
  /** `[B]` int32 labels. */
  readonly labels: tf.Tensor1D
  /** `[B]` int32 cameras. */
  readonly cams?: tf.Tensor1D
  readonly episode?: EpisodeLayout
  /** `[B, A]` attribute labels (1, 0, or < 0 unknown), for attribute terms (`Step.attributes`). */
  readonly attributes?: tf.Tensor2D
}

/** One batch for all learners, or one batch per learner (mutual training on different inputs). */
export type StepInput = TrainBatch | readonly [TrainBatch, TrainBatch]

/** A model being trained with its objective and optimizer. */
export interface Learner {
  /** Unique name (a checkpoint key), e.g. "model", "student", "peer". */
  readonly name: string
  readonly model: TrainableModel
  readonly objective: Objective.ObjectiveService
  readonly optimizer: Optimizer
  /** The learning rate at a global step. */
  readonly schedule: (step: number) => number
  /** Clip gradients to this global norm (none when absent). */
  readonly clipNorm?: number | undefined
  /**
   * Replaces `model.forward` (e.g. a video model over `[B, T, H, W, C]` clips; a pose model reading the batch's
   * `keypoints` from `side`).
   */
  readonly forward?: ((inputs: tf.Tensor, training: boolean, side: SideInputs) => ModelOutputs) | undefined
  /**
   * Called around each optimizer update with the variables and the gradients applied (synaptic intelligence
   * reads the parameters before and after, and the gradient). Must not keep the gradient tensors.
   */
  readonly onUpdate?:
    | {
        /** Called before the optimizer update with the variables and their gradients. */
        readonly before: (variables: ReadonlyArray<tf.Variable>, grads: ReadonlyArray<tf.Tensor>) => void
        /** Called after the optimizer update. */
        readonly after: (variables: ReadonlyArray<tf.Variable>) => void
      }
    | undefined
}

const batchesOf = (input: StepInput, n: number): ReadonlyArray<TrainBatch> => {
  if (Array.isArray(input)) {
    if (input.length !== n) throw new Error(`trainer: ${input.length} batches for ${n} learners`)
    return input as ReadonlyArray<TrainBatch>
  }
  return Array.from({ length: n }, () => input as TrainBatch)
}

const disposeBatch = (b: TrainBatch) => {
  b.images.dispose()
  b.labels.dispose()
  b.cams?.dispose()
  b.attributes?.dispose()
  b.keypoints?.dispose()
  for (const t of Object.values(b.side ?? {})) t.dispose()
}

/** The side inputs of a batch (what a learner's `forward` sees besides the images). */
const sideOf = (b: TrainBatch): SideInputs => ({
  ...(b.keypoints === undefined ? {} : { keypoints: b.keypoints }),
  ...(b.side === undefined ? {} : { side: b.side })
})

/** Disposes the tensors of a step input. */
export const disposeInput = (input: StepInput): void => {
  if (Array.isArray(input)) (input as ReadonlyArray<TrainBatch>).forEach(disposeBatch)
  else disposeBatch(input as TrainBatch)
}

/** `tf.tidy` for a function returning plain values: every tensor it creates and does not `tf.keep` is freed. */
const tidyValue = <A>(f: () => A): A => {
  const engine = tf.engine()
  engine.startScope("reidfx.step")
  try {
    return f()
  } finally {
    engine.endScope()
  }
}

/** A learner's trainable variables: its model's, then its objective's own (proxies, learnable margins). */
const variablesOf = (l: Learner): ReadonlyArray<tf.Variable> => [
  ...l.model.trainableVariables,
  ...(l.objective.variables ?? [])
]

/**
 * One synchronous training step of one or two learners at global step `index`. Returns the report, or the
 * {@link NonFiniteLoss} error when a loss, a term or a gradient norm is NaN or infinite (and then applies no
 * update to any learner). Does not dispose the inputs.
 */
export const computeStep = (
  learners: ReadonlyArray<Learner>,
  input: StepInput,
  index: number
): StepReport | NonFiniteLoss => {
  if (learners.length !== 1 && learners.length !== 2)
    throw new Error(`trainer: 1 or 2 learners, got ${learners.length}`)
  const started = performance.now()
  const batches = batchesOf(input, learners.length)
  const rates = learners.map((l) => l.schedule(index))
  const result = tidyValue(() => {
    const packed: Array<tf.Tensor1D> = []
    const statNames: Array<Array<string>> = []
    const vars = learners.flatMap(variablesOf)
    const { grads } = tf.variableGrads(() => {
      const outputs = learners.map((l, i) =>
        (l.forward ?? ((x, training) => l.model.forward(x as tf.Tensor4D, { training })))(
          batches[i]!.images,
          true,
          sideOf(batches[i]!)
        )
      )
      let total: tf.Scalar | undefined
      learners.forEach((l, i) => {
        const b = batches[i]!
        const other = learners.length === 2 ? 1 - i : -1
        const value = l.objective.compute({
          outputs: outputs[i]!,
          labels: b.labels,
          inputs: b.images,
          index,
          ...(b.cams === undefined ? {} : { cameras: b.cams }),
          ...(b.episode === undefined ? {} : { episode: b.episode }),
          ...(b.attributes === undefined ? {} : { attributes: b.attributes }),
          ...(other < 0 ? {} : { peer: detachOutputs(outputs[other]!), peerInputs: batches[other]!.images })
        })
        const stats = value.terms.flatMap((t) =>
          Object.entries(t.stats).map(([k, s]) => [`${t.name}.${k}`, s] as const)
        )
        statNames.push(stats.map(([k]) => k))
        packed.push(
          tf.keep(
            tf.stack(
              [value.total, ...value.terms.map((t) => t.value), ...stats.map(([, s]) => tf.cast(s, "float32"))].map(
                (s) => tf.reshape(s, [])
              )
            ) as tf.Tensor1D
          )
        )
        total = total === undefined ? value.total : tf.add(total, value.total)
      })
      return total!
    }, [...vars])
    try {
      const values = packed.map((p) => p.dataSync())
      for (let i = 0; i < learners.length; i++) {
        const l = learners[i]!
        const v = values[i]!
        const terms: Record<string, number> = {}
        l.objective.terms.forEach((t, j) => {
          terms[t.name] = v[1 + j]!
        })
        if (!Number.isFinite(v[0]!) || Object.values(terms).some((x) => !Number.isFinite(x))) {
          return new NonFiniteLoss({ step: index, learner: l.name, total: v[0]!, terms, learningRate: rates[i]! })
        }
      }
      // clip every learner's gradients first: a non-finite gradient norm also stops the step before any update
      const prepared = learners.map((l) => {
        const own = variablesOf(l).filter((x) => grads[x.name] !== undefined)
        const clipped = clipByGlobalNorm(
          own.map((x) => grads[x.name]!),
          l.clipNorm ?? Number.POSITIVE_INFINITY
        )
        return { own, clipped, gradNorm: clipped.norm.dataSync()[0]! }
      })
      const reports: Array<LearnerReport> = learners.map((l, i) => {
        const v = values[i]!
        const terms: Record<string, number> = {}
        const stats: Record<string, number> = {}
        l.objective.terms.forEach((t, j) => {
          terms[t.name] = v[1 + j]!
        })
        statNames[i]!.forEach((k, j) => {
          stats[k] = v[1 + l.objective.terms.length + j]!
        })
        return { name: l.name, loss: v[0]!, terms, stats, learningRate: rates[i]!, gradNorm: prepared[i]!.gradNorm }
      })
      const bad = reports.find((r) => !Number.isFinite(r.gradNorm))
      if (bad !== undefined) {
        return new NonFiniteLoss({
          step: index,
          learner: bad.name,
          total: bad.loss,
          terms: { ...bad.terms, gradientNorm: bad.gradNorm },
          learningRate: bad.learningRate
        })
      }
      learners.forEach((l, i) => {
        const { own, clipped } = prepared[i]!
        // the optimizer keys a term's parameter by its index in the objective (stable across processes, as in checkpoints)
        const termOwned = new Map((l.objective.variables ?? []).map((v, k) => [v, Checkpoint.termKey(k)] as const))
        l.onUpdate?.before(own, clipped.grads)
        l.optimizer.apply(
          own.map(
            (x, j): ParamUpdate => ({
              name: termOwned.get(x) ?? l.model.nameOf(x),
              variable: x,
              grad: clipped.grads[j]!
            })
          ),
          rates[i]!
        )
        l.onUpdate?.after(own)
      })
      return reports
    } finally {
      packed.forEach((p) => {
        p.dispose()
      })
    }
  })
  if (result instanceof NonFiniteLoss) return result
  const images = batches.reduce((n, b, i) => (i > 0 && b === batches[0] ? n : n + b.images.shape[0]!), 0)
  return { index, learners: result, images, seconds: (performance.now() - started) / 1000 }
}

/**
 * One training step as an Effect; the inputs are disposed afterwards (also on failure). A term or forward pass
 * that throws fails the step with {@link StepFailed} (its typed error, e.g. a ShapeMismatch, as the cause).
 */
export const step = (
  learners: ReadonlyArray<Learner>,
  input: StepInput,
  index: number
): Effect.Effect<StepReport, NonFiniteLoss | StepFailed> =>
  Effect.suspend((): Effect.Effect<StepReport, NonFiniteLoss | StepFailed> => {
    try {
      const r = computeStep(learners, input, index)
      return r instanceof NonFiniteLoss ? Effect.fail(r) : Effect.succeed(r)
    } catch (cause) {
      return Effect.fail(new StepFailed({ step: index, cause }))
    } finally {
      disposeInput(input)
    }
  })

/** What a run returns. */
export interface TrainSummary {
  readonly steps: number
  readonly images: number
  readonly seconds: number
  /** Images per second of the training steps (excluding data loading). */
  readonly imagesPerSecond: number
  readonly last: StepReport | undefined
}

const summarise = (reports: ReadonlyArray<StepReport>): TrainSummary => {
  const images = reports.reduce((n, r) => n + r.images, 0)
  const seconds = reports.reduce((n, r) => n + r.seconds, 0)
  return {
    steps: reports.length,
    images,
    seconds,
    imagesPerSecond: images / Math.max(seconds, 1e-9),
    last: reports[reports.length - 1]
  }
}

/** Options of {@link train}. */
export interface TrainOptions<E, R> {
  readonly learners: ReadonlyArray<Learner>
  readonly batches: Stream.Stream<StepInput, E, R>
  /** Global index of the first step (default 0). */
  readonly startStep?: number
  /** For progress and ETA. */
  readonly totalSteps?: number
  readonly label?: string
  /** Runs after each step (e.g. to checkpoint). */
  readonly onStep?: (report: StepReport) => Effect.Effect<void, E, R>
}

/** Trains on every batch of a stream (each one disposed after its step). */
export const train = <E, R>(
  options: TrainOptions<E, R>
): Effect.Effect<TrainSummary, NonFiniteLoss | StepFailed | E, R> =>
  Effect.gen(function* () {
    const progress = yield* Progress
    const start = options.startStep ?? 0
    const total = options.totalSteps ?? Number.NaN
    yield* progress.start({ label: options.label ?? "train", totalSteps: total, startStep: start })
    const reports: Array<StepReport> = []
    let index = start
    yield* Stream.runForEach(options.batches, (input) =>
      Effect.gen(function* () {
        const report = yield* step(options.learners, input, index)
        reports.push(report)
        yield* progress.step(report, { step: index, totalSteps: total, epoch: 0, totalEpochs: 1 })
        if (options.onStep !== undefined) yield* options.onStep(report)
        index++
      })
    )
    yield* progress.end()
    return summarise(reports)
  })

/** Batches per epoch, each epoch's stream drawn from the given random stream only (so it can be replayed). */
export interface EpochSource<E = never, R = never> {
  readonly stepsPerEpoch: number
  /** The steps of one epoch, drawn with `rng`. */
  readonly epoch: (epoch: number, rng: RandomStream) => Stream.Stream<StepInput, E, R>
}

/** Options of {@link fit}. */
export interface FitOptions<E, R> {
  readonly learners: ReadonlyArray<Learner>
  readonly source: EpochSource<E, R>
  readonly epochs: number
  /** Checkpoint file; written at each epoch end and every `everySteps` steps (if set). */
  readonly checkpoint?: { readonly path: string; readonly everySteps?: number; readonly meta?: unknown }
  /** Resume from `checkpoint.path` when it exists (default true). */
  readonly resume?: boolean
  readonly label?: string
  /** Runs after each epoch (e.g. an evaluation). */
  readonly onEpoch?: (epoch: number, summary: TrainSummary) => Effect.Effect<void, E, R>
}

/** What {@link fit} returns. */
export interface FitSummary extends TrainSummary {
  readonly epochs: ReadonlyArray<TrainSummary & { readonly epoch: number }>
  /** The step it resumed at (0 for a fresh run). */
  readonly resumedAt: number
}

/**
 * Trains for `epochs` epochs with checkpoints and exact resume. The sampling stream is the run's `Rng`
 * stream `"sampling"`; epoch e uses `sampling.derive("epoch-e")`.
 */
export const fit = <E, R>(
  options: FitOptions<E, R>
): Effect.Effect<FitSummary, NonFiniteLoss | StepFailed | CheckpointError | E, R> =>
  Effect.gen(function* () {
    const progress = yield* Progress
    const sampling = (yield* Rng.Rng).stream("sampling")
    const perEpoch = options.source.stepsPerEpoch
    const totalSteps = perEpoch * options.epochs
    let next = 0
    const ckpt = options.checkpoint
    if (ckpt !== undefined && options.resume !== false && (yield* Checkpoint.exists(ckpt.path))) {
      next = yield* Effect.scoped(
        Effect.gen(function* () {
          const data = yield* Checkpoint.read(ckpt.path)
          yield* Checkpoint.restore(ckpt.path, data, options.learners)
          sampling.restore(data.rng)
          return data.position.nextStep
        })
      )
      yield* progress.message(`resuming from ${ckpt.path} at step ${next} (epoch ${Math.floor(next / perEpoch) + 1})`)
    }
    const resumedAt = next
    const label = options.label ?? "train"
    yield* progress.start({ label, totalSteps, startStep: next })
    const save = (nextStep: number) =>
      ckpt === undefined
        ? Effect.void
        : Checkpoint.write(
            ckpt.path,
            Checkpoint.capture(
              options.learners,
              { nextStep, epoch: Math.floor(nextStep / perEpoch), stepInEpoch: nextStep % perEpoch },
              sampling.state(),
              ckpt.meta ?? null
            )
          ).pipe(
            Effect.tap(() =>
              Effect.sync(() => Interrupted.record(`step ${nextStep} of ${totalSteps} (checkpoint ${ckpt.path})`))
            )
          )
    const epochs: Array<TrainSummary & { epoch: number }> = []
    const all: Array<StepReport> = []
    for (let epoch = Math.floor(next / perEpoch); epoch < options.epochs; epoch++) {
      const skip = next - epoch * perEpoch
      const reports: Array<StepReport> = []
      let position = 0
      yield* Stream.runForEach(
        options.source.epoch(epoch, sampling.derive(`epoch-${epoch}`)).pipe(Stream.take(perEpoch)),
        (input) =>
          Effect.gen(function* () {
            if (position < skip) {
              position++
              disposeInput(input)
              return
            }
            const index = epoch * perEpoch + position
            const report = yield* step(options.learners, input, index)
            reports.push(report)
            all.push(report)
            position++
            next = index + 1
            yield* progress.step(report, { step: index, totalSteps, epoch, totalEpochs: options.epochs })
            if (ckpt?.everySteps !== undefined && next % ckpt.everySteps === 0 && position < perEpoch) yield* save(next)
          })
      )
      const summary = { ...summarise(reports), epoch }
      epochs.push(summary)
      next = (epoch + 1) * perEpoch
      yield* save(next)
      const last = summary.last
      // finish the progress line (a terminal bar is left as one line per epoch) before the epoch's log line
      yield* progress.end()
      // through the progress reporter, not the logger: a logger line would land in the middle of a progress bar
      yield* progress.message(
        `${label}: epoch ${epoch + 1}/${options.epochs} ${summary.imagesPerSecond.toFixed(1)} img/s` +
          (last === undefined
            ? ""
            : ` ${last.learners.map((l) => `${l.name} loss ${l.loss.toFixed(4)} lr ${l.learningRate.toExponential(2)}`).join(" | ")}`)
      )
      if (options.onEpoch !== undefined) yield* options.onEpoch(epoch, summary)
    }
    yield* progress.end()
    return { ...summarise(all), epochs, resumedAt }
  })
