/**
 * Training with a custom Objective: the trainer accepts any weighted sum of `Term`s, including terms written
 * on the spot. Here the strong baseline's two losses are joined by a hand-written term, a "centre spread"
 * regulariser that pulls each identity's embeddings towards their batch mean (a batch-local centre loss,
 * Wen et al. ECCV 2016), and the model is trained on the synthetic world with the resumable `Trainer.fit`.
 *
 *     node --conditions=@reidfx/source examples/train-custom-objective.ts
 *     REIDFX_SMOKE=1 node --conditions=@reidfx/source examples/train-custom-objective.ts   # a few steps only
 */
import * as os from "node:os"
import * as path from "node:path"
import { crossEntropyLabelSmooth, Objective, Term, tripletBatchHard } from "@reidfx/metric"
import { Backend, Rng } from "@reidfx/tensor"
import { LearningRate, Optimizer, Progress, Trainer } from "@reidfx/train"
import { Evaluate, RunConfig, StrongBaseline } from "@reidfx/reid"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Stream } from "effect"

const smoke = process.env["REIDFX_SMOKE"] === "1"

/**
 * Batch centre spread: mean over items of ||f_i - c_{y_i}||^2 / D, with c_y the mean embedding of identity y in
 * the batch. A plain synchronous function of the Step, as every Term must be (it runs inside tf.variableGrads).
 */
const centreSpread = Term.make(
  "centreSpread",
  {},
  (step) => {
    const f = step.outputs.features
    const classes = tf.max(step.labels).dataSync()[0]! + 1
    const onehot = tf.cast(tf.oneHot(step.labels, classes), "float32") // [B, C]
    const counts = tf.maximum(tf.sum(onehot, 0), 1) // [C]
    const centres = tf.div(tf.matMul(onehot, f, true, false), tf.expandDims(counts, 1)) // [C, D]
    const own = tf.matMul(onehot, centres) // [B, D]
    return { loss: tf.mean(tf.square(tf.sub(f, own))) as tf.Scalar }
  },
  0.05
)

const program = Effect.gen(function* () {
  // the data pipeline and model of the default run, at a small size
  const config = yield* RunConfig.load({
    set: smoke
      ? [
          "data.identities=16",
          "data.imagesPerCamera=2",
          "sampler.p=4",
          "sampler.k=2",
          "epochs=1",
          "model.backbone={kind: reference, widths: [16, 32], blocks: [1, 1], stemWidth: 16}"
        ]
      : ["data.identities=80", "epochs=4", "data.difficulty=easy"]
  })
  const s = yield* StrongBaseline.setup(config)
  // the custom Objective: two library terms and ours, with its weight
  const objective = yield* Objective.make(
    crossEntropyLabelSmooth({ epsilon: 0.1 }),
    tripletBatchHard({ margin: 0.3 }),
    centreSpread
  )
  console.log(`objective: L = ${objective.formula}`)
  const optimizer = yield* Optimizer.make({ kind: "adamw", weightDecay: 5e-4 })
  const schedule = yield* LearningRate.decodeConfig({
    learningRate: 1e-3,
    warmup: { epochs: 1 },
    decay: { kind: "cosine" }
  })
  const learner: Trainer.Learner = {
    name: "model",
    model: s.model,
    objective,
    optimizer,
    schedule: LearningRate.make(schedule, { stepsPerEpoch: s.stepsPerEpoch, totalEpochs: config.epochs }).at,
    clipNorm: 10
  }
  const source: Trainer.EpochSource<never> = smoke
    ? { stepsPerEpoch: 3, epoch: (e, rng) => s.source.epoch(e, rng).pipe(Stream.take(3), Stream.orDie) }
    : { stepsPerEpoch: s.stepsPerEpoch, epoch: (e, rng) => s.source.epoch(e, rng).pipe(Stream.orDie) }
  const before = yield* Evaluate.evaluate(s.model, s, s.view)
  const fit = yield* Trainer.fit({
    learners: [learner],
    source,
    epochs: config.epochs,
    checkpoint: { path: path.join(os.tmpdir(), `reidfx-example-${process.pid}.ckpt`) },
    resume: false
  })
  const after = yield* Evaluate.evaluate(s.model, s, s.view)
  const last = fit.last!.learners[0]!
  console.log(
    `trained ${fit.steps} steps at ${fit.imagesPerSecond.toFixed(1)} images/s; last terms: ${Object.entries(last.terms)
      .map(([k, v]) => `${k}=${v.toFixed(4)}`)
      .join(", ")}`
  )
  console.log(StrongBaseline.table(before, after))
}).pipe(
  Effect.scoped,
  Effect.provideService(Progress.Progress, Progress.terminal()),
  Rng.withSeed(1),
  Effect.provide(Backend.layerFromConfig)
)

await Effect.runPromise(program)
process.exit(0)
