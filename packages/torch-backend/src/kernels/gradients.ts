/**
 * Gradients that are fused on torch. tfjs gradients are global (one per kernel for every backend), so each
 * override here runs its torch form only while the torch backend is active and otherwise delegates to the
 * gradient it replaced. If delegation comes back to it (another package installed a delegating override after
 * it, which delegates back here), it computes the plain broadcasting form instead of looping.
 *
 * | kernel | torch form |
 * |---|---|
 * | FusedBatchNorm | `TorchBatchNormGrad` (ATen `native_batch_norm_backward`): dx, dscale, doffset in one pass; with r = rsqrt(var + eps), dmean = -r * scale * doffset and dvariance = -0.5 r^2 scale * dscale |
 * | Relu | `TorchReluGrad` (ATen `threshold_backward`): dy where x > 0, else 0 |
 * | ReidfxBatchNormTraining (torch only) | `ReidfxBatchNormTrainingGrad` (ATen `native_batch_norm_backward`, training): dx through the batch statistics, dscale, doffset; gradients reaching the mean and invstd outputs are ignored (they are statistics off the tape) |
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { BatchNormTrainingGradKernel, BatchNormTrainingKernel, TorchBatchNormGrad } from "./normalization.ts"

export const TorchReluGrad = "TorchReluGrad"

interface BatchNormAttrs {
  readonly varianceEpsilon: number
}

/** The FusedBatchNorm gradient by broadcasting element-wise ops (any backend). */
const batchNormGradBroadcasting = (dy: tf.Tensor, saved: ReadonlyArray<tf.Tensor | undefined>, epsilon: number) => {
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined]
  const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape)
  const reduce = (t: tf.Tensor) => tf.reshape(axes.length === 0 ? t : tf.sum(t, axes), mean.shape)
  const r = tf.rsqrt(tf.add(variance, tf.scalar(epsilon)))
  const scaled = scale === undefined ? r : tf.mul(r, scale)
  const s1 = reduce(dy)
  const s2 = reduce(tf.mul(tf.sub(x, mean), dy))
  return {
    x: () => tf.reshape(tf.mul(dy, scaled), x.shape),
    mean: () => tf.neg(tf.mul(scaled, s1)),
    variance: () => tf.mul(tf.mul(tf.mul(tf.square(r), scaled), tf.scalar(-0.5)), s2),
    scale: () => tf.reshape(tf.mul(r, s2), mean.shape),
    offset: () => s1
  }
}

const perChannel = (x: tf.Tensor, stats: ReadonlyArray<tf.Tensor | undefined>) =>
  (x.rank === 4 || x.rank === 2) && stats.every((s) => s === undefined || s.size === x.shape[x.rank - 1])

const batchNormGradTorch = (dy: tf.Tensor, saved: ReadonlyArray<tf.Tensor | undefined>, epsilon: number) => {
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined]
  if (!perChannel(x, [mean, variance, scale])) return batchNormGradBroadcasting(dy, saved, epsilon)
  const inputs: tf.NamedTensorMap = scale === undefined ? { dy, x, mean, variance } : { dy, x, mean, variance, scale }
  const [dx, dscale, doffset] = tf
    .engine()
    .runKernel(TorchBatchNormGrad, inputs, { varianceEpsilon: epsilon } as unknown as tf.NamedAttrMap) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor
  ]
  const r = tf.rsqrt(tf.add(variance, tf.scalar(epsilon)))
  const scaled = scale === undefined ? r : tf.mul(r, tf.reshape(scale, mean.shape))
  return {
    x: () => dx,
    mean: () => tf.neg(tf.mul(scaled, tf.reshape(doffset, mean.shape))),
    variance: () => tf.mul(tf.mul(tf.mul(r, scaled), tf.scalar(-0.5)), tf.reshape(dscale, mean.shape)),
    scale: () => tf.reshape(dscale, mean.shape),
    offset: () => tf.reshape(doffset, mean.shape)
  }
}

const reluGradBroadcasting = (dy: tf.Tensor, x: tf.Tensor) => ({ x: () => tf.mul(dy, tf.cast(tf.step(x), "float32")) })

/** The overrides installed now, with the gradient each replaced (undefined: none was registered). */
const replaced = new Map<string, tf.GradConfig | undefined>()

/** Installs a delegating override of `kernelName`'s gradient (idempotent). */
const install = (kernelName: string, inputsToSave: Array<string>, onTorch: tf.GradFunc, plain: tf.GradFunc): void => {
  const current = tf.getGradient(kernelName)
  if ((current?.gradFunc as { torch?: true } | undefined)?.torch === true) return
  replaced.set(kernelName, current)
  let delegating = false
  const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
    if (tf.getBackend() === "torch") return onTorch(dy, saved, attrs)
    if (current === undefined || delegating) return plain(dy, saved, attrs)
    delegating = true
    try {
      return current.gradFunc(dy, saved, attrs)
    } finally {
      delegating = false
    }
  }
  ;(gradFunc as { torch?: true }).torch = true
  tf.registerGradient({
    kernelName,
    inputsToSave,
    ...(current?.outputsToSave === undefined ? {} : { outputsToSave: current.outputsToSave }),
    gradFunc
  })
}

/**
 * Puts back the gradients the overrides replaced (each only while the override is still the registered gradient:
 * one installed over it, which delegates to it, is left in place).
 */
export const uninstallTorchGradients = (): void => {
  for (const [kernelName, previous] of replaced) {
    if ((tf.getGradient(kernelName)?.gradFunc as { torch?: true } | undefined)?.torch !== true) continue
    if (previous === undefined) tf.unregisterGradient(kernelName)
    else tf.registerGradient(previous)
  }
  replaced.clear()
}

/** Whether the torch overrides are the registered FusedBatchNorm and Relu gradients. */
export const torchGradientsInstalled = (): boolean =>
  ["FusedBatchNorm", "Relu"].every((k) => (tf.getGradient(k)?.gradFunc as { torch?: true } | undefined)?.torch === true)

/** The gradient of the training-mode batch norm kernel (x, scale and offset are always given by its caller). */
const batchNormTrainingGrad: tf.GradConfig = {
  kernelName: BatchNormTrainingKernel,
  inputsToSave: ["x", "scale"],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, scale, mean, invstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]
    const dy = Array.isArray(dys) ? dys[0]! : dys
    const [dx, dscale, doffset] = tf
      .engine()
      .runKernel(BatchNormTrainingGradKernel, { dy, x, scale, mean, invstd }, attrs as unknown as tf.NamedAttrMap) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor
    ]
    return { x: () => dx, scale: () => dscale, offset: () => doffset }
  }
}

/**
 * Registers the gradient of the torch-only `ReidfxBatchNormTraining` kernel (part of the kernel: registered with the
 * torch kernels, never released; no other backend has the kernel).
 */
export const registerTorchKernelGradients = (): void => {
  tf.registerGradient(batchNormTrainingGrad)
}

/** Installs the torch forms of the FusedBatchNorm and Relu gradients (global: undone by {@link uninstallTorchGradients}). */
export const installTorchGradients = (): void => {
  install(
    "FusedBatchNorm",
    ["x", "mean", "variance", "scale"],
    (dy, saved, attrs) =>
      batchNormGradTorch(dy as tf.Tensor, saved, (attrs as unknown as BatchNormAttrs).varianceEpsilon),
    (dy, saved, attrs) =>
      batchNormGradBroadcasting(dy as tf.Tensor, saved, (attrs as unknown as BatchNormAttrs).varianceEpsilon)
  )
  install(
    "Relu",
    ["x"],
    (dy, saved) => ({
      x: () => tf.engine().runKernel(TorchReluGrad, { dy: dy as tf.Tensor, x: saved[0]! }) as tf.Tensor
    }),
    (dy, saved) => reluGradBroadcasting(dy as tf.Tensor, saved[0]!)
  )
}
