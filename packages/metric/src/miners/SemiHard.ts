/**
 * Semi-hard mining (Schroff, Kalenichenko & Philbin 2015, "FaceNet"): for each positive pair `(a, p)`, the
 * closest negative that is still farther than the positive,
 *
 *     n*(a, p) = argmin_{n: y_n != y_a, d(a, n) > d(a, p)} d(a, n)
 *
 * (FaceNet additionally expects `d(a, n) < d(a, p) + margin` for the triplet to be informative: `withinMargin`).
 * When no such negative exists, `fallback` decides: `"skip"` (count it; FaceNet's definition) or `"hardest"`
 * (the closest negative overall). Ties go to the lowest index.
 * @since 0.1.0
 */
import { Schema } from "effect"
import { booleanWithDefault, literalWithDefault, nonNegative, decoder } from "../internal/options.ts"
import { make, type Miner, type PairContext, tripletBuilder, type Triplets } from "../Miner.ts"

/** Options of {@link semiHard}. */
export const Options = Schema.Struct({
  /** Margin of the semi-hard band (FaceNet: 0.2). */
  margin: nonNegative(0.2),
  /** Require `d(a, n) < d(a, p) + margin`. Default false. */
  withinMargin: booleanWithDefault(false),
  /** What to do when a positive pair has no semi-hard negative. Default "skip". */
  fallback: literalWithDefault(["skip", "hardest"], "skip")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
const decode = decoder(Options, "semiHard")

/** One triplet per positive pair that has a semi-hard negative. @category math */
export const mine = (c: PairContext, options: Options): Triplets => {
  const triplets = tripletBuilder()
  let skipped = c.skipped
  for (let i = 0; i < c.rows; i++) {
    if (c.valid[i] === 0) continue
    const row = i * c.cols
    for (let p = 0; p < c.cols; p++) {
      if (c.positive[row + p] !== 1) continue
      const dp = c.values[row + p]!
      let best = -1
      let bestD = Number.POSITIVE_INFINITY
      let hardest = -1
      let hardestD = Number.POSITIVE_INFINITY
      for (let n = 0; n < c.cols; n++) {
        if (c.negative[row + n] !== 1) continue
        const dn = c.values[row + n]!
        if (dn < hardestD) {
          hardestD = dn
          hardest = n
        }
        if (dn > dp && (!options.withinMargin || dn < dp + options.margin) && dn < bestD) {
          bestD = dn
          best = n
        }
      }
      const n = best >= 0 ? best : options.fallback === "hardest" ? hardest : -1
      if (n < 0) {
        skipped++
        continue
      }
      triplets.push(i, p, n)
    }
  }
  return triplets.done(skipped)
}

/** The semi-hard miner. @category constructors */
export const semiHard = (options: OptionsInput = {}): Miner<Triplets> => {
  const o = decode(options)
  return make("semiHard", `semiHard(margin=${o.margin}, withinMargin=${o.withinMargin}, fallback=${o.fallback})`, (c) =>
    mine(c, o)
  )
}
