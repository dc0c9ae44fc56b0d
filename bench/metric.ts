/**
 * Loss + gradient time of the metric losses on the wasm backend: batch-hard triplet, soft-hard triplet and circle
 * loss at batch 64 / 128 / 256 and embedding 256 / 2048 (PK batches with 4 images per identity). One run is the
 * forward loss and its gradient with respect to the embeddings (`tf.grad`), read back; the median of the runs is
 * reported in milliseconds.
 *
 *     node --conditions=@reidfx/source bench/metric.ts           # full
 *     node --conditions=@reidfx/source bench/metric.ts --quick   # fewer runs
 */
import { fileURLToPath } from "node:url"
import { CircleLoss, TripletBatchHard, TripletSoftHard } from "@reidfx/metric"
import * as tf from "@tensorflow/tfjs-core"
import { type BenchRow, median, runStandaloneOnWasm, timeRuns } from "./_lib.ts"

const losses: ReadonlyArray<readonly [string, (x: tf.Tensor2D, y: tf.Tensor1D) => tf.Scalar]> = [
  ["tripletBatchHard", (x, y) => TripletBatchHard.loss(x, y, { margin: 0.3 }).loss],
  ["tripletSoftHard", (x, y) => TripletSoftHard.loss(x, y).loss],
  ["circleLoss", (x, y) => CircleLoss.loss(x, y).loss]
]

/** Runs on the current tfjs backend (the runner's `REIDFX_BACKEND`, wasm by default; standalone: wasm). */
export const run = async (options: { readonly quick: boolean }): Promise<Array<BenchRow>> => {
  await tf.ready()
  const runs = options.quick ? 3 : 10
  const rows: Array<BenchRow> = []
  for (const [name, f] of losses) {
    for (const batch of [64, 128, 256]) {
      for (const dim of [256, 2048]) {
        const x = tf.tidy(() => tf.randomNormal([batch, dim], 0, 1, "float32", batch * 7919 + dim)) as tf.Tensor2D
        const y = tf.tensor1d(
          Int32Array.from({ length: batch }, (_, i) => Math.floor(i / 4)),
          "int32"
        )
        const step = () => {
          const g = tf.grad((t: tf.Tensor) => f(t as tf.Tensor2D, y))(x)
          g.dataSync()
          g.dispose()
        }
        const { times, cpu } = timeRuns(runs, step)
        tf.dispose([x, y])
        rows.push({
          suite: "metric",
          case: `${name} loss+grad B=${batch} D=${dim}`,
          median: Number(median(times).toFixed(3)),
          unit: "ms",
          runs,
          extra: { backend: tf.getBackend(), cpuMs: Number(median(cpu).toFixed(3)), batch, dim, imagesPerIdentity: 4 }
        })
      }
    }
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runStandaloneOnWasm(
    run,
    (r) =>
      `${r.case.padEnd(42)} ${r.median.toFixed(2).padStart(9)} ${r.unit}  cpu ${String(r.extra?.["cpuMs"]).padStart(9)} ms  (median of ${r.runs}, ${r.extra?.["backend"]})`
  )
}
