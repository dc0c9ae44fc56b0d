/**
 * Reducers as injectable objects, as pytorch-metric-learning has them (PML 2.8.1, KevinMusgrave/pytorch-metric-learning
 * `src/pytorch_metric_learning/reducers/*.py`): a loss hands its per-item losses and what each item is (an
 * element, a positive or negative pair, a triplet, or an already reduced value: PML's loss dict
 * `{losses, indices, reduction_type}`) to a {@link Reducer}, which turns them into the scalar that is trained.
 *
 * | reducer | PML class | value |
 * |---|---|---|
 * | {@link mean} | `MeanReducer` | `1/N sum_i l_i` |
 * | {@link sum} | `SumReducer` | `sum_i l_i` |
 * | {@link threshold} | `ThresholdReducer(low, high)` | mean of the `l_i` with `low < l_i < high` (either bound optional) |
 * | {@link avgNonZero} | `AvgNonZeroReducer` | `threshold({ low: 0 })`: mean of the positive `l_i` |
 * | {@link classWeighted} | `ClassWeightedReducer(weights)` | `1/N sum_i w[y(a_i)] l_i`, `a_i` the item's anchor (element: the item) |
 * | {@link divisor} | `DivisorReducer` | `sum_i l_i / D`, `D` given by the loss (`divisor`) |
 * | {@link perAnchor} | `PerAnchorReducer(reducer, aggregation)` | pairs: per anchor `a`, `1/n_a sum_{(a,j)} l_aj` (0 when `n_a = 0`), then `reducer` over the B anchors |
 *
 * Conventions kept from PML's `BaseReducer`: no items (PML's `losses == 0`), a filter that keeps nothing, or a
 * divisor of 0 give a zero loss connected to the embeddings (`sum(embeddings * 0)`, gradient 0); an already
 * reduced loss passes through every reducer unchanged. `perAnchor` writes pair losses into a B x B table, so a
 * repeated (anchor, other) pair keeps its last value, as PML's `new_array[anchors, others] = losses` does; it
 * rejects triplets (PML raises `NotImplementedError`).
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"

/** What a loss hands a reducer (PML's loss dict entry). @category models */
export type LossItems =
  | { readonly kind: "alreadyReduced"; readonly loss: tf.Scalar }
  | { readonly kind: "element"; readonly losses: tf.Tensor1D; readonly indices: Int32Array; readonly divisor?: number }
  | {
      readonly kind: "posPair" | "negPair"
      readonly losses: tf.Tensor1D
      readonly anchors: Int32Array
      readonly others: Int32Array
      readonly divisor?: number
    }
  | {
      readonly kind: "triplet"
      readonly losses: tf.Tensor1D
      readonly anchors: Int32Array
      readonly positives: Int32Array
      readonly negatives: Int32Array
      readonly divisor?: number
    }

/** The batch the items come from: its embeddings (zero losses stay connected to them) and labels. @category models */
export interface ReduceBatch {
  readonly embeddings: tf.Tensor2D
  readonly labels: Int32Array
}

/** A reducer: the scalar trained from a loss's items. @category models */
export interface Reducer {
  /** PML's class name, e.g. "AvgNonZeroReducer". */
  readonly name: string
  /** Reduces the per-element losses of a batch to one scalar. */
  readonly reduce: (items: LossItems, batch: ReduceBatch) => tf.Scalar
}

/** PML's `zero_loss`: `sum(embeddings * 0)`, a 0 whose gradient is 0. @category math */
export const zeroLoss = (embeddings: tf.Tensor): tf.Scalar => tf.tidy(() => tf.sum(tf.mul(embeddings, 0)) as tf.Scalar)

const sizeOf = (items: LossItems): number => (items.kind === "alreadyReduced" ? 1 : items.losses.shape[0])

const checkSizes = (name: string, items: LossItems) => {
  if (items.kind === "alreadyReduced") return
  const n = items.losses.shape[0]
  const lengths =
    items.kind === "element"
      ? [items.indices.length]
      : items.kind === "triplet"
        ? [items.anchors.length, items.positives.length, items.negatives.length]
        : [items.anchors.length, items.others.length]
  if (lengths.some((l) => l !== n)) {
    throw new InvalidOption({
      what: name,
      detail: `${n} losses but index arrays of lengths ${lengths.join(", ")}; give one index per loss`
    })
  }
}

/** PML's `BaseReducer.reduce_the_loss`: already reduced passes through, no items is a zero loss. */
const make = (
  name: string,
  reduceItems: (items: Exclude<LossItems, { readonly kind: "alreadyReduced" }>, batch: ReduceBatch) => tf.Scalar
): Reducer => ({
  name,
  reduce: (items, batch) => {
    if (items.kind === "alreadyReduced") return tf.clone(items.loss)
    if (sizeOf(items) === 0) return zeroLoss(batch.embeddings)
    checkSizes(name, items)
    return reduceItems(items, batch)
  }
})

/** PML's `MeanReducer`: the mean of the items. @category constructors */
export const mean = (): Reducer => make("MeanReducer", (items) => tf.mean(items.losses) as tf.Scalar)

/** PML's `SumReducer`: the sum of the items. @category constructors */
export const sum = (): Reducer => make("SumReducer", (items) => tf.sum(items.losses) as tf.Scalar)

/** Bounds of {@link threshold}: items with `low < l < high` are kept (strict, as PML). */
export interface ThresholdOptions {
  readonly low?: number
  readonly high?: number
}

/**
 * PML's `ThresholdReducer(low, high)`: the mean of the items strictly between the bounds; a zero loss when
 * none is. At least one bound is required (PML asserts it).
 * @category constructors
 */
export const threshold = (options: ThresholdOptions, name = "ThresholdReducer"): Reducer => {
  const { low, high } = options
  if (low === undefined && high === undefined) {
    throw new InvalidOption({
      what: name,
      detail: 'give at least one of low or high (PML: "At least one of low or high must be specified")'
    })
  }
  if ((low !== undefined && !Number.isFinite(low)) || (high !== undefined && !Number.isFinite(high))) {
    throw new InvalidOption({ what: name, detail: `bounds must be finite numbers, got low ${low}, high ${high}` })
  }
  if (low !== undefined && high !== undefined && low >= high) {
    throw new InvalidOption({ what: name, detail: `low (${low}) must be below high (${high}), or no item can pass` })
  }
  // torch compares a float32 tensor with a Python float in float32: so do we
  const lo = low === undefined ? undefined : Math.fround(low)
  const hi = high === undefined ? undefined : Math.fround(high)
  return make(name, (items, batch) =>
    tf.tidy(() => {
      const values = items.losses.dataSync()
      let kept = 0
      const mask = new Float32Array(values.length)
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!
        if ((lo === undefined || v > lo) && (hi === undefined || v < hi)) {
          mask[i] = 1
          kept++
        }
      }
      if (kept === 0) return zeroLoss(batch.embeddings)
      return tf.div(tf.sum(tf.mul(items.losses, tf.tensor1d(mask))), kept) as tf.Scalar
    })
  )
}

/** PML's `AvgNonZeroReducer` (= `ThresholdReducer(low=0)`): the mean of the positive items. @category constructors */
export const avgNonZero = (): Reducer => threshold({ low: 0 }, "AvgNonZeroReducer")

/**
 * PML's `ClassWeightedReducer(weights)`: `mean_i(l_i * weights[labels[a_i]])`, where `a_i` is the item itself
 * (element) or its anchor (pairs, triplets).
 * @category constructors
 */
export const classWeighted = (weights: ReadonlyArray<number>): Reducer => {
  if (weights.length === 0 || weights.some((w) => !Number.isFinite(w))) {
    throw new InvalidOption({
      what: "ClassWeightedReducer",
      detail: "weights must be a non-empty list of finite numbers, one per class"
    })
  }
  return make("ClassWeightedReducer", (items, batch) => {
    const indices = items.kind === "element" ? items.indices : items.anchors
    const w = new Float32Array(indices.length)
    for (let i = 0; i < indices.length; i++) {
      const label = batch.labels[indices[i]!]
      if (label === undefined || label < 0 || label >= weights.length) {
        throw new InvalidOption({
          what: "ClassWeightedReducer",
          detail: `label ${label} of item ${indices[i]} has no weight (${weights.length} weights); give one weight per class`
        })
      }
      w[i] = weights[label]!
    }
    return tf.tidy(() => tf.mean(tf.mul(items.losses, tf.tensor1d(w))) as tf.Scalar)
  })
}

/**
 * PML's `DivisorReducer`: `sum_i l_i / divisor`, the divisor given by the loss with its items (PML's
 * `loss_info["divisor"]`); a zero loss when the divisor is 0.
 * @category constructors
 */
export const divisor = (): Reducer =>
  make("DivisorReducer", (items, batch) => {
    if (items.divisor === undefined) {
      throw new InvalidOption({
        what: "DivisorReducer",
        detail:
          "the loss gave no divisor with its items; use it with a loss that reports one (e.g. FastAP, NormalizedSoftmax)"
      })
    }
    if (items.divisor === 0) return zeroLoss(batch.embeddings)
    return tf.div(tf.sum(items.losses), items.divisor) as tf.Scalar
  })

/** PML's default aggregation of {@link perAnchor}: the row's sum over its count, 0 for an empty row. @category math */
export const meanOfRow = (rowSum: tf.Tensor1D, count: Float32Array): tf.Tensor1D =>
  tf.tidy(() => {
    const safe = Float32Array.from(count, (c) => (c === 0 ? 1 : c))
    const keep = Float32Array.from(count, (c) => (c === 0 ? 0 : 1))
    return tf.mul(tf.div(rowSum, tf.tensor1d(safe)), tf.tensor1d(keep)) as tf.Tensor1D
  })

/**
 * PML's `PerAnchorReducer(reducer = MeanReducer, aggregation_func)`: pair losses are first averaged per anchor
 * (every one of the B embeddings is an anchor; one without pairs gets 0), then `reducer` reduces the B
 * per-anchor values as elements. Elements go straight to `reducer`; triplets are rejected.
 * @category constructors
 */
export const perAnchor = (
  reducer: Reducer = mean(),
  aggregation: (rowSum: tf.Tensor1D, count: Float32Array) => tf.Tensor1D = meanOfRow
): Reducer =>
  make("PerAnchorReducer", (items, batch) => {
    if (items.kind === "element") return reducer.reduce(items, batch)
    if (items.kind === "triplet") {
      throw new InvalidOption({
        what: "PerAnchorReducer",
        detail:
          'triplet losses cannot be reduced per anchor (PML: "Triplet reduction not supported"); use it with pair losses'
      })
    }
    const b = batch.embeddings.shape[0]
    // the B x B table of PML: a repeated (anchor, other) keeps its last loss
    const last = new Map<number, number>()
    for (let i = 0; i < items.anchors.length; i++) {
      const a = items.anchors[i]!
      const o = items.others[i]!
      if (a < 0 || a >= b || o < 0 || o >= b) {
        throw new InvalidOption({
          what: "PerAnchorReducer",
          detail: `pair (${a}, ${o}) is outside the batch of ${b} embeddings`
        })
      }
      last.set(a * b + o, i)
    }
    const kept = Int32Array.from(last.values())
    const segments = Int32Array.from(kept, (i) => items.anchors[i]!)
    const count = new Float32Array(b)
    for (const a of segments) count[a]! += 1
    const perAnchorLosses = tf.tidy(() => {
      const picked = tf.gather(items.losses, tf.tensor1d(kept, "int32"))
      const rowSum = tf.unsortedSegmentSum(picked, tf.tensor1d(segments, "int32"), b) as tf.Tensor1D
      return aggregation(rowSum, count)
    })
    try {
      return reducer.reduce(
        { kind: "element", losses: perAnchorLosses, indices: Int32Array.from({ length: b }, (_, i) => i) },
        batch
      )
    } finally {
      perAnchorLosses.dispose()
    }
  })
