/**
 * Embedding matrices as plain row-major `Float32Array`s: the common currency of the evaluation protocols, so that
 * features from any source (a tfjs model, a `.npy` file written by PyTorch, JSON) are evaluated the same way.
 * @since 0.1.0
 */
import { InvalidOption, NonFiniteTensor, ShapeMismatch } from "@reidfx/tensor"
import type * as tf from "@tensorflow/tfjs-core"

/** `rows x dim` row-major float32 features. @category models */
export interface FeatureMatrix {
  readonly data: Float32Array
  readonly rows: number
  readonly dim: number
}

/** Anything that can be read as a feature matrix: a rank-2 tensor, a {@link FeatureMatrix} or nested number arrays. */
export type FeaturesInput = tf.Tensor | FeatureMatrix | ReadonlyArray<ReadonlyArray<number>>

const isTensor = (x: FeaturesInput): x is tf.Tensor =>
  typeof (x as tf.Tensor).dataSync === "function" && Array.isArray((x as tf.Tensor).shape)

/**
 * Reads features into a {@link FeatureMatrix} (a tensor is read back synchronously; it is not disposed).
 * Throws {@link ShapeMismatch} for a non-rank-2 tensor or ragged rows and {@link NonFiniteTensor} for NaN or
 * infinite values.
 * @category constructors
 */
export const toFeatureMatrix = (input: FeaturesInput, what = "features"): FeatureMatrix => {
  let matrix: FeatureMatrix
  if (isTensor(input)) {
    if (input.rank !== 2) throw new ShapeMismatch({ what, expected: ["rows", "dim"], actual: input.shape })
    const raw = input.dataSync()
    const data = raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>)
    matrix = { data, rows: input.shape[0]!, dim: input.shape[1]! }
  } else if (Array.isArray(input)) {
    const rowsArray = input as ReadonlyArray<ReadonlyArray<number>>
    const rows = rowsArray.length
    const dim = rows === 0 ? 0 : rowsArray[0]!.length
    const data = new Float32Array(rows * dim)
    for (let i = 0; i < rows; i++) {
      const row = rowsArray[i]!
      if (row.length !== dim)
        throw new ShapeMismatch({ what: `${what}: row ${i}`, expected: [dim], actual: [row.length] })
      for (let k = 0; k < dim; k++) data[i * dim + k] = row[k]!
    }
    matrix = { data, rows, dim }
  } else {
    matrix = input as FeatureMatrix
    if (matrix.data.length !== matrix.rows * matrix.dim) {
      throw new ShapeMismatch({ what, expected: [matrix.rows, matrix.dim], actual: [matrix.data.length] })
    }
  }
  const bad = countNonFinite(matrix.data)
  if (bad > 0) throw new NonFiniteTensor({ what, count: bad })
  return matrix
}

/** Number of NaN or infinite entries. */
export const countNonFinite = (data: ArrayLike<number>): number => {
  let n = 0
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) n++
  return n
}

/** Integer labels (identities, cameras) as an `Int32Array`; throws {@link InvalidOption} for non-integers. */
export const toInt32 = (values: ArrayLike<number>, what: string): Int32Array => {
  if (values instanceof Int32Array) return values
  const out = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new InvalidOption({ what, detail: `entry ${i} is ${v}, expected a 32-bit integer` })
    }
    out[i] = v
  }
  return out
}

/** Row `i` of a feature matrix (a view, no copy). */
export const row = (m: FeatureMatrix, i: number): Float32Array => m.data.subarray(i * m.dim, (i + 1) * m.dim)

/** L2-normalises every row (rows of norm 0 are left at 0). */
export const l2Normalize = (m: FeatureMatrix): FeatureMatrix => {
  const data = new Float32Array(m.data.length)
  for (let i = 0; i < m.rows; i++) {
    let s = 0
    for (let k = 0; k < m.dim; k++) s += m.data[i * m.dim + k]! ** 2
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0
    for (let k = 0; k < m.dim; k++) data[i * m.dim + k] = m.data[i * m.dim + k]! * inv
  }
  return { data, rows: m.rows, dim: m.dim }
}
