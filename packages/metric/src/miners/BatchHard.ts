/**
 * Batch-hard mining (Hermans, Beyer & Leibe 2017, "In Defense of the Triplet Loss for Person Re-Identification"):
 * for each anchor, its farthest positive and its closest negative in the batch,
 *
 *     p*(a) = argmax_{p: y_p = y_a} d(a, p),   n*(a) = argmin_{n: y_n != y_a} d(a, n).
 *
 * Ties go to the lowest reference index. Anchors without a positive or a negative are skipped and counted.
 * @since 0.1.0
 */
import { make, type Miner, type PairContext, type Triplets } from "../Miner.ts"

/** The hardest positive and negative of every valid anchor. @category math */
export const mine = (c: PairContext): Triplets => {
  const anchors: Array<number> = []
  const positives: Array<number> = []
  const negatives: Array<number> = []
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
    anchors.push(i)
    positives.push(p)
    negatives.push(n)
  }
  return {
    _tag: "Triplets",
    anchors: Int32Array.from(anchors),
    positives: Int32Array.from(positives),
    negatives: Int32Array.from(negatives),
    skipped: c.skipped
  }
}

/** The batch-hard miner. @category constructors */
export const batchHard = (): Miner<Triplets> => make("batchHard", "batchHard", mine)
