/**
 * Branded tensor aliases and shape checks at boundaries.
 *
 * The aliases make signatures say what goes in and out; they are erased at run time. Use the `check*`
 * functions at an API boundary to turn a malformed input into a {@link ShapeMismatch} error.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import { DTypeMismatch, NonFiniteTensor, ShapeMismatch } from "./errors.ts"

declare const Brand: unique symbol
type Branded<T, B extends string> = T & { readonly [Brand]?: B }

/** `[batch, dim]` float32 embeddings. */
export type Embeddings = Branded<tf.Tensor2D, "Embeddings">
/** `[rows, cols]` distances (or similarities) between two sets of embeddings. */
export type DistanceMatrix = Branded<tf.Tensor2D, "DistanceMatrix">
/** `[batch, classes]` unnormalised class scores. */
export type Logits = Branded<tf.Tensor2D, "Logits">
/** `[batch]` int32 identity labels. */
export type Labels = Branded<tf.Tensor1D, "Labels">
/** `[batch, height, width, channels]` float32 images (NHWC). */
export type Images = Branded<tf.Tensor4D, "Images">
/** `[batch, frames, height, width, channels]` float32 clips of a tracklet. */
export type Clips = Branded<tf.Tensor5D, "Clips">
/** `[batch]` float32 per-item values (a loss before reduction, weights, ...). */
export type Vector = Branded<tf.Tensor1D, "Vector">
/** A float32 scalar (a loss value). */
export type Scalar = tf.Scalar

/** A dimension pattern: a number must match, `null` matches anything, a string must agree across one check. */
export type Dim = number | string | null

const matches = (actual: ReadonlyArray<number>, expected: ReadonlyArray<Dim>, bound: Map<string, number>): boolean => {
  if (actual.length !== expected.length) return false
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]
    const a = actual[i]!
    if (e === null || e === undefined) continue
    if (typeof e === "number") {
      if (a !== e) return false
    } else {
      const seen = bound.get(e)
      if (seen === undefined) bound.set(e, a)
      else if (seen !== a) return false
    }
  }
  return true
}

/**
 * Checks tensor shapes against patterns; named dimensions (strings) must agree across all the given tensors.
 *
 * ```ts
 * shapeOf("triplet", [[emb, ["batch", null]], [labels, ["batch"]]]) // fails if batch sizes differ
 * ```
 */
export const checkShapes = (
  what: string,
  specs: ReadonlyArray<readonly [tf.Tensor, ReadonlyArray<Dim>, string?]>
): Effect.Effect<void, ShapeMismatch> =>
  Effect.suspend(() => {
    const bound = new Map<string, number>()
    for (const [t, expected, name] of specs) {
      if (!matches(t.shape, expected, bound)) {
        const resolved = expected.map((d) => (typeof d === "string" && bound.has(d) ? bound.get(d)! : d))
        return Effect.fail(
          new ShapeMismatch({
            what: name === undefined ? what : `${what}: ${name}`,
            expected: resolved,
            actual: t.shape
          })
        )
      }
    }
    return Effect.void
  })

/** Synchronous form of {@link checkShapes}: returns the error instead of failing an Effect (for plain math). */
export const shapeError = (
  what: string,
  specs: ReadonlyArray<readonly [tf.Tensor, ReadonlyArray<Dim>, string?]>
): ShapeMismatch | undefined => {
  const bound = new Map<string, number>()
  for (const [t, expected, name] of specs) {
    if (!matches(t.shape, expected, bound)) {
      const resolved = expected.map((d) => (typeof d === "string" && bound.has(d) ? bound.get(d)! : d))
      return new ShapeMismatch({
        what: name === undefined ? what : `${what}: ${name}`,
        expected: resolved,
        actual: t.shape
      })
    }
  }
  return undefined
}

/** Throws the {@link ShapeMismatch} of {@link shapeError} (for plain tensor functions that throw typed errors). */
export const assertShapes = (
  what: string,
  specs: ReadonlyArray<readonly [tf.Tensor, ReadonlyArray<Dim>, string?]>
): void => {
  const error = shapeError(what, specs)
  if (error !== undefined) throw error
}

/** Checks a tensor's dtype. */
export const checkDType = (what: string, t: tf.Tensor, dtype: tf.DataType): Effect.Effect<void, DTypeMismatch> =>
  t.dtype === dtype ? Effect.void : Effect.fail(new DTypeMismatch({ what, expected: dtype, actual: t.dtype }))

/** Counts the NaN or infinite entries of a tensor (reads it back synchronously). */
export const countNonFinite = (t: tf.Tensor): number => {
  const data = t.dataSync()
  let n = 0
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) n++
  return n
}

/** Fails with {@link NonFiniteTensor} when a tensor holds NaN or infinite values. */
export const checkFinite = (what: string, t: tf.Tensor): Effect.Effect<void, NonFiniteTensor> =>
  Effect.suspend(() => {
    const count = countNonFinite(t)
    return count === 0 ? Effect.void : Effect.fail(new NonFiniteTensor({ what, count }))
  })

/** Brands `[batch, dim]` embeddings after checking rank 2. */
export const embeddings = (t: tf.Tensor, what = "embeddings"): Effect.Effect<Embeddings, ShapeMismatch> =>
  Effect.as(checkShapes(what, [[t, [null, null]]]), t as Embeddings)

/** Brands int32 `[batch]` labels after checking rank 1 and dtype. */
export const labels = (t: tf.Tensor, what = "labels"): Effect.Effect<Labels, ShapeMismatch | DTypeMismatch> =>
  Effect.andThen(checkShapes(what, [[t, [null]]]), Effect.as(checkDType(what, t, "int32"), t as Labels))
