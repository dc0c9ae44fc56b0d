/**
 * 2-D convolution (NHWC input, `[kh, kw, in, out]` kernel), with PyTorch's symmetric zero padding
 * `(k - 1) / 2` so that weights converted from torchvision give the same outputs (TensorFlow's `"same"`
 * pads asymmetrically for stride 2).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder, Forward, Init } from "./Builder.ts"

/** Options of a 2-D convolution (NHWC): channels, kernel size, stride, padding, dilation, groups, bias and initialiser. */
export interface Conv2dOptions {
  readonly inChannels: number
  readonly outChannels: number
  readonly kernel: number
  readonly stride?: number
  /** Symmetric zero padding; default `(kernel - 1) / 2`. */
  readonly padding?: number
  /** Learn a bias (false before a BN, as in ResNets). Default false. */
  readonly bias?: boolean
  /** Default He normal, fan-out (torchvision ResNet / MobileNetV2). */
  readonly init?: Init
}

/** A convolution `y = x * W (+ b)`. Parameters: `kernel` `[k, k, in, out]`, optional `bias` `[out]`. */
export const conv2d = (b: Builder, options: Conv2dOptions): Forward => {
  const k = options.kernel
  const stride = options.stride ?? 1
  const pad = options.padding ?? (k - 1) / 2
  const kernel = b.param(
    "kernel",
    [k, k, options.inChannels, options.outChannels],
    options.init ?? { kind: "heNormal", mode: "fanOut" },
    {
      fans: [k * k * options.inChannels, k * k * options.outChannels]
    }
  )
  const bias =
    options.bias === true ? b.param("bias", [options.outChannels], { kind: "constant", value: 0 }) : undefined
  return (ctx, x) => {
    const y = tf.conv2d(x, ctx.get(kernel) as tf.Tensor4D, stride, pad === 0 ? "valid" : pad)
    return bias === undefined ? y : tf.add(y, ctx.get(bias))
  }
}

/** A depthwise convolution (one filter per channel; MobileNetV2). Kernel `[k, k, C, 1]`. */
export const depthwiseConv2d = (
  b: Builder,
  options: { readonly channels: number; readonly kernel: number; readonly stride?: number }
): Forward => {
  const k = options.kernel
  const stride = options.stride ?? 1
  const pad = (k - 1) / 2
  // torchvision: kaiming_normal_(fan_out) with fan_out = out_channels / groups * k * k = k * k for depthwise
  const kernel = b.param(
    "depthwise_kernel",
    [k, k, options.channels, 1],
    { kind: "heNormal", mode: "fanOut" },
    { fans: [k * k, k * k] }
  )
  return (ctx, x) => tf.depthwiseConv2d(x, ctx.get(kernel) as tf.Tensor4D, stride, pad)
}
