/**
 * Metric losses composed into an Objective: the formula it prints, each term's value and statistics on a PK
 * batch, and a few gradient steps of a small linear embedding model on a synthetic ReID-like batch.
 *
 *     node --conditions=@reidfx/source examples/metric-losses.ts
 *     REIDFX_SMOKE=1 node --conditions=@reidfx/source examples/metric-losses.ts   # a few seconds
 */
import {
  centerLoss,
  circleLoss,
  crossEntropyLabelSmooth,
  Objective,
  semiHard,
  type Step,
  Term,
  tripletBatchHard,
  tripletSoftHard
} from "@reidfx/metric"
import { Backend, Rng } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"

const smoke = process.env["REIDFX_SMOKE"] === "1"
const identities = smoke ? 4 : 16
const perIdentity = 4
const inputDim = 32
const embeddingDim = 16
const steps = smoke ? 5 : 60

const program = Effect.gen(function* () {
  const backend = yield* Backend.Backend
  const objective = yield* Objective.Objective
  const rng = yield* Rng.stream("example")
  console.log(`backend: ${backend.name}`)
  console.log(`objective: L = ${objective.formula}`)

  // A PK batch: each identity is a random centre in input space plus noise (4 images per identity, 2 cameras).
  const centres = Array.from({ length: identities }, () => Array.from({ length: inputDim }, () => rng.normal()))
  const rows = centres.flatMap((c) => Array.from({ length: perIdentity }, () => c.map((v) => v + 0.8 * rng.normal())))
  const inputs = tf.tensor2d(rows)
  const labels = tf.tensor1d(
    Int32Array.from({ length: rows.length }, (_, i) => Math.floor(i / perIdentity)),
    "int32"
  )
  const cameras = tf.tensor1d(
    Int32Array.from({ length: rows.length }, (_, i) => i % 2),
    "int32"
  )

  // A linear embedding and a linear classifier, trained by plain SGD.
  const w = tf.variable(
    tf.tensor2d(
      Array.from({ length: inputDim * embeddingDim }, () => 0.2 * rng.normal()),
      [inputDim, embeddingDim]
    )
  )
  const c = tf.variable(
    tf.tensor2d(
      Array.from({ length: embeddingDim * identities }, () => 0.2 * rng.normal()),
      [embeddingDim, identities]
    )
  )
  const optimizer = tf.train.sgd(0.05)

  const step = (index: number): Record<string, number> => {
    let values: Record<string, number> = {}
    const cost = optimizer.minimize(
      () => {
        const features = tf.matMul(inputs, w) as tf.Tensor2D
        const logits = tf.matMul(features, c) as tf.Tensor2D
        const s: Step = { outputs: { features, logits }, labels, cameras, inputs, index }
        const value = objective.compute(s)
        values = Objective.values(value) // read inside: tfjs frees everything but the total
        return value.total
      },
      true,
      [w, c]
    )
    cost?.dispose()
    return values
  }

  const show = (title: string, values: Record<string, number>) => {
    console.log(title)
    for (const t of objective.terms) {
      const stats = Object.entries(values)
        .filter(([k]) => k.startsWith(`${t.name}.`))
        .map(([k, v]) => `${k.slice(t.name.length + 1)}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
      console.log(
        `  ${`${t.weight} * ${t.name}`.padEnd(36)} ${values[t.name]!.toFixed(4).padStart(9)}   ${stats.join(" ")}`
      )
    }
    console.log(`  ${"total".padEnd(36)} ${values["total"]!.toFixed(4).padStart(9)}`)
  }
  const first = step(0)
  show("step 0 (values before the update):", first)
  let last = first
  for (let i = 1; i < steps; i++) last = step(i)
  show(`step ${steps - 1}:`, last)
  console.log(`total ${first["total"]!.toFixed(4)} -> ${last["total"]!.toFixed(4)} after ${steps} SGD steps`)
  tf.dispose([inputs, labels, cameras, w, c])
  optimizer.dispose()
})

await Effect.runPromise(
  program.pipe(
    Effect.provide(
      Objective.layer(
        crossEntropyLabelSmooth({ epsilon: 0.1 }),
        tripletBatchHard({ margin: 0.3 }),
        Term.named(
          tripletBatchHard({
            margin: 0.3,
            miner: semiHard({ margin: 0.3, fallback: "hardest" }),
            crossCameraPositives: true,
            weight: 0.5
          }),
          "tripletSemiHardCrossCamera"
        ),
        tripletSoftHard({ temperature: 0.5, weight: 0.5 }),
        circleLoss({ gamma: 64, weight: 0.1 }),
        centerLoss({ classes: identities, dimension: embeddingDim, weight: 0.005 })
      )
    ),
    Rng.withSeed(7),
    Effect.provide(Backend.layerFromConfig)
  )
)
