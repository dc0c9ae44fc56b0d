/**
 * Knowledge distillation and mutual learning on the synthetic ReID world, with the reidfx stack:
 *
 * 1. a **teacher** (a wider reference net) is trained with cross-entropy + batch-hard triplet;
 * 2. a small **student** is trained twice from the same initial weights: alone, and distilled from the teacher's
 *    frozen snapshot (`Teacher.fromModel`) with logits KD, pairwise distance transfer and the triplet contrast
 *    loss of MDKT on top of its own losses;
 * 3. a **mutual pair** (a wide and a small model) trains both models in the same step, each with its own optimizer
 *    and Objective, learning from each other through mutual logits KD (MDKT L_MKD / DML), AlignedReID's metric
 *    mutual loss and MDKT's mutual triplet contrast loss (the peer's outputs arrive as `Step.peer`).
 *
 * It prints the Objectives' formulas, each term's value at the last step and every model's mAP / rank-1 on the
 * held-out identities. This is an illustration of the API on a small world, not a result: in our run (30 training
 * identities, 20 epochs of 10 PK batches, 2 cores) the teacher reached 49.2 mAP, the student alone 44.2, the
 * distilled student 41.2, and the mutual pair 35.8 (wide) and 34.7 (small): at this scale the transfer terms did
 * not help, and learning mutually from a much weaker peer held the wide model back.
 *
 *     node --conditions=@reidfx/source examples/distill-teacher-student.ts                   # about 8 minutes on 2 cores
 *     REIDFX_SMOKE=1 node --conditions=@reidfx/source examples/distill-teacher-student.ts   # tiny and fast (~10 s)
 */
import { Batch, Dataset, ImageCache, Loader, Sampling, Synthetic } from "@reidfx/data"
import {
  logitsKD,
  metricMutual,
  mutualLogitsKD,
  mutualTripletContrast,
  pairwiseDistance,
  Peer,
  Teacher,
  tripletContrast
} from "@reidfx/distill"
import { evaluateRanking } from "@reidfx/eval"
import { crossEntropyLabelSmooth, Objective, tripletBatchHard } from "@reidfx/metric"
import { Model, type ModelConfig, type TrainableModel } from "@reidfx/model"
import { Backend, Rng } from "@reidfx/tensor"
import { Optimizer, Progress, Trainer } from "@reidfx/train"
import type * as tf from "@tensorflow/tfjs-core"
import { Effect, References, Stream } from "effect"

const smoke = process.env["REIDFX_SMOKE"] === "1"
const setup = smoke
  ? { identities: 12, imagesPerCamera: 2, height: 32, width: 16, epochs: 1, stepsPerEpoch: 2, p: 4, k: 2 }
  : { identities: 60, imagesPerCamera: 4, height: 64, width: 32, epochs: 20, stepsPerEpoch: 10, p: 8, k: 4 }

const world = Synthetic.makeSync({
  identities: setup.identities,
  cameras: 3,
  imagesPerCamera: setup.imagesPerCamera,
  seed: 1
})
const { train, query, gallery } = world.dataset
const labels = Dataset.labelMap(train)
const classes = labels.size
const cache = ImageCache.make(256 * 1024 * 1024)
const loader = { height: setup.height, width: setup.width, cache, prefetch: 2 }

const wide: typeof ModelConfig.ModelConfig.Encoded = {
  backbone: {
    kind: "reference",
    stemWidth: 16,
    widths: smoke ? [16, 32] : [16, 32, 64],
    blocks: smoke ? [1, 1] : [1, 1, 1]
  },
  head: { classes, embedding: 64 }
}
const small: typeof ModelConfig.ModelConfig.Encoded = {
  backbone: { kind: "reference", stemWidth: 8, widths: [8, 16], blocks: [1, 1] },
  head: { classes, embedding: 32 }
}

/** PK batches of the training identities, a fixed number per epoch. */
const source: Trainer.EpochSource<unknown> = {
  stepsPerEpoch: setup.stepsPerEpoch,
  epoch: (epoch, rng) =>
    Stream.fromEffect(
      Sampling.epochPlansEffect(
        train,
        { _tag: "PK", p: setup.p, k: setup.k },
        { seed: rng.nextUint32(), epoch, labels }
      )
    ).pipe(
      Stream.flatMap((plans) =>
        Loader.hostStream(
          Stream.fromIterable(Array.from({ length: setup.stepsPerEpoch }, (_, i) => plans[i % plans.length]!)),
          loader
        )
      ),
      Stream.map((host): Trainer.StepInput => {
        const b = Batch.toTensors(host)
        return { images: b.images, labels: b.labels, cams: b.cams }
      })
    )
}

const learner = (name: string, model: TrainableModel, objective: Objective.ObjectiveService) =>
  Effect.map(
    Optimizer.make({ kind: "adam", weightDecay: 5e-4 }),
    (optimizer): Trainer.Learner => ({
      name,
      model,
      objective,
      optimizer,
      schedule: () => 1e-3
    })
  )

const trainFor = (label: string, learners: ReadonlyArray<Trainer.Learner>) =>
  Effect.gen(function* () {
    let last: Progress.StepReport | undefined
    const progress: Progress.ProgressService = {
      ...Progress.silent,
      step: (report) => Effect.sync(() => void (last = report))
    }
    const summary = yield* Trainer.fit({ learners, source, epochs: setup.epochs, label }).pipe(
      Effect.provideService(Progress.Progress, progress)
    )
    console.log(
      `  ${label}: ${summary.steps} steps, ${(summary.images / Math.max(summary.seconds, 1e-9)).toFixed(1)} images/s; last step:`
    )
    for (const l of last?.learners ?? []) {
      const terms = Object.entries(l.terms)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(", ")
      console.log(`    ${l.name}: loss ${l.loss.toFixed(3)} (${terms})`)
    }
  })

/** Retrieval embeddings (after the BNNeck) of items, in order. */
const embed = (model: TrainableModel, items: typeof query) =>
  Effect.gen(function* () {
    const rows: Array<Float32Array> = []
    yield* Stream.runForEach(
      Loader.hostStream(Stream.fromIterable(Sampling.evaluationPlans(items, 32)), loader),
      (host) =>
        Effect.promise(async () => {
          const batch = Batch.toTensors(host)
          const e = model.embed(batch.images as tf.Tensor4D)
          Batch.dispose(batch)
          rows.push((await e.data()) as Float32Array)
          e.dispose()
        })
    )
    const data = new Float32Array(rows.reduce((n, r) => n + r.length, 0))
    let at = 0
    for (const r of rows) {
      data.set(r, at)
      at += r.length
    }
    return { data, rows: items.length, dim: data.length / items.length }
  })

const score = (name: string, model: TrainableModel) =>
  Effect.gen(function* () {
    const q = yield* embed(model, query)
    const g = yield* embed(model, gallery)
    const r = evaluateRanking(
      {
        query: { features: q, ids: query.map((i) => i.id), cams: query.map((i) => i.cam) },
        gallery: { features: g, ids: gallery.map((i) => i.id), cams: gallery.map((i) => i.cam) }
      },
      { maxRank: Math.min(10, gallery.length) }
    )
    return { name, parameters: model.parameterCount, mAP: r.mAP, rank1: r.rank1 }
  })

const own = [crossEntropyLabelSmooth({ epsilon: 0.1 }), tripletBatchHard({ margin: 0.3 })] as const

const program = Effect.gen(function* () {
  const backend = yield* Backend.Backend
  console.log(
    `backend ${backend.name}; synthetic world: ${classes} training identities, ${query.length} queries, ${gallery.length} gallery images`
  )

  // 1. the teacher
  const teacher = yield* Rng.withSeed(Model.make(wide), 1)
  yield* trainFor("teacher", [yield* learner("teacher", teacher, yield* Objective.make(...own))])
  const snapshot = yield* teacher.snapshot

  // 2. a student alone, and the same student (same initial weights) distilled from the frozen teacher
  const alone = yield* Rng.withSeed(Model.make(small), 2)
  const distilled = yield* Rng.withSeed(Model.make(small), 2)
  const kd = yield* Objective.make(
    ...own,
    logitsKD({ temperature: 4 }),
    pairwiseDistance({ normalize: true, reduction: "mean" }),
    tripletContrast({ normalize: true, temperature: 0.1, reduction: "mean" })
  ).pipe(Effect.provide(Teacher.fromModel(snapshot, { name: "teacher" })))
  console.log(`student objective: L = ${kd.formula}`)
  yield* trainFor("student alone", [yield* learner("student", alone, yield* Objective.make(...own))])
  yield* trainFor("student from the teacher", [yield* learner("student", distilled, kd)])

  // 3. a mutual pair: both train in the same step, each with its own optimizer, learning from the other
  const a = yield* Rng.withSeed(Model.make(wide), 3)
  const b = yield* Rng.withSeed(Model.make(small), 4)
  const mutual = (peer: TrainableModel) =>
    Objective.make(
      ...own,
      mutualLogitsKD({ temperature: 1 }),
      metricMutual({ normalize: true }),
      mutualTripletContrast({ normalize: true, temperature: 0.1, reduction: "mean" })
    ).pipe(
      Effect.provide(
        Peer.fromForward((x) => peer.forward(x as tf.Tensor4D, { training: true }), {
          name: "peer",
          variables: peer.trainableVariables
        })
      )
    )
  const objectiveA = yield* mutual(b)
  console.log(`mutual objective (each model): L = ${objectiveA.formula}`)
  yield* trainFor("mutual pair", [yield* learner("wide", a, objectiveA), yield* learner("small", b, yield* mutual(a))])

  const rows = [
    yield* score("teacher (wide)", teacher),
    yield* score("student alone (small)", alone),
    yield* score("student distilled (small)", distilled),
    yield* score("mutual: wide", a),
    yield* score("mutual: small", b)
  ]
  console.log(`\n${"model".padEnd(28)}${"params".padStart(10)}${"mAP".padStart(8)}${"rank-1".padStart(8)}`)
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(28)}${String(r.parameters).padStart(10)}${(100 * r.mAP).toFixed(1).padStart(8)}${(100 * r.rank1).toFixed(1).padStart(8)}`
    )
  }
})

await Effect.runPromise(
  program.pipe(
    Effect.scoped,
    Effect.provideService(Progress.Progress, Progress.silent),
    Effect.provideService(References.MinimumLogLevel, "Warn"),
    Rng.withSeed(0),
    Effect.provide(Backend.layerFromConfig)
  )
)
process.exit(0)
