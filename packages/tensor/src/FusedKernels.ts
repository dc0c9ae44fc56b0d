/**
 * Fused training kernels that a backend may provide, and the functions that use them when the active backend has
 * them. tfjs composes a training-mode batch norm and an Adam update from many activation- or parameter-sized
 * element-wise kernels; a native backend (the `torch` backend of `@reidfx/torch-backend`) runs each as one fused
 * kernel, as PyTorch does. Callers keep their plain tfjs form for every other backend: each function here returns
 * `undefined` when the active backend lacks the kernel.
 *
 * | kernel | inputs | outputs | formula |
 * |---|---|---|---|
 * | `ReidfxBatchNormTraining` | x `[..., C]`, scale?, offset? `[C]`; attr `epsilon` | y, mean `[C]`, invstd `[C]` | mean, var = batch moments over all but the last axis (biased var); invstd = 1 / sqrt(var + eps); y = (x - mean) * invstd * scale + offset |
 * | `ReidfxBatchNormTrainingGrad` | dy, x, scale?, mean, invstd; attr `epsilon` | dx, dscale, doffset | the batch-norm gradient through the batch statistics (Ioffe and Szegedy 2015, section 3) |
 * | `ReidfxAdam` | param, grad, m, v; attrs `lr beta1 beta2 epsilon weightDecay decoupled t` | param, m, v | PyTorch's `torch.optim.Adam` / `AdamW` step (see `@reidfx/train`'s `adamUpdate`) |
 * | `ReidfxPairwiseDistances` | query `[n, D]`, gallery `[G, D]`, queryNorms `[n, 1]`, galleryNorms `[G]` (squared row norms); attr `metric` | `[n, G]` | squaredEuclidean: max(0, \|q\|^2 + \|g\|^2 - 2 q g^T); euclidean: its square root; cosine: 1 - q g^T (see `@reidfx/eval`'s `pairwiseDistances`) |
 *
 * The batch statistics `mean` and `invstd` are returned off the gradient tape: their dependence on x is already
 * in dx (the gradient registered for `ReidfxBatchNormTraining` ignores gradients that reach them).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

/** Kernel names (a backend registers kernels under these names to provide them). */
export const BatchNormTrainingKernel = "ReidfxBatchNormTraining"
/** The kernel name of the gradient of `ReidfxBatchNormTraining`. */
export const BatchNormTrainingGradKernel = "ReidfxBatchNormTrainingGrad"
/** The kernel name of the fused Adam / AdamW update. */
export const AdamKernel = "ReidfxAdam"
/** The kernel name of the fused pairwise-distance matrix. */
export const PairwiseDistancesKernel = "ReidfxPairwiseDistances"

/** Whether the active backend has a kernel. */
export const hasKernel = (kernelName: string): boolean => tf.getKernel(kernelName, tf.getBackend()) !== undefined

/** The result of a fused training-mode batch norm: the output and the (biased) batch statistics, off the tape. */
export interface BatchNormTraining<T extends tf.Tensor> {
  readonly y: T
  readonly mean: tf.Tensor1D
  readonly variance: tf.Tensor1D
}

/**
 * Training-mode batch normalisation over the last axis in one fused kernel (differentiable in x, scale, offset);
 * `undefined` when the active backend has no `ReidfxBatchNormTraining`.
 */
export const batchNormTraining = <T extends tf.Tensor>(
  x: T,
  scale: tf.Tensor1D | undefined,
  offset: tf.Tensor1D | undefined,
  epsilon: number
): BatchNormTraining<T> | undefined => {
  if (!hasKernel(BatchNormTrainingKernel)) return undefined
  // the kernel always takes a scale and an offset (its gradient saves them): 1 and 0 stand in for absent ones
  const c = x.shape[x.rank - 1]!
  const ones = scale === undefined ? tf.ones([c]) : undefined
  const zeros = offset === undefined ? tf.zeros([c]) : undefined
  const inputs: tf.NamedTensorMap = { x, scale: scale ?? ones!, offset: offset ?? zeros! }
  const [y, mean, invstd] = tf
    .engine()
    .runKernel(BatchNormTrainingKernel, inputs, { epsilon } as unknown as tf.NamedAttrMap) as [
    T,
    tf.Tensor1D,
    tf.Tensor1D
  ]
  tf.dispose([ones, zeros].filter((t) => t !== undefined))
  // variance = 1 / invstd^2 - eps (C values)
  const variance = tf.tidy(() => tf.sub(tf.reciprocal(tf.square(invstd)), epsilon) as tf.Tensor1D)
  invstd.dispose()
  return { y, mean, variance }
}

/** Options of one Adam step (PyTorch's form; `t` is the 1-based step count). */
export interface AdamStepOptions {
  readonly lr: number
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly weightDecay: number
  readonly decoupled: boolean
  readonly t: number
}

/** One Adam step in one fused kernel; `undefined` when the active backend has no `ReidfxAdam`. */
export const adamStep = (
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  options: AdamStepOptions
): { readonly param: tf.Tensor; readonly m: tf.Tensor; readonly v: tf.Tensor } | undefined => {
  if (!hasKernel(AdamKernel)) return undefined
  const [p1, m1, v1] = tf
    .engine()
    .runKernel(AdamKernel, { param, grad, m, v }, { ...options } as unknown as tf.NamedAttrMap) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor
  ]
  return { param: p1!, m: m1!, v: v1! }
}

/** The metrics of {@link pairwiseDistances}. */
export type DistanceMetric = "euclidean" | "squaredEuclidean" | "cosine"

/**
 * A block of query-by-gallery distances in one fused kernel (see the table above; for cosine the rows must already
 * be L2-normalised and the norms are ignored); `undefined` when the active backend has no `ReidfxPairwiseDistances`.
 */
export const pairwiseDistances = (
  query: tf.Tensor2D,
  gallery: tf.Tensor2D,
  queryNorms: tf.Tensor2D,
  galleryNorms: tf.Tensor1D,
  metric: DistanceMetric
): tf.Tensor2D | undefined => {
  if (!hasKernel(PairwiseDistancesKernel)) return undefined
  return tf.engine().runKernel(PairwiseDistancesKernel, { query, gallery, queryNorms, galleryNorms }, {
    metric
  } as unknown as tf.NamedAttrMap) as tf.Tensor2D
}
