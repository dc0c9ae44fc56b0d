/**
 * Soft-hard weights (the "soft triplet hard" mining of the seed survey; the weighted triplet of fast-reid):
 * per anchor, an exact masked softmax over its positives of `d(a, p) / T` and over its negatives of `-d(a, n) / T`,
 *
 *     w_ap = exp(d_ap / T) / sum_{p'} exp(d_ap' / T),   w_an = exp(-d_an / T) / sum_{n'} exp(-d_an' / T).
 *
 * Harder samples weigh more; as `T -> 0` the weights become the one-hot batch-hard choice. These weights are
 * detached (constants); `tripletSoftHard` computes the same weights inside the graph (gradient through them).
 * @since 0.1.0
 */
import { Schema } from "effect"
import { decoder, positive } from "../internal/options.ts"
import { make, type Miner, type PairContext, type Weights } from "../Miner.ts"

/** Options of {@link softHard}. */
export const Options = Schema.Struct({
  /** Softmax temperature `T` (default 1, as fast-reid). */
  temperature: positive(1)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
const decode = decoder(Options, "softHard")

const softmaxRow = (
  values: Float32Array,
  mask: Uint8Array,
  row: number,
  cols: number,
  sign: number,
  t: number,
  out: Float32Array
) => {
  let max = Number.NEGATIVE_INFINITY
  for (let j = 0; j < cols; j++) if (mask[row + j] === 1) max = Math.max(max, (sign * values[row + j]!) / t)
  let sum = 0
  for (let j = 0; j < cols; j++) {
    if (mask[row + j] !== 1) continue
    const e = Math.exp((sign * values[row + j]!) / t - max)
    out[row + j] = e
    sum += e
  }
  for (let j = 0; j < cols; j++) out[row + j] = out[row + j]! / sum
}

/** Masked softmax weights of every valid anchor. @category math */
export const mine = (c: PairContext, options: Options): Weights => {
  const positive = new Float32Array(c.rows * c.cols)
  const negative = new Float32Array(c.rows * c.cols)
  for (let i = 0; i < c.rows; i++) {
    if (c.valid[i] === 0) continue
    softmaxRow(c.values, c.positive, i * c.cols, c.cols, 1, options.temperature, positive)
    softmaxRow(c.values, c.negative, i * c.cols, c.cols, -1, options.temperature, negative)
  }
  return { _tag: "Weights", positive, negative, valid: c.valid, skipped: c.skipped }
}

/** The soft-hard weights miner. @category constructors */
export const softHard = (options: OptionsInput = {}): Miner<Weights> => {
  const o = decode(options)
  return make("softHard", `softHard(temperature=${o.temperature})`, (c) => mine(c, o))
}
