/**
 * Prototype softmax (Snell, Swersky & Zemel 2017, "Prototypical Networks for Few-shot Learning"): class
 * prototypes are the means of the support embeddings, and a query's class probabilities are a softmax over
 * negative distances to the prototypes, with temperature T,
 *
 *     u_c = 1/K sum_{s in S_c} f(s),   p(c | x) = exp(-d(f(x), u_c) / T) / sum_c' exp(-d(f(x), u_c') / T),
 *     L = -1/|Q| sum_{x in Q} log p(y_x | x).
 *
 * The batch follows the episode layout of {@link EpisodeLayout}: `ways * shots` support items (class-major), then
 * `ways * queries` query items (class-major); episode classes are 0..ways-1. Default distance: squared euclidean
 * (Snell et al.). {@link prototypes} and {@link logits} are exported for distillation (DwPP / DwoPP).
 * @since 0.1.0
 */
import type { Embeddings, Logits } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import * as Distance from "../Distance.ts"
import { EpisodeMismatch, MissingOutput } from "../errors.ts"
import { booleanWithDefault, decoder, literalWithDefault, positive } from "../internal/options.ts"
import { embeddingsOf, type LossValue, oneHot, tidyLoss, stats, type TermOptions } from "../Loss.ts"
import type { EpisodeLayout } from "../Step.ts"
import * as Term from "../Term.ts"

/** Options (defaults: squared euclidean, T = 1, as Snell et al.). */
export const Options = Schema.Struct({
  temperature: positive(1),
  distance: literalWithDefault(["euclidean", "squaredEuclidean", "cosine"], "squaredEuclidean"),
  normalize: booleanWithDefault(false)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `protoSoftmax` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "protoSoftmax")

/** Class prototypes `[ways, D]`: means of `shots` consecutive support embeddings per class. @category math */
export const prototypes = (support: Embeddings, ways: number, shots: number): Embeddings =>
  tf.tidy(() => tf.mean(tf.reshape(support, [ways, shots, -1]), 1) as Embeddings)

/** `-d(x, u_c) / T` for queries `[Q, D]` and prototypes `[C, D]`: the logits of the prototype softmax. @category math */
export const logits = (queries: Embeddings, protos: Embeddings, options: OptionsInput = {}): Logits => {
  const o = decode(options)
  return tf.tidy(() => {
    const d = Distance.make(o.distance, { normalize: o.normalize }).matrix(queries, protos)
    return tf.div(tf.neg(d), o.temperature) as Logits
  })
}

/** Splits an episodic batch into support and queries, checking its size. @category math */
export const split = (
  what: string,
  embeddings: Embeddings,
  episode: EpisodeLayout
): { readonly support: Embeddings; readonly queries: Embeddings } => {
  const { ways, shots, queries } = episode
  const expected = ways * (shots + queries)
  if (embeddings.shape[0] !== expected || ways < 1 || shots < 1 || queries < 1) {
    throw new EpisodeMismatch({
      term: what,
      expected,
      actual: embeddings.shape[0],
      layout: `of ${ways} ways x (${shots} shots + ${queries} queries)`
    })
  }
  return {
    support: tf.slice(embeddings, [0, 0], [ways * shots, -1]) as Embeddings,
    queries: tf.slice(embeddings, [ways * shots, 0], [ways * queries, -1]) as Embeddings
  }
}

/** Cross-entropy of class-major query logits `[ways * queries, ways]` with the episode targets, and accuracy. @category math */
export const episodeCrossEntropy = (z: tf.Tensor2D, ways: number, queries: number): LossValue =>
  tidyLoss(() => {
    const targetIdx = Int32Array.from({ length: ways * queries }, (_, t) => Math.floor(t / queries))
    const hot = oneHot(targetIdx, ways)
    const per = tf.neg(tf.sum(tf.mul(hot, tf.logSoftmax(z)), 1))
    const predicted = tf.argMax(z, 1).dataSync()
    let correct = 0
    for (let t = 0; t < targetIdx.length; t++) if (predicted[t] === targetIdx[t]) correct++
    return { loss: tf.mean(per) as tf.Scalar, stats: stats({ accuracy: correct / targetIdx.length }) }
  })

/** The loss of one episode (see the module doc). @category math */
export const loss = (embeddings: Embeddings, episode: EpisodeLayout, options: OptionsInput = {}): LossValue => {
  const o = decode(options)
  return tidyLoss(() => {
    const { support, queries } = split("protoSoftmax", embeddings, episode)
    const z = logits(queries, prototypes(support, episode.ways, episode.shots), o)
    return episodeCrossEntropy(z, episode.ways, episode.queries)
  })
}

/** The prototype softmax as a Term (needs `step.episode`). @category constructors */
export const protoSoftmax = (
  options: OptionsInput & Pick<TermOptions, "weight" | "embedding"> = {}
): Term.Term<never> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return Term.make(
    "protoSoftmax",
    { temperature: o.temperature, distance: o.distance, normalize: o.normalize || undefined },
    (step) => {
      if (step.episode === undefined) {
        throw new MissingOutput({
          term: "protoSoftmax",
          field: "episode",
          hint: "use an episodic sampler (ways, shots, queries)"
        })
      }
      return loss(embeddingsOf("protoSoftmax", step, embedding), step.episode, o)
    },
    weight ?? 1
  )
}
