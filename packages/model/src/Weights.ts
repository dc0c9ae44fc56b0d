/**
 * Weights as a TensorFlow.js model directory: `model.json` (with a `weightsManifest`) plus binary shards
 * `group1-shardKofN.bin` of at most 4 MB, the layout of `tensorflowjs_converter` and `tf.io`. Weights
 * converted elsewhere (e.g. from PyTorch) load by name, optionally renamed; reidfx writes its own weights
 * the same way, with the model config under `modelTopology.reidfx`.
 *
 * Writing is atomic (`@reidfx/tensor` AtomicFile): the directory is written under a temporary name, every
 * byte counted and every file fsynced, then swapped in by renames. Reading is confined and bounded: every shard
 * path of the manifest must resolve inside the model folder (`../x.bin`, an absolute path or a symlink out of
 * it is a {@link PathEscapesRoot}), shapes must be non-negative integers, and the shards' total length must
 * equal what the manifest declares before any tensor is allocated.
 * @since 0.1.0
 */
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import { AtomicFile, BoundedRead, Confine, describeCause, PathEscapesRoot } from "@reidfx/tensor"
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
  readonly weightsManifest: ReadonlyArray<{
    readonly paths: ReadonlyArray<string>
    readonly weights: ReadonlyArray<tf.io.WeightsManifestEntry>
  }>
}

/** Writes a file and fsyncs it, checking that every byte was written. */
export const writeFileSynced = (file: string, data: string | Uint8Array): Promise<void> =>
  AtomicFile.writeSyncedPromise(file, data)

/** Encodes named tensors into one buffer and its manifest entries. */
export const encode = async (
  tensors: ReadonlyMap<string, tf.Tensor>
): Promise<{ readonly data: Uint8Array; readonly specs: Array<tf.io.WeightsManifestEntry> }> => {
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
      await AtomicFile.writeDirPromise(dir, async (tmp) => {
        const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES))
        const paths: Array<string> = []
        for (let i = 0; i < count; i++) {
          const name = `group1-shard${i + 1}of${count}.bin`
          paths.push(name)
          await writeFileSynced(
            path.join(tmp, name),
            data.subarray(i * SHARD_BYTES, Math.min(data.byteLength, (i + 1) * SHARD_BYTES))
          )
        }
        const json: ModelJson = {
          format: "reidfx-weights",
          generatedBy: "reidfx 0.1.0",
          convertedBy: null,
          modelTopology: topology,
          weightsManifest: [{ paths, weights: specs }]
        }
        await writeFileSynced(path.join(tmp, "model.json"), JSON.stringify(json, null, 1))
      })
    },
    catch: (cause) =>
      new WeightsIOError({
        path: dir,
        detail: `cannot write: ${describeCause(cause)}; the previous weights are kept`,
        cause
      })
  })

const BYTES_PER: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
  complex64: 8
}

/** Bytes an entry occupies in its shards (after validating its shape); throws on a bad entry. */
export const entryBytes = (entry: tf.io.WeightsManifestEntry): number => {
  if (typeof entry?.name !== "string") throw new Error("a weightsManifest entry has no name")
  if (!Array.isArray(entry.shape) || entry.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(
      `weight "${entry.name}": shape ${JSON.stringify(entry.shape)} is not a list of non-negative integers`
    )
  }
  const elements = entry.shape.reduce((n, d) => n * d, 1)
  if (!Number.isSafeInteger(elements) || elements > MAX_ELEMENTS)
    throw new Error(
      `weight "${entry.name}": shape ${JSON.stringify(entry.shape)} has more than ${MAX_ELEMENTS} elements`
    )
  const dtype = entry.quantization?.dtype ?? entry.dtype
  const per = BYTES_PER[dtype]
  if (per === undefined) throw new Error(`weight "${entry.name}": unsupported dtype ${JSON.stringify(dtype)}`)
  return elements * per
}

/** Most elements one tensor may declare (2^31 - 1, tfjs' own limit). */
const MAX_ELEMENTS = 2 ** 31 - 1

/** Options of {@link readDirectory}. */
export interface ReadOptions {
  /** Accept absolute shard paths in `model.json` (default false: every shard must lie inside the folder). */
  readonly allowAbsolutePaths?: boolean
}

/**
 * Reads every tensor of a tfjs model directory (`model.json` + shards), owned by the current Scope. Shard paths
 * are confined to `dir`; sizes are checked against the manifest before decoding.
 */
export const readDirectory = (
  dir: string,
  options: ReadOptions = {}
): Effect.Effect<
  { readonly tensors: ReadonlyMap<string, tf.Tensor>; readonly json: ModelJson },
  WeightsIOError | PathEscapesRoot,
  Scope.Scope
> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const json = JSON.parse(await BoundedRead.readTextPromise(path.join(dir, "model.json"))) as ModelJson
        if (!Array.isArray(json?.weightsManifest)) throw new Error("model.json has no weightsManifest")
        const tensors = new Map<string, tf.Tensor>()
        try {
          for (const group of json.weightsManifest) {
            if (!Array.isArray(group?.paths) || !Array.isArray(group.weights))
              throw new Error("a weightsManifest group lacks paths or weights")
            const expected = (group.weights as ReadonlyArray<tf.io.WeightsManifestEntry>).reduce(
              (n: number, w) => n + entryBytes(w),
              0
            )
            const files = await Promise.all(
              group.paths.map((p: unknown) => {
                if (typeof p !== "string") throw new Error(`weightsManifest path ${JSON.stringify(p)} is not a string`)
                return Confine.resolveInsidePromise(dir, p, {
                  where: `${path.join(dir, "model.json")} weightsManifest`,
                  allowAbsolute: options.allowAbsolutePaths === true
                })
              })
            )
            const buffers: Array<Uint8Array> = []
            let total = 0
            for (const f of files) {
              const b = await BoundedRead.readBytesPromise(f, Math.max(0, expected - total))
              buffers.push(b)
              total += b.byteLength
            }
            if (total !== expected)
              throw new Error(`the shards hold ${total} bytes but the manifest declares ${expected}`)
            const joined = new Uint8Array(total)
            let offset = 0
            for (const b of buffers) {
              joined.set(b, offset)
              offset += b.byteLength
            }
            const decoded = tf.io.decodeWeights(joined.buffer, group.weights as Array<tf.io.WeightsManifestEntry>)
            for (const [name, t] of Object.entries(decoded)) tensors.set(name, t)
          }
        } catch (e) {
          tensors.forEach((t) => {
            t.dispose()
          })
          throw e
        }
        return { tensors, json }
      },
      catch: (cause) =>
        cause instanceof PathEscapesRoot
          ? cause
          : new WeightsIOError({
              path: dir,
              detail: `cannot read a tfjs model directory: ${cause instanceof Error && !("code" in cause) ? cause.message : BoundedRead.reasonOf(cause)}`,
              cause
            })
    }),
    ({ tensors }) =>
      Effect.sync(() =>
        tensors.forEach((t) => {
          t.dispose()
        })
      )
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
    return Effect.fail(
      new WeightsMismatch({ path: dir, missing: strict ? missing : [], unexpected: strict ? unexpected : [], shapes })
    )
  }
  return Effect.succeed(matched)
}

/** Saves a model's weights (parameters and BN running statistics) and config as a tfjs model directory. */
export const save = (model: ModelBase, dir: string): Effect.Effect<void, WeightsIOError> =>
  writeDirectory(dir, model.weights(), { reidfx: model.config })

/** Loads weights from a tfjs model directory into a trainable model. */
export const load = (
  model: TrainableModel,
  dir: string,
  options: LoadOptions = {}
): Effect.Effect<void, WeightsIOError | WeightsMismatch | PathEscapesRoot> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { tensors } = yield* readDirectory(dir)
      const matched = yield* matchWeights(dir, model, tensors, options)
      model.assign(matched)
    })
  )

/** A frozen model of `config` with weights read from a tfjs model directory (e.g. a teacher converted elsewhere). */
export const loadFrozen = (
  config: ModelConfig,
  dir: string,
  options: LoadOptions = {}
): Effect.Effect<FrozenModel, WeightsIOError | WeightsMismatch | PathEscapesRoot, Scope.Scope> =>
  Effect.gen(function* () {
    const network = define(config)
    const { tensors } = yield* readDirectory(dir)
    const probe = frozenFrom(network, new Map())
    const matched = yield* matchWeights(dir, probe, tensors, { ...options, strict: true })
    return frozenFrom(network, matched)
  })
