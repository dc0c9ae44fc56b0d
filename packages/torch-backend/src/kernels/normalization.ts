/**
 * Batch normalisation (tfjs `FusedBatchNorm`: normalise x with given mean and variance, then scale and offset)
 * through ATen's `native_batch_norm` in inference form, and `TorchBatchNormGrad`, the fused gradient through
 * `native_batch_norm_backward` (one pass for dx, dscale and doffset) that the torch `FusedBatchNorm` gradient uses.
 * Per-channel statistics of NHWC (rank 4) or [N, C] (rank 2) inputs take the fused path; other broadcasts are
 * computed with broadcasting element-wise operators.
 *
 * Training mode: `ReidfxBatchNormTraining` (statistics + normalisation, `native_batch_norm` with training = true,
 * outputs y, mean, invstd) and `ReidfxBatchNormTrainingGrad` (`native_batch_norm_backward` with training = true: dx
 * through the batch statistics, dscale, doffset), the kernels `@reidfx/tensor`'s `FusedKernels.batchNormTraining`
 * uses.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Handle } from "../Addon.ts"
import type { TorchBackend } from "../TorchBackend.ts"
import { kernel, need, type TorchKernel, toNCHW, toNHWC } from "./define.ts"

/** The name of the fused gradient kernel (registered on torch only). */
export const TorchBatchNormGrad = "TorchBatchNormGrad"

/**
 * The training-mode kernels' names: the contract of `@reidfx/tensor`'s `FusedKernels` (repeated here so this package
 * needs no runtime dependency on it; a test checks they agree).
 */
export const BatchNormTrainingKernel = "ReidfxBatchNormTraining"
export const BatchNormTrainingGradKernel = "ReidfxBatchNormTrainingGrad"

const channels = (x: tf.TensorInfo) => x.shape[x.shape.length - 1]!

/** Whether every statistic is one value per channel of a rank-2 or rank-4 channels-last input. */
const perChannel = (x: tf.TensorInfo, stats: ReadonlyArray<tf.TensorInfo | null | undefined>) =>
  (x.shape.length === 4 || x.shape.length === 2) &&
  stats.every((s) => s == null || tf.util.sizeFromShape(s.shape) === channels(x))

const channelsFirst = (b: TorchBackend, x: tf.TensorInfo): Handle =>
  x.shape.length === 4 ? toNCHW(b, b.input(x)) : b.input(x)
const channelsLast = (b: TorchBackend, y: Handle, rank: number): Handle => (rank === 4 ? toNHWC(b, y) : y)
const vector = (b: TorchBackend, s: tf.TensorInfo | null | undefined): Handle | null =>
  s == null ? null : b.op("aten::reshape", b.input(s), [-1])

/** x `[..., C]` as ATen's `[N, C, ...]`: NHWC as a channels-last NCHW view, `[M, C]` as is, other ranks as `[M, C]`. */
const channelsSecond = (b: TorchBackend, x: tf.TensorInfo): Handle =>
  x.shape.length === 4
    ? toNCHW(b, b.input(x))
    : x.shape.length === 2
      ? b.input(x)
      : b.op("aten::reshape", b.input(x), [-1, channels(x)])
/** The inverse of {@link channelsSecond} for a result of x's shape. */
const channelsBack = (b: TorchBackend, y: Handle, x: tf.TensorInfo): Handle =>
  x.shape.length === 4 ? toNHWC(b, y) : x.shape.length === 2 ? y : b.op("aten::reshape", y, x.shape)

export const normalizationKernels: ReadonlyArray<TorchKernel> = [
  kernel("FusedBatchNorm", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const mean = need(inputs, "mean")
    const variance = need(inputs, "variance")
    const epsilon = (attrs["varianceEpsilon"] as number | undefined) ?? 0.001
    if (perChannel(x, [mean, variance, inputs["scale"], inputs["offset"]])) {
      const [y] = b.ops2(
        "aten::native_batch_norm",
        channelsFirst(b, x),
        vector(b, inputs["scale"]),
        vector(b, inputs["offset"]),
        vector(b, mean),
        vector(b, variance),
        false,
        0,
        epsilon
      ) as [Handle]
      return b.output(channelsLast(b, y, x.shape.length), "float32")
    }
    // general broadcasting: (x - mean) * rsqrt(variance + eps) * scale + offset
    let y = b.op(
      "aten::mul.Tensor",
      b.op("aten::sub.Tensor", b.input(x), b.input(mean)),
      b.op("aten::rsqrt", b.op("aten::add.Scalar", b.input(variance), epsilon, 1))
    )
    const scale = inputs["scale"]
    const offset = inputs["offset"]
    if (scale != null) y = b.op("aten::mul.Tensor", y, b.input(scale))
    if (offset != null) y = b.op("aten::add.Tensor", y, b.input(offset))
    return b.output(y, "float32")
  }),
  kernel(TorchBatchNormGrad, (b, inputs, attrs) => {
    // outputs [dx, dscale, doffset] with mean and variance held fixed (their gradients follow from these)
    const dy = need(inputs, "dy")
    const x = need(inputs, "x")
    const mean = need(inputs, "mean")
    const variance = need(inputs, "variance")
    const scale = inputs["scale"]
    const weight = scale == null ? b.op("aten::new_ones", b.input(mean), [channels(x)]) : vector(b, scale)
    const [dx, dscale, doffset] = b.ops2(
      "aten::native_batch_norm_backward",
      channelsFirst(b, dy),
      channelsFirst(b, x),
      weight,
      vector(b, mean),
      vector(b, variance),
      null,
      null,
      false,
      (attrs["varianceEpsilon"] as number | undefined) ?? 0.001,
      [true, true, true]
    ) as [Handle, Handle, Handle]
    return [
      b.output(channelsLast(b, dx, x.shape.length), "float32"),
      b.output(dscale, "float32"),
      b.output(doffset, "float32")
    ]
  }),
  // training mode: batch statistics and normalisation in one pass (ATen native_batch_norm, training = true)
  kernel(BatchNormTrainingKernel, (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const [y, mean, invstd] = b.ops2(
      "aten::native_batch_norm",
      channelsSecond(b, x),
      vector(b, inputs["scale"]),
      vector(b, inputs["offset"]),
      null,
      null,
      true,
      0,
      (attrs["epsilon"] as number | undefined) ?? 1e-5
    ) as [Handle, Handle, Handle]
    return [b.output(channelsBack(b, y, x), "float32"), b.output(mean, "float32"), b.output(invstd, "float32")]
  }),
  // its gradient through the batch statistics (native_batch_norm_backward, training = true)
  kernel(BatchNormTrainingGradKernel, (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const [dx, dscale, doffset] = b.ops2(
      "aten::native_batch_norm_backward",
      channelsSecond(b, need(inputs, "dy")),
      channelsSecond(b, x),
      vector(b, inputs["scale"]),
      null,
      null,
      b.input(need(inputs, "mean")),
      b.input(need(inputs, "invstd")),
      true,
      (attrs["epsilon"] as number | undefined) ?? 1e-5,
      [true, true, true]
    ) as [Handle, Handle, Handle]
    return [b.output(channelsBack(b, dx, x), "float32"), b.output(dscale, "float32"), b.output(doffset, "float32")]
  })
]

export { perChannel as batchNormIsPerChannel }
