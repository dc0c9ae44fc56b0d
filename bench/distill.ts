/**
 * Loss + gradient time of the distillation terms on the wasm backend: logits KD, mutual logits KD and LwF on
 * `[B, 751]` logits; pairwise distance transfer, TCL, MTCL, metric mutual learning, RKD distance and angle on
 * `[B, D]` embeddings (PK batches, 4 images per identity); DwPP / DwoPP on episodes (ways x (5 shots + 1 query)).
 * One run is the loss and its gradient with respect to the student's input (`tf.grad`), read back; the median of
 * the runs is reported in milliseconds.
 *
 *     node --conditions=@reidfx/source bench/distill.ts           # full
 *     node --conditions=@reidfx/source bench/distill.ts --quick   # fewer runs
 */
import { fileURLToPath } from "node:url"
import {
  DwoPP,
  DwPP,
  LogitsKD,
  LwF,
  MetricMutual,
  MutualLogitsKD,
  MutualTripletContrast,
  PairwiseDistance,
  RkdAngle,
  RkdDistance,
  TripletContrast
} from "@reidfx/distill"
import * as tf from "@tensorflow/tfjs-core"
import { type BenchRow, median, runStandaloneOnWasm, timeRuns } from "./_lib.ts"

type Case = {
  readonly name: string
  readonly size: string
  readonly rows: number
  readonly dim: number
  readonly loss: (student: tf.Tensor2D, target: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar
}

const pk = (rows: number) =>
  tf.tensor1d(
    Int32Array.from({ length: rows }, (_, i) => Math.floor(i / 4)),
    "int32"
  )

const cases = (quick: boolean): ReadonlyArray<Case> => {
  const out: Array<Case> = []
  const batches = quick ? [64] : [64, 128]
  for (const b of batches) {
    out.push({ name: "logitsKD", size: `B=${b} K=751`, rows: b, dim: 751, loss: (s, t) => LogitsKD.loss(s, t).loss })
    out.push({
      name: "mutualLogitsKD",
      size: `B=${b} K=751`,
      rows: b,
      dim: 751,
      loss: (s, t) => MutualLogitsKD.loss(s, t).loss
    })
    out.push({ name: "lwf", size: `B=${b} K=751`, rows: b, dim: 751, loss: (s, t) => LwF.loss(s, t).loss })
    for (const d of quick ? [256] : [256, 2048]) {
      const size = `B=${b} D=${d}`
      out.push({ name: "pairwiseDistance", size, rows: b, dim: d, loss: (s, t) => PairwiseDistance.loss(s, t).loss })
      out.push({
        name: "tripletContrast",
        size,
        rows: b,
        dim: d,
        loss: (s, t, y) => TripletContrast.loss(s, t, y).loss
      })
      out.push({
        name: "mutualTripletContrast",
        size,
        rows: b,
        dim: d,
        loss: (s, t, y) => MutualTripletContrast.loss(s, t, y).loss
      })
      out.push({ name: "metricMutual", size, rows: b, dim: d, loss: (s, t) => MetricMutual.loss(s, t).loss })
      out.push({ name: "rkdDistance", size, rows: b, dim: d, loss: (s, t) => RkdDistance.loss(s, t).loss })
      out.push({ name: "rkdAngle", size, rows: b, dim: d, loss: (s, t) => RkdAngle.loss(s, t).loss })
    }
  }
  for (const ways of quick ? [16] : [16, 32]) {
    const episode = { ways, shots: 5, queries: 1 }
    const rows = ways * 6
    out.push({
      name: "dwpp",
      size: `${ways}-way 5-shot D=2048`,
      rows,
      dim: 2048,
      loss: (s, t) => DwPP.loss(s, t, episode).loss
    })
    out.push({
      name: "dwopp",
      size: `${ways}-way 5-shot D=2048`,
      rows,
      dim: 2048,
      loss: (s, t) => DwoPP.loss(s, t, episode).loss
    })
  }
  return out
}

/** Runs on the current tfjs backend (the runner's `REIDFX_BACKEND`, wasm by default; standalone: wasm). */
export const run = async (options: { readonly quick: boolean }): Promise<Array<BenchRow>> => {
  await tf.ready()
  const runs = options.quick ? 3 : 10
  const rows: Array<BenchRow> = []
  for (const c of cases(options.quick)) {
    const student = tf.randomNormal([c.rows, c.dim], 0, 1, "float32", c.rows * 7919 + c.dim) as tf.Tensor2D
    const target = tf.randomNormal([c.rows, c.dim], 0, 1, "float32", c.rows * 104729 + c.dim) as tf.Tensor2D
    const labels = pk(c.rows)
    const step = () => {
      const g = tf.grad((x: tf.Tensor) => c.loss(x as tf.Tensor2D, target, labels))(student)
      g.dataSync()
      g.dispose()
    }
    const { times, cpu } = timeRuns(runs, step)
    tf.dispose([student, target, labels])
    rows.push({
      suite: "distill",
      case: `${c.name} loss+grad ${c.size}`,
      median: Number(median(times).toFixed(3)),
      unit: "ms",
      runs,
      extra: { backend: tf.getBackend(), cpuMs: Number(median(cpu).toFixed(3)), rows: c.rows, dim: c.dim }
    })
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runStandaloneOnWasm(
    run,
    (r) =>
      `${r.case.padEnd(52)} ${r.median.toFixed(2).padStart(9)} ${r.unit}  cpu ${String(r.extra?.["cpuMs"]).padStart(9)} ms  (median of ${r.runs}, ${r.extra?.["backend"]})`
  )
}
