/**
 * `UnsortedSegmentSum` for wasm (missing from tfjs-backend-wasm 4.22; `gather`'s gradient needs it).
 *
 * out[i, ...] = sum over positions p with segmentIds[p] = i of x[p, ...]: one `scatterND`, which sums duplicate
 * indices. Ids outside [0, numSegments) are dropped, as in TensorFlow (checked on the ids, masked only if needed).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { tensorOf, type WasmKernel } from "./WasmKernel.ts"

/** Sums the rows of `x` into `numSegments` segments. */
export const unsortedSegmentSum = (x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor => {
  const idRank = segmentIds.rank
  const rest = x.shape.slice(idRank)
  const ids = segmentIds.dataSync()
  let valid = true
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!
    if (id < 0 || id >= numSegments) {
      valid = false
      break
    }
  }
  const indexShape = [...segmentIds.shape, 1]
  if (valid) return tf.scatterND(tf.reshape(segmentIds, indexShape), x, [numSegments, ...rest])
  const inRange = tf.logicalAnd(tf.greaterEqual(segmentIds, 0), tf.less(segmentIds, numSegments))
  const safeIds = tf.where(inRange, segmentIds, tf.zerosLike(segmentIds))
  const mask = tf.reshape(tf.cast(inRange, x.dtype), [...segmentIds.shape, ...rest.map(() => 1)])
  return tf.scatterND(tf.reshape(safeIds, indexShape), tf.mul(x, mask), [numSegments, ...rest])
}

export const UnsortedSegmentSum: WasmKernel = {
  kernelName: "UnsortedSegmentSum",
  summary: "missing on wasm; one scatterND (sums duplicate ids)",
  make: () => (args) =>
    tf.tidy(() =>
      unsortedSegmentSum(
        tensorOf(args.inputs["x"], "x"),
        tensorOf(args.inputs["segmentIds"], "segmentIds"),
        (args.attrs as unknown as { numSegments: number }).numSegments
      )
    )
}
