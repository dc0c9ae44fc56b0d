/**
 * Margin sample mining (Xiao, Luo & Zhang 2017, "Margin Sample Mining Loss"): a single positive pair and a single
 * negative pair for the whole batch: the farthest positive pair and the closest negative pair,
 *
 *     (a, p) = argmax_{y_a = y_p} d(a, p),   (k, l) = argmin_{y_k != y_l} d(k, l).
 *
 * Ties go to the lowest (row, column) in row-major order. Only anchors that are valid under the policy contribute.
 * @since 0.1.0
 */
import { make, type Miner, type PairContext, type Pairs } from "../Miner.ts"

/** The hardest positive pair and the hardest negative pair of the batch (empty arrays if there is none). @category math */
export const mine = (c: PairContext): Pairs => {
  let pa = -1
  let pr = -1
  let pd = Number.NEGATIVE_INFINITY
  let na = -1
  let nr = -1
  let nd = Number.POSITIVE_INFINITY
  for (let i = 0; i < c.rows; i++) {
    if (c.valid[i] === 0) continue
    for (let j = 0; j < c.cols; j++) {
      const k = i * c.cols + j
      const d = c.values[k]!
      if (c.positive[k] === 1 && d > pd) {
        pd = d
        pa = i
        pr = j
      } else if (c.negative[k] === 1 && d < nd) {
        nd = d
        na = i
        nr = j
      }
    }
  }
  const some = pa >= 0 && na >= 0
  return {
    _tag: "Pairs",
    positiveAnchors: Int32Array.from(some ? [pa] : []),
    positiveRefs: Int32Array.from(some ? [pr] : []),
    negativeAnchors: Int32Array.from(some ? [na] : []),
    negativeRefs: Int32Array.from(some ? [nr] : []),
    skipped: c.skipped
  }
}

/** The margin-sample miner. @category constructors */
export const marginSample = (): Miner<Pairs> => make("marginSample", "marginSample", mine)
