/**
 * The prototype softmax shared by DwPP and DwoPP (Wang et al., "Positive Pair Distillation Considered Harmful:
 * Continual Meta Metric Learning for Lifelong Object Re-Identification", BMVC 2022).
 *
 * In an episode with classes C (N-way, K-shot, Q queries per class, laid out as in `EpisodeLayout`), each class
 * has a prototype `u_c`, the mean of its K support embeddings. For a query `x` with episode label `y`:
 *
 *     DwPP:   g_c(x)  = exp(-d(f(x), u_c))^(1/T) / sum_{c' in C}       exp(-d(f(x), u_c'))^(1/T)
 *     DwoPP:  g'_c(x) = exp(-d(f(x), u_c))^(1/T) / sum_{c' in C \ {y}} exp(-d(f(x), u_c'))^(1/T),  c != y
 *
 * and the loss is KL(g_old || g_new), each model with its own prototypes, averaged over the queries (the
 * authors' code: summed over classes, divided by the number of queries). In DwoPP the label class is left out
 * of the normalisation (its probability is 0), so neither the value nor the gradient depends on the distance
 * to the positive prototype.
 * @since 0.1.0
 */
import { Distance, type EpisodeLayout, Loss, MissingOutput, ProtoSoftmax, type Term } from "@reidfx/metric"
import { type Embeddings, InvalidOption } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "./Gradient.ts"
import { distanceField, literalWithDefault, positive } from "./internal/options.ts"
import { embeddingOf, fromSource, type TermFields } from "./internal/term.ts"
import type { Source } from "./Source.ts"

/** Whether the query's label class is part of the normalisation: `with` (DwPP) or `without` (DwoPP). @since 0.1.0 */
export type PositivePair = "with" | "without"

/** Options shared by DwPP and DwoPP (defaults: the authors' released configuration). @since 0.1.0 */
export const Options = Schema.Struct({
  /** T: the prototype softmax is `exp(-d)^(1/T)`, normalised. Default 1 (the authors' scripts). */
  temperature: positive(1),
  /** d: squared euclidean (default: prototypical networks and the authors' code), euclidean or cosine. */
  distance: distanceField("squaredEuclidean"),
  /**
   * eps of the authors' smoothing `p <- (p + eps / C) / (1 + eps)` of both distributions, which
   * `CL_train_DwoPP.py` applies only when T != 1 (eps = 1e-5 there). Default 0 (none).
   */
  smoothing: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))),
  /**
   * The authors' floor on the probabilities inside the KL: `sum_c max(p_c, f) log(max(p_c, f) / max(q_c, f))`,
   * so a probability below `f` contributes a constant and no gradient (`CL_train_DwoPP.py`:
   * `clamp(min=1e-4)` on both distributions). Default: none (the exact KL, computed in log space).
   */
  clamp: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThan(1))),
  /** Whether the query's label class enters the normalisation. Set by `dwpp` / `dwopp`; default `without`. */
  positivePair: literalWithDefault(["with", "without"], "without")
})
/** @since 0.1.0 */
export type Options = typeof Options.Type
/** @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded

/** The logit given to the excluded (positive) class in DwoPP: its `exp` relative to any real logit is 0. */
const excluded = -1e9

/** `[Q]` episode labels of the queries of a layout (`0..ways-1`, class-major). @category math @since 0.1.0 */
export const queryLabels = (episode: EpisodeLayout): Int32Array =>
  Int32Array.from({ length: episode.ways * episode.queries }, (_, i) => Math.floor(i / episode.queries))

/**
 * `[ways * queries, ways]` distances from each query of an episode to each class prototype (support means),
 * for one model's embeddings of the episode.
 * @category math
 * @since 0.1.0
 */
export const episodeDistances = (
  term: string,
  embeddings: Embeddings,
  episode: EpisodeLayout,
  distance: Distance.DistanceName
): tf.Tensor2D =>
  tf.tidy(() => {
    const { support, queries } = ProtoSoftmax.split(term, embeddings, episode)
    const prototypes = ProtoSoftmax.prototypes(support, episode.ways, episode.shots)
    return Distance.make(distance).matrix(queries, prototypes)
  })

const labelMask = (labels: Int32Array, classes: number): tf.Tensor2D => Loss.oneHot(labels, classes)

/**
 * `[Q, C]` log-probabilities of the prototype softmax `softmax(-d / T)` over the episode's classes. With
 * `positivePair: "without"` (DwoPP) each row is normalised over C without the query's label class: the label
 * entry is then a large negative number (probability exactly 0), chosen by `where`, so its distance never
 * enters the value and receives exactly zero gradient.
 * @category math
 * @since 0.1.0
 */
export const logProbabilities = (
  distances: tf.Tensor2D,
  labels: Int32Array,
  options: { readonly temperature: number; readonly positivePair: PositivePair }
): tf.Tensor2D =>
  tf.tidy(() => {
    const logits = tf.div(tf.neg(distances), options.temperature) as tf.Tensor2D
    if (options.positivePair === "with") return tf.logSoftmax(logits, -1) as tf.Tensor2D
    const positive = tf.cast(labelMask(labels, distances.shape[1]), "bool")
    return tf.logSoftmax(tf.where(positive, tf.fill(logits.shape, excluded), logits), -1) as tf.Tensor2D
  })

/**
 * `[Q, C]` probabilities `g_c` (DwPP) or `g'_c` (DwoPP: 0 in the label column). Each row sums to 1, over C or
 * over C without the label class.
 * @category math
 * @since 0.1.0
 */
export const probabilities = (
  distances: tf.Tensor2D,
  labels: Int32Array,
  options: { readonly temperature: number; readonly positivePair: PositivePair }
): tf.Tensor2D => tf.tidy(() => tf.exp(logProbabilities(distances, labels, options)) as tf.Tensor2D)

/**
 * The distillation loss from precomputed `[Q, C]` query-to-prototype distances: `mean_q KL(g_old(q) || g_new(q))`
 * (DwoPP: over C without the label class). `oldDistances` is the target (detached).
 * @category math
 * @since 0.1.0
 */
export const fromDistances = (
  oldDistances: tf.Tensor2D,
  newDistances: tf.Tensor2D,
  labels: Int32Array,
  options: {
    readonly temperature: number
    readonly positivePair: PositivePair
    readonly smoothing?: number | undefined
    readonly clamp?: number | undefined
  }
): tf.Scalar =>
  tf.tidy(() => {
    const eps = options.smoothing ?? 0
    const c = oldDistances.shape[1] - (options.positivePair === "with" ? 0 : 1)
    // the authors' smoothing over the C classes of the distribution (the label column stays at probability 0)
    const smooth = (logP: tf.Tensor2D): tf.Tensor2D => {
      if (eps === 0) return logP
      const p = tf.div(tf.add(tf.exp(logP), eps / c), 1 + eps)
      return tf.log(
        options.positivePair === "with"
          ? p
          : tf.where(tf.cast(labelMask(labels, logP.shape[1]), "bool"), tf.fill(logP.shape, 1), p)
      ) as tf.Tensor2D
    }
    const logOld = smooth(logProbabilities(detach(oldDistances), labels, options))
    const logNew = smooth(logProbabilities(newDistances, labels, options))
    // DwoPP: p_old = 0 in the label column; the mask also keeps its (finite) log difference out of the sum
    // (the authors remove that column before the KL).
    const keep = (t: tf.Tensor2D): tf.Tensor2D =>
      options.positivePair === "with" ? t : tf.mul(t, tf.sub(1, labelMask(labels, oldDistances.shape[1])))
    if (options.clamp !== undefined) {
      // the authors' KL: both distributions floored at `clamp`; a floored entry is constant (zero gradient)
      const pOld = tf.maximum(tf.exp(logOld), options.clamp)
      const pNew = tf.maximum(tf.exp(logNew), options.clamp)
      return tf.mean(tf.sum(keep(tf.mul(pOld, tf.sub(tf.log(pOld), tf.log(pNew))) as tf.Tensor2D), 1)) as tf.Scalar
    }
    return tf.mean(tf.sum(tf.mul(tf.exp(logOld), keep(tf.sub(logOld, logNew))), 1)) as tf.Scalar
  })

/**
 * The prototype distillation loss between the new model's and the old model's embeddings
 * (`[ways * (shots + queries), D]`) of one episode. Needs `ways >= 2`.
 * @category math
 * @since 0.1.0
 */
export const loss = (
  newEmbeddings: Embeddings,
  oldEmbeddings: Embeddings,
  episode: EpisodeLayout,
  options: Options,
  term: string = options.positivePair === "with" ? "dwpp" : "dwopp"
): Loss.LossValue => {
  if (episode.ways < 2) {
    throw new InvalidOption({
      what: `${term}: episode`,
      detail: `needs at least 2 ways (classes) per episode, got ${episode.ways}`
    })
  }
  return Loss.tidyLoss(() => {
    const fresh = episodeDistances(term, newEmbeddings, episode, options.distance)
    const old = episodeDistances(`${term} (old model)`, oldEmbeddings, episode, options.distance)
    const value = fromDistances(old, fresh, queryLabels(episode), options)
    return { loss: value, stats: {} }
  })
}

/** @internal The Term of DwPP / DwoPP. */
export const term = <R>(name: string, options: Options, fields: TermFields, source: Source<R>): Term.Term<R> =>
  fromSource(
    name,
    { temperature: options.temperature, distance: options.distance },
    fields.weight,
    source,
    (step, target) => {
      if (step.episode === undefined) {
        throw new MissingOutput({
          term: name,
          field: "episode",
          hint: "use an episodic sampler (ways, shots, queries)"
        })
      }
      return loss(
        embeddingOf(step.outputs, name, "the model's", fields.embedding),
        embeddingOf(target, name, "the old model's", fields.embedding),
        step.episode,
        options,
        name
      )
    }
  )
