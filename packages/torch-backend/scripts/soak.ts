/**
 * Soak test of the torch backend: trains a reidfx model (`@reidfx/model` reference backbone + BNNeck head,
 * cross-entropy through gather + a feature term) with `@reidfx/train`'s Adam for many steps, so every step runs
 * the fused training kernels (`ReidfxBatchNormTraining` and its gradient, `ReidfxAdam`). Every `every` steps it
 * prints tfjs's tensor count, the backend's data ids, the addon's own allocation counter (live libtorch tensors and
 * the bytes they view), the process's resident memory and the V8 heap; at the end a verdict: the first four must be
 * exactly flat from step `every` on, and RSS must level off (growth over the second half of the run below
 * `--rss-slack` MB, default 64: the allocator and V8 settle over the first hundreds of steps).
 *
 * Run: `node --expose-gc --conditions=@reidfx/source packages/torch-backend/scripts/soak.ts [steps=2000]
 * [every=200] [--rss-slack=64] [--batch=16]` (`--expose-gc` collects garbage before each report, so the heap column
 * is live data). Exit code 1 when a count moved or RSS did not level off. The fast form of the same check (30
 * steps, exact counts) is `test/soak.test.ts`.
 */
import { Model } from "@reidfx/model"
import { Backend } from "@reidfx/tensor"
import { Optimizer } from "@reidfx/train"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { loadAddon } from "../src/index.ts"

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const flag = (name: string, fallback: number) => {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))
  return raw === undefined ? fallback : Number(raw.slice(name.length + 3))
}
const steps = Number(positional[0] ?? 2000)
const every = Number(positional[1] ?? 200)
const rssSlackMB = flag("rss-slack", 64)
const batch = flag("batch", 16)
const classes = 10

const scope = Effect.runSync(Scope.make())
await Effect.runPromise(Layer.buildWithScope(Backend.layerTorch, scope))
const addon = loadAddon()
const model = await Effect.runPromise(
  Scope.provide(
    Model.make({
      backbone: { kind: "reference", stemWidth: 8, widths: [8, 16], blocks: [1, 1] },
      head: { classes, neck: "bnneck", embedding: 16 }
    }),
    scope
  )
)
const optimizer = await Effect.runPromise(Scope.provide(Optimizer.make({ kind: "adam", weightDecay: 5e-4 }), scope))
const images = tf.randomNormal([batch, 32, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D
const index = tf.tensor1d(
  Array.from({ length: batch }, (_, i) => i * classes + (i % classes)),
  "int32"
)
const variables = model.trainableVariables
const step = (): number => {
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(images, { training: true })
    const ce = tf.neg(tf.mean(tf.gather(tf.reshape(tf.logSoftmax(out.logits!), [-1]), index)))
    return tf.add(ce, tf.div(tf.mean(tf.sum(tf.square(out.features), 1)), 100)) as tf.Scalar
  }, [...variables])
  optimizer.apply(
    variables.map((v) => ({ name: model.nameOf(v), variable: v, grad: grads[v.name]! })),
    1e-3
  )
  const loss = value.dataSync()[0]!
  tf.dispose([value, ...Object.values(grads)])
  return loss
}

interface Report {
  readonly step: number
  readonly loss: number
  readonly tensors: number
  readonly dataIds: number
  readonly live: number
  readonly liveBytes: number
  readonly rssMB: number
  readonly heapMB: number
}
const gc = (globalThis as { gc?: () => void }).gc
const reports: Array<Report> = []
const started = performance.now()
console.log("step\tloss\tnumTensors\tdataIds\tlibtorchTensors\tlibtorchMB\trssMB\theapMB")
for (let s = 1; s <= steps; s++) {
  const loss = step()
  if (s === 1 || s % every === 0) {
    gc?.() // with --expose-gc: collect first, so the heap column is live data only
    const stats = addon.stats()
    const r: Report = {
      step: s,
      loss,
      tensors: tf.memory().numTensors,
      dataIds: tf.engine().backend.numDataIds(),
      live: stats.liveTensors,
      liveBytes: stats.liveBytes,
      rssMB: process.memoryUsage().rss / 2 ** 20,
      heapMB: process.memoryUsage().heapUsed / 2 ** 20
    }
    reports.push(r)
    console.log(
      [
        r.step,
        r.loss.toFixed(4),
        r.tensors,
        r.dataIds,
        r.live,
        (r.liveBytes / 2 ** 20).toFixed(3),
        r.rssMB.toFixed(1),
        r.heapMB.toFixed(1)
      ].join("\t")
    )
  }
}
const seconds = (performance.now() - started) / 1000
// from the first periodic report on (step 1 precedes the optimizer's slots and tfjs's lazily made tensors)
const steady = reports.filter((r) => r.step >= every)
const flat = (key: "tensors" | "dataIds" | "live" | "liveBytes") => steady.every((r) => r[key] === steady[0]![key])
const half = steady.filter((r) => r.step >= steps / 2)
const rssGrowth = half.length > 1 ? half[half.length - 1]!.rssMB - half[0]!.rssMB : 0
const checks = {
  numTensors: flat("tensors"),
  dataIds: flat("dataIds"),
  libtorchTensors: flat("live"),
  libtorchBytes: flat("liveBytes"),
  rssLevels: rssGrowth < rssSlackMB
}
console.log(
  `${steps} steps (batch ${batch}) in ${seconds.toFixed(0)} s; RSS ${reports[0]!.rssMB.toFixed(0)} MB at step 1, ` +
    `${reports[reports.length - 1]!.rssMB.toFixed(0)} MB at the end, ${rssGrowth.toFixed(1)} MB over the second half ` +
    `(slack ${rssSlackMB}); flat: ${JSON.stringify(checks)}`
)
tf.dispose([images, index])
await Effect.runPromise(Scope.close(scope, Exit.void))
if (!Object.values(checks).every(Boolean)) process.exitCode = 1
