import "@tensorflow/tfjs-backend-cpu"
import * as tf from "@tensorflow/tfjs-core"
import { TripletBatchHard, TripletBatchAll, TripletSoftHard, CircleLoss, Quadruplet, MarginSampleMining, ImprovedTriplet, Contrastive } from "./packages/metric/src/index.ts"
await tf.setBackend("cpu")
const y = tf.tensor1d([0, 1, 2], "int32")
const fs = { bh: TripletBatchHard.loss, ba: TripletBatchAll.loss, sh: TripletSoftHard.loss, circle: CircleLoss.loss, quad: Quadruplet.loss, msml: MarginSampleMining.loss, imp: ImprovedTriplet.loss, contr: Contrastive.loss } as const
for (const [n, f] of Object.entries(fs)) {
  const before = tf.memory().numTensors
  const x = tf.tensor2d([[0, 0], [1, 1], [2, 2]])
  const v = (f as any)(x, y)
  const g = tf.grad((t: tf.Tensor) => (f as any)(t, y).loss)(x)
  const stats = Object.fromEntries(Object.entries(v.stats).map(([k, s]) => [k, (s as tf.Tensor).dataSync()[0]]))
  console.log(n, v.loss.dataSync()[0], Array.from(g.dataSync()).every((z) => z === 0), JSON.stringify(stats))
  tf.dispose([x, g, v.loss, ...Object.values(v.stats) as tf.Tensor[]])
  if (tf.memory().numTensors !== before) console.log("LEAK", n, tf.memory().numTensors - before)
}
