/**
 * Weights as a TensorFlow.js model directory: `model.json` (with a `weightsManifest`) plus binary shards
 * `group1-shardKofN.bin` of at most 4 MB, the layout of `tensorflowjs_converter` and `tf.io`. Weights
 * converted elsewhere (e.g. from PyTorch) load by name, optionally renamed; reidfx writes its own weights
 * the same way, with the model config under `modelTopology.reidfx`.
 *
 * Writing is atomic: the directory is written under a temporary name, every file fsynced, then renamed.
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, type Scope } from "effect"
import { WeightsIOError, WeightsMismatch } from "./errors.ts"
import type { ModelConfig } from "./ModelConfig.ts"
import { type FrozenModel, frozenFrom, type ModelBase, type TrainableModel } from "./Model.ts"
import { define } from "./Network.ts"

const SHARD_BYTES = 4 * 1024 * 1024

/** The parts of a tfjs `model.json` reidfx reads and writes. */
export interface ModelJson {
  readonly format?: string
  readonly generatedBy?: string
  readonly convertedBy?: string | null
  readonly modelTopology?: unknown
  readonly weightsManifest: ReadonlyArray<{ readonly paths: ReadonlyArray<string>; readonly weights: ReadonlyArray<tf.io.WeightsManifestEntry> }>
}

/** Writes a file and fsyncs it. */
export const writeFileSynced = async (file: string, data: string | Uint8Array): Promise<void> => {
  const handle = await fs.open(file, "w")
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

const fsyncDir = async (dir: string) => {
  const handle = await fs.open(dir, "r")
  try {
    await handle.sync()
  } catch {
    // some file systems refuse to fsync a directory; the rename is still atomic
  } finally {
    await handle.close()
  }
}

/** Encodes named tensors into one buffer and its manifest entries. */
export const encode = async (tensors: ReadonlyMap<string, tf.Tensor>): Promise<{ readonly data: Uint8Array; readonly specs: Array<tf.io.WeightsManifestEntry> }> => {
  const named = [...tensors].map(([name, tensor]) => ({ name, tensor }))
  const { data, specs } = await tf.io.encodeWeights(named)
  return { data: new Uint8Array(data as ArrayBuffer), specs }
}

/** Writes `tensors` to a tfjs model directory at `dir` (atomically replacing it). */
export const writeDirectory = (
  dir: string,
  tensors: ReadonlyMap<string, tf.Tensor>,
  topology: unknown = null
): Effect.Effect<void, WeightsIOError> =>
  Effect.tryPromise({
    try: async () => {
      const { data, specs } = await encode(tensors)
      const parent = path.dirname(path.resolve(dir))
      await fs.mkdir(parent, { recursive: true })
      const tmp = `${path.resolve(dir)}.tmp-${process.pid}-${Date.now()}`
      await fs.mkdir(tmp, { recursive: true })
      const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES))
      const paths: Array<string> = []
      for (let i = 0; i < count; i++) {
        const name = `group1-shard${i + 1}of${count}.bin`
        paths.push(name)
        await writeFileSynced(path.join(tmp, name), data.subarray(i * SHARD_BYTES, Math.min(data.byteLength, (i + 1) * SHARD_BYTES)))
      }
      const json: ModelJson = {
        format: "reidfx-weights",
        generatedBy: "reidfx 0.1.0",
        convertedBy: null,
        modelTopology: topology,
        weightsManifest: [{ paths, weights: specs }]
      }
      await writeFileSynced(path.join(tmp, "model.json"), JSON.stringify(json, null, 1))
      await fsyncDir(tmp)
      const old = `${path.resolve(dir)}.old-${process.pid}-${Date.now()}`
      const exists = await fs.stat(dir).then(() => true, () => false)
      if (exists) await fs.rename(dir, old)
      await fs.rename(tmp, dir)
      await fsyncDir(parent)
      if (exists) await fs.rm(old, { recursive: true, force: true })
    },
    catch: (cause) => new WeightsIOError({ path: dir, detail: `cannot write: ${String(cause)}`, cause })
  })

/** Reads every tensor of a tfjs model directory (`model.json` + shards), owned by the current Scope. */
export const readDirectory = (dir: string): Effect.Effect<{ readonly tensors: ReadonlyMap<string, tf.Tensor>; readonly json: ModelJson }, WeightsIOError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const json = JSON.parse(await fs.readFile(path.join(dir, "model.json"), "utf8")) as ModelJson
        if (!Array.isArray(json.weightsManifest)) throw new Error("model.json has no weightsManifest")
        const tensors = new Map<string, tf.Tensor>()
        for (const group of json.weightsManifest) {
          const buffers = await Promise.all(group.paths.map((p: string) => fs.readFile(path.join(dir, p))))
          const total = buffers.reduce((n, b) => n + b.byteLength, 0)
          const joined = new Uint8Array(total)
          let offset = 0
          for (const b of buffers) {
            joined.set(b, offset)
            offset += b.byteLength
          }
          const decoded = tf.io.decodeWeights(joined.buffer, group.weights as Array<tf.io.WeightsManifestEntry>)
          for (const [name, t] of Object.entries(decoded)) tensors.set(name, t)
        }
        return { tensors, json }
      },
      catch: (cause) => new WeightsIOError({ path: dir, detail: `cannot read a tfjs model directory: ${String(cause)}`, cause })
    }),
    ({ tensors }) => Effect.sync(() => tensors.forEach((t) => { t.dispose() }))
  )

/** Options of {@link load}. */
export interface LoadOptions {
  /** Maps a name in the file to a parameter name (return undefined to skip the tensor). Default: identity. */
  readonly rename?: (name: string) => string | undefined
  /** Fail when a parameter is missing from the file or the file has extra tensors (default true). */
  readonly strict?: boolean
}

const matchWeights = (
  dir: string,
  model: ModelBase,
  tensors: ReadonlyMap<string, tf.Tensor>,
  options: LoadOptions
): Effect.Effect<Map<string, tf.Tensor>, WeightsMismatch> => {
  const rename = options.rename ?? ((n: string) => n)
  const wanted = new Map(model.network.specs.map((s) => [s.name, s] as const))
  const matched = new Map<string, tf.Tensor>()
  const unexpected: Array<string> = []
  const shapes: Array<{ name: string; expected: ReadonlyArray<number>; actual: ReadonlyArray<number> }> = []
  for (const [fileName, t] of tensors) {
    const name = rename(fileName)
    if (name === undefined) continue
    const spec = wanted.get(name)
    if (spec === undefined) {
      unexpected.push(fileName)
      continue
    }
    if (spec.shape.length !== t.shape.length || spec.shape.some((d, i) => d !== t.shape[i])) {
      shapes.push({ name, expected: spec.shape, actual: t.shape })
      continue
    }
    matched.set(name, t)
  }
  const missing = [...wanted.keys()].filter((n) => !matched.has(n))
  const strict = options.strict ?? true
  if (shapes.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
    return Effect.fail(new WeightsMismatch({ path: dir, missing: strict ? missing : [], unexpected: strict ? unexpected : [], shapes }))
  }
  return Effect.succeed(matched)
}

/** Saves a model's weights (parameters and BN running statistics) and config as a tfjs model directory. */
export const save = (model: ModelBase, dir: string): Effect.Effect<void, WeightsIOError> =>
  writeDirectory(dir, model.weights(), { reidfx: model.config })

/** Loads weights from a tfjs model directory into a trainable model. */
export const load = (model: TrainableModel, dir: string, options: LoadOptions = {}): Effect.Effect<void, WeightsIOError | WeightsMismatch> =>
  Effect.scoped(
    Effect.gen(function*() {
      const { tensors } = yield* readDirectory(dir)
      const matched = yield* matchWeights(dir, model, tensors, options)
      model.assign(matched)
    })
  )

/** A frozen model of `config` with weights read from a tfjs model directory (e.g. a teacher converted elsewhere). */
export const loadFrozen = (config: ModelConfig, dir: string, options: LoadOptions = {}): Effect.Effect<FrozenModel, WeightsIOError | WeightsMismatch, Scope.Scope> =>
  Effect.gen(function*() {
    const network = define(config)
    const { tensors } = yield* readDirectory(dir)
    const probe = frozenFrom(network, new Map())
    const matched = yield* matchWeights(dir, probe, tensors, { ...options, strict: true })
    return frozenFrom(network, matched)
  })
