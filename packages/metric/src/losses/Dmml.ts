/**
 * DMML, the meta metric loss of Chen, Zhang, Lu & Zhou (ICCV 2019, "Deep Meta Metric Learning"): each episode is
 * a set-based classification of the queries against the classes' support sets,
 *
 *     L = -1/|Q| sum_{x in Q} log( exp(-(D(x, S_y) + m)) / (exp(-(D(x, S_y) + m)) + sum_{c != y} exp(-D(x, S_c))) )
 *
 * with the set distance D in one of two modes:
 * - `centerSupport`: `D(x, S_c) = d(x, mean(S_c))` (the distance to the support center);
 * - `hardMining`: `D(x, S_y) = max_{s in S_y} d(x, s)` for the query's own class and
 *   `D(x, S_c) = min_{s in S_c} d(x, s)` for the others (ties to the lowest support index).
 *
 * Episode layout as in {@link EpisodeLayout} (support then queries, class-major). Options cover the two released
 * codes (the defaults are the paper's formula: hard mining, euclidean, no margin, no decay):
 * - the official code (CHENGY12/DMML `loss/dmml.py`): hard mining with its `cosine_dist`, which is the negative
 *   inner product `-x . y` of the unnormalised features (`distance: "negativeDot"` here), no margin (the clamp is
 *   commented out), and `0.002 * 0.25 * sum |f|^2 / B` (`featureDecay: 0.0005`);
 * - the DwoPP authors' copy (wangkai930418/DwoPP_code `loss/dmml.py`, run by `CL_DwoPP.sh` with
 *   `--dmml_dist_metric euclidean --margin 0.4`): squared euclidean (`euclidean_dist(squared=True)`), every
 *   class's hard distance clamped as `max(d - 0.4, 0)` before the own class's is overwritten by the hardest
 *   positive (`marginMode: "clampNegatives"`, `margin: 0.4`), the same feature decay.
 * With `marginMode: "ownClass"` (default) the margin is added to the own-class distance (the paper's formula).
 * @since 0.1.0
 */
import type { Embeddings } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import * as Distance from "../Distance.ts"
import { MissingOutput } from "../errors.ts"
import { booleanWithDefault, decoder, literalWithDefault, nonNegative } from "../internal/options.ts"
import { embeddingsOf, type LossValue, oneHot, tidyLoss, selectEntries, type TermOptions } from "../Loss.ts"
import type { EpisodeLayout } from "../Step.ts"
import * as Term from "../Term.ts"
import { episodeCrossEntropy, prototypes, split } from "./ProtoSoftmax.ts"

/** Options (defaults from the official code: hard mining, euclidean, no margin, no feature decay). */
export const Options = Schema.Struct({
  mode: literalWithDefault(["hardMining", "centerSupport"], "hardMining"),
  /** Added to the query's own-class set distance (`ownClass`), or subtracted from the others' and clamped at 0. Default 0. */
  margin: nonNegative(0),
  marginMode: literalWithDefault(["ownClass", "clampNegatives"], "ownClass"),
  /** `negativeDot`: `-x . y` (the official code's "cosine"). */
  distance: literalWithDefault(["euclidean", "squaredEuclidean", "cosine", "negativeDot"], "euclidean"),
  normalize: booleanWithDefault(false),
  /** Weight of the `sum |f|^2 / B` regulariser of the official code (it uses 0.0005). Default 0. */
  featureDecay: nonNegative(0)
})
export type Options = typeof Options.Type
/** The options as written in code or a file, before defaults are applied. */
export type OptionsInput = typeof Options.Encoded
/** Decodes options (defaults filled, unknown keys rejected with the allowed ones). */
export const decode = decoder(Options, "dmml")

/** The `[ways * queries, ways]` set distances `D(x, S_c)` of an episode. @category math */
export const setDistances = (
  embeddings: Embeddings,
  episode: EpisodeLayout,
  options: OptionsInput = {}
): tf.Tensor2D => {
  const o = decode(options)
  const { ways, shots } = episode
  return tf.tidy(() => {
    const { support, queries } = split("dmml", embeddings, episode)
    const matrix =
      o.distance === "negativeDot"
        ? (a: Embeddings, b: Embeddings) => tf.neg(tf.matMul(a, b, false, true)) as tf.Tensor2D
        : Distance.make(o.distance, { normalize: o.normalize }).matrix
    if (o.mode === "centerSupport") return matrix(queries, prototypes(support, ways, shots))
    const d = matrix(queries, support) // [Q, ways * shots]
    const values = d.dataSync()
    const nq = queries.shape[0]
    const cols = ways * shots
    const rows = new Int32Array(nq * ways)
    const picks = new Int32Array(nq * ways)
    for (let q = 0; q < nq; q++) {
      const own = Math.floor(q / episode.queries)
      for (let c = 0; c < ways; c++) {
        let best = c * shots
        for (let s = c * shots + 1; s < (c + 1) * shots; s++) {
          const v = values[q * cols + s]!
          const b = values[q * cols + best]!
          if (c === own ? v > b : v < b) best = s
        }
        rows[q * ways + c] = q
        picks[q * ways + c] = best
      }
    }
    return tf.reshape(selectEntries(d, rows, picks), [nq, ways]) as tf.Tensor2D
  })
}

/** The DMML loss of one episode (see the module doc). @category math */
export const loss = (embeddings: Embeddings, episode: EpisodeLayout, options: OptionsInput = {}): LossValue => {
  const o = decode(options)
  return tidyLoss(() => {
    const sets = setDistances(embeddings, episode, o)
    const nq = sets.shape[0]
    const ownIdx = Int32Array.from({ length: nq }, (_, t) => Math.floor(t / episode.queries))
    const own = oneHot(ownIdx, episode.ways)
    const shifted =
      o.margin === 0
        ? sets
        : o.marginMode === "ownClass"
          ? tf.add(sets, tf.mul(own, o.margin))
          : tf.where(tf.cast(own, "bool"), sets, tf.relu(tf.sub(sets, o.margin)))
    const z = tf.neg(shifted) as tf.Tensor2D
    const value = episodeCrossEntropy(z, episode.ways, episode.queries)
    if (o.featureDecay === 0) return value
    const decay = tf.mul(tf.div(tf.sum(tf.square(embeddings)), embeddings.shape[0]), o.featureDecay)
    return { loss: tf.add(value.loss, decay) as tf.Scalar, stats: value.stats }
  })
}

/** DMML as a Term (needs `step.episode`). @category constructors */
export const dmml = (options: OptionsInput & Pick<TermOptions, "weight" | "embedding"> = {}): Term.Term<never> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return Term.make(
    "dmml",
    {
      mode: o.mode,
      margin: o.margin === 0 ? undefined : o.margin,
      marginMode: o.margin === 0 || o.marginMode === "ownClass" ? undefined : o.marginMode,
      distance: o.distance === "euclidean" ? undefined : o.distance,
      featureDecay: o.featureDecay || undefined
    },
    (step) => {
      if (step.episode === undefined) {
        throw new MissingOutput({
          term: "dmml",
          field: "episode",
          hint: "use an episodic sampler (ways, shots, queries)"
        })
      }
      return loss(embeddingsOf("dmml", step, embedding), step.episode, o)
    },
    weight ?? 1
  )
}
