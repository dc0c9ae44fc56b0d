import * as tf from "@tensorflow/tfjs-core"
import { Objective, crossEntropyLabelSmooth, tripletBatchHard } from "@reidfx/metric"
import { Model } from "@reidfx/model"
import { Backend } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import { Optimizer, Trainer } from "./src/index.ts"

const [h, w, b] = (process.argv[2] ?? "64,32,64").split(",").map(Number) as [number, number, number]
const program = Effect.scoped(Effect.gen(function*() {
  const info = yield* Backend.Backend
  console.log("backend", info.name, "threads", info.threads)
  const model = yield* Model.make({ backbone: { kind: "reference" }, head: { classes: 100 } })
  const objective = yield* Objective.make(crossEntropyLabelSmooth({ epsilon: 0.1 }), tripletBatchHard({ margin: 0.3 }))
  const optimizer = yield* Optimizer.make({ kind: "adam" })
  const l = { name: "model", model, objective, optimizer, schedule: () => 3.5e-4 }
  const labels = Array.from({ length: b }, (_, i) => Math.floor(i / 4))
  const times: number[] = []
  for (let i = 0; i < 6; i++) {
    const batch = { images: tf.randomNormal([b, h, w, 3]) as tf.Tensor4D, labels: tf.tensor1d(labels, "int32") }
    const r = yield* Trainer.step([l], batch, i)
    times.push(r.seconds)
    console.log(i, r.seconds.toFixed(3), JSON.stringify(r.learners[0]!.terms), tf.memory().numTensors)
  }
  const med = times.slice(1).sort()[2]!
  console.log(`${h}x${w} batch ${b}: ${med.toFixed(3)} s/step, ${(b / med).toFixed(1)} img/s`)
  const x = tf.randomNormal([b, h, w, 3]) as tf.Tensor4D
  const t0 = performance.now(); for (let i = 0; i < 3; i++) { const e = model.embed(x); e.dataSync(); e.dispose() }
  console.log("inference img/s", (3 * b / ((performance.now() - t0) / 1000)).toFixed(1))
})).pipe(Effect.provide(Backend.layerWasm))
await Effect.runPromise(program)
process.exit(0)
