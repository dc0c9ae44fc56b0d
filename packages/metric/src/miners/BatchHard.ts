/**
 * Batch-hard mining (Hermans, Beyer & Leibe 2017, "In Defense of the Triplet Loss for Person Re-Identification"):
 * for each anchor, its farthest positive and its closest negative in the batch,
 *
 *     p*(a) = argmax_{p: y_p = y_a} d(a, p),   n*(a) = argmin_{n: y_n != y_a} d(a, n).
 *
 * Ties go to the lowest reference index. Anchors without a positive or a negative are skipped and counted.
 * @since 0.1.0
 */
import { make, type Miner, type PairContext, tripletBuilder, type Triplets } from "../Miner.ts"

/** The hardest positive and negative of every valid anchor. @category math */
export const mine = (c: PairContext): Triplets => {
  const triplets = tripletBuilder()
  for (let i = 0; i < c.rows; i++) {
    if (c.valid[i] === 0) continue
    let p = -1
    let n = -1
    let dp = Number.NEGATIVE_INFINITY
    let dn = Number.POSITIVE_INFINITY
    for (let j = 0; j < c.cols; j++) {
      const k = i * c.cols + j
      const d = c.values[k]!
      if (c.positive[k] === 1 && d > dp) {
        dp = d
        p = j
      } else if (c.negative[k] === 1 && d < dn) {
        dn = d
        n = j
      }
    }
    triplets.push(i, p, n)
  }
  return triplets.done(c.skipped)
}

/** The batch-hard miner. @category constructors */
export const batchHard = (): Miner<Triplets> => make("batchHard", "batchHard", mine)
