/**
 * The torch backend against wasm and against PyTorch itself, in one run on the same machine: training steps of the
 * reference ReID net of `runtime.ts` (128x64, batch 32, cross-entropy + batch-hard triplet, Adam) at 1 and 2
 * threads, inference, the ratio reidfx / PyTorch in images/s (wall clock, and by CPU time, which other load on a
 * shared machine moves less), and the per-kernel time breakdown of one torch training step.
 *
 * The PyTorch twin (`bench/pytorch_twin.py`: same net, loss, optimizer, batch and threads) runs when a Python with
 * `torch` is found (`PYTHON`, python3, then /usr/bin/python3: Debian's `python3-torch`). The torch rows need the
 * addon (`npm run build:torch`); without it the suite prints why and returns no rows.
 *
 * Run: `npm run bench -- --only torch [--quick]`.
 */
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { spawnSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type BenchRow, median } from "./_lib.ts"
import { disposeBatch, makeBatch, referenceNet, timeOp, trainSteps } from "./runtime.ts"

const suite = "torch"
const batchSize = 32
const here = dirname(fileURLToPath(import.meta.url))

interface Twin {
  readonly train_ms: Array<number>
  readonly train_cpu_ms: Array<number>
  readonly infer_ms: Array<number>
  readonly infer_cpu_ms: Array<number>
  readonly torch: string
}

/** Runs the PyTorch twin with the first Python that has torch; undefined (with the reason printed) if none. */
const pytorch = (threads: number, steps: number, inferRuns: number): Twin | undefined => {
  for (const python of [process.env["PYTHON"], "python3", "/usr/bin/python3"]) {
    if (python === undefined || python.length === 0) continue
    const r = spawnSync(
      python,
      [join(here, "pytorch_twin.py"), "--threads", String(threads), "--batch", String(batchSize), "--steps", String(steps), "--infer-runs", String(inferRuns)],
      { encoding: "utf8", env: { ...process.env, OMP_WAIT_POLICY: process.env["OMP_WAIT_POLICY"] ?? "PASSIVE" } }
    )
    if (r.status === 0) return JSON.parse(r.stdout.trim().split("\n").pop()!) as Twin
  }
  console.error("torch bench: no Python with torch found (apt-get install python3-torch, or pip install torch): PyTorch columns skipped")
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

    const reidfx = {
      torch1: await measure("torch", 1),
      torch2: await measure("torch", 2),
      wasm: await measure("wasm", wasm.threads)
    }
    const twin1 = pytorch(1, steps, inferRuns)
    const twin2 = pytorch(2, steps, inferRuns)

    const trainRow = (name: string, ms: number, cpuMs: number, extra: Record<string, number | string> = {}) =>
      rows.push({ suite, case: `train step, reference net 128x64 batch ${batchSize}: ${name}`, median: imagesPerSecond(ms), unit: "images/s", runs: steps, extra: { msPerStep: Number(ms.toFixed(1)), cpuMsPerStep: Number(cpuMs.toFixed(1)), ...extra } })
    trainRow("torch, 1 thread", reidfx.torch1.trainMs, reidfx.torch1.trainCpuMs, { tensorsFlat: String(reidfx.torch1.tensorsFlat) })
    trainRow("torch, 2 threads", reidfx.torch2.trainMs, reidfx.torch2.trainCpuMs, { tensorsFlat: String(reidfx.torch2.tensorsFlat) })
    trainRow(`wasm, ${wasm.threads} thread(s)`, reidfx.wasm.trainMs, reidfx.wasm.trainCpuMs)
    if (twin1 !== undefined) trainRow(`PyTorch ${twin1.torch}, 1 thread`, median(twin1.train_ms), median(twin1.train_cpu_ms))
    if (twin2 !== undefined) trainRow(`PyTorch ${twin2.torch}, 2 threads`, median(twin2.train_ms), median(twin2.train_cpu_ms))
    const inferRow = (name: string, ms: number) =>
      rows.push({ suite, case: `inference, reference net 128x64 batch ${batchSize}: ${name}`, median: imagesPerSecond(ms), unit: "images/s", runs: inferRuns, extra: { msPerBatch: Number(ms.toFixed(1)) } })
    inferRow("torch, 1 thread", reidfx.torch1.inferMs)
    inferRow("torch, 2 threads", reidfx.torch2.inferMs)
    inferRow(`wasm, ${wasm.threads} thread(s)`, reidfx.wasm.inferMs)
    if (twin1 !== undefined) inferRow("PyTorch, 1 thread", median(twin1.infer_ms))
    if (twin2 !== undefined) inferRow("PyTorch, 2 threads", median(twin2.infer_ms))

    const ratio = (name: string, ours: number, theirs: number, oursCpu: number, theirsCpu: number) =>
      rows.push({ suite, case: `ratio reidfx / PyTorch in images/s: ${name}`, median: theirs / ours, unit: "x", runs: steps, extra: { byCpuTime: Number((theirsCpu / oursCpu).toFixed(3)) } })
    if (twin1 !== undefined) {
      ratio("training, torch backend, 1 thread", reidfx.torch1.trainMs, median(twin1.train_ms), reidfx.torch1.trainCpuMs, median(twin1.train_cpu_ms))
      ratio("inference, torch backend, 1 thread", reidfx.torch1.inferMs, median(twin1.infer_ms), 1, 1)
      ratio("training, wasm backend vs PyTorch 1 thread", reidfx.wasm.trainMs, median(twin1.train_ms), reidfx.wasm.trainCpuMs, median(twin1.train_cpu_ms))
    }
    if (twin2 !== undefined) {
      ratio("training, torch backend, 2 threads", reidfx.torch2.trainMs, median(twin2.train_ms), reidfx.torch2.trainCpuMs, median(twin2.train_cpu_ms))
      ratio("inference, torch backend, 2 threads", reidfx.torch2.inferMs, median(twin2.infer_ms), 1, 1)
      ratio(`training, wasm backend (${wasm.threads} thread(s)) vs PyTorch 2 threads`, reidfx.wasm.trainMs, median(twin2.train_ms), reidfx.wasm.trainCpuMs, median(twin2.train_cpu_ms))
    }
    rows.push({ suite, case: "training speed-up torch (2 threads) / wasm", median: reidfx.wasm.trainMs / reidfx.torch2.trainMs, unit: "x", runs: steps })

    // where a torch training step goes: kernel time by tfjs kernel (1 thread, one profiled step)
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
      rows.push({ suite, case: `torch training step (1 thread), kernel ${name}`, median: e.ms, unit: "ms/step", runs: 1, extra: { calls: e.calls, share: `${((100 * e.ms) / total).toFixed(1)}%` } })
    }
    rows.push({ suite, case: "torch training step (1 thread), all kernels", median: total, unit: "ms/step", runs: 1, extra: { kernelCalls: profile.kernels.length, fallbacks: [...fallbackCounts().keys()].join(" ") || "none" } })
    disposeBatch(batch)
    model.dispose()
    return rows
  } finally {
    await tf.setBackend(previous)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
