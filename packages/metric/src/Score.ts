/**
 * Pairwise scores as pytorch-metric-learning (PML 2.8.1, `distances/*.py`) has them: a distance (smaller =
 * closer) or a similarity (larger = closer, PML's `is_inverted`), with L2 normalisation of the embeddings on by
 * default and an optional power. Losses ported from PML take their `distance` option from here, so a loss
 * written on similarities (multi-similarity, NT-Xent) also runs on a distance, as in PML.
 *
 * | name | PML class | matrix |
 * |---|---|---|
 * | `lp` | `LpDistance(p=2)` | `\|q - r\|^power` (power 2: squared euclidean) |
 * | `cosineSimilarity` | `CosineSimilarity` | `q̂ · r̂` (always normalised) |
 * | `dotProductSimilarity` | `DotProductSimilarity` | `q · r` (on normalised embeddings unless `normalize: false`) |
 *
 * {@link gap} is PML's `distance.margin(x, y)`: `x - y` for a distance, `y - x` for a similarity, so "how much
 * farther x is than y" reads the same for both.
 * @since 0.2.0
 */
import type { Embeddings } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import * as Distance from "./Distance.ts"
import { booleanWithDefault, literalWithDefault } from "./internal/options.ts"

/** The score names. @category models */
export const ScoreName = Schema.Literals(["lp", "cosineSimilarity", "dotProductSimilarity"])
export type ScoreName = typeof ScoreName.Type

/** A pairwise score. @category models */
export interface Score {
  readonly name: ScoreName
  /** True for a similarity (larger = closer). */
  readonly inverted: boolean
  readonly normalize: boolean
  readonly power: 1 | 2
  /** `[Q, R]` scores of queries `[Q, D]` against references `[R, D]` (references default to the queries). */
  readonly matrix: (queries: Embeddings, refs?: Embeddings) => tf.Tensor2D
}

/** Options of {@link make}. */
export interface ScoreOptions {
  /** L2-normalise embeddings first (PML's `normalize_embeddings`, default true; always true for cosine). */
  readonly normalize?: boolean
  /** `mat ** power` (PML's `power`, default 1). */
  readonly power?: 1 | 2
}

/** A score by name (PML defaults: normalised, power 1). @category constructors */
export const make = (name: ScoreName, options: ScoreOptions = {}): Score => {
  const normalize = name === "cosineSimilarity" ? true : (options.normalize ?? true)
  const power = options.power ?? 1
  const base = (q: Embeddings, r?: Embeddings): tf.Tensor2D => {
    if (name === "lp") return power === 2 ? Distance.squaredEuclideanMatrix(q, r) : Distance.euclideanMatrix(q, r)
    return tf.matMul(q, r ?? q, false, true)
  }
  return {
    name,
    inverted: name !== "lp",
    normalize,
    power,
    matrix: (q, r) =>
      tf.tidy(() => {
        const self = r === undefined || r === q
        const qn = normalize ? Distance.l2Normalize(q) : q
        const rn = self ? undefined : normalize ? Distance.l2Normalize(r) : r
        const m = base(qn, rn)
        return (power === 2 && name !== "lp" ? tf.square(m) : m) as tf.Tensor2D
      })
  }
}

/** PML's `distance.margin(x, y)`: `x - y` for a distance, `y - x` for a similarity. @category math */
export const gap = (score: Pick<Score, "inverted">, x: tf.Tensor | number, y: tf.Tensor | number): tf.Tensor =>
  score.inverted ? tf.sub(y, x) : tf.sub(x, y)

/** Schema fields of a loss's score, with its PML default. @category models */
export const fields = (name: ScoreName) => ({
  /** The pairwise score (PML's distance object). */
  distance: literalWithDefault(["lp", "cosineSimilarity", "dotProductSimilarity"], name),
  /** L2-normalise embeddings first (PML default true). */
  normalize: booleanWithDefault(true),
  /** `mat ** power` (1 or 2; for `lp`, 2 is the squared euclidean distance). */
  power: literalWithDefault(["1", "2"], "1")
})

/** The score of decoded {@link fields}. @category constructors */
export const fromFields = (o: {
  readonly distance: ScoreName
  readonly normalize: boolean
  readonly power: "1" | "2"
}): Score => make(o.distance, { normalize: o.normalize, power: o.power === "2" ? 2 : 1 })
