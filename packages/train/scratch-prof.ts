import * as tf from "@tensorflow/tfjs-core"
import { Model } from "@reidfx/model"
import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"

const [h, w, b] = (process.argv[2] ?? "64,32,64").split(",").map(Number) as [number, number, number]
const program = Effect.scoped(Effect.gen(function*() {
  const model = yield* Model.make({ backbone: { kind: "reference" }, head: { classes: 100 } })
  const x = tf.randomNormal([b, h, w, 3]) as tf.Tensor4D
  const run = () => tf.tidy(() => { const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.forward(x, { training: true }).features)) as tf.Scalar, [...model.trainableVariables]); Object.values(grads).forEach(g => g.dataSync()) })
  run()
  const info = yield* Effect.promise(() => tf.profile(run))
  const by = new Map<string, [number, number]>()
  for (const k of info.kernels) { const e = by.get(k.name) ?? [0, 0]; e[0] += k.kernelTimeMs as number; e[1]++; by.set(k.name, e) }
  const total = [...by.values()].reduce((s, e) => s + e[0], 0)
  console.log("total kernel ms", total.toFixed(0))
  for (const [k, [t, n]] of [...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, 22)) console.log(k.padEnd(32), t.toFixed(0).padStart(6), n)
})).pipe(Effect.provide(Backend.layerWasm))
await Effect.runPromise(program)
process.exit(0)
