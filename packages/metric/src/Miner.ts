/**
 * Miners choose which (anchor, positive, negative) combinations a loss trains on.
 *
 * A miner reads a {@link PairContext}: the *values* of the `[B, R]` distance matrix (a detached copy, read once
 * per step) and the positive/negative masks built from labels, cameras and the edge-case policy. It returns
 * plain index arrays or weights ({@link Mined}), never tensors recorded on the gradient tape, so a loss can use
 * them inside `tf.grad` / `tf.variableGrads` safely (indices from `argMax` inside a taped function break
 * gather's gradient; see the backend notes).
 *
 * **Anchors and references.** Rows are anchors, columns are references. References default to the anchors
 * themselves (the usual batch), but may come from another source (a teacher, a memory bank), with their own
 * labels and cameras: anchors from one model, positives and negatives from another.
 *
 * **Edge-case policies** (options of {@link PairPolicy}):
 * - an anchor with no positive or no negative is skipped and counted (`skipped`), unless `anchorAsPositive`
 *   lets an anchor without another positive use itself (distance 0, as torchreid/fast-reid masks do);
 * - ties in hard mining go to the lowest reference index;
 * - `crossCameraPositives`: positives must come from another camera than the anchor (negatives from any).
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import type * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { booleanWithDefault } from "./internal/options.ts"

/** The edge-case policy of positives (Schema fields shared by every pair-based loss). @category models */
export const PairPolicyFields = {
  /** When an anchor has no other positive, use the anchor itself (distance 0) instead of skipping it. Default false. */
  anchorAsPositive: booleanWithDefault(false),
  /** Positives must be from a different camera than the anchor (needs cameras). Default false. */
  crossCameraPositives: booleanWithDefault(false),
  /**
   * With reference embeddings from another source: reference `i` is the same item as anchor `i` (e.g. the same
   * batch through a teacher), so the pair `(i, i)` is not a positive. Ignored without references (always true).
   * Default false.
   */
  refSameItems: booleanWithDefault(false)
} as const

/** @category models */
export const PairPolicy = Schema.Struct(PairPolicyFields)
export type PairPolicy = typeof PairPolicy.Type

/** What a miner reads: detached distances and masks of one step. @category models */
export interface PairContext {
  /** Number of anchors (rows). */
  readonly rows: number
  /** Number of references (columns). */
  readonly cols: number
  /** Row-major `[rows, cols]` distance values (a detached copy). */
  readonly values: Float32Array
  /** Row-major masks: 1 where `(i, j)` is a positive / negative pair under the policy. */
  readonly positive: Uint8Array
  readonly negative: Uint8Array
  /** Per anchor: true when it has at least one positive and one negative. */
  readonly valid: Uint8Array
  /** Anchors without a positive or a negative. */
  readonly skipped: number
  /** Anchors that used themselves as positive (`anchorAsPositive`). */
  readonly selfPositives: number
  readonly labels: Int32Array
  readonly refLabels: Int32Array
  /** True when `values` are similarities (larger = closer), as for the PML-style losses on cosine similarity. */
  readonly inverted?: boolean
}

/** Triplets `(anchors[t], positives[t], negatives[t])` (reference indices). @category models */
export interface Triplets {
  readonly _tag: "Triplets"
  readonly anchors: Int32Array
  readonly positives: Int32Array
  readonly negatives: Int32Array
  /** Anchors (or anchor-positive pairs, for per-pair miners) that produced no triplet. */
  readonly skipped: number
}

/**
 * Accumulates `(anchor, positive, negative)` index triples; `done(skipped)` returns them as {@link Triplets}.
 * @category constructors
 */
export const tripletBuilder = () => {
  const anchors: Array<number> = []
  const positives: Array<number> = []
  const negatives: Array<number> = []
  return {
    /** Adds one `(anchor, positive, negative)` triple. */
    push: (anchor: number, positive: number, negative: number): void => {
      anchors.push(anchor)
      positives.push(positive)
      negatives.push(negative)
    },
    /** The triples added so far, with the number of anchors skipped. */
    done: (skipped: number): Triplets => ({
      _tag: "Triplets",
      anchors: Int32Array.from(anchors),
      positives: Int32Array.from(positives),
      negatives: Int32Array.from(negatives),
      skipped
    })
  }
}

/** Positive pairs and negative pairs. @category models */
export interface Pairs {
  readonly _tag: "Pairs"
  readonly positiveAnchors: Int32Array
  readonly positiveRefs: Int32Array
  readonly negativeAnchors: Int32Array
  readonly negativeRefs: Int32Array
  readonly skipped: number
}

/**
 * Accumulates positive and negative `(anchor, reference)` index pairs; `done(skipped)` returns them as
 * {@link Pairs} (the pair twin of {@link tripletBuilder}).
 * @category constructors
 */
export const pairBuilder = () => {
  const pa: Array<number> = []
  const pr: Array<number> = []
  const na: Array<number> = []
  const nr: Array<number> = []
  return {
    /** Adds one positive `(anchor, reference)` pair. */
    positive: (anchor: number, ref: number): void => {
      pa.push(anchor)
      pr.push(ref)
    },
    /** Adds one negative `(anchor, reference)` pair. */
    negative: (anchor: number, ref: number): void => {
      na.push(anchor)
      nr.push(ref)
    },
    /** The pairs added so far, with the number of anchors skipped. */
    done: (skipped: number): Pairs => ({
      _tag: "Pairs",
      positiveAnchors: Int32Array.from(pa),
      positiveRefs: Int32Array.from(pr),
      negativeAnchors: Int32Array.from(na),
      negativeRefs: Int32Array.from(nr),
      skipped
    })
  }
}

/**
 * Per-anchor weights over the references (row-major `[rows, cols]`, each valid row sums to 1 over its positives
 * and to 1 over its negatives; invalid rows are 0). Batch-hard mining is the one-hot case.
 * @category models
 */
export interface Weights {
  readonly _tag: "Weights"
  readonly positive: Float32Array
  readonly negative: Float32Array
  readonly valid: Uint8Array
  readonly skipped: number
}

/** What a miner returns. @category models */
export type Mined = Triplets | Pairs | Weights

/** A miner: a named, described function of a {@link PairContext}. @category models @since 0.1.0 */
export interface Miner<M extends Mined = Mined> {
  readonly name: string
  /** e.g. `semiHard(margin=0.3)` */
  readonly describe: string
  /** Mines the batch described by `context`. */
  readonly mine: (context: PairContext) => M
}

/** Inputs of {@link makeContext}. */
export interface ContextInput {
  /** Detached `[rows, cols]` distances (e.g. `await d.data()` or `d.dataSync()`). */
  readonly values: Float32Array
  readonly rows: number
  readonly cols: number
  readonly labels: ArrayLike<number>
  readonly refLabels: ArrayLike<number>
  readonly cameras?: ArrayLike<number> | undefined
  readonly refCameras?: ArrayLike<number> | undefined
  /** True when reference `i` is the same item as anchor `i` (self distances): `(i, i)` is never a positive. */
  readonly sameItems: boolean
  readonly policy: PairPolicy
}

/** Builds the masks of a {@link PairContext} from labels, cameras and the policy. @category constructors */
export const makeContext = (input: ContextInput): PairContext => {
  const { rows, cols, labels, refLabels, cameras, refCameras, sameItems, policy } = input
  if (policy.crossCameraPositives && (cameras === undefined || refCameras === undefined)) {
    throw new InvalidOption({
      what: "crossCameraPositives",
      detail: "needs camera ids for anchors and references (pass cameras, or step.cameras)"
    })
  }
  const positive = new Uint8Array(rows * cols)
  const negative = new Uint8Array(rows * cols)
  const valid = new Uint8Array(rows)
  let skipped = 0
  let selfPositives = 0
  for (let i = 0; i < rows; i++) {
    let pos = 0
    let neg = 0
    const li = labels[i]
    for (let j = 0; j < cols; j++) {
      const k = i * cols + j
      if (refLabels[j] !== li) {
        negative[k] = 1
        neg++
      } else if (!(sameItems && i === j)) {
        if (policy.crossCameraPositives && cameras![i] === refCameras![j]) continue
        positive[k] = 1
        pos++
      }
    }
    if (pos === 0 && policy.anchorAsPositive && sameItems && i < cols) {
      positive[i * cols + i] = 1
      pos = 1
      selfPositives++
    }
    if (pos > 0 && neg > 0) valid[i] = 1
    else skipped++
  }
  return {
    rows,
    cols,
    values: input.values,
    positive,
    negative,
    valid,
    skipped,
    selfPositives,
    labels: Int32Array.from(labels),
    refLabels: Int32Array.from(refLabels)
  }
}

/** Reads a small int tensor's values (labels, cameras) synchronously. @internal */
export const readInts = (t: tf.Tensor | undefined): Int32Array | undefined =>
  t === undefined ? undefined : Int32Array.from(t.dataSync() as ArrayLike<number>)

/** A miner from a name, options (for its description) and a function. @category constructors */
export const make = <M extends Mined>(name: string, describe: string, mine: (context: PairContext) => M): Miner<M> => ({
  name,
  describe,
  mine
})
