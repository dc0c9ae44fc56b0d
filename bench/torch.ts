/**
 * The torch backend against wasm and against PyTorch itself, in one run on the same machine: training steps of the
 * reference ReID net of `runtime.ts` (128x64, batch 32, cross-entropy + batch-hard triplet, Adam) at 1 and 2
 * threads, inference, the ratio reidfx / PyTorch in images/s (wall clock, and by CPU time, which other load on a
 * shared machine moves less), and the per-kernel time breakdown of one torch training step, side by side with the
 * PyTorch twin's profiled step by kernel family (convolution forward / backward, batch norm forward / backward, max
 * pool, ReLU, Adam, everything else; rows "training step breakdown", `extra.pytorchMs` and `extra.ratio`).
 *
 * The PyTorch twin (`bench/pytorch_twin.py`: same net, loss, optimizer, batch and threads) runs when a Python with
 * `torch` is found (`PYTHON`, python3, then /usr/bin/python3: Debian's `python3-torch`). The torch rows need the
 * addon (`npm run build:torch`); without it the suite prints why and returns no rows.
 *
 * Two stacks are timed: the tf.layers twin of `runtime.ts` with tfjs's Adam (tfjs-layers' training BatchNorm is
 * moments + batchNorm, tfjs's Adam about twelve kernels per variable: nothing a backend can fuse), and reidfx's
 * own stack, the `reference` backbone of `@reidfx/model` with a BNNeck head (256-d embedding, 751 classes) and
 * `@reidfx/train`'s Adam, which use the fused `ReidfxBatchNormTraining` and `ReidfxAdam` kernels on torch (one
 * kernel per BatchNorm forward / backward and per variable update, as PyTorch).
 *
 * Run: `npm run bench -- --only torch [--quick]`.
 */
import { Model } from "@reidfx/model"
import { Backend } from "@reidfx/tensor"
import { Optimizer } from "@reidfx/train"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { spawnSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type BenchRow, median } from "./_lib.ts"
import { crossEntropy, disposeBatch, makeBatch, referenceNet, timeOp, trainSteps, tripletBatchHard } from "./runtime.ts"

const suite = "torch"
const batchSize = 32
const here = dirname(fileURLToPath(import.meta.url))

interface Twin {
  readonly train_ms: Array<number>
  readonly train_cpu_ms: Array<number>
  readonly infer_ms: Array<number>
  readonly infer_cpu_ms: Array<number>
  readonly torch: string
  /** With `profile`: inclusive ms of one profiled step per operator of `PROFILED_OPS`, and the step's wall ms. */
  readonly profile: Record<string, number> | null
  readonly profile_total_ms: number | null
}

/**
 * A training step's kernel families, as reidfx's tfjs kernels on torch and as the PyTorch twin's outermost operators
 * (`bench/pytorch_twin.py`'s `PROFILED_OPS`), for the side-by-side breakdown; the rest of each step is "other".
 */
const families: ReadonlyArray<{
  readonly name: string
  readonly reidfx: ReadonlyArray<string>
  readonly pytorch: string
}> = [
  { name: "convolution forward", reidfx: ["Conv2D", "FusedConv2D", "DepthwiseConv2dNative"], pytorch: "aten::conv2d" },
  {
    name: "convolution backward",
    reidfx: ["Conv2DBackpropInput", "Conv2DBackpropFilter"],
    pytorch: "aten::convolution_backward"
  },
  { name: "batch norm forward", reidfx: ["ReidfxBatchNormTraining", "FusedBatchNorm"], pytorch: "aten::batch_norm" },
  {
    name: "batch norm backward",
    reidfx: ["ReidfxBatchNormTrainingGrad", "TorchBatchNormGrad"],
    pytorch: "aten::native_batch_norm_backward"
  },
  { name: "max pool forward", reidfx: ["MaxPool"], pytorch: "aten::max_pool2d" },
  { name: "max pool backward", reidfx: ["MaxPoolGrad"], pytorch: "aten::max_pool2d_with_indices_backward" },
  { name: "relu forward", reidfx: ["Relu"], pytorch: "aten::relu" },
  { name: "relu backward", reidfx: ["TorchReluGrad", "ReluGrad"], pytorch: "aten::threshold_backward" },
  { name: "Adam step", reidfx: ["ReidfxAdam"], pytorch: "Optimizer.step#Adam.step" }
]

/** Runs the PyTorch twin with the first Python that has torch; undefined (with the reason printed) if none. */
const pytorch = (threads: number, steps: number, inferRuns: number, profile = false): Twin | undefined => {
  for (const python of [process.env["PYTHON"], "python3", "/usr/bin/python3"]) {
    if (python === undefined || python.length === 0) continue
    const r = spawnSync(
      python,
      [
        join(here, "pytorch_twin.py"),
        "--threads",
        String(threads),
        "--batch",
        String(batchSize),
        "--steps",
        String(steps),
        "--infer-runs",
        String(inferRuns),
        ...(profile ? ["--profile"] : [])
      ],
      { encoding: "utf8", env: { ...process.env, OMP_WAIT_POLICY: process.env["OMP_WAIT_POLICY"] ?? "PASSIVE" } }
    )
    if (r.status === 0) return JSON.parse(r.stdout.trim().split("\n").pop()!) as Twin
  }
  console.error(
    "torch bench: no Python with torch found (apt-get install python3-torch, or pip install torch): PyTorch columns skipped"
  )
  return undefined
}

const imagesPerSecond = (ms: number) => batchSize / (ms / 1000)

export const run = async (options: { quick: boolean }): Promise<Array<BenchRow>> => {
  const scope = await Effect.runPromise(Scope.make())
  const previous = tf.getBackend()
  const rows: Array<BenchRow> = []
  try {
    const wasmContext = await Effect.runPromise(Layer.buildWithScope(Backend.layerWasm, scope))
    const wasm = Effect.runSync(Effect.provide(Backend.Backend, Layer.succeedContext(wasmContext)))
    const torchExit = await Effect.runPromiseExit(Layer.buildWithScope(Backend.layerTorch, scope))
    if (Exit.isFailure(torchExit)) {
      console.error(`torch bench: skipped, ${String(torchExit.cause)}`)
      return []
    }
    const { loadAddon, fallbackCounts } = await import("@reidfx/torch-backend")
    const addon = loadAddon()
    const steps = options.quick ? 2 : 10
    const warmup = options.quick ? 1 : 2
    const inferRuns = options.quick ? 2 : 10

    /** Training and inference on one backend at one thread count (torch) or the wasm layer's threads. */
    const measure = async (backend: "torch" | "wasm", threads: number) => {
      await tf.setBackend(backend)
      if (backend === "torch") addon.setThreads(threads)
      const model = referenceNet()
      const batch = makeBatch(batchSize, batchSize)
      const r = trainSteps(model, batch, warmup, steps)
      const infer = timeOp(() => tf.tidy(() => (model.predict(batch.images) as Array<tf.Tensor>)[0]!), inferRuns)
      disposeBatch(batch)
      model.dispose()
      return {
        trainMs: median(r.times),
        trainCpuMs: median(r.cpuTimes),
        inferMs: median(infer),
        tensorsFlat: r.tensors[0] === r.tensors[r.tensors.length - 1],
        loss: r.lastLoss
      }
    }

    /**
     * reidfx's own model and optimizer on a backend: `run(f)` gets a training step function (the model, optimizer
     * and batch live until it returns).
     */
    const withStack = async <A>(
      backend: "torch" | "wasm",
      threads: number,
      run: (step: () => number) => Promise<A> | A
    ): Promise<A> => {
      await tf.setBackend(backend)
      if (backend === "torch") addon.setThreads(threads)
      const stackScope = await Effect.runPromise(Scope.make())
      const batch = makeBatch(batchSize, batchSize)
      try {
        const model = await Effect.runPromise(
          Scope.provide(
            Model.make({ backbone: { kind: "reference" }, head: { classes: 751, neck: "bnneck", embedding: 256 } }),
            stackScope
          )
        )
        const optimizer = await Effect.runPromise(
          Scope.provide(Optimizer.make({ kind: "adam", weightDecay: 0 }), stackScope)
        )
        const variables = model.trainableVariables
        const step = () => {
          const { value, grads } = tf.variableGrads(() => {
            const out = model.forward(batch.images, { training: true })
            return tf.add(
              crossEntropy(out.logits as tf.Tensor2D, batch.labels),
              tripletBatchHard(out.features, batch.positive, batch.negative)
            ) as tf.Scalar
          }, [...variables])
          optimizer.apply(
            variables.map((v) => ({ name: model.nameOf(v), variable: v, grad: grads[v.name]! })),
            3.5e-4
          )
          const loss = value.dataSync()[0]!
          tf.dispose([value, ...Object.values(grads)])
          return loss
        }
        return await run(step)
      } finally {
        disposeBatch(batch)
        await Effect.runPromise(Scope.close(stackScope, Exit.void))
      }
    }
    /** Timed training steps of reidfx's own stack (the fused kernels on torch). */
    const measureStack = (backend: "torch" | "wasm", threads: number) =>
      withStack(backend, threads, (step) => {
        for (let i = 0; i < warmup; i++) step()
        const times: Array<number> = []
        const cpuTimes: Array<number> = []
        const tensors: Array<number> = []
        for (let i = 0; i < steps; i++) {
          const start = performance.now()
          const cpuStart = process.cpuUsage()
          step()
          const cpu = process.cpuUsage(cpuStart)
          times.push(performance.now() - start)
          cpuTimes.push((cpu.user + cpu.system) / 1000)
          tensors.push(tf.memory().numTensors)
        }
        return {
          trainMs: median(times),
          trainCpuMs: median(cpuTimes),
          tensorsFlat: tensors[0] === tensors[tensors.length - 1]
        }
      })

    const reidfx = {
      torch1: await measure("torch", 1),
      torch2: await measure("torch", 2),
      wasm: await measure("wasm", wasm.threads)
    }
    // reidfx's stack against PyTorch in interleaved rounds (load on a shared machine drifts between measurements)
    const rounds = options.quick ? 1 : 3
    const stackRounds: Array<{
      threads: number
      ours: { trainMs: number; trainCpuMs: number; tensorsFlat: boolean }
      twin: Twin | undefined
    }> = []
    for (let round = 0; round < rounds; round++) {
      for (const threads of [1, 2]) {
        const ours = await measureStack("torch", threads)
        stackRounds.push({ threads, ours, twin: pytorch(threads, steps, 1) })
      }
    }
    const stackWasm = await measureStack("wasm", wasm.threads)
    const twin1 = pytorch(1, steps, inferRuns)
    const twin2 = pytorch(2, steps, inferRuns)

    const trainRow = (name: string, ms: number, cpuMs: number, extra: Record<string, number | string> = {}) =>
      rows.push({
        suite,
        case: `train step, reference net 128x64 batch ${batchSize}: ${name}`,
        median: imagesPerSecond(ms),
        unit: "images/s",
        runs: steps,
        extra: { msPerStep: Number(ms.toFixed(1)), cpuMsPerStep: Number(cpuMs.toFixed(1)), ...extra }
      })
    trainRow("torch, 1 thread", reidfx.torch1.trainMs, reidfx.torch1.trainCpuMs, {
      tensorsFlat: String(reidfx.torch1.tensorsFlat)
    })
    trainRow("torch, 2 threads", reidfx.torch2.trainMs, reidfx.torch2.trainCpuMs, {
      tensorsFlat: String(reidfx.torch2.tensorsFlat)
    })
    trainRow(`wasm, ${wasm.threads} thread(s)`, reidfx.wasm.trainMs, reidfx.wasm.trainCpuMs)
    if (twin1 !== undefined)
      trainRow(`PyTorch ${twin1.torch}, 1 thread`, median(twin1.train_ms), median(twin1.train_cpu_ms))
    if (twin2 !== undefined)
      trainRow(`PyTorch ${twin2.torch}, 2 threads`, median(twin2.train_ms), median(twin2.train_cpu_ms))
    const inferRow = (name: string, ms: number) =>
      rows.push({
        suite,
        case: `inference, reference net 128x64 batch ${batchSize}: ${name}`,
        median: imagesPerSecond(ms),
        unit: "images/s",
        runs: inferRuns,
        extra: { msPerBatch: Number(ms.toFixed(1)) }
      })
    inferRow("torch, 1 thread", reidfx.torch1.inferMs)
    inferRow("torch, 2 threads", reidfx.torch2.inferMs)
    inferRow(`wasm, ${wasm.threads} thread(s)`, reidfx.wasm.inferMs)
    if (twin1 !== undefined) inferRow("PyTorch, 1 thread", median(twin1.infer_ms))
    if (twin2 !== undefined) inferRow("PyTorch, 2 threads", median(twin2.infer_ms))

    const ratio = (name: string, ours: number, theirs: number, oursCpu: number, theirsCpu: number) =>
      rows.push({
        suite,
        case: `ratio reidfx / PyTorch in images/s: ${name}`,
        median: theirs / ours,
        unit: "x",
        runs: steps,
        extra: { byCpuTime: Number((theirsCpu / oursCpu).toFixed(3)) }
      })
    if (twin1 !== undefined) {
      ratio(
        "training, torch backend, 1 thread",
        reidfx.torch1.trainMs,
        median(twin1.train_ms),
        reidfx.torch1.trainCpuMs,
        median(twin1.train_cpu_ms)
      )
      ratio("inference, torch backend, 1 thread", reidfx.torch1.inferMs, median(twin1.infer_ms), 1, 1)
      ratio(
        "training, wasm backend vs PyTorch 1 thread",
        reidfx.wasm.trainMs,
        median(twin1.train_ms),
        reidfx.wasm.trainCpuMs,
        median(twin1.train_cpu_ms)
      )
    }
    if (twin2 !== undefined) {
      ratio(
        "training, torch backend, 2 threads",
        reidfx.torch2.trainMs,
        median(twin2.train_ms),
        reidfx.torch2.trainCpuMs,
        median(twin2.train_cpu_ms)
      )
      ratio("inference, torch backend, 2 threads", reidfx.torch2.inferMs, median(twin2.infer_ms), 1, 1)
      ratio(
        `training, wasm backend (${wasm.threads} thread(s)) vs PyTorch 2 threads`,
        reidfx.wasm.trainMs,
        median(twin2.train_ms),
        reidfx.wasm.trainCpuMs,
        median(twin2.train_cpu_ms)
      )
    }
    rows.push({
      suite,
      case: "training speed-up torch (2 threads) / wasm",
      median: reidfx.wasm.trainMs / reidfx.torch2.trainMs,
      unit: "x",
      runs: steps
    })

    // reidfx's own stack (model + optimizer packages; fused BatchNorm and Adam kernels on torch)
    const spread = (xs: ReadonlyArray<number>, digits: number) =>
      `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`
    for (const threads of [1, 2]) {
      const mine = stackRounds.filter((r) => r.threads === threads)
      const ms = mine.map((r) => r.ours.trainMs)
      rows.push({
        suite,
        case: `train step, reidfx model + Adam (reference, BNNeck) batch ${batchSize}: torch, ${threads} thread(s)`,
        median: imagesPerSecond(median(ms)),
        unit: "images/s",
        runs: rounds * steps,
        extra: {
          msPerStep: Number(median(ms).toFixed(1)),
          cpuMsPerStep: Number(median(mine.map((r) => r.ours.trainCpuMs)).toFixed(1)),
          roundsMs: spread(ms, 0),
          tensorsFlat: String(mine.every((r) => r.ours.tensorsFlat))
        }
      })
      const paired = mine.filter((r) => r.twin !== undefined)
      if (paired.length === 0) continue
      const wall = paired.map((r) => median(r.twin!.train_ms) / r.ours.trainMs)
      const cpu = paired.map((r) => median(r.twin!.train_cpu_ms) / r.ours.trainCpuMs)
      rows.push({
        suite,
        case: `train step, PyTorch twin ${paired[0]!.twin!.torch}, ${threads} thread(s) (rounds beside reidfx's stack)`,
        median: imagesPerSecond(median(paired.map((r) => median(r.twin!.train_ms)))),
        unit: "images/s",
        runs: paired.length * steps,
        extra: { cpuMsPerStep: Number(median(paired.map((r) => median(r.twin!.train_cpu_ms))).toFixed(1)) }
      })
      rows.push({
        suite,
        case: `ratio reidfx / PyTorch in images/s: training, reidfx model + Adam on torch, ${threads} thread(s)`,
        median: median(wall),
        unit: "x",
        runs: paired.length,
        extra: { roundsWall: spread(wall, 2), byCpuTime: Number(median(cpu).toFixed(3)), roundsCpu: spread(cpu, 2) }
      })
    }
    rows.push({
      suite,
      case: `train step, reidfx model + Adam (reference, BNNeck) batch ${batchSize}: wasm, ${wasm.threads} thread(s)`,
      median: imagesPerSecond(stackWasm.trainMs),
      unit: "images/s",
      runs: steps,
      extra: { msPerStep: Number(stackWasm.trainMs.toFixed(1)), cpuMsPerStep: Number(stackWasm.trainCpuMs.toFixed(1)) }
    })

    // where a torch training step of reidfx's stack goes: kernel time by tfjs kernel (1 thread, one profiled step)
    await withStack("torch", 1, async (step) => {
      step()
      const profiledStart = performance.now()
      const profile = await tf.profile(() => {
        step()
      })
      const profiledMs = performance.now() - profiledStart
      const byKernel = new Map<string, { ms: number; calls: number }>()
      for (const k of profile.kernels.filter((kernel) => !kernel.name.endsWith("__op"))) {
        const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 }
        entry.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0
        entry.calls++
        byKernel.set(k.name, entry)
      }
      const total = [...byKernel.values()].reduce((sum, e) => sum + e.ms, 0)
      for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) {
        rows.push({
          suite,
          case: `torch training step of reidfx's stack (1 thread), kernel ${name}`,
          median: e.ms,
          unit: "ms/step",
          runs: 1,
          extra: { calls: e.calls, share: `${((100 * e.ms) / total).toFixed(1)}%` }
        })
      }
      rows.push({
        suite,
        case: "torch training step of reidfx's stack (1 thread), all kernels",
        median: total,
        unit: "ms/step",
        runs: 1,
        extra: { kernelCalls: profile.kernels.length }
      })
      // the same step side by side with the PyTorch twin's profiled step (1 thread, same run), by kernel family
      const twin = pytorch(1, 1, 1, true)
      if (twin?.profile == null || twin.profile_total_ms == null) return
      let reidfxListed = 0
      let pytorchListed = 0
      for (const family of families) {
        const ours = family.reidfx.reduce((sum, name) => sum + (byKernel.get(name)?.ms ?? 0), 0)
        const theirs = twin.profile[family.pytorch] ?? 0
        reidfxListed += ours
        pytorchListed += theirs
        rows.push({
          suite,
          case: `training step breakdown (1 thread), ${family.name}: reidfx on torch vs PyTorch`,
          median: ours,
          unit: "ms/step",
          runs: 1,
          extra: {
            pytorchMs: Number(theirs.toFixed(1)),
            ratio: theirs > 0 ? Number((ours / theirs).toFixed(2)) : "n/a",
            reidfxKernels: family.reidfx.join(" "),
            pytorchOp: family.pytorch
          }
        })
      }
      rows.push({
        suite,
        case: "training step breakdown (1 thread), everything else: reidfx on torch vs PyTorch",
        median: profiledMs - reidfxListed,
        unit: "ms/step",
        runs: 1,
        extra: {
          pytorchMs: Number((twin.profile_total_ms - pytorchListed).toFixed(1)),
          reidfxStepMs: Number(profiledMs.toFixed(1)),
          reidfxKernelMs: Number(total.toFixed(1)),
          pytorchStepMs: Number(twin.profile_total_ms.toFixed(1)),
          note: "each side: the profiled step's wall time minus its listed families (other kernels or ops, JavaScript / Python and autograd between them)"
        }
      })
    })

    // where a torch training step of the tf.layers net goes: kernel time by tfjs kernel (1 thread, one profiled step)
    await tf.setBackend("torch")
    addon.setThreads(1)
    const model = referenceNet()
    const batch = makeBatch(batchSize, batchSize)
    trainSteps(model, batch, 1, 1)
    const profile = await tf.profile(() => {
      trainSteps(model, batch, 0, 1)
    })
    const byKernel = new Map<string, { ms: number; calls: number }>()
    // ops with custom gradients (fusedConv2d__op, ...) are recorded around the kernels they run: count kernels only
    for (const k of profile.kernels.filter((kernel) => !kernel.name.endsWith("__op"))) {
      const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 }
      entry.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0
      entry.calls++
      byKernel.set(k.name, entry)
    }
    const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0)
    for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) {
      rows.push({
        suite,
        case: `torch training step (1 thread), kernel ${name}`,
        median: e.ms,
        unit: "ms/step",
        runs: 1,
        extra: { calls: e.calls, share: `${((100 * e.ms) / total).toFixed(1)}%` }
      })
    }
    rows.push({
      suite,
      case: "torch training step (1 thread), all kernels",
      median: total,
      unit: "ms/step",
      runs: 1,
      extra: { kernelCalls: profile.kernels.length, fallbacks: [...fallbackCounts().keys()].join(" ") || "none" }
    })
    disposeBatch(batch)
    model.dispose()
    return rows
  } finally {
    await tf.setBackend(previous)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
