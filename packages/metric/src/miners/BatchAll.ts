/**
 * Batch-all mining (Hermans et al. 2017): every valid triplet `(a, p, n)` with `y_p = y_a != y_n`. With a
 * `margin`, only the triplets that violate it (`d(a, p) - d(a, n) + margin > 0`) are kept (PML's "hard"+"semihard").
 * Triplets are listed anchor-major, then positive, then negative index.
 * @since 0.1.0
 */
import { Schema } from "effect"
import { decoder } from "../internal/options.ts"
import { make, type Miner, type PairContext, tripletBuilder, type Triplets } from "../Miner.ts"

/** Options of {@link batchAll}. */
export const Options = Schema.Struct({
  /** Keep only triplets violating this margin; omitted: keep all. */
  margin: Schema.optionalKey(Schema.Finite)
})
export type Options = typeof Options.Type
const decode = decoder(Options, "batchAll")

/** Every valid triplet (or every margin-violating one). @category math */
export const mine = (c: PairContext, options: Options = {}): Triplets => {
  const triplets = tripletBuilder()
  const margin = options.margin
  for (let i = 0; i < c.rows; i++) {
    if (c.valid[i] === 0) continue
    const row = i * c.cols
    for (let p = 0; p < c.cols; p++) {
      if (c.positive[row + p] !== 1) continue
      const dp = c.values[row + p]!
      for (let n = 0; n < c.cols; n++) {
        if (c.negative[row + n] !== 1) continue
        if (margin !== undefined && !(dp - c.values[row + n]! + margin > 0)) continue
        triplets.push(i, p, n)
      }
    }
  }
  return triplets.done(c.skipped)
}

/** The batch-all miner. @category constructors */
export const batchAll = (options: Options = {}): Miner<Triplets> => {
  const o = decode(options)
  return make("batchAll", o.margin === undefined ? "batchAll" : `batchAll(margin=${o.margin})`, (c) => mine(c, o))
}
