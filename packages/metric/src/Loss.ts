/**
 * What every loss of `@reidfx/metric` shares: the value it returns, its inputs (anchors with optional
 * references from another source), the pair context it mines from, reductions, and how a loss becomes a
 * {@link Term}.
 *
 * **Convention.** Each loss lives in `losses/<Name>.ts` and exports:
 * - `Options`: its Schema (paper defaults; bad values throw a typed `InvalidOption`),
 * - `loss(...)`: the plain math over tfjs tensors, returning a {@link LossValue},
 * - a lower-camel Term constructor named as in the paper (`tripletBatchHard(options)`), re-exported at the top.
 *
 * `import { TripletBatchHard, tripletBatchHard } from "@reidfx/metric"`:
 * `TripletBatchHard.loss(embeddings, labels, options)` is the math, `tripletBatchHard(options)` the Term.
 * @since 0.1.0
 */
import { type Embeddings, InvalidOption, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import "./internal/gradients.ts"
import { Schema } from "effect"
import * as Distance from "./Distance.ts"
import { MissingOutput } from "./errors.ts"
import { booleanWithDefault, literalWithDefault } from "./internal/options.ts"
import { makeContext, type PairContext, type PairPolicy, PairPolicyFields, readInts } from "./Miner.ts"
import type { Step, TermValue } from "./Step.ts"
import * as Term from "./Term.ts"

/** A loss value and its statistics (counts of active triplets, skipped anchors, ...). @category models */
export interface LossValue extends TermValue {
  readonly loss: tf.Scalar
  readonly stats: Readonly<Record<string, tf.Scalar>>
}

/** References from another source than the anchors (another model, a memory bank). @category models */
export interface References {
  /** `[R, D]` reference embeddings. */
  readonly embeddings: Embeddings
  /** `[R]` reference labels (default: the anchors' labels, when R = B). */
  readonly labels?: Labels | undefined
  /** `[R]` reference cameras (default: the anchors' cameras, when R = B). */
  readonly cameras?: tf.Tensor1D | undefined
  /** Reference `i` is the same item as anchor `i` for `i < B` (`(i, i)` is then not a positive), whatever the loss's `refSameItems`. */
  readonly sameItems?: boolean | undefined
}

/** The inputs of a pair-based loss besides embeddings and labels. @category models */
export interface PairExtras {
  readonly cameras?: tf.Tensor1D | undefined
  readonly references?: References | undefined
}

/** Schema fields of the distance used by a loss, with its default distance. @category models */
export const distanceFields = (distance: Distance.DistanceName) => ({
  /** The distance. */
  distance: literalWithDefault(["euclidean", "squaredEuclidean", "cosine"], distance),
  /** L2-normalise embeddings before the distance. Default false. */
  normalize: booleanWithDefault(false)
})

/** Schema fields of distance (default euclidean) + pair policy. @category models */
export const PairFields = { ...distanceFields("euclidean"), ...PairPolicyFields }

/** Schema fields of distance (with the given default) + pair policy. @category models */
export const pairFieldsWith = (distance: Distance.DistanceName) => ({
  ...distanceFields(distance),
  ...PairPolicyFields
})

/** Reductions of per-triplet (per-pair) losses. @category models */
export const Reduction = Schema.Literals(["mean", "meanNonZero", "sum"])
export type Reduction = typeof Reduction.Type

/** A differentiable distance matrix and the detached context miners read. @category models */
export interface Prepared {
  readonly distances: tf.Tensor2D
  readonly context: PairContext
}

/** Checks shapes and builds the differentiable distances and the pair context. @category math */
export const prepare = (
  what: string,
  embeddings: Embeddings,
  labels: Labels,
  options: Schema.Struct.Type<typeof PairFields>,
  extras: PairExtras = {}
): Prepared => {
  const distance = Distance.make(options.distance, { normalize: options.normalize })
  return prepareWith(what, embeddings, labels, options, extras, distance.matrix)
}

/**
 * {@link prepare} with any pairwise matrix (a distance, or a similarity: the context's `values` are then
 * similarities, and miners reading it must know it). @category math
 */
export const prepareWith = (
  what: string,
  embeddings: Embeddings,
  labels: Labels,
  options: PairPolicy,
  extras: PairExtras,
  matrix: (queries: Embeddings, refs?: Embeddings) => tf.Tensor2D,
  inverted = false
): Prepared => {
  const refs = extras.references
  Tensor.assertShapes(what, [
    [embeddings, ["batch", "dim"], "embeddings"],
    [labels, ["batch"], "labels"]
  ])
  if (extras.cameras !== undefined)
    Tensor.assertShapes(what, [
      [embeddings, ["batch", null]],
      [extras.cameras, ["batch"], "cameras"]
    ])
  if (refs !== undefined) {
    Tensor.assertShapes(what, [
      [embeddings, [null, "dim"], "embeddings"],
      [refs.embeddings, ["refs", "dim"], "reference embeddings"],
      ...(refs.labels === undefined ? [] : [[refs.labels, ["refs"], "reference labels"] as const]),
      ...(refs.cameras === undefined ? [] : [[refs.cameras, ["refs"], "reference cameras"] as const])
    ])
    if (refs.labels === undefined && refs.embeddings.shape[0] !== embeddings.shape[0]) {
      throw new InvalidOption({
        what,
        detail: "reference labels are required when there are not as many references as anchors"
      })
    }
  }
  const distances = matrix(embeddings, refs?.embeddings)
  const labelValues = readInts(labels)!
  const cameraValues = readInts(extras.cameras)
  const context = makeContext({
    values: distances.dataSync() as Float32Array,
    rows: distances.shape[0],
    cols: distances.shape[1],
    labels: labelValues,
    refLabels: readInts(refs?.labels) ?? labelValues,
    cameras: cameraValues,
    refCameras:
      refs === undefined
        ? cameraValues
        : (readInts(refs.cameras) ?? (refs.labels === undefined ? cameraValues : undefined)),
    sameItems: refs === undefined || options.refSameItems || refs.sameItems === true,
    policy: options
  })
  return { distances, context: inverted ? { ...context, inverted } : context }
}

/** A float one-hot `[n, depth]` matrix of indices (a constant: no gradient). @category math */
export const oneHot = (indices: ArrayLike<number>, depth: number): tf.Tensor2D => {
  const out = new Float32Array(indices.length * depth)
  for (let t = 0; t < indices.length; t++) out[t * depth + indices[t]!] = 1
  return tf.tensor2d(out, [indices.length, depth])
}

/**
 * The entries `m[rows[t], cols[t]]` of a matrix, differentiably, by one-hot products (works on every backend,
 * including wasm without a gather gradient): `sum((onehot(rows) @ m) * onehot(cols), 1)`.
 * @category math
 */
export const selectEntries = (m: tf.Tensor2D, rows: Int32Array, cols: Int32Array): tf.Tensor1D =>
  tf.tidy(() => {
    if (rows.length === 0) return tf.zeros([0]) as tf.Tensor1D
    const picked = tf.matMul(oneHot(rows, m.shape[0]), m) // [T, C]
    return tf.sum(tf.mul(picked, oneHot(cols, m.shape[1])), 1) as tf.Tensor1D
  })

/** Number of strictly positive entries (read back; a constant for the gradient). @category math */
export const countPositive = (t: tf.Tensor): number => {
  const v = t.dataSync()
  let n = 0
  for (let i = 0; i < v.length; i++) if (v[i]! > 0) n++
  return n
}

/**
 * A zero loss that stays connected to `t` on the gradient tape (gradient 0), so that `tf.grad` /
 * `tf.variableGrads` of a batch without any valid triplet give zero gradients instead of throwing
 * "Cannot compute gradient of y=f(x)". @category math
 */
export const zeroLoss = (t: tf.Tensor): tf.Scalar => tf.tidy(() => tf.mul(tf.sum(t), 0) as tf.Scalar)

/**
 * Reduces per-item losses: `mean` (over all items), `meanNonZero` (over the items with a positive loss,
 * Hermans' "BA≠0"), `sum`. An empty set, or no non-zero item, gives exactly 0 (never NaN), connected to
 * `connectTo` (when given) so its gradient is 0.
 * @category math
 */
export const reduce = (perItem: tf.Tensor1D, reduction: Reduction, connectTo?: tf.Tensor): tf.Scalar =>
  tf.tidy(() => {
    const n = perItem.shape[0]
    if (n === 0) return connectTo === undefined ? tf.scalar(0) : zeroLoss(connectTo)
    return reductions[reduction](tf.sum(perItem) as tf.Scalar, perItem, n)
  })

/** Each {@link Reduction} of the sum of `n` per-item losses (a record of handlers, one per reduction). */
const reductions: {
  readonly [R in Reduction]: (total: tf.Scalar, perItem: tf.Tensor1D, n: number) => tf.Scalar
} = {
  sum: (total) => total,
  mean: (total, _perItem, n) => tf.div(total, n) as tf.Scalar,
  meanNonZero: (total, perItem) => tf.div(total, Math.max(1, countPositive(perItem))) as tf.Scalar
}

/** `tf.tidy` for a function returning a {@link LossValue} (the loss and its stats are kept). @category math */
export const tidyLoss = (f: () => LossValue): LossValue =>
  tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as LossValue

/** Statistics as scalars (what a {@link Term} reports). @category constructors */
export const stats = (values: Record<string, number>): Record<string, tf.Scalar> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, tf.scalar(v)]))

/** The margin-ranking hinge `relu(x + margin)`, or the soft margin `softplus(x)` (Hermans et al. 2017). @category math */
export const hinge = (x: tf.Tensor, margin: number, softMargin: boolean): tf.Tensor =>
  tf.tidy(() => (softMargin ? tf.softplus(x) : tf.relu(tf.add(x, margin))))

/** Which model output a metric term reads. */
export const EmbeddingSource = Schema.Literals(["features", "neckFeatures"])
export type EmbeddingSource = typeof EmbeddingSource.Type

/** Options every Term constructor accepts besides its loss options. @category models */
export interface TermOptions {
  /** The weight in the Objective (default 1). */
  readonly weight?: number
  /** Which output to read (default `features`, the embedding before the BNNeck). */
  readonly embedding?: EmbeddingSource
  /**
   * References from another source, read from the step (e.g. `(step) => step.peer && { embeddings: step.peer.features }`
   * for mutual learning). Default: the anchors themselves.
   */
  readonly references?: (step: Step) => References | undefined
}

/** The embeddings a term reads from a step. @category math */
export const embeddingsOf = (term: string, step: Step, source: EmbeddingSource = "features"): Embeddings => {
  const e = source === "features" ? step.outputs.features : step.outputs.neckFeatures
  if (e === undefined) {
    throw new MissingOutput({
      term,
      field: `outputs.${source}`,
      hint: 'use a model with a neck, or embedding: "features"'
    })
  }
  return e
}

/** The cameras of a step, required when `crossCameraPositives` is set. @category math */
export const camerasOf = (term: string, step: Step, required: boolean): tf.Tensor1D | undefined => {
  if (required && step.cameras === undefined) {
    throw new MissingOutput({
      term,
      field: "cameras",
      hint: "provide camera ids in the batch, or set crossCameraPositives: false"
    })
  }
  return step.cameras
}

/**
 * A Term of a pair-based loss `(embeddings, labels, extras) => LossValue` reading the step's embeddings, labels,
 * cameras and optional references.
 * @category constructors
 */
export const pairTerm = (
  name: string,
  describeOptions: object,
  term: TermOptions,
  crossCamera: boolean,
  f: (embeddings: Embeddings, labels: Labels, extras: PairExtras) => LossValue
): Term.Term<never> =>
  Term.make(
    name,
    describeOptions,
    (step) =>
      f(embeddingsOf(name, step, term.embedding), step.labels, {
        cameras: camerasOf(name, step, crossCamera),
        references: term.references?.(step)
      }),
    term.weight ?? 1
  )
