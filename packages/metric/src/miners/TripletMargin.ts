/**
 * The triplet margin miner of PML 2.8.1 (`miners/triplet_margin_miner.py`): of every valid triplet (a, p, n),
 * with the triplet margin `t = d_an - d_ap` (similarities: `t = s_ap - s_an`), keep
 *
 * | type | condition |
 * |---|---|
 * | `all` | `t <= margin` (the triplets violating the margin) |
 * | `hard` | `t <= margin` and `t <= 0` (the negative is at least as close as the positive) |
 * | `semihard` | `t <= margin` and `t > 0` (the negative is farther, but within the margin) |
 * | `easy` | `t > margin` |
 *
 * Reads the scores of the loss it feeds (similarities when its context is `inverted`). Defaults margin 0.2,
 * `all` (PML's). Triplets are listed anchor-major, then positive, then negative index (PML's order).
 * @since 0.2.0
 */
import { Schema } from "effect"
import { decoder, literalWithDefault, numberWithDefault } from "../internal/options.ts"
import { make, type Miner, type PairContext, tripletBuilder, type Triplets } from "../Miner.ts"

/** Options (PML defaults: margin 0.2, type "all"). */
export const Options = Schema.Struct({
  margin: numberWithDefault(0.2),
  type: literalWithDefault(["all", "hard", "semihard", "easy"], "all")
})
export type Options = typeof Options.Type
const decode = decoder(Options, "tripletMargin")

/** The mined triplets (see the module doc). @category math */
export const mine = (c: PairContext, options: Options = { margin: 0.2, type: "all" }): Triplets => {
  const sim = c.inverted === true
  const out = tripletBuilder()
  for (let i = 0; i < c.rows; i++) {
    if (c.valid[i] === 0) continue
    const row = i * c.cols
    for (let p = 0; p < c.cols; p++) {
      if (c.positive[row + p] !== 1) continue
      for (let n = 0; n < c.cols; n++) {
        if (c.negative[row + n] !== 1) continue
        const t = sim ? c.values[row + p]! - c.values[row + n]! : c.values[row + n]! - c.values[row + p]!
        const keep =
          options.type === "easy"
            ? t > options.margin
            : t <= options.margin && (options.type === "all" || (options.type === "hard" ? t <= 0 : t > 0))
        if (keep) out.push(i, p, n)
      }
    }
  }
  return out.done(c.skipped)
}

/** The triplet margin miner. @category constructors */
export const tripletMargin = (options: typeof Options.Encoded = {}): Miner<Triplets> => {
  const o = decode(options)
  return make("tripletMargin", `tripletMargin(margin=${o.margin}, type=${o.type})`, (c) => mine(c, o))
}
