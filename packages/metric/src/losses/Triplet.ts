/**
 * The triplet margin loss over mined triplets or weights, shared by the batch-hard, semi-hard and soft-hard
 * variants (Weinberger & Saul 2009; Schroff et al. 2015; Hermans et al. 2017):
 *
 *     l(a, p, n) = [d(a, p) - d(a, n) + m]_+        or, soft margin,   ln(1 + exp(d(a, p) - d(a, n)))
 *
 * With {@link Weights} (soft-hard mining) `d(a, p)` and `d(a, n)` are the weighted averages over the anchor's
 * positives and negatives.
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import {
  countPositive,
  hinge,
  type LossValue,
  tidyLoss,
  type Reduction,
  reduce,
  selectEntries,
  stats
} from "../Loss.ts"
import type { Mined } from "../Miner.ts"
import type { ReduceBatch, Reducer } from "../Reducer.ts"

/** The per-triplet (or per-anchor, for weights) gaps `d(a, p) - d(a, n)` of a mined set. @category math */
export const gaps = (distances: tf.Tensor2D, mined: Mined, what: string): tf.Tensor1D =>
  tf.tidy(() => {
    switch (mined._tag) {
      case "Triplets":
        return tf.sub(
          selectEntries(distances, mined.anchors, mined.positives),
          selectEntries(distances, mined.anchors, mined.negatives)
        ) as tf.Tensor1D
      case "Weights": {
        const [rows, cols] = distances.shape
        const valid: Array<number> = []
        for (let i = 0; i < rows; i++) if (mined.valid[i] === 1) valid.push(i)
        if (valid.length === 0) return tf.zeros([0]) as tf.Tensor1D
        const dp = tf.sum(tf.mul(distances, tf.tensor2d(mined.positive, [rows, cols])), 1)
        const dn = tf.sum(tf.mul(distances, tf.tensor2d(mined.negative, [rows, cols])), 1)
        const gap = tf.reshape(tf.sub(dp, dn), [rows, 1]) as tf.Tensor2D
        return selectEntries(gap, Int32Array.from(valid), new Int32Array(valid.length))
      }
      case "Pairs":
        throw new InvalidOption({
          what,
          detail: "a pair miner (e.g. marginSample) cannot feed a triplet loss; use a triplet or weights miner"
        })
    }
  })

/** The anchors a soft-hard weights set keeps (its per-anchor gaps are in this order). */
const validAnchors = (mined: Mined): Array<number> => {
  if (mined._tag !== "Weights") return []
  const out: Array<number> = []
  for (let i = 0; i < mined.valid.length; i++) if (mined.valid[i] === 1) out.push(i)
  return out
}

/**
 * The triplet loss of a mined set, reduced, with counts. With `reducer` (an injectable {@link Reducer}, PML's
 * reducers) it replaces `reduction`: mined triplets are PML's `triplet` items, soft-hard weights per-anchor
 * `element` items.
 * @category math
 */
export const fromMined = (
  distances: tf.Tensor2D,
  mined: Mined,
  options: { readonly margin: number; readonly softMargin: boolean; readonly reduction: Reduction },
  what: string,
  reducer?: { readonly reducer: Reducer; readonly batch: ReduceBatch }
): LossValue =>
  tidyLoss(() => {
    const per = hinge(gaps(distances, mined, what), options.margin, options.softMargin) as tf.Tensor1D
    const reduced =
      reducer === undefined
        ? reduce(per, options.reduction, distances)
        : reducer.reducer.reduce(
            mined._tag === "Triplets"
              ? {
                  kind: "triplet",
                  losses: per,
                  anchors: mined.anchors,
                  positives: mined.positives,
                  negatives: mined.negatives
                }
              : { kind: "element", losses: per, indices: Int32Array.from(validAnchors(mined)) },
            reducer.batch
          )
    return {
      loss: reduced,
      stats: stats({ triplets: per.shape[0], active: countPositive(per), skipped: mined.skipped })
    }
  })
