/** @internal Batch-hard triplets of a distance matrix and the TCL logits on them (shared by TCL and MTCL). */
import { BatchHard, Loss, Miner, type Triplets } from "@reidfx/metric"
import * as tf from "@tensorflow/tfjs-core"

/** Batch-hard triplets mined from the values of a `[B, B]` distance matrix (read back: no gradient). */
export const mineHard = (distances: tf.Tensor2D, labels: Int32Array): Triplets => {
  const n = distances.shape[0]
  const context = Miner.makeContext({
    values: distances.dataSync() as Float32Array,
    rows: n,
    cols: n,
    labels,
    refLabels: labels,
    sameItems: true,
    policy: { anchorAsPositive: false, crossCameraPositives: false, refSameItems: false }
  })
  return BatchHard.mine(context)
}

/**
 * `[T]` logits `z = (d_an - d_ap) / tau2` of the two-way distribution `[p_apn, 1 - p_apn]`, `p_apn = sigmoid(z)`
 * = `exp(-d_ap/tau2) / (exp(-d_ap/tau2) + exp(-d_an/tau2))`, on the given triplets of a distance matrix.
 */
export const tripletLogits = (distances: tf.Tensor2D, triplets: Triplets, tau2: number): tf.Tensor1D =>
  tf.tidy(() => {
    const ap = Loss.selectEntries(distances, triplets.anchors, triplets.positives)
    const an = Loss.selectEntries(distances, triplets.anchors, triplets.negatives)
    return tf.div(tf.sub(an, ap), tau2) as tf.Tensor1D
  })
