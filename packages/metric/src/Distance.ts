/**
 * Pairwise distances between embeddings: euclidean, squared euclidean and cosine, with optional L2
 * normalisation, and block-wise computation of large distance matrices.
 *
 * Every distance here is a *distance* (smaller = closer); cosine similarity is exposed separately
 * ({@link cosineSimilarityMatrix}) for losses defined on similarities (circle loss).
 *
 * **Gradients at zero distance.** `sqrt` has an infinite derivative at 0, so the naive euclidean distance gives
 * NaN gradients for duplicate embeddings and on the diagonal of a self-distance matrix. {@link euclideanMatrix}
 * computes `d = m * sqrt(m * d2 + (1 - m))` with the constant mask `m = [d2 > eps]`: the value is exactly 0 below `eps` and the
 * gradient there is exactly 0 (never NaN); above `eps` it is the exact derivative. For a self-distance matrix
 * the diagonal is set to exactly 0 (the expansion `|a|^2 + |b|^2 - 2ab` leaves float32 round-off there).
 * @since 0.1.0
 */
import { type DistanceMatrix, type Embeddings, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import "./internal/gradients.ts"
import { Schema } from "effect"

/** The distances reidfx knows, by name (Schema literal, for options and config files). @category models */
export const DistanceName = Schema.Literals(["euclidean", "squaredEuclidean", "cosine"])
export type DistanceName = typeof DistanceName.Type

/** A pairwise distance. @category models @since 0.1.0 */
export interface Distance {
  readonly name: DistanceName
  /** Whether embeddings are L2-normalised before the distance is taken. */
  readonly normalize: boolean
  /** `[Q, R]` distances between queries `[Q, D]` and references `[R, D]` (references default to the queries). */
  readonly matrix: (queries: Embeddings, refs?: Embeddings) => DistanceMatrix
}

/** Default threshold below which a squared distance counts as zero in {@link euclideanMatrix}. */
export const DEFAULT_EPSILON = 1e-12

/**
 * Row-wise L2 normalisation `x / sqrt(max(|x|^2, eps^2))`. A zero row stays zero, with a finite gradient.
 * @category math
 */
export const l2Normalize = (x: tf.Tensor2D, epsilon = DEFAULT_EPSILON): tf.Tensor2D =>
  tf.tidy(() => {
    const norm2 = tf.sum(tf.square(x), 1, true)
    return tf.div(x, tf.sqrt(tf.maximum(norm2, epsilon * epsilon))) as tf.Tensor2D
  })

const checkPair = (what: string, queries: tf.Tensor, refs: tf.Tensor) =>
  Tensor.assertShapes(what, [
    [queries, [null, "dim"], "queries"],
    [refs, [null, "dim"], "refs"]
  ])

/**
 * Squared euclidean distances `d2_ij = |q_i|^2 + |r_j|^2 - 2 q_i . r_j`, clamped at 0 (round-off), with an exact 0
 * diagonal when `refs` is omitted (self distances).
 * @category math
 */
export const squaredEuclideanMatrix = (queries: Embeddings, refs?: Embeddings): DistanceMatrix => {
  const self = refs === undefined || refs === queries
  const r = refs ?? queries
  checkPair("squaredEuclideanMatrix", queries, r)
  return tf.tidy(() => {
    const qq = tf.sum(tf.square(queries), 1, true) // [Q, 1]
    const rr = self ? tf.transpose(qq) : tf.reshape(tf.sum(tf.square(r), 1), [1, -1]) // [1, R]
    const qr = tf.matMul(queries, r, false, true) // [Q, R]
    let d2 = tf.relu(tf.sub(tf.add(qq, rr), tf.mul(qr, 2))) as tf.Tensor2D
    if (self) {
      const n = queries.shape[0]
      const offDiagonal = tf.sub(1, tf.eye(n))
      d2 = tf.mul(d2, offDiagonal)
    }
    return d2 as DistanceMatrix
  })
}

/**
 * Euclidean distances `d_ij = |q_i - r_j|`, with value and gradient exactly 0 where `d2 <= epsilon`
 * (duplicates, the diagonal of self distances), never NaN.
 * @category math
 */
export const euclideanMatrix = (queries: Embeddings, refs?: Embeddings, epsilon = DEFAULT_EPSILON): DistanceMatrix =>
  tf.tidy(() => {
    const d2 = squaredEuclideanMatrix(queries, refs)
    // step() has a zero gradient (comparison ops have none in tfjs, and must not sit on the tape)
    const positive = tf.step(tf.sub(d2, epsilon))
    const safe = tf.add(tf.mul(d2, positive), tf.sub(1, positive))
    return tf.mul(tf.sqrt(safe), positive) as DistanceMatrix
  })

/**
 * Cosine similarities `s_ij = q_i . r_j / (|q_i| |r_j|)` (zero rows give 0 similarity). In [-1, 1].
 * @category math
 */
export const cosineSimilarityMatrix = (queries: Embeddings, refs?: Embeddings): DistanceMatrix => {
  const r = refs ?? queries
  checkPair("cosineSimilarityMatrix", queries, r)
  return tf.tidy(() => {
    const qn = l2Normalize(queries)
    const rn = refs === undefined || refs === queries ? qn : l2Normalize(r)
    return tf.matMul(qn, rn, false, true) as DistanceMatrix
  })
}

/** Cosine distances `1 - s_ij` (in [0, 2]; invariant to scaling either embedding by a positive factor). @category math */
export const cosineMatrix = (queries: Embeddings, refs?: Embeddings): DistanceMatrix =>
  tf.tidy(() => tf.sub(1, cosineSimilarityMatrix(queries, refs)) as DistanceMatrix)

const raw: Record<DistanceName, (q: Embeddings, r?: Embeddings) => DistanceMatrix> = {
  euclidean: (q, r) => euclideanMatrix(q, r),
  squaredEuclidean: squaredEuclideanMatrix,
  cosine: cosineMatrix
}

/** A distance by name, optionally on L2-normalised embeddings. @category constructors */
export const make = (name: DistanceName, options: { readonly normalize?: boolean } = {}): Distance => {
  const normalize = options.normalize ?? false
  const f = raw[name]
  return {
    name,
    normalize,
    matrix:
      normalize && name !== "cosine"
        ? (q, r) =>
            tf.tidy(() => {
              const qn = l2Normalize(q)
              return f(qn, r === undefined || r === q ? undefined : l2Normalize(r))
            })
        : f
  }
}

/** Euclidean distance (the ReID default). @category constructors */
export const euclidean: Distance = make("euclidean")
/** Squared euclidean distance (FaceNet, prototypical networks). @category constructors */
export const squaredEuclidean: Distance = make("squaredEuclidean")
/** Cosine distance `1 - cos`. @category constructors */
export const cosine: Distance = make("cosine")

/** The same distance on L2-normalised embeddings. @category combinators */
export const withNormalize = (self: Distance): Distance => make(self.name, { normalize: true })

/** Options of {@link blocked}. */
export interface BlockOptions {
  /** Queries per block (default 1024). */
  readonly blockSize?: number
}

/**
 * Calls `f` on each row block of the `[Q, R]` distance matrix (blocks of `blockSize` queries), disposing each
 * block after `f` returns: for matrices too large to hold (evaluation over a whole gallery). `f` must copy or
 * reduce what it keeps (e.g. read the values, or take a top-k inside its own `tf.tidy`).
 * @category math
 */
export const forEachBlock = (
  distance: Distance,
  queries: Embeddings,
  refs: Embeddings,
  f: (block: DistanceMatrix, start: number) => void,
  options: BlockOptions = {}
): void => {
  const size = Math.max(1, Math.floor(options.blockSize ?? 1024))
  const n = queries.shape[0]
  for (let start = 0; start < n; start += size) {
    const rows = Math.min(size, n - start)
    tf.tidy(() => {
      const q = tf.slice(queries, [start, 0], [rows, -1]) as Embeddings
      f(distance.matrix(q, refs), start)
    })
  }
}

/**
 * The full `[Q, R]` distance matrix computed in row blocks of `blockSize` queries, so the intermediates
 * (`Q x R x ...` products and the normalised copies) never exceed one block. Equal to `distance.matrix(queries, refs)`
 * up to float32 round-off (blocks do not know they are self distances, so the diagonal of `blocked(d, x, x)` is
 * round-off rather than an exact 0).
 * @category math
 */
export const blocked = (
  distance: Distance,
  queries: Embeddings,
  refs: Embeddings,
  options: BlockOptions = {}
): DistanceMatrix => {
  const parts: Array<tf.Tensor2D> = []
  forEachBlock(
    distance,
    queries,
    refs,
    (block) => {
      parts.push(tf.keep(block))
    },
    options
  )
  if (parts.length === 1) return parts[0] as DistanceMatrix
  const out = tf.concat(parts, 0) as DistanceMatrix
  for (const p of parts) p.dispose()
  return out
}
