/**
 * Loading a saved model for inference (`reidfx test` / `extract`, `reidfx search`): whatever a run left behind,
 * rebuilt as a {@link FrozenModel} with its input size when the run recorded it.
 *
 * | path | what is read |
 * |---|---|
 * | a `reidfx train` run folder (`config.json`, `model/`) | `model/` (config in `model.json`), input size from `config.json` `data.height/width` |
 * | a folder with `model/model.json` (a lifelong run's `ckpt/<task>/`) | `model/` |
 * | a tfjs weights folder or its `model.json` (`Weights.save`) | the folder; the model config under `modelTopology.reidfx` |
 * | a training checkpoint (`checkpoint.ckpt`, `Checkpoint.write`) | the first learner's weights; the model config from the run config in its metadata (classes from the classifier's shape) |
 * | a PyTorch state dict (`.safetensors`, `.npz`) | imported into the model of `modelConfig` (required) by `WeightsInit` (`part: all`) |
 *
 * The model config of a weights folder can be replaced by `modelConfig` (e.g. weights converted elsewhere).
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import type * as tf from "@tensorflow/tfjs-core"
import { define, type FrozenModel, Model, type ModelConfig, Weights, WeightsInit } from "@reidfx/model"
import { type Backend, BoundedRead } from "@reidfx/tensor"
import { Effect, type Scope } from "effect"
import * as Checkpoint from "./Checkpoint.ts"
import { SavedModelError } from "./errors.ts"

/** A model loaded for inference. */
export interface SavedModel {
  readonly model: FrozenModel
  /** What was read (the weights folder or file). */
  readonly source: string
  /** The kind of thing `source` is. */
  readonly kind: "weightsFolder" | "checkpoint" | "stateDict"
  /** The input size the model was trained at, when the run recorded it (`config.json` / checkpoint metadata). */
  readonly input?: { readonly height: number; readonly width: number }
}

/** Options of {@link load}. */
export interface LoadOptions {
  /** A model config (object, as in `model.json`'s `modelTopology.reidfx`): required for a state dict, else replaces the stored one. */
  readonly modelConfig?: unknown
  /** State-dict layout for `.safetensors` / `.npz` (default `auto`). */
  readonly layout?: "auto" | "torchvision" | "fastreid" | "torchreid"
}

const stat = (p: string) =>
  Effect.promise(() =>
    fs.stat(p).then(
      (s) => s,
      () => undefined
    )
  )

const readJson = (file: string): Effect.Effect<unknown, SavedModelError> =>
  Effect.tryPromise({
    try: async () => JSON.parse(await BoundedRead.readTextPromise(file)) as unknown,
    catch: (cause) =>
      new SavedModelError({ path: file, detail: `cannot read JSON: ${BoundedRead.reasonOf(cause)}`, cause })
  })

const at = (value: unknown, ...keys: ReadonlyArray<string>): unknown =>
  keys.reduce<unknown>(
    (v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
    value
  )

/** The input size recorded by a `reidfx train` config (`data.height`, `data.width`), if any. */
export const inputOf = (runConfig: unknown): { readonly height: number; readonly width: number } | undefined => {
  const height = at(runConfig, "data", "height")
  const width = at(runConfig, "data", "width")
  return typeof height === "number" && typeof width === "number" ? { height, width } : undefined
}

const decode = (input: unknown, where: string) =>
  Model.decodeConfig(input).pipe(
    Effect.mapError((e) => new SavedModelError({ path: where, detail: `bad model config: ${e.message}` }))
  )

/** The model config of a training checkpoint: the run config's `model` with `classes` from the classifier kernel. */
const checkpointConfig = (meta: unknown, weights: ReadonlyMap<string, tf.Tensor>, file: string) =>
  Effect.gen(function* () {
    const backbone = at(meta, "model", "backbone")
    if (backbone === undefined) {
      return yield* new SavedModelError({
        path: file,
        detail: "the checkpoint's metadata holds no run config with model.backbone; give --model-config"
      })
    }
    const kernel = weights.get("head/classifier/kernel")
    const head = (at(meta, "model", "head") ?? {}) as Record<string, unknown>
    return yield* decode(
      { backbone, head: { ...head, ...(kernel === undefined ? {} : { classes: kernel.shape[1] }) } },
      file
    )
  })

const fromFolder = (dir: string, options: LoadOptions, input: SavedModel["input"]) =>
  Effect.gen(function* () {
    const json = yield* readJson(path.join(dir, "model.json"))
    const stored = at(json, "modelTopology", "reidfx")
    if (options.modelConfig === undefined && stored === undefined) {
      return yield* new SavedModelError({
        path: dir,
        detail: "model.json has no reidfx model config (modelTopology.reidfx): give --model-config"
      })
    }
    const config: ModelConfig.ModelConfig = yield* decode(options.modelConfig ?? stored, dir)
    const model = yield* Weights.loadFrozen(config, dir).pipe(
      Effect.mapError((e) => new SavedModelError({ path: dir, detail: e.message, cause: e }))
    )
    return { model, source: dir, kind: "weightsFolder" as const, ...(input === undefined ? {} : { input }) }
  })

/**
 * Loads a saved model (see the module doc for what each path means), its tensors owned by the current Scope.
 * @category constructors
 */
export const load = (
  target: string,
  options: LoadOptions = {}
): Effect.Effect<SavedModel, SavedModelError, Scope.Scope | Backend.Backend> =>
  Effect.gen(function* () {
    const s = yield* stat(target)
    if (s === undefined)
      return yield* new SavedModelError({
        path: target,
        detail:
          "no such file or folder (give a run folder, a weights folder, a checkpoint.ckpt or a .safetensors / .npz file)"
      })
    if (s.isDirectory()) {
      if ((yield* stat(path.join(target, "model.json"))) !== undefined)
        return yield* fromFolder(target, options, undefined)
      if ((yield* stat(path.join(target, "model", "model.json"))) !== undefined) {
        const runConfig =
          (yield* stat(path.join(target, "config.json"))) === undefined
            ? undefined
            : yield* readJson(path.join(target, "config.json"))
        return yield* fromFolder(path.join(target, "model"), options, inputOf(runConfig))
      }
      if ((yield* stat(path.join(target, "checkpoint.ckpt"))) !== undefined)
        return yield* load(path.join(target, "checkpoint.ckpt"), options)
      return yield* new SavedModelError({
        path: target,
        detail: "holds neither model.json, model/model.json nor checkpoint.ckpt"
      })
    }
    if (path.basename(target) === "model.json") return yield* fromFolder(path.dirname(target), options, undefined)
    const ext = path.extname(target).toLowerCase()
    if (ext === ".ckpt") {
      const data = yield* Checkpoint.read(target).pipe(
        Effect.mapError((e) => new SavedModelError({ path: target, detail: e.detail, cause: e }))
      )
      const learner = data.learners[0]
      if (learner === undefined)
        return yield* new SavedModelError({ path: target, detail: "the checkpoint holds no learner" })
      const config =
        options.modelConfig === undefined
          ? yield* checkpointConfig(data.meta, learner.weights, target)
          : yield* decode(options.modelConfig, target)
      const network = define(config)
      const missing = network.specs.filter((p) => !learner.weights.has(p.name)).map((p) => p.name)
      if (missing.length > 0) {
        return yield* new SavedModelError({
          path: target,
          detail: `the checkpoint lacks ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""} of the model config`
        })
      }
      const input = inputOf(data.meta)
      // the checkpoint's tensors live as long as the Scope (Checkpoint.read releases them when it closes)
      return {
        model: Model.frozenFrom(network, learner.weights),
        source: target,
        kind: "checkpoint" as const,
        ...(input === undefined ? {} : { input })
      }
    }
    if (ext === ".safetensors" || ext === ".npz") {
      if (options.modelConfig === undefined) {
        return yield* new SavedModelError({
          path: target,
          detail:
            "a state dict holds no model config: give --model-config (a JSON / YAML model config, e.g. { backbone: { kind: resnet, depth: 50 }, head: { classes: 751 } })"
        })
      }
      const config = yield* decode(options.modelConfig, target)
      const trainable = yield* Model.makeTrainable(config)
      yield* WeightsInit.apply(trainable, {
        path: target,
        layout: options.layout ?? "auto",
        part: "all",
        strict: true
      }).pipe(Effect.mapError((e) => new SavedModelError({ path: target, detail: e.message, cause: e })))
      return { model: yield* trainable.snapshot, source: target, kind: "stateDict" as const }
    }
    return yield* new SavedModelError({
      path: target,
      detail: `unknown model file type "${ext}" (give a run folder, a weights folder, model.json, checkpoint.ckpt, .safetensors or .npz)`
    })
  })
