/**
 * Importing PyTorch state dicts (`.safetensors` or `.npz`) into reidfx models, and exporting reidfx weights as
 * `.safetensors` with torchvision's names, so weights travel both ways (names and layouts: {@link TorchNames}).
 *
 * A `.pth` file converts in one line (`safetensors` installed; fast-reid keeps the state dict under `"model"`,
 * torchreid under `"state_dict"`):
 *
 *     python3 -c "import sys,torch; from safetensors.torch import save_file; s=torch.load(sys.argv[1],map_location='cpu'); s=s.get('model',s.get('state_dict',s)); save_file({k:v.float().contiguous() for k,v in s.items() if torch.is_tensor(v)},sys.argv[2])" in.pth out.safetensors
 *
 * or, with numpy only: `np.savez(out, **{k: v.float().numpy() for k, v in s.items() if torch.is_tensor(v)})`.
 *
 * Importing checks the whole file against the network before any value is read: a tensor the network needs and
 * the file lacks, a file tensor the network has no place for, or a shape that differs fails with
 * {@link WeightsMismatch} naming each (state-dict names). `part: "backbone"` imports the backbone alone (an
 * ImageNet classifier's `fc` is skipped, the ReID head keeps its initialisation).
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, type Scope } from "effect"
import { WeightsIOError, WeightsMismatch } from "../errors.ts"
import type { ModelConfig } from "../ModelConfig.ts"
import { type FrozenModel, frozenFrom, type ModelBase } from "../Model.ts"
import { define } from "../Network.ts"
import type { ParamSpec } from "../nn/Builder.ts"
import * as Npz from "./Npz.ts"
import * as Safetensors from "./Safetensors.ts"
import type { TensorFile } from "./TensorFile.ts"
import {
  type BackboneOf,
  detectLayout,
  isHeadName,
  isIgnored,
  type Layout,
  permuteAxes,
  stripModule,
  toReidfx,
  toTorch,
  torchNames
} from "./TorchNames.ts"

/** Options of an import. @category models */
export interface ImportOptions {
  /** The checkpoint layout (default: detected from the names, see `TorchNames.detectLayout`). */
  readonly layout?: Layout | "auto" | undefined
  /** Import every parameter ("all", default) or the backbone only (the head keeps its values). */
  readonly part?: "all" | "backbone" | undefined
  /** Fail on a missing or unexpected tensor (default true); mis-shaped tensors always fail. */
  readonly strict?: boolean | undefined
  /**
   * Import into the parameters under this name prefix only (e.g. `"frame/"`, the frame network of a video model);
   * the prefix is removed before mapping names and added back to the result. Default: none.
   */
  readonly prefix?: string | undefined
}

/** What an import needs of a network: its parameter specifications and backbone kind. @category models */
export interface ImportTarget {
  readonly specs: ReadonlyArray<ParamSpec>
  readonly config: BackboneOf
}

/**
 * Opens a tensor file by its extension: `.safetensors` or `.npz`. The file stays open until the Scope closes.
 * @category constructors
 */
export const openFile = (file: string): Effect.Effect<TensorFile, WeightsIOError, Scope.Scope> => {
  const lower = file.toLowerCase()
  if (lower.endsWith(".safetensors")) return Safetensors.open(file)
  if (lower.endsWith(".npz")) return Npz.open(file)
  return Effect.fail(
    new WeightsIOError({
      path: file,
      detail:
        "unknown weights file type (use .safetensors or .npz; convert a .pth file with the one-liner in docs/weights.md)"
    })
  )
}

/**
 * Reads the tensors of `file` that fit `network`, converted to reidfx's layouts and names. The tensors belong to
 * the current Scope.
 * @category constructors
 */
export const readFor = (
  network: ImportTarget,
  file: TensorFile,
  options: ImportOptions = {}
): Effect.Effect<Map<string, tf.Tensor>, WeightsIOError | WeightsMismatch, Scope.Scope> =>
  Effect.gen(function* () {
    const layout =
      options.layout === undefined || options.layout === "auto"
        ? detectLayout(file.entries.map((e) => e.name))
        : options.layout
    const part = options.part ?? "all"
    const strict = options.strict ?? true
    const byName = new Map(file.entries.map((e) => [stripModule(e.name), e] as const))
    const prefix = options.prefix ?? ""
    const specs = network.specs
      .filter((s) => s.name.startsWith(prefix))
      .map((s) => ({ ...s, name: s.name.slice(prefix.length) }))
    const mapping = torchNames(specs, network.config, layout).filter((m) => part === "all" || m.part === "backbone")
    const used = new Set<string>()
    const missing: Array<string> = []
    const shapes: Array<{ name: string; expected: ReadonlyArray<number>; actual: ReadonlyArray<number> }> = []
    const found: Array<(typeof mapping)[number]> = []
    for (const m of mapping) {
      const entry = byName.get(m.torch)
      if (entry === undefined) {
        missing.push(m.torch)
        continue
      }
      used.add(m.torch)
      const same = entry.shape.length === m.torchShape.length && entry.shape.every((d, i) => d === m.torchShape[i])
      if (same) found.push(m)
      else shapes.push({ name: m.torch, expected: m.torchShape, actual: entry.shape })
    }
    // fast-reid's BNNeck has a bias fixed at zero (bias_freeze=True); reidfx's has none: accept it only when zero
    const neckBias = "heads.bottleneck.0.bias"
    const checkNeckBias =
      layout === "fastreid" &&
      part === "all" &&
      byName.has(neckBias) &&
      mapping.some((m) => m.torch === "heads.bottleneck.0.weight")
    if (checkNeckBias) used.add(neckBias)
    const unexpected = [...byName.keys()].filter(
      (n) => !used.has(n) && !isIgnored(n, layout) && !(part === "backbone" && isHeadName(n, layout))
    )
    if (shapes.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
      return yield* Effect.fail(
        new WeightsMismatch({
          path: `${file.path} (${layout} layout)`,
          missing: strict ? missing : [],
          unexpected: strict ? unexpected : [],
          shapes
        })
      )
    }
    if (checkNeckBias) {
      const bias = yield* file.read(byName.get(neckBias)!.name)
      if (bias.some((v) => v !== 0)) {
        return yield* Effect.fail(
          new WeightsIOError({
            path: file.path,
            detail: `${neckBias} is not zero: reidfx's BNNeck has no bias (fast-reid freezes it at 0)`
          })
        )
      }
    }
    const out = yield* Effect.acquireRelease(Effect.succeed(new Map<string, tf.Tensor>()), (map) =>
      Effect.sync(() =>
        map.forEach((t) => {
          t.dispose()
        })
      )
    )
    for (const m of found) {
      const data = yield* file.read(byName.get(m.torch)!.name)
      const perm = toReidfx[m.transform]
      const shape = perm === undefined ? m.torchShape : perm.map((p) => m.torchShape[p]!)
      out.set(
        `${prefix}${m.reidfx}`,
        tf.tensor(perm === undefined ? data : permuteAxes(data, m.torchShape, perm), [...shape], "float32")
      )
    }
    return out
  })

/** A model weights can be imported into: a network and an `assign` (reidfx's image and video models). @category models */
export interface Assignable {
  readonly network: ImportTarget
  /** Copies the given weights (by name) into the model's variables. */
  readonly assign: (weights: ReadonlyMap<string, tf.Tensor>) => void
}

/** Imports a `.safetensors` / `.npz` state dict into a trainable model (see {@link ImportOptions}). @category combinators */
export const importInto = (
  model: Assignable,
  file: string,
  options: ImportOptions = {}
): Effect.Effect<void, WeightsIOError | WeightsMismatch> =>
  Effect.scoped(
    Effect.gen(function* () {
      const tensors = yield* readFor(model.network, yield* openFile(file), options)
      model.assign(tensors)
    })
  )

/** A frozen model of `config` with every weight imported from a state dict (a teacher trained in PyTorch). @category constructors */
export const importFrozen = (
  config: ModelConfig,
  file: string,
  options: Omit<ImportOptions, "part" | "strict"> = {}
): Effect.Effect<FrozenModel, WeightsIOError | WeightsMismatch, Scope.Scope> =>
  Effect.gen(function* () {
    const network = define(config)
    const tensors = yield* Effect.scoped(
      Effect.gen(function* () {
        const read = yield* readFor(network, yield* openFile(file), { ...options, part: "all", strict: true })
        // copies that outlive the file's scope, owned by the caller's
        return new Map([...read].map(([n, t]) => [n, tf.clone(t)] as const))
      })
    )
    yield* Effect.addFinalizer(() =>
      Effect.sync(() =>
        tensors.forEach((t) => {
          t.dispose()
        })
      )
    )
    return frozenFrom(network, tensors)
  })

/** The weights of a model as float32 tensors with state-dict names and layouts. @category utils */
export const toStateDict = (model: ModelBase, layout: Layout = "torchvision"): Array<Safetensors.Float32Tensor> => {
  const weights = model.weights()
  return torchNames(model.network.specs, model.config, layout).map((m) => {
    const perm = toTorch[m.transform]
    const t = weights.get(m.reidfx)!
    const data = Float32Array.from(t.dataSync())
    return { name: m.torch, shape: m.torchShape, data: perm === undefined ? data : permuteAxes(data, t.shape, perm) }
  })
}

/**
 * Exports a model's weights to a `.safetensors` file with state-dict names (torchvision's by default), BN running
 * statistics included; the reidfx model config goes to the metadata (`reidfx.config`). In the fast-reid layout the
 * BNNeck's zero bias is written too, so `load_state_dict` finds it.
 * @category io
 */
export const exportSafetensors = (
  model: ModelBase,
  file: string,
  layout: Layout = "torchvision"
): Effect.Effect<void, WeightsIOError> =>
  Effect.suspend(() => {
    const tensors = toStateDict(model, layout)
    const neck = tensors.find((t) => t.name === "heads.bottleneck.0.weight")
    if (layout === "fastreid" && neck !== undefined)
      tensors.push({ name: "heads.bottleneck.0.bias", shape: neck.shape, data: new Float32Array(neck.data.length) })
    return Safetensors.write(file, tensors, {
      format: "pt",
      "reidfx.layout": layout,
      "reidfx.config": JSON.stringify(model.config)
    })
  })

/** Whether a path is a directory (a reidfx / tfjs weights directory rather than a state-dict file). @category utils */
export const isDirectory = (file: string): Effect.Effect<boolean> =>
  Effect.promise(() =>
    fs.stat(file).then(
      (s) => s.isDirectory(),
      () => false
    )
  )
