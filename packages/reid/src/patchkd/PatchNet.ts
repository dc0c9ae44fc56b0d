/**
 * PatchKD's patch network (Sun & Mu, ACM MM 2022; feifeiobama/PatchKD `pkd/models/patch_net.py`, commit
 * e6b050a): on the backbone's last feature map, a 1x1 convolution to 2C channels, batch normalisation, ReLU and
 * a 1x1 convolution to K channels give K score maps; each is sampled to one location by a hard Gumbel-softmax
 * over its `H W` locations (`F.gumbel_softmax(score_flat, hard=True)`, `@reidfx/distill`'s
 * `PatchKd.gumbelHard`).
 *
 * The 1x1 convolutions are linear layers over the map's locations, initialised as PyTorch's `Conv2d` default
 * (`kaiming_uniform_(a=sqrt(5))`: weight and bias uniform in `+-1/sqrt(fan_in)`; the authors' PatchNet applies no
 * other initialisation); the batch normalisation is always in training mode (the network only runs in training,
 * `set_all_model_train`), its running statistics kept but never read.
 * @since 0.4.0
 */
import { Builder, batchNorm, type Forward, linear } from "@reidfx/model"
import type * as tf from "@tensorflow/tfjs-core"
import * as tfc from "@tensorflow/tfjs-core"

/** The network's definition for C input channels and K patches (parameters named `patchkd/patchnet/...`). */
export interface PatchNet {
  readonly builder: Builder
  readonly channels: number
  readonly patches: number
  /** `[B, H, W, C]` map -> `[B, K, H W]` scores (training mode). */
  readonly scores: Forward<tf.Tensor4D, tf.Tensor3D>
}

/** Defines the patch network (the authors' `scorer`: Conv2d(C, 2C, 1), BatchNorm2d(2C), ReLU, Conv2d(2C, K, 1)). */
export const define = (channels: number, patches: number): PatchNet => {
  const builder = new Builder("patchkd/patchnet")
  const uniform = (fanIn: number) => ({ kind: "uniform", bound: 1 / Math.sqrt(fanIn) }) as const
  const conv1 = linear(builder.scope("conv1"), {
    inFeatures: channels,
    outFeatures: 2 * channels,
    init: uniform(channels),
    biasInit: uniform(channels)
  })
  const bn = batchNorm<tf.Tensor2D>(builder.scope("bn"), { channels: 2 * channels })
  const conv2 = linear(builder.scope("conv2"), {
    inFeatures: 2 * channels,
    outFeatures: patches,
    init: uniform(2 * channels),
    biasInit: uniform(2 * channels)
  })
  return {
    builder,
    channels,
    patches,
    scores: (ctx, map) =>
      tfc.tidy(() => {
        const [b, h, w, c] = map.shape
        const rows = tfc.reshape(map, [b * h * w, c]) as tf.Tensor2D
        const s = conv2(ctx, tfc.relu(bn(ctx, conv1(ctx, rows))))
        return tfc.transpose(tfc.reshape(s, [b, h * w, patches]), [0, 2, 1]) as tf.Tensor3D
      })
  }
}
