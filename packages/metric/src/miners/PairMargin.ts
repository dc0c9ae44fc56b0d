/**
 * The pair margin miner of PML 2.8.1 (`miners/pair_margin_miner.py`): the positive pairs farther than
 * `positiveMargin` and the negative pairs closer than `negativeMargin`,
 *
 *     distances:     d_ap > m_pos,   d_an < m_neg          similarities:   s_ap < m_pos,   s_an > m_neg
 *
 * (the pairs a contrastive loss with these margins would train on). Reads the scores of the loss it feeds
 * (similarities when its context is `inverted`). Defaults m_pos 0.2, m_neg 0.8 (PML's). Pairs are row-major.
 * @since 0.2.0
 */
import { Schema } from "effect"
import { decoder, numberWithDefault } from "../internal/options.ts"
import { make, type Miner, type PairContext, type Pairs, pairBuilder } from "../Miner.ts"

/** Options (PML defaults: positiveMargin 0.2, negativeMargin 0.8). */
export const Options = Schema.Struct({ positiveMargin: numberWithDefault(0.2), negativeMargin: numberWithDefault(0.8) })
export type Options = typeof Options.Type
const decode = decoder(Options, "pairMargin")

/** The mined pairs (see the module doc). @category math */
export const mine = (c: PairContext, options: Options = { positiveMargin: 0.2, negativeMargin: 0.8 }): Pairs => {
  const sim = c.inverted === true
  const pairs = pairBuilder()
  for (let i = 0; i < c.rows; i++) {
    for (let j = 0; j < c.cols; j++) {
      const k = i * c.cols + j
      const v = c.values[k]!
      if (c.positive[k] === 1 && (sim ? v < options.positiveMargin : v > options.positiveMargin)) {
        pairs.positive(i, j)
      }
      if (c.negative[k] === 1 && (sim ? v > options.negativeMargin : v < options.negativeMargin)) {
        pairs.negative(i, j)
      }
    }
  }
  return pairs.done(c.skipped)
}

/** The pair margin miner. @category constructors */
export const pairMargin = (options: typeof Options.Encoded = {}): Miner<Pairs> => {
  const o = decode(options)
  return make("pairMargin", `pairMargin(positiveMargin=${o.positiveMargin}, negativeMargin=${o.negativeMargin})`, (c) =>
    mine(c, o)
  )
}
