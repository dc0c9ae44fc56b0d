/**
 * Names and layouts of reidfx parameters in PyTorch state dicts.
 *
 * reidfx's backbones are built with torchvision's module names (`layer1/0/conv1/kernel` is `layer1.0.conv1.weight`),
 * so the mapping is mechanical; only the leaf names and the tensor layouts differ:
 *
 * | reidfx leaf | torch leaf | reidfx layout | torch layout | reidfx = torch transposed by |
 * |---|---|---|---|---|
 * | conv `kernel` | `weight` | `[kh, kw, in, out]` (HWIO, NHWC convs) | `[out, in, kh, kw]` (OIHW) | (2, 3, 1, 0) |
 * | `depthwise_kernel` | `weight` | `[kh, kw, C, 1]` | `[C, 1, kh, kw]` (groups = C) | (2, 3, 0, 1) |
 * | linear `kernel` | `weight` | `[in, out]` | `[out, in]` | (1, 0) |
 * | BN `gamma`, `beta` | `weight`, `bias` | `[C]` | `[C]` | none |
 * | BN `moving_mean`, `moving_variance` | `running_mean`, `running_var` | `[C]` | `[C]` | none |
 *
 * `num_batches_tracked` (BN's step counter, used only with `momentum=None`) is ignored. BatchNorm epsilon is 1e-5 in
 * torchvision, fast-reid (`fastreid/layers/batch_norm.py`, `BatchNorm(eps=1e-05)`) and reidfx alike.
 *
 * Layouts of whole checkpoints (a `module.` prefix, from `nn.DataParallel`, is always stripped):
 *
 * - `torchvision`: `torchvision.models.resnet{18,34,50}` / `mobilenet_v2` state dicts; classifier `fc.*` (ResNet) or
 *   `classifier.1.*` (MobileNetV2, after a Dropout).
 * - `fastreid`: JDAI-CV/fast-reid `Baseline` (`fastreid/modeling/meta_arch/baseline.py`): backbone under
 *   `backbone.` (`fastreid/modeling/backbones/resnet.py`, IBN as `bn1.IN` / `bn1.BN`), the BNNeck as
 *   `heads.bottleneck.0.*` with a frozen zero bias, the bias-free classifier `heads.weight` `[classes, dim]`, GeM's
 *   `heads.pool_layer.p` (`fastreid/modeling/heads/embedding_head.py`); `pixel_mean` / `pixel_std` buffers are
 *   ignored (reidfx normalises in its data pipeline). Its checkpoints hold the state dict under `"model"`.
 * - `torchreid`: KaiyangZhou/deep-person-reid `torchreid/models/resnet.py` (torchvision names, `classifier.*` with a
 *   bias; its checkpoints hold the state dict under `"state_dict"`).
 *
 * Head tensors without a counterpart in the chosen layout (a BNNeck in torchvision's layout, an embedding layer)
 * are written under `reidfx.<name>` by the exporter and read back from there.
 * @since 0.1.0
 */
import type { BackboneConfig } from "../ModelConfig.ts"

/** What the mapping needs of a model config: its backbone kind. @category models */
export interface BackboneOf {
  readonly backbone: { readonly kind: BackboneConfig["kind"] }
}
import type { ParamSpec } from "../nn/Builder.ts"

/** The checkpoint layouts reidfx reads and writes. @category models */
export type Layout = "torchvision" | "fastreid" | "torchreid"

/** The layouts, for options and messages. @category models */
export const layouts: ReadonlyArray<Layout> = ["torchvision", "fastreid", "torchreid"]

/** How a torch tensor becomes a reidfx tensor. @category models */
export type Transform = "conv" | "depthwise" | "linear" | "none"

/** One reidfx parameter and its state-dict counterpart. @category models */
export interface TorchName {
  readonly reidfx: string
  readonly torch: string
  readonly transform: Transform
  /** The shape the tensor has in the state dict. */
  readonly torchShape: ReadonlyArray<number>
  readonly part: "backbone" | "head"
}

/** The permutation taking a torch tensor to reidfx's layout. @category utils */
export const toReidfx: Readonly<Record<Transform, ReadonlyArray<number> | undefined>> = {
  conv: [2, 3, 1, 0],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  none: undefined
}

/** The permutation taking a reidfx tensor to torch's layout. @category utils */
export const toTorch: Readonly<Record<Transform, ReadonlyArray<number> | undefined>> = {
  conv: [3, 2, 0, 1],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  none: undefined
}

/**
 * Permutes the axes of a row-major array: `out[i_perm[0], ..., i_perm[r-1]] = data[i_0, ..., i_{r-1}]`, i.e. the
 * output's axis k is the input's axis `perm[k]` (`tf.transpose`'s convention), in plain loops (the tfjs cpu
 * backend's transpose costs seconds on a ResNet's kernels).
 * @category utils
 */
export const permuteAxes = (
  data: Float32Array,
  shape: ReadonlyArray<number>,
  perm: ReadonlyArray<number>
): Float32Array => {
  const rank = shape.length
  const inStrides = shape.map((_, k) => shape.slice(k + 1).reduce((a, d) => a * d, 1))
  const outShape = perm.map((p) => shape[p]!)
  // stride in the input of each output axis
  const strides = perm.map((p) => inStrides[p]!)
  const out = new Float32Array(data.length)
  const index = new Array<number>(rank).fill(0)
  let from = 0
  for (let i = 0; i < out.length; i++) {
    out[i] = data[from]!
    for (let k = rank - 1; k >= 0; k--) {
      index[k]!++
      from += strides[k]!
      if (index[k]! < outShape[k]!) break
      from -= strides[k]! * outShape[k]!
      index[k] = 0
    }
  }
  return out
}

const leafNames: Readonly<Record<string, string>> = {
  kernel: "weight",
  depthwise_kernel: "weight",
  gamma: "weight",
  beta: "bias",
  moving_mean: "running_mean",
  moving_variance: "running_var",
  bias: "bias",
  p: "p"
}

const transformOf = (leaf: string, rank: number): Transform =>
  leaf === "depthwise_kernel" ? "depthwise" : leaf === "kernel" ? (rank === 4 ? "conv" : "linear") : "none"

const permute = (shape: ReadonlyArray<number>, perm: ReadonlyArray<number> | undefined) =>
  perm === undefined ? shape : perm.map((p) => shape[p]!)

/** Dotted torch path of a reidfx path (`layer1/0/conv1` -> `layer1.0.conv1`), leaf renamed. */
const dotted = (parts: ReadonlyArray<string>, leaf: string) => [...parts, leafNames[leaf] ?? leaf].join(".")

/** The torch name of a head parameter in a layout, or undefined when the layout has none. */
const headName = (
  rest: ReadonlyArray<string>,
  leaf: string,
  config: BackboneOf,
  layout: Layout
): string | undefined => {
  const module = rest.join("/")
  if (module === "classifier") {
    if (layout === "fastreid") return leaf === "kernel" ? "heads.weight" : undefined
    if (layout === "torchreid") return `classifier.${leafNames[leaf]}`
    return config.backbone.kind === "mobilenetv2"
      ? `classifier.1.${leafNames[leaf]}`
      : config.backbone.kind === "reference"
        ? undefined
        : `fc.${leafNames[leaf]}`
  }
  if (layout === "fastreid" && module === "bnneck") return `heads.bottleneck.0.${leafNames[leaf]}`
  if (layout === "fastreid" && module === "pool") return "heads.pool_layer.p"
  return undefined
}

/**
 * The state-dict name, layout and shape of every parameter of a network in a checkpoint layout. Parameters with no
 * counterpart in the layout get `reidfx.<dotted name>`.
 * @category constructors
 */
export const torchNames = (
  specs: ReadonlyArray<ParamSpec>,
  config: BackboneOf,
  layout: Layout
): ReadonlyArray<TorchName> =>
  specs.map((spec) => {
    const parts = spec.name.split("/")
    const leaf = parts[parts.length - 1]!
    const transform = transformOf(leaf, spec.shape.length)
    const torchShape = permute(spec.shape, toTorch[transform])
    const [root, ...rest] = parts.slice(0, -1)
    if (root === "backbone" && config.backbone.kind !== "reference") {
      return {
        reidfx: spec.name,
        torch: `${layout === "fastreid" ? "backbone." : ""}${dotted(rest, leaf)}`,
        transform,
        torchShape,
        part: "backbone"
      }
    }
    const part = root === "backbone" ? "backbone" : "head"
    const name = root === "head" ? headName(rest, leaf, config, layout) : undefined
    return {
      reidfx: spec.name,
      torch: name ?? `reidfx.${dotted(parts.slice(0, -1), leaf)}`,
      transform,
      torchShape,
      part
    }
  })

/** State-dict entries every layout ignores: BN step counters, and fast-reid's input normalisation buffers. @category utils */
export const isIgnored = (name: string, layout: Layout): boolean =>
  name.endsWith(".num_batches_tracked") || (layout === "fastreid" && (name === "pixel_mean" || name === "pixel_std"))

/** Whether an unmatched state-dict entry belongs to a checkpoint's head (skipped when importing the backbone only). */
export const isHeadName = (name: string, layout: Layout): boolean =>
  name.startsWith("reidfx.head.") ||
  (layout === "fastreid" ? name.startsWith("heads.") : name.startsWith("fc.") || name.startsWith("classifier."))

/** Strips the `module.` prefix of `nn.DataParallel` / DDP checkpoints. @category utils */
export const stripModule = (name: string): string => (name.startsWith("module.") ? name.slice("module.".length) : name)

/**
 * Guesses the layout of a state dict from its names: `backbone.` and `heads.` prefixes are fast-reid's, a plain
 * `classifier.weight` next to `layer1.` is torchreid's ResNet, anything else is taken as torchvision's.
 * @category utils
 */
export const detectLayout = (names: ReadonlyArray<string>): Layout => {
  const stripped = names.map(stripModule)
  if (stripped.some((n) => n.startsWith("backbone.")) || stripped.some((n) => n.startsWith("heads."))) return "fastreid"
  if (stripped.includes("classifier.weight") && stripped.some((n) => n.startsWith("layer1."))) return "torchreid"
  return "torchvision"
}
