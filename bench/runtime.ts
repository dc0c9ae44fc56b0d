/**
 * Runtime benchmark: one training step of the reference ReID net (forward + backward + Adam, cross-entropy +
 * batch-hard triplet) at 128x64, batch 32 and 64; inference; matmul and conv GFLOP/s; and the tensor count and
 * memory over the measured steps (they must stay flat).
 *
 * The reference net (see shared/docs/wasm-backend-notes.md): stem conv3x3/2 (32) + BN + ReLU + maxpool 3x3/2;
 * 4 stages x 2 basic blocks, widths 32-64-128-256, stride 2 and a 1x1 downsample at each later stage; global
 * average pooling, 256-d embedding, BN neck, linear classifier (751 classes). ~3.0 M parameters. Built here with
 * tf.layers so the bench is self-contained.
 *
 * Run: `npm run bench -- --only runtime [--quick]`.
 */
import * as tf from "@tensorflow/tfjs-core"
import * as tfl from "@tensorflow/tfjs-layers"
import { RandomStream, WasmKernels } from "@reidfx/tensor"
import { type BenchRow, median } from "./_lib.ts"

const height = 128
const width = 64
const classes = 751
const identitiesPerBatch = 8

const convBn = (x: tfl.SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string) => {
  const conv = tfl.layers
    .conv2d({
      filters,
      kernelSize,
      strides,
      padding: "same",
      useBias: false,
      kernelInitializer: "heNormal",
      name: `${name}_conv`
    })
    .apply(x) as tfl.SymbolicTensor
  return tfl.layers.batchNormalization({ name: `${name}_bn` }).apply(conv) as tfl.SymbolicTensor
}

const relu = (x: tfl.SymbolicTensor, name: string) =>
  tfl.layers.activation({ activation: "relu", name }).apply(x) as tfl.SymbolicTensor

const basicBlock = (x: tfl.SymbolicTensor, filters: number, strides: number, name: string) => {
  const inChannels = x.shape[3]
  const a = relu(convBn(x, filters, 3, strides, `${name}_a`), `${name}_a_relu`)
  const b = convBn(a, filters, 3, 1, `${name}_b`)
  const shortcut = strides !== 1 || inChannels !== filters ? convBn(x, filters, 1, strides, `${name}_down`) : x
  return relu(tfl.layers.add({ name: `${name}_add` }).apply([b, shortcut]) as tfl.SymbolicTensor, `${name}_out`)
}

/** The reference ReID net: outputs [embedding (before the BN neck), logits]. */
export const referenceNet = (): tfl.LayersModel => {
  const input = tfl.input({ shape: [height, width, 3], name: "images" })
  let x = relu(convBn(input, 32, 3, 2, "stem"), "stem_relu")
  x = tfl.layers
    .maxPooling2d({ poolSize: 3, strides: 2, padding: "same", name: "stem_pool" })
    .apply(x) as tfl.SymbolicTensor
  const widths = [32, 64, 128, 256]
  widths.forEach((w, stage) => {
    x = basicBlock(x, w, stage === 0 ? 1 : 2, `s${stage + 1}b1`)
    x = basicBlock(x, w, 1, `s${stage + 1}b2`)
  })
  const pooled = tfl.layers.globalAveragePooling2d({ name: "gap" }).apply(x) as tfl.SymbolicTensor
  const embedding = tfl.layers.dense({ units: 256, name: "embedding" }).apply(pooled) as tfl.SymbolicTensor
  const neck = tfl.layers.batchNormalization({ name: "neck" }).apply(embedding) as tfl.SymbolicTensor
  const logits = tfl.layers
    .dense({ units: classes, useBias: false, name: "classifier" })
    .apply(neck) as tfl.SymbolicTensor
  return tfl.model({ inputs: input, outputs: [embedding, logits], name: "reference_reid_net" })
}

/** Batch-hard triplet loss (Hermans et al. 2017) with margin 0.3 on Euclidean distances. */
export const tripletBatchHard = (
  embeddings: tf.Tensor2D,
  positive: tf.Tensor2D,
  negative: tf.Tensor2D,
  margin = 0.3
): tf.Scalar => {
  const squared = tf.sum(tf.square(embeddings), 1, true)
  const gram = tf.matMul(embeddings, embeddings, false, true)
  const distances = tf.sqrt(tf.maximum(tf.add(tf.sub(squared, tf.mul(gram, 2)), tf.transpose(squared)), 1e-12))
  const hardestPositive = tf.max(tf.mul(distances, positive), 1)
  const hardestNegative = tf.min(tf.add(distances, tf.mul(tf.sub(1, negative), 1e6)), 1)
  return tf.mean(tf.relu(tf.add(tf.sub(hardestPositive, hardestNegative), margin)))
}

/** Cross-entropy through gather (the path whose gradient needs UnsortedSegmentSum). */
export const crossEntropy = (logits: tf.Tensor2D, labels: ReadonlyArray<number>): tf.Scalar => {
  const flat = tf.reshape(tf.logSoftmax(logits), [-1])
  const index = tf.tensor1d(
    labels.map((label, i) => i * classes + label),
    "int32"
  )
  return tf.neg(tf.mean(tf.gather(flat, index)))
}

export interface Batch {
  readonly images: tf.Tensor4D
  readonly labels: ReadonlyArray<number>
  readonly positive: tf.Tensor2D
  readonly negative: tf.Tensor2D
}

/** A fixed P x K batch (8 identities) of random images. */
export const makeBatch = (size: number, seed: number): Batch => {
  const rng = RandomStream.fromSeed(seed, "bench")
  const values = new Float32Array(size * height * width * 3)
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-1, 1)
  const perIdentity = size / identitiesPerBatch
  const labels = Array.from({ length: size }, (_, i) => (Math.floor(i / perIdentity) * 37) % classes)
  const same = labels.flatMap((a, i) => labels.map((b, j) => (a === b && i !== j ? 1 : 0)))
  const different = labels.flatMap((a) => labels.map((b) => (a === b ? 0 : 1)))
  return {
    images: tf.tensor4d(values, [size, height, width, 3]),
    labels,
    positive: tf.tensor2d(same, [size, size]),
    negative: tf.tensor2d(different, [size, size])
  }
}

export const disposeBatch = (b: Batch) => tf.dispose([b.images, b.positive, b.negative])

const now = () => performance.now()

/** Times `steps` training steps (after `warmup`), returning per-step milliseconds and the tensor/memory trace. */
export const trainSteps = (model: tfl.LayersModel, batch: Batch, warmup: number, steps: number) => {
  const optimizer = tf.train.adam(3.5e-4)
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  const step = () => {
    const loss = optimizer.minimize(
      () => {
        const [embeddings, logits] = model.apply(batch.images, { training: true }) as [tf.Tensor2D, tf.Tensor2D]
        return tf.add(
          crossEntropy(logits, batch.labels),
          tripletBatchHard(embeddings, batch.positive, batch.negative)
        ) as tf.Scalar
      },
      true,
      variables
    )!
    const value = loss.dataSync()[0]!
    loss.dispose()
    return value
  }
  for (let i = 0; i < warmup; i++) step()
  const times: Array<number> = []
  const cpuTimes: Array<number> = []
  const tensors: Array<number> = []
  const bytes: Array<number> = []
  let lastLoss = Number.NaN
  for (let i = 0; i < steps; i++) {
    const start = now()
    const cpuStart = process.cpuUsage()
    lastLoss = step()
    const cpu = process.cpuUsage(cpuStart)
    times.push(now() - start)
    cpuTimes.push((cpu.user + cpu.system) / 1000)
    tensors.push(tf.memory().numTensors)
    bytes.push(tf.memory().numBytes)
  }
  optimizer.dispose()
  return { times, cpuTimes, tensors, bytes, lastLoss }
}

const gflops = (flops: number, ms: number) => flops / (ms / 1000) / 1e9

export const timeOp = (make: () => tf.Tensor, runs: number): Array<number> => {
  tf.dispose(make()) // warm-up (XNNPACK operator creation)
  const out: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = now()
    const t = make()
    t.dataSync()
    out.push(now() - start)
    t.dispose()
  }
  return out
}

/** Runs the stock wasm kernel that reidfx replaced (outside the engine's kernel registry). */
const stockKernel = (kernelName: string, inputs: tf.NamedTensorMap, attrs: object) => (): tf.Tensor => {
  const original = WasmKernels.originalWasmKernel(kernelName)
  if (original === undefined) throw new Error(`no stock ${kernelName}`)
  const out = original.kernelFunc({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap })
  return tf.engine().makeTensorFromTensorInfo(Array.isArray(out) ? out[0]! : out)
}

const reidfxKernel = (kernelName: string, inputs: tf.NamedTensorMap, attrs: object) => (): tf.Tensor =>
  tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor

/** The replaced kernels against the stock wasm ones, on shapes of the reference net at batch 32 (wasm only). */
const kernelComparisons = (quick: boolean): Array<BenchRow> => {
  if (tf.getBackend() !== "wasm") return []
  const runs = quick ? 3 : 10
  const rows: Array<BenchRow> = []
  const compare = (name: string, kernelName: string, inputs: tf.NamedTensorMap, attrs: object) => {
    const ours = median(timeOp(reidfxKernel(kernelName, inputs, attrs), runs))
    const stock = median(timeOp(stockKernel(kernelName, inputs, attrs), runs))
    rows.push({
      suite: "runtime",
      case: `${name}: stock / reidfx time`,
      median: stock / ours,
      unit: "x faster",
      runs,
      extra: { reidfxMs: Number(ours.toFixed(2)), stockMs: Number(stock.toFixed(2)) }
    })
  }
  const x = tf.randomNormal([32, 32, 16, 64], 0, 1, "float32", 7) as tf.Tensor4D
  const f = tf.randomNormal([3, 3, 64, 64], 0, 1, "float32", 8) as tf.Tensor4D
  compare(
    "Conv2DBackpropInput 3x3 s1 32x32x16x64",
    "Conv2DBackpropInput",
    { dy: x, filter: f },
    { strides: 1, pad: "same", dataFormat: "NHWC", inputShape: x.shape }
  )
  const big = tf.randomNormal([32, 64, 32, 32], 0, 1, "float32", 9) as tf.Tensor4D
  const pooled = tf.maxPool(big, 3, 2, "same")
  const dyPool = tf.randomNormal(pooled.shape, 0, 1, "float32", 10)
  compare(
    "MaxPoolGrad 3x3/2 32x64x32x32",
    "MaxPoolGrad",
    { dy: dyPool, input: big, output: pooled },
    { filterSize: 3, strides: 2, pad: "same" }
  )
  const a = tf.randomNormal([1, 256, 751], 0, 1, "float32", 11)
  const b = tf.randomNormal([1, 32, 751], 0, 1, "float32", 12)
  const c = tf.randomNormal([1, 32, 256], 0, 1, "float32", 13)
  compare(
    "BatchMatMul [32,751] x [256,751]^T (classifier input gradient)",
    "BatchMatMul",
    { a: b, b: a },
    { transposeA: false, transposeB: true }
  )
  compare(
    "BatchMatMul [32,256]^T x [32,751] (classifier weight gradient)",
    "BatchMatMul",
    { a: c, b },
    { transposeA: true, transposeB: false }
  )
  // the BatchNorm gradient: stock (tiles 1/sqrt(var) to activation size) vs reidfx (broadcasting)
  {
    const gamma = tf.ones([32])
    const beta = tf.zeros([32])
    const grads = () =>
      tf.grads((xv: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => {
        const { mean, variance } = tf.moments(xv, [0, 1, 2])
        return tf.sum(tf.batchNorm(xv, mean, variance, bb, g, 1e-3))
      })([big, gamma, beta])
    const ours = median(timeOp(() => tf.tidy(() => grads()[0]!), runs))
    const registered = tf.getGradient("FusedBatchNorm")
    const stock = WasmKernels.stockFusedBatchNormGrad()
    let stockMs = Number.NaN
    if (registered !== undefined && stock !== undefined) {
      tf.registerGradient(stock)
      try {
        stockMs = median(timeOp(() => tf.tidy(() => grads()[0]!), runs))
      } finally {
        tf.registerGradient(registered)
      }
    }
    rows.push({
      suite: "runtime",
      case: "BatchNorm gradient 32x64x32x32 (x, scale, offset; incl. forward): stock / reidfx time",
      median: stockMs / ours,
      unit: "x faster",
      runs,
      extra: { reidfxMs: Number(ours.toFixed(2)), stockMs: Number(stockMs.toFixed(2)) }
    })
    tf.dispose([gamma, beta])
  }
  tf.dispose([x, f, big, pooled, dyPool, a, b, c])
  return rows
}

export const run = async (options: { quick: boolean }): Promise<Array<BenchRow>> => {
  const rows: Array<BenchRow> = []
  const suite = "runtime"
  const model = referenceNet()
  const parameters = model.countParams()

  for (const size of [32, 64]) {
    const steps = options.quick ? 3 : size === 32 ? 200 : 10
    const batch = makeBatch(size, size)
    const r = trainSteps(model, batch, options.quick ? 1 : 2, steps)
    const ms = median(r.times)
    rows.push({
      suite,
      case: `train step 128x64 batch ${size} (CE + batch-hard triplet, Adam)`,
      median: size / (ms / 1000),
      unit: "images/s",
      runs: steps,
      extra: {
        msPerStep: Number(ms.toFixed(1)),
        // CPU time of the process per step (all threads): unlike wall time, other load on the machine barely moves it
        cpuMsPerStep: Number(median(r.cpuTimes).toFixed(1)),
        parameters,
        numTensorsFirst: r.tensors[0]!,
        numTensorsLast: r.tensors[r.tensors.length - 1]!,
        numTensorsMax: Math.max(...r.tensors),
        numBytesFirst: r.bytes[0]!,
        numBytesLast: r.bytes[r.bytes.length - 1]!,
        lastLoss: Number(r.lastLoss.toFixed(4))
      }
    })
    disposeBatch(batch)
  }

  {
    const batch = makeBatch(32, 3)
    const runs = options.quick ? 3 : 20
    const times = timeOp(() => tf.tidy(() => (model.predict(batch.images) as Array<tf.Tensor>)[0]!), runs)
    rows.push({ suite, case: "inference 128x64 batch 32", median: 32 / (median(times) / 1000), unit: "images/s", runs })
    disposeBatch(batch)
  }
  model.dispose()

  {
    const n = 1024
    const a = tf.randomNormal([n, n], 0, 1, "float32", 1)
    const b = tf.randomNormal([n, n], 0, 1, "float32", 2)
    const runs = options.quick ? 3 : 10
    const times = timeOp(() => tf.matMul(a, b), runs)
    rows.push({
      suite,
      case: `matmul ${n}x${n}x${n}`,
      median: gflops(2 * n ** 3, median(times)),
      unit: "GFLOP/s",
      runs
    })
    const timesT = timeOp(() => tf.matMul(a, b, false, true), runs)
    rows.push({
      suite,
      case: `matmul ${n}x${n}x${n} transposeB`,
      median: gflops(2 * n ** 3, median(timesT)),
      unit: "GFLOP/s",
      runs
    })
    tf.dispose([a, b])
  }

  {
    // a mid-network 3x3 conv of the reference net at batch 32: [32, 32, 16, 64] -> 64 channels
    const [n, h, w, cin, cout] = [32, 32, 16, 64, 64]
    const x = tf.randomNormal([n, h, w, cin], 0, 1, "float32", 3) as tf.Tensor4D
    const f = tf.randomNormal([3, 3, cin, cout], 0, 1, "float32", 4) as tf.Tensor4D
    const dy = tf.randomNormal([n, h, w, cout], 0, 1, "float32", 5) as tf.Tensor4D
    const flops = 2 * n * h * w * 9 * cin * cout
    const runs = options.quick ? 3 : 10
    const forward = median(timeOp(() => tf.conv2d(x, f, 1, "same"), runs))
    const filterGrad = median(
      timeOp(
        () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
            strides: 1,
            pad: "same",
            dataFormat: "NHWC",
            filterShape: f.shape
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        runs
      )
    )
    const inputGrad = median(
      timeOp(
        () =>
          tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: f }, {
            strides: 1,
            pad: "same",
            dataFormat: "NHWC",
            inputShape: x.shape
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        runs
      )
    )
    const shape = `${n}x${h}x${w}x${cin} * 3x3x${cin}x${cout}`
    rows.push({
      suite,
      case: `conv2d 3x3 forward ${shape}`,
      median: gflops(flops, forward),
      unit: "GFLOP/s",
      runs,
      extra: { ms: Number(forward.toFixed(2)) }
    })
    rows.push({
      suite,
      case: `conv2d 3x3 filter gradient ${shape}`,
      median: gflops(flops, filterGrad),
      unit: "GFLOP/s",
      runs,
      extra: { ms: Number(filterGrad.toFixed(2)), vsForward: Number((filterGrad / forward).toFixed(2)) }
    })
    rows.push({
      suite,
      case: `conv2d 3x3 input gradient ${shape}`,
      median: gflops(flops, inputGrad),
      unit: "GFLOP/s",
      runs,
      extra: { ms: Number(inputGrad.toFixed(2)), vsForward: Number((inputGrad / forward).toFixed(2)) }
    })
    const x2 = tf.randomNormal([n, 2 * h, 2 * w, cin], 0, 1, "float32", 6) as tf.Tensor4D
    const stride2 = median(
      timeOp(
        () =>
          tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: f }, {
            strides: 2,
            pad: "same",
            dataFormat: "NHWC",
            inputShape: x2.shape
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        runs
      )
    )
    rows.push({
      suite,
      case: `conv2d 3x3 stride 2 input gradient -> ${n}x${2 * h}x${2 * w}x${cin}`,
      median: gflops(flops, stride2),
      unit: "GFLOP/s",
      runs,
      extra: { ms: Number(stride2.toFixed(2)) }
    })
    tf.dispose([x, f, dy, x2])
  }
  rows.push(...kernelComparisons(options.quick))
  return rows
}
