/**
 * The five losses of PatchKD, patch-based knowledge distillation (Sun & Mu, "Patch-based Knowledge Distillation
 * for Lifelong Person Re-Identification", ACM MM 2022), as plain functions over tensors, following the authors'
 * released code (feifeiobama/PatchKD, commit e6b050a: `pkd/losses/kd_loss.py`, `pkd/models/patch_net.py`,
 * `pkd/operation/train_p_s.py`). The method that composes them (the patch network, the per-task patch
 * classifiers, which tensor is detached where) is `@reidfx/reid`'s `patchkd/`.
 *
 * **Patch sampling** (`PatchNet.forward`, `F.gumbel_softmax(score, hard=True)` over the `H W` locations of each of
 * the K score maps, tau = 1): with Gumbel noise `g = -log(-log u)`,
 *
 *     y = softmax(s + g),   theta = onehot(argmax y) - sg(y) + y        (straight-through: the value is one-hot)
 *
 * and a patch feature is the map at the chosen location (`generate_patch_features`: `sum_hw x * theta`),
 * `P[b, k] = sum_l theta[b, k, l] X[b, l]`.
 *
 * **Distillation** (`loss_fn_kd`, T = 2): new scores s `[N, C]` against targets t `[N, C']`, C' <= C, the
 * targets' softmax zero-padded to C columns (the classes the targets do not know),
 *
 *     L_kd(s, t) = T^2 / N sum_n sum_c -softmax(t_n / T)_c log softmax(s_n / T)_c
 *
 * used for the logit KD (new model's logits over all classes against the old model's) and the patch KD (the new
 * patch classifiers' logits against the old classifiers' logits of the same patches, detached).
 *
 * **Confidence** (`loss_fn_kd(z, z, T)` with the same tensor on both sides, so the gradient flows through both):
 * the entropy of the old classifiers' predictions on the patches, `L_conf = T^2 / N sum_n H(softmax(z_n / T))`.
 *
 * **Relational distance** (`loss_fn_rd`, applied to `[B, K, C]` patches and to their transpose `[K, B, C]`):
 * per slice the Euclidean distance matrix `D = sqrt(max(|x_i|^2 + |x_j|^2 - 2 x_i.x_j, 1e-12))` with a zero
 * diagonal (`pdist`), each normalised by the mean of its positive entries over all slices, then
 *
 *     L_rd(S, T) = mean smoothL1(D_S / mu_S - D_T / mu_T)    (Huber, beta = 1, over every entry)
 *     L_rel = L_rd(P_new, P_old) + L_rd(P_new^T, P_old^T)
 *
 * **Diversity** (`loss_fn_div`): the K patch features of an image, L2-normalised (`F.normalize`, eps 1e-12),
 * should point different ways: `L_div = 1/B sum_b (sum_ij cos(p_bi, p_bj) - K) / (K (K - 1))`.
 * @since 0.4.0
 */
import { ShapeMismatch } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { detach, untaped } from "../Gradient.ts"
import { smoothL1 } from "../internal/math.ts"

/**
 * The hard Gumbel-softmax sample over the last axis of `scores` `[B, K, L]` with Gumbel noise `gumbels` (same
 * shape; `-log(-log u)`, see {@link gumbelNoise}): one-hot values, the soft sample's gradient (tau = 1).
 * @category math
 * @since 0.4.0
 */
export const gumbelHard = (scores: tf.Tensor3D, gumbels: tf.Tensor3D): tf.Tensor3D => {
  if (gumbels.shape.some((d, i) => d !== scores.shape[i])) {
    throw new ShapeMismatch({
      what: "patchKd: Gumbel noise (one per score)",
      expected: scores.shape,
      actual: gumbels.shape
    })
  }
  return tf.tidy(() => {
    const soft = tf.softmax(tf.add(scores, gumbels)) as tf.Tensor3D
    const hard = untaped(() => tf.cast(tf.oneHot(tf.argMax(soft, -1), scores.shape[2]), "float32")) as tf.Tensor3D
    return tf.add(tf.sub(hard, detach(soft)), soft) as tf.Tensor3D
  })
}

/** Gumbel noise `-log(-log u)` from uniforms `u` in (0, 1) (torch: `-empty.exponential_().log()`). @category math @since 0.4.0 */
export const gumbelNoise = (uniforms: Float32Array, shape: readonly [number, number, number]): tf.Tensor3D =>
  tf.tidy(() => {
    const u = tf.clipByValue(tf.tensor3d(uniforms, [...shape]), 1e-10, 1 - 1e-7)
    return tf.neg(tf.log(tf.neg(tf.log(u)))) as tf.Tensor3D
  })

/**
 * The patch features `[B, K, C]` of a feature map `[B, H, W, C]` at the locations `theta` `[B, K, H W]` selects
 * (row-major locations), `P[b, k] = sum_l theta[b, k, l] X[b, l]`.
 * @category math
 * @since 0.4.0
 */
export const patchFeatures = (map: tf.Tensor4D, theta: tf.Tensor3D): tf.Tensor3D => {
  const [b, h, w, c] = map.shape
  if (theta.shape[0] !== b || theta.shape[2] !== h * w) {
    throw new ShapeMismatch({
      what: "patchKd: patch selection (one weight per location of each image)",
      expected: [b, theta.shape[1], h * w],
      actual: theta.shape
    })
  }
  return tf.tidy(() => tf.matMul(theta, tf.reshape(map, [b, h * w, c])) as tf.Tensor3D)
}

/**
 * L_kd(scores, targets) (`loss_fn_kd`, see the module doc): the targets are detached and their softmax
 * zero-padded to the scores' classes. `targets` may have fewer columns than `scores`, not more.
 * @category math
 * @since 0.4.0
 */
export const distillation = (scores: tf.Tensor2D, targets: tf.Tensor2D, temperature = 2): tf.Scalar => {
  const [n, c] = scores.shape
  if (targets.shape[0] !== n || targets.shape[1] > c) {
    throw new ShapeMismatch({
      what: "patchKd: distillation targets (as many rows as the scores, at most as many classes)",
      expected: [n, c],
      actual: targets.shape
    })
  }
  return tf.tidy(() => {
    const t = targets.shape[1]
    const p = tf.softmax(tf.div(detach(targets), temperature)) as tf.Tensor2D
    const logQ = tf.logSoftmax(tf.div(scores, temperature)) as tf.Tensor2D
    const onTargets = t === c ? logQ : (tf.slice(logQ, [0, 0], [n, t]) as tf.Tensor2D)
    return tf.mul(tf.neg(tf.div(tf.sum(tf.mul(p, onTargets)), n)), temperature * temperature) as tf.Scalar
  })
}

/**
 * L_conf(z) = T^2 / N sum_n H(softmax(z_n / T)) (`loss_fn_kd(z, z, T)`: the gradient flows through both sides).
 * @category math
 * @since 0.4.0
 */
export const confidence = (logits: tf.Tensor2D, temperature = 2): tf.Scalar =>
  tf.tidy(() => {
    const logP = tf.logSoftmax(tf.div(logits, temperature)) as tf.Tensor2D
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logP), logP)))
    return tf.mul(tf.div(entropy, logits.shape[0]), temperature * temperature) as tf.Scalar
  })

/** `pdist(e)` of `[S, N, C]`: per slice the `[N, N]` Euclidean distances (clamped at 1e-12 before the root), zero diagonal. */
const pairwise = (e: tf.Tensor3D): tf.Tensor3D =>
  tf.tidy(() => {
    const n = e.shape[1]
    const sq = tf.sum(tf.square(e), -1)
    const d2 = tf.sub(tf.add(tf.expandDims(sq, 1), tf.expandDims(sq, 2)), tf.mul(2, tf.matMul(e, e, false, true)))
    const offDiagonal = tf.sub(1, tf.eye(n))
    return tf.mul(tf.sqrt(tf.maximum(d2, 1e-12)), offDiagonal) as tf.Tensor3D
  })

/** `D / mean(D[D > 0])` (the mask off the tape; the mean's gradient flows as in `t_d[t_d > 0].mean()`). */
const normalised = (d: tf.Tensor3D): tf.Tensor3D =>
  tf.tidy(() => {
    const positive = untaped(() => tf.cast(tf.greater(d, 0), "float32"))
    const count = untaped(() => tf.sum(positive))
    return tf.div(d, tf.div(tf.sum(tf.mul(d, positive)), count)) as tf.Tensor3D
  })

/** `loss_fn_rd(student, teacher)` on `[S, N, C]` slices. */
const relationalOnce = (student: tf.Tensor3D, teacher: tf.Tensor3D): tf.Scalar =>
  tf.tidy(() => tf.mean(smoothL1(tf.sub(normalised(pairwise(student)), normalised(pairwise(teacher))))) as tf.Scalar)

/**
 * L_rel(P_new, P_old) = L_rd(P_new, P_old) + L_rd(P_new^T, P_old^T) on patches `[B, K, C]`: the distances
 * between an image's patches, and between the images' k-th patches, kept as the old model's. Neither side is
 * detached here (the authors' teacher patches carry the patch network's gradient).
 * @category math
 * @since 0.4.0
 */
export const relationalDistance = (student: tf.Tensor3D, teacher: tf.Tensor3D): tf.Scalar => {
  if (student.shape.some((d, i) => d !== teacher.shape[i])) {
    throw new ShapeMismatch({
      what: "patchKd: the old model's patches",
      expected: student.shape,
      actual: teacher.shape
    })
  }
  return tf.tidy(
    () =>
      tf.add(
        relationalOnce(student, teacher),
        relationalOnce(tf.transpose(student, [1, 0, 2]), tf.transpose(teacher, [1, 0, 2]))
      ) as tf.Scalar
  )
}

/**
 * L_div of patch features `[B K, C]` (image-major rows: the K patches of image 0, then of image 1, ...).
 * @category math
 * @since 0.4.0
 */
export const diversity = (features: tf.Tensor2D, k: number): tf.Scalar => {
  const [rows, c] = features.shape
  if (k < 2 || rows % k !== 0) {
    throw new ShapeMismatch({
      what: `patchKd: diversity of ${k} patches per image (K >= 2, rows a multiple of K)`,
      expected: [Math.max(k, 2) * Math.ceil(rows / Math.max(k, 2)), c],
      actual: features.shape
    })
  }
  return tf.tidy(() => {
    const unit = tf.div(features, tf.maximum(tf.norm(features, 2, 1, true), 1e-12))
    const f = tf.reshape(unit, [rows / k, k, c]) as tf.Tensor3D
    const m = tf.matMul(f, f, false, true)
    return tf.div(tf.mean(tf.sub(tf.sum(m, [1, 2]), k)), k * (k - 1)) as tf.Scalar
  })
}
