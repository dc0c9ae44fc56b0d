/**
 * Soak test of the torch backend: trains a small reidfx model (reference backbone, BNNeck head; cross-entropy
 * through gather) with Adam for many steps and prints, every `every` steps, tfjs's tensor count, the backend's data
 * ids, the addon's live libtorch tensors and bytes, and the process's resident memory. All but RSS must stay
 * exactly flat; RSS must level off.
 *
 * Run: `node --expose-gc --conditions=@reidfx/source packages/torch-backend/scripts/soak.ts [steps=2000] [every=200]`
 * (`--expose-gc` collects garbage before each report, so the heap column is live data).
 */
import { Model } from "@reidfx/model"
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { loadAddon } from "../src/index.ts"

const steps = Number(process.argv[2] ?? 2000)
const every = Number(process.argv[3] ?? 200)
const scope = Effect.runSync(Scope.make())
const torch = await Effect.runPromise(Layer.buildWithScope(Backend.layerTorch, scope))
const addon = loadAddon()
const model = await Effect.runPromise(
  Scope.provide(
    Model.make({
      backbone: { kind: "reference", stemWidth: 8, widths: [8, 16], blocks: [1, 1] },
      head: { classes: 10, neck: "bnneck" }
    }).pipe(Effect.provideContext(torch)),
    scope
  )
)
const images = tf.randomNormal([8, 32, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D
const labels = [0, 1, 2, 3, 4, 5, 6, 7]
const index = tf.tensor1d(
  labels.map((l, i) => i * 10 + l),
  "int32"
)
const loss = () => {
  const out = model.forward(images, { training: true })
  return tf.neg(tf.mean(tf.gather(tf.reshape(tf.logSoftmax(out.logits!), [-1]), index))) as tf.Scalar
}
const optimizer = tf.train.adam(1e-3)
const started = performance.now()
const gc = (globalThis as { gc?: () => void }).gc
console.log("step\tloss\tnumTensors\tdataIds\tlibtorchTensors\tlibtorchMB\trssMB\theapMB")
for (let step = 1; step <= steps; step++) {
  const value = optimizer.minimize(loss, true, [...model.trainableVariables])!
  const v = value.dataSync()[0]!
  value.dispose()
  if (step === 1 || step % every === 0) {
    gc?.() // with --expose-gc: collect first, so the heap column is live data only
    const s = addon.stats()
    console.log(
      [
        step,
        v.toFixed(4),
        tf.memory().numTensors,
        tf.engine().backend.numDataIds(),
        s.liveTensors,
        (s.liveBytes / 2 ** 20).toFixed(2),
        (process.memoryUsage().rss / 2 ** 20).toFixed(1),
        (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)
      ].join("\t")
    )
  }
}
console.log(`${steps} steps in ${((performance.now() - started) / 1000).toFixed(0)} s`)
optimizer.dispose()
tf.dispose([images, index])
await Effect.runPromise(Scope.close(scope, Exit.void))
