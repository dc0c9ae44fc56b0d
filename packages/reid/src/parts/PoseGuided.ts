/**
 * A pose-guided part model (in the spirit of the pose-guided methods `KeypointPooling.ts` cites: Su et al., "Pose-driven
 * Deep Convolutional Model for Person Re-identification", ICCV 2017, and Zheng et al., "Pose-Invariant Embedding for
 * Deep Person Re-identification", which pool body-part regions located by keypoints and fuse them with the global
 * feature): the backbone's feature map `F` is pooled twice, globally by the model's ReID head (embedding, BNNeck,
 * classifier) and into the six body parts by `keypointPartPooling` with the batch's COCO-17 keypoints,
 *
 *     f_p = mean_{cells in box_p} F,   v_p = 1 when part p has a labelled keypoint
 *     h_p = ReLU(BN_p(W_p f_p)),   u_p = v_p h_p / ||h_p||       (each part reduced as PCB does, Sun et al. 2018)
 *     features = [ g / ||g|| ; u_1 ; ... ; u_6 ]                  (g: the head's pre-neck embedding)
 *     L = CE(logits, y) + triplet_hard(features) [+ sum_p CE(h_p V_p, y)]   (Hermans et al. 2017; PCB's part CE)
 *
 * and retrieval uses the visibility-weighted part distance (the parts both images show, each a unit vector)
 *
 *     d(q, g) = sum_p v_q,p v_g,p ||u_q,p - u_g,p|| / sum_p v_q,p v_g,p      (2, the largest, when none is shared)
 *
 * The model is an ordinary `Model.make` network whose config has a PCB part head with 6 parts ({@link poseModelConfig}:
 * parameters `backbone/...`, `head/...`, `parts/part<p>/{reduce,bn,classifier}/...`); {@link poseForward} rebuilds
 * the same definitions to read the feature map once and feeds the part blocks the keypoint-guided parts instead of
 * PCB's stripes. The part classifiers also see the (constant) reduction of an unseen part's zero vector: the part
 * cross-entropy is not masked by visibility (a simplification).
 * The keypoints of a training batch are its `keypoints` field (`@reidfx/train`'s `SideInputs`, `[B, 51]`), which
 * the trainer hands the learner's `forward` with the images.
 * @since 0.1.0
 */
import type { FeatureMatrix } from "@reidfx/eval"
import {
  BackboneCatalog,
  Builder,
  batchNorm,
  bodyParts,
  type ForwardContext,
  keypointPartPooling,
  linear,
  type ModelConfig,
  reidHead,
  type TrainableModel
} from "@reidfx/model"
import type { ModelOutputs } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"

/** The per-image keypoints (51 numbers each) as a batch's `[B, 51]` float32 `keypoints` tensor. */
export const keypointsTensor = (keypoints: ReadonlyArray<ArrayLike<number>>): tf.Tensor2D => {
  const data = new Float32Array(keypoints.length * 51)
  keypoints.forEach((k, i) => {
    if (k.length !== 51) throw new Error(`keypointsTensor: image ${i} has ${k.length} keypoint numbers, not 51`)
    data.set(k, i * 51)
  })
  return tf.tensor2d(data, [keypoints.length, 51])
}

/** The rows of a `[B, 51]` keypoints tensor, one per image (views of one read of its values). */
export const keypointRows = (keypoints: tf.Tensor2D): ReadonlyArray<Float32Array> => {
  const data = keypoints.dataSync() as Float32Array
  return Array.from({ length: keypoints.shape[0] }, (_, i) => data.subarray(i * 51, (i + 1) * 51))
}

/** The outputs of the pose model: the ReID head's, `features` the fused descriptor, `localFeatures` the `u_p`. */
export interface PoseOutputs extends ModelOutputs {
  readonly localFeatures: tf.Tensor3D
  /** `[B, 6]` part visibility `v_p`. */
  readonly partVisibility: tf.Tensor2D
}

/** The model config of a pose model: the ReID head and a 6-part PCB head (`classifiers`: its part classifiers). */
export const poseModelConfig = (options: {
  readonly backbone: typeof ModelConfig.BackboneConfig.Encoded
  readonly classes: number
  readonly embedding: number
  readonly channels: number
}): typeof ModelConfig.ModelConfig.Encoded => ({
  backbone: options.backbone,
  head: {
    classes: options.classes,
    embedding: options.embedding,
    parts: { parts: bodyParts.length, channels: options.channels, refined: false }
  }
})

/**
 * The forward pass of a pose model over `model`'s variables (see the module doc); `keypoints` default to those
 * attached to the images by {@link withKeypoints}.
 */
export const poseForward = (model: TrainableModel, options: { readonly margin: number }) => {
  const config = model.config
  const root = new Builder()
  const backbone = BackboneCatalog.builtin
    .require(config.backbone.kind)
    .build(root.scope("backbone"), config.backbone, config.inputChannels)
  const h = config.head
  const head = reidHead(root.scope("head"), {
    inChannels: backbone.outChannels,
    pooling: h.pooling,
    gemP: h.gemP,
    embedding: h.embedding,
    neck: h.neck,
    classes: h.classes,
    classifierBias: h.classifierBias,
    classifierInit: h.classifierInit
  })
  const partsOptions = h.parts
  if (partsOptions === undefined || partsOptions.parts !== bodyParts.length)
    throw new Error(`poseForward: the model needs a ${bodyParts.length}-part head (poseModelConfig)`)
  const blocks = bodyParts.map((_, i) => {
    const s = root.scope("parts").scope(`part${i}`)
    return {
      reduce: linear(s.scope("reduce"), { inFeatures: backbone.outChannels, outFeatures: partsOptions.channels }),
      bn: batchNorm<tf.Tensor2D>(s.scope("bn"), { channels: partsOptions.channels }),
      classifier:
        h.classes > 0
          ? linear(s.scope("classifier"), {
              inFeatures: partsOptions.channels,
              outFeatures: h.classes,
              init: { kind: "normal", std: 0.001 },
              biasInit: { kind: "constant", value: 0 }
            })
          : undefined
    }
  })
  const get = (name: string): tf.Tensor => {
    const v = model.variables.get(name)
    if (v === undefined) throw new Error(`poseForward: the model has no parameter named ${name}`)
    return v
  }
  return (
    images: tf.Tensor4D,
    training: boolean,
    batchKeypoints: ReadonlyArray<ArrayLike<number>> | tf.Tensor2D | undefined
  ): PoseOutputs => {
    if (batchKeypoints === undefined) throw new Error("poseForward: the batch has no keypoints (its `keypoints` field)")
    const keypoints = batchKeypoints instanceof tf.Tensor ? keypointRows(batchKeypoints) : batchKeypoints
    const ctx: ForwardContext = {
      get,
      training,
      setState: training ? (name, value) => (get(name) as tf.Variable).assign(value) : () => {}
    }
    const map = backbone.forward(ctx, images)
    const out = head.forward(ctx, map)
    const [, height, width] = images.shape
    const { parts, visible } = keypointPartPooling(map, keypoints, {
      imageHeight: height,
      imageWidth: width,
      margin: options.margin
    })
    // sqrt(sum x^2 + eps): finite gradients at the zero vector of an unseen part
    const norm = (t: tf.Tensor, axis: number) => tf.sqrt(tf.add(tf.sum(tf.square(t), axis, true), 1e-12))
    const [b, p, c] = parts.shape
    const hs = blocks.map((blk, i) => {
      const fi = tf.reshape(tf.slice(parts, [0, i, 0], [-1, 1, -1]), [b, c]) as tf.Tensor2D
      return tf.relu(blk.bn(ctx, blk.reduce(ctx, fi))) as tf.Tensor2D
    })
    const reduced = tf.stack(hs, 1) as tf.Tensor3D
    const unit = tf.mul(tf.div(reduced, norm(reduced, 2)), tf.expandDims(visible, 2)) as tf.Tensor3D
    const g = tf.div(out.features, norm(out.features, 1))
    return {
      ...out,
      features: tf.concat([g, tf.reshape(unit, [b, p * unit.shape[2]])], 1) as tf.Tensor2D,
      ...(blocks[0]!.classifier === undefined ? {} : { partLogits: hs.map((x, i) => blocks[i]!.classifier!(ctx, x)) }),
      localFeatures: unit,
      partVisibility: visible
    }
  }
}

/** The 51 keypoint numbers of an annotation (zeros, no part visible, when it has none). */
export const flatKeypoints = (keypoints: ReadonlyArray<readonly [number, number, number]> | undefined): Float32Array =>
  keypoints === undefined ? new Float32Array(51) : Float32Array.from(keypoints.flat())

/**
 * The visibility-weighted part distance between `[Q, P, C]` and `[G, P, C]` unit parts with visibilities
 * `[Q, P]`, `[G, P]` (see the module doc); `[Q * G]` row-major.
 */
export const partDistance = (
  q: FeatureMatrix & { readonly parts: number; readonly visible: ArrayLike<number> },
  g: FeatureMatrix & { readonly parts: number; readonly visible: ArrayLike<number> }
): Float32Array => {
  const P = q.parts
  const C = q.dim / P
  const out = new Float32Array(q.rows * g.rows)
  for (let i = 0; i < q.rows; i++)
    for (let j = 0; j < g.rows; j++) {
      let sum = 0
      let shared = 0
      for (let p = 0; p < P; p++) {
        if (q.visible[i * P + p]! <= 0 || g.visible[j * P + p]! <= 0) continue
        let s = 0
        for (let k = 0; k < C; k++) {
          const d = q.data[(i * P + p) * C + k]! - g.data[(j * P + p) * C + k]!
          s += d * d
        }
        sum += Math.sqrt(s)
        shared++
      }
      out[i * g.rows + j] = shared === 0 ? 2 : sum / shared
    }
  return out
}

/** The number of body parts the pose model pools. */
export const poseParts = bodyParts.length
