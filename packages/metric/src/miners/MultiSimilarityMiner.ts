/**
 * The multi-similarity miner (Wang et al. CVPR 2019, "Multi-Similarity Loss", Eq. 5 and 6: pair mining
 * by the relative similarity), as PML 2.8.1 implements it (`miners/multi_similarity_miner.py`): per anchor,
 *
 *     keep positive p   if  S_ap - eps < max_{n} S_an        (distances: d_ap + eps > min_n d_an)
 *     keep negative n   if  S_an + eps > min_{p} S_ap        (distances: d_an - eps < max_p d_ap)
 *
 * An anchor without negatives keeps no positive, one without positives no negative. The miner reads the
 * scores of the loss it feeds: similarities when the loss's context is `inverted` (the PML-style losses on
 * cosine similarity), distances otherwise. Default eps = 0.1 (PML's). Pairs are listed row-major.
 * @since 0.2.0
 */
import { Schema } from "effect"
import { decoder, nonNegative } from "../internal/options.ts"
import { make, type Miner, type PairContext, type Pairs, pairBuilder } from "../Miner.ts"

/** Options (PML default: epsilon 0.1). */
export const Options = Schema.Struct({ epsilon: nonNegative(0.1) })
export type Options = typeof Options.Type
const decode = decoder(Options, "multiSimilarityMiner")

/** The mined pairs (see the module doc). @category math */
export const mine = (c: PairContext, options: Options = { epsilon: 0.1 }): Pairs => {
  const eps = options.epsilon
  const sim = c.inverted === true
  const pairs = pairBuilder()
  for (let i = 0; i < c.rows; i++) {
    const row = i * c.cols
    // the closest negative and the farthest positive, in the score's own sense
    let closestNeg = Number.NaN
    let farthestPos = Number.NaN
    for (let j = 0; j < c.cols; j++) {
      const v = c.values[row + j]!
      if (c.negative[row + j] === 1 && (Number.isNaN(closestNeg) || (sim ? v > closestNeg : v < closestNeg)))
        closestNeg = v
      if (c.positive[row + j] === 1 && (Number.isNaN(farthestPos) || (sim ? v < farthestPos : v > farthestPos)))
        farthestPos = v
    }
    for (let j = 0; j < c.cols; j++) {
      const v = c.values[row + j]!
      if (
        c.positive[row + j] === 1 &&
        !Number.isNaN(closestNeg) &&
        (sim ? v - eps < closestNeg : v + eps > closestNeg)
      ) {
        pairs.positive(i, j)
      }
      if (
        c.negative[row + j] === 1 &&
        !Number.isNaN(farthestPos) &&
        (sim ? v + eps > farthestPos : v - eps < farthestPos)
      ) {
        pairs.negative(i, j)
      }
    }
  }
  return pairs.done(c.skipped)
}

/** The multi-similarity miner. @category constructors */
export const multiSimilarityMiner = (options: typeof Options.Encoded = {}): Miner<Pairs> => {
  const o = decode(options)
  return make("multiSimilarityMiner", `multiSimilarityMiner(epsilon=${o.epsilon})`, (c) => mine(c, o))
}
