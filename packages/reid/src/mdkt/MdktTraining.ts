/**
 * The two training stages of MDKT on `@reidfx/train`'s trainer:
 *
 * - {@link trainTeacher} (stage 1): one learner, the teacher, on PK batches of `T`-frame clips, with L_TR.
 * - {@link trainPair} (stage 2): the trainer's mutual step with two learners, the student on its `T_s`-frame
 *   clips and the teacher on the `T`-frame clips they were cut from; each sees the other's detached outputs as
 *   `Step.peer`. A `frozen` teacher is a learner with no trainable variable and an empty Objective whose forward
 *   is the frozen snapshot (inference mode, no gradient), so the student's terms read it the same way.
 *
 * Batches are drawn from the run's seeded `sampling` stream, so every row of a table sees the same batches.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Objective } from "@reidfx/metric"
import type { TrainableModel } from "@reidfx/model"
import type { RandomStream } from "@reidfx/tensor"
import { type Learner, type NonFiniteLoss, Optimizer, type StepFailed, type StepReport, Trainer } from "@reidfx/train"
import { Effect, type Scope } from "effect"
import {
  ClipData,
  type FrameLoader,
  type FrozenVideoModel,
  type TrackletIndex,
  type TrainableVideoModel
} from "@reidfx/video"
import type { BatchSpec, OptimizerSpec, TeacherStage } from "./MdktProtocol.ts"
import { teacherObjective } from "./MdktObjective.ts"

const { drawBatch } = ClipData
type FrameSampling = ClipData.FrameSampling

/** What a stage reports when it ends. @category models @since 0.1.0 */
export interface StageSummary {
  readonly steps: number
  readonly seconds: number
  /** Clips per second (teacher clips; the student's are cut from them). */
  readonly clipsPerSecond: number
  /** Each learner's mean loss and mean term values over the last epoch. */
  readonly lastEpoch: Readonly<Record<string, Readonly<Record<string, number>>>>
}

/** A progress callback: one line per epoch. @category models @since 0.1.0 */
export type EpochLog = (line: string) => Effect.Effect<void>

/**
 * A video model as the trainer's `TrainableModel`: the trainer only reads `trainableVariables`, `nameOf` and
 * (through the learner's own `forward`) never the image forward, so the other fields are not needed.
 */
const asLearnerModel = (model: Pick<TrainableVideoModel, "trainableVariables" | "nameOf">): TrainableModel =>
  ({ trainableVariables: model.trainableVariables, nameOf: model.nameOf }) as unknown as TrainableModel

const frozenLearnerModel: TrainableModel = asLearnerModel({
  trainableVariables: [],
  nameOf: (v) => {
    throw new Error(`frozen teacher: ${v.name} is not trainable`)
  }
})

/** `@reidfx/train`'s optimizer of an optimizer spec (its state is owned by the current Scope). @category constructors @since 0.1.0 */
export const optimizerOf = (spec: OptimizerSpec): Effect.Effect<Optimizer.Optimizer, never, Scope.Scope> =>
  Optimizer.fromConfig(
    spec.kind === "adam"
      ? { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: spec.weightDecay, decayScope: "all" }
      : {
          kind: "sgd",
          momentum: spec.momentum,
          dampening: 0,
          nesterov: false,
          weightDecay: spec.weightDecay,
          decayScope: "all"
        }
  )

const stepsPerEpoch = (index: TrackletIndex, batch: BatchSpec, explicit: number | undefined): number =>
  explicit ?? Math.max(1, Math.ceil(index.tracklets.length / (batch.identities * batch.instances)))

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1)

class EpochStats {
  private readonly values = new Map<string, Map<string, Array<number>>>()
  add(report: StepReport): void {
    for (const l of report.learners) {
      let m = this.values.get(l.name)
      if (m === undefined) this.values.set(l.name, (m = new Map()))
      const push = (k: string, v: number) => {
        const a = m!.get(k)
        if (a === undefined) m!.set(k, [v])
        else a.push(v)
      }
      push("loss", l.loss)
      for (const [k, v] of Object.entries(l.terms)) push(k, v)
    }
  }
  summary(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const [name, m] of this.values) out[name] = Object.fromEntries([...m].map(([k, v]) => [k, mean(v)]))
    return out
  }
  line(): string {
    return Object.entries(this.summary())
      .map(
        ([name, m]) =>
          `${name}: ` +
          Object.entries(m)
            .map(([k, v]) => `${k}=${v.toFixed(3)}`)
            .join(" ")
      )
      .join(" | ")
  }
}

const clipInput = (
  pixels: Float32Array,
  b: number,
  t: number,
  h: number,
  w: number,
  labels: Int32Array,
  cams: Int32Array
) => ({
  images: tf.tensor5d(pixels, [b, t, h, w, 3]),
  labels: tf.tensor1d(labels, "int32"),
  cams: tf.tensor1d(cams, "int32")
})

/**
 * Stage 1: trains the teacher video-to-video (L_TR on PK batches of `stage.frames`-frame clips).
 * @category training
 * @since 0.1.0
 */
export const trainTeacher = (options: {
  readonly model: TrainableVideoModel
  readonly index: TrackletIndex
  readonly loader: FrameLoader
  readonly stage: TeacherStage
  readonly flip: number
  readonly rng: RandomStream
  readonly log?: EpochLog
}): Effect.Effect<StageSummary, NonFiniteLoss | StepFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const { model, index, loader, stage, rng } = options
    const objective = yield* teacherObjective(stage.tr)
    const optimizer = yield* optimizerOf(stage.optimizer)
    const learner: Learner = {
      name: "teacher",
      model: asLearnerModel(model),
      objective,
      optimizer,
      schedule: () => stage.optimizer.learningRate,
      forward: (x, training) => model.forward(x, { training })
    }
    const perEpoch = stepsPerEpoch(index, stage.batch, stage.batchesPerEpoch)
    const started = performance.now()
    let clips = 0
    let last: Record<string, Record<string, number>> = {}
    for (let epoch = 0; epoch < stage.epochs; epoch++) {
      const stats = new EpochStats()
      for (let s = 0; s < perEpoch; s++) {
        const batch = drawBatch(
          index,
          loader,
          {
            identities: stage.batch.identities,
            instances: stage.batch.instances,
            teacherFrames: stage.frames,
            studentFrames: 0,
            sampling: stage.sampling,
            flip: options.flip
          },
          rng
        )
        const input = clipInput(
          batch.teacherPixels,
          batch.size,
          stage.frames,
          loader.height,
          loader.width,
          batch.labels,
          batch.cams
        )
        stats.add(yield* Trainer.step([learner], input, epoch * perEpoch + s))
        clips += batch.size
      }
      last = stats.summary()
      if (options.log !== undefined) yield* options.log(`stage 1 epoch ${epoch + 1}/${stage.epochs}: ${stats.line()}`)
    }
    const seconds = (performance.now() - started) / 1000
    return { steps: stage.epochs * perEpoch, seconds, clipsPerSecond: clips / seconds, lastEpoch: last }
  })

/** The teacher of stage 2: trainable (modes `withoutMutual`, `mutual`) or a frozen snapshot (`frozen`). @category models @since 0.1.0 */
export type StageTwoTeacher =
  | {
      readonly _tag: "Trainable"
      readonly model: TrainableVideoModel
      readonly objective: Objective.ObjectiveService
      readonly optimizer: OptimizerSpec
    }
  | { readonly _tag: "Frozen"; readonly model: FrozenVideoModel }

/**
 * Stage 2: the mutual step of `@reidfx/train` with the student (its `studentFrames`-frame clips) and the
 * teacher (the `teacherFrames`-frame clips they are cut from).
 * @category training
 * @since 0.1.0
 */
export const trainPair = (options: {
  readonly student: TrainableVideoModel
  readonly studentObjective: Objective.ObjectiveService
  readonly studentOptimizer: OptimizerSpec
  readonly teacher: StageTwoTeacher
  readonly index: TrackletIndex
  readonly loader: FrameLoader
  readonly epochs: number
  readonly batchesPerEpoch?: number | undefined
  readonly batch: BatchSpec
  readonly studentFrames: number
  readonly teacherFrames: number
  readonly sampling: FrameSampling
  readonly flip: number
  readonly rng: RandomStream
  readonly log?: EpochLog
}): Effect.Effect<StageSummary, NonFiniteLoss | StepFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const { student, teacher, index, loader, rng } = options
    const studentLearner: Learner = {
      name: "student",
      model: asLearnerModel(student),
      objective: options.studentObjective,
      optimizer: yield* optimizerOf(options.studentOptimizer),
      schedule: () => options.studentOptimizer.learningRate,
      forward: (x, training) => student.forward(x, { training })
    }
    const teacherLearner: Learner =
      teacher._tag === "Trainable"
        ? {
            name: "teacher",
            model: asLearnerModel(teacher.model),
            objective: teacher.objective,
            optimizer: yield* optimizerOf(teacher.optimizer),
            schedule: () => teacher.optimizer.learningRate,
            forward: (x, training) => teacher.model.forward(x, { training })
          }
        : {
            name: "teacher",
            model: frozenLearnerModel,
            // an empty Objective (`Objective.make()` with no terms infers its requirement as `unknown`: see the README)
            objective: yield* Objective.make() as Effect.Effect<Objective.ObjectiveService>,
            optimizer: yield* optimizerOf({ kind: "sgd", learningRate: 0, weightDecay: 0, momentum: 0 }),
            schedule: () => 0,
            forward: (x) => teacher.model.forward(x)
          }
    const perEpoch = stepsPerEpoch(index, options.batch, options.batchesPerEpoch)
    const started = performance.now()
    let clips = 0
    let last: Record<string, Record<string, number>> = {}
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const stats = new EpochStats()
      for (let s = 0; s < perEpoch; s++) {
        const batch = drawBatch(
          index,
          loader,
          {
            identities: options.batch.identities,
            instances: options.batch.instances,
            teacherFrames: options.teacherFrames,
            studentFrames: options.studentFrames,
            sampling: options.sampling,
            flip: options.flip
          },
          rng
        )
        const h = loader.height
        const w = loader.width
        const input = [
          clipInput(batch.studentPixels!, batch.size, options.studentFrames, h, w, batch.labels, batch.cams),
          clipInput(batch.teacherPixels, batch.size, options.teacherFrames, h, w, batch.labels, batch.cams)
        ] as const
        stats.add(yield* Trainer.step([studentLearner, teacherLearner], input, epoch * perEpoch + s))
        clips += batch.size
      }
      last = stats.summary()
      if (options.log !== undefined) yield* options.log(`stage 2 epoch ${epoch + 1}/${options.epochs}: ${stats.line()}`)
    }
    const seconds = (performance.now() - started) / 1000
    return { steps: options.epochs * perEpoch, seconds, clipsPerSecond: clips / seconds, lastEpoch: last }
  })
