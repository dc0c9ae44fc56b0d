/**
 * PatchKD's training step (Sun & Mu, "Patch-based Knowledge Distillation for Lifelong Person Re-Identification",
 * ACM MM 2022), as the authors' `train_p_s_an_epoch` runs it from the second task on (feifeiobama/PatchKD, commit
 * e6b050a, `pkd/operation/train_p_s.py` lines 46-92; the losses are `@reidfx/distill`'s `PatchKd`):
 *
 *     theta        = gumbelHard(PatchNet(sg(X_new)))                       (line 55; K locations per image)
 *     z_old        = head_old,train(pool X_old)                           (lines 57-60: old classifiers' BN in train mode)
 *     P_old        = patches(X_old, theta),  z_old^P = head_old,train(P_old)  (lines 62-64: the gradient reaches PatchNet)
 *     P_new        = patches(X_new, sg(theta))                             (line 67: the gradient reaches the backbone only)
 *     P_new'       = patches(X_new, theta)                                 (line 68: both)
 *     z_new^P      = [patch classifiers of tasks 1..t, train mode](P_new)  (line 69)
 *     F            = BN of task t's patch classifier, eval mode (P_new')   (lines 70-72)
 *     L = w_kd L_kd(z_new, z_old) + w_pd L_kd(z_new^P, sg(z_old^P)) + w_rd L_rel(P_new, P_old)
 *         + w_div L_div(F) + w_conf L_conf(z_old^P)                         (lines 75-92)
 *
 * with X the backbone's last feature maps (the new model's in training mode, the old model's frozen in inference
 * mode), z_new the model's logits over all classes so far, and the old model's head applied to the patches as
 * its classifiers are in the authors' `classify_latent_codes` (a patch is a 1 x 1 map: pooling leaves it as it is).
 * The defaults are the authors' `train_test.py` (pinned by `test/PatchKd.test.ts`): K = 3 (line 246), T = 2
 * (`--kd_T`, line 233), w_kd = 1 (232), w_pd = 0.1 (240), w_rd = 100 (241), w_div = 0.5 (242), w_conf = 1 (243).
 * @since 0.4.0
 */
import * as Distill from "@reidfx/distill"
import { MissingOutput, type Step, Term } from "@reidfx/metric"
import { Builder, type FrozenModel, reidHead, tensorGetter } from "@reidfx/model"
import { ShapeMismatch } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import * as PatchClassifiers from "./PatchClassifiers.ts"
import * as State from "./State.ts"
import * as Variables from "./Variables.ts"

const { PatchKd: Losses } = Distill

/** The weights and temperature of the five losses. @category models */
export interface Options {
  readonly temperature: number
  /** w_kd: logit distillation. */
  readonly logit: number
  /** w_pd: patch distillation. */
  readonly patch: number
  /** w_rd: relational distance. */
  readonly relation: number
  /** w_div: patch diversity. */
  readonly diversity: number
  /** w_conf: confidence (entropy of the old classifiers on the patches). */
  readonly confidence: number
}

/** The authors' defaults (`train_test.py`, see the module doc). */
export const defaults = {
  patches: 3,
  temperature: 2,
  logit: 1,
  patch: 0.1,
  relation: 100,
  diversity: 0.5,
  confidence: 1
} as const

/**
 * The old model's head on `[N, h, w, C]` maps, its batch normalisation in training mode (batch statistics, its
 * running statistics untouched), its logits cut to the `classes` old classes.
 * @category math
 */
export const oldHead = (model: FrozenModel, channels: number, classes: number) => {
  const h = model.config.head
  const head = reidHead(new Builder().scope("head"), {
    inChannels: channels,
    pooling: h.pooling,
    gemP: h.gemP,
    embedding: h.embedding,
    neck: h.neck,
    classes: h.classes,
    classifierBias: h.classifierBias,
    classifierInit: h.classifierInit
  })
  const ctx = { get: tensorGetter(model.weights(), "patchKd: the old model"), training: true, setState: () => {} }
  return (maps: tf.Tensor4D): tf.Tensor2D => {
    const logits = head.forward(ctx, maps).logits
    if (logits === undefined) {
      throw new MissingOutput({
        term: "patchKd",
        field: "the old model's logits",
        hint: "the model needs a classifier"
      })
    }
    return logits.shape[1] === classes ? logits : (tf.slice(logits, [0, 0], [-1, classes]) as tf.Tensor2D)
  }
}

const mapOf = (map: tf.Tensor4D | undefined, whose: string): tf.Tensor4D => {
  if (map === undefined) {
    throw new MissingOutput({
      term: "patchKd",
      field: `${whose} outputs.featureMap`,
      hint: "use a @reidfx/model ReID network (its outputs carry the backbone's last map)"
    })
  }
  return map
}

/**
 * The five weighted losses of one step (see the module doc): the new model's outputs, the old model's
 * (detached) outputs on the same inputs, the old head and the state's patch network and classifiers.
 * @category math
 */
export const losses = (
  state: State.State,
  head: (maps: tf.Tensor4D) => tf.Tensor2D,
  step: Step,
  old: { readonly featureMap?: tf.Tensor4D | undefined },
  options: Options
): { readonly loss: tf.Scalar; readonly stats: Record<string, tf.Scalar> } => {
  const map = mapOf(step.outputs.featureMap, "the model's")
  const oldMap = mapOf(old.featureMap, "the old model's")
  const [b, h, w, c] = map.shape
  if (c !== state.channels || oldMap.shape.some((d, i) => d !== map.shape[i])) {
    throw new ShapeMismatch({
      what: "patchKd: feature maps (the model's feature size must be its last map's channels: no embedding layer)",
      expected: [b, h, w, state.channels],
      actual: c !== state.channels ? map.shape : oldMap.shape
    })
  }
  const logits = step.outputs.logits
  if (logits === undefined) {
    throw new MissingOutput({
      term: "patchKd",
      field: "the model's outputs.logits",
      hint: "the model needs a classifier"
    })
  }
  const k = state.patches
  const classifiers = state.classifiers
  const current = classifiers[classifiers.length - 1]
  if (current === undefined) throw new Error("patchKd: no patch classifier (built without an old model)")
  const noise = State.noiseStream(state, step.index)
  const uniforms = new Float32Array(b * k * h * w)
  for (let i = 0; i < uniforms.length; i++) uniforms[i] = noise.nextFloat()
  return tf.tidy(() => {
    const t = options.temperature
    const scores = state.net.scores(Variables.context(state.netVariables, true), Distill.Gradient.detach(map))
    const theta = Losses.gumbelHard(scores, Losses.gumbelNoise(uniforms, [b, k, h * w]))
    const rows = (p: tf.Tensor3D) => tf.reshape(p, [b * k, c]) as tf.Tensor2D
    const oldLogits = head(oldMap)
    const oldPatches = Losses.patchFeatures(oldMap, theta)
    const oldPatchLogits = head(tf.reshape(oldPatches, [b * k, 1, 1, c]) as tf.Tensor4D)
    const patches = Losses.patchFeatures(map, Distill.Gradient.detach(theta))
    const patches2 = Losses.patchFeatures(map, theta)
    const patchLogits = PatchClassifiers.scores(classifiers, rows(patches))
    const normalised = current.normalise(false, rows(patches2))
    const stats = {
      logit: tf.mul(options.logit, Losses.distillation(logits, oldLogits, t)) as tf.Scalar,
      patch: tf.mul(options.patch, Losses.distillation(patchLogits, oldPatchLogits, t)) as tf.Scalar,
      relation: tf.mul(options.relation, Losses.relationalDistance(patches, oldPatches)) as tf.Scalar,
      diversity: tf.mul(options.diversity, Losses.diversity(normalised, k)) as tf.Scalar,
      confidence: tf.mul(options.confidence, Losses.confidence(oldPatchLogits, t)) as tf.Scalar
    }
    return { loss: tf.addN(Object.values(stats)) as tf.Scalar, stats }
  })
}

/**
 * PatchKD as a Term reading the `OldModel` (its outputs on the step's inputs): grows the state's patch
 * classifiers to the old model's `oldClasses` and the model's `classes`, then computes {@link losses}.
 * @category constructors
 */
export const term = (
  state: State.State,
  old: { readonly model: FrozenModel; readonly classes: number },
  classes: number,
  options: Options & { readonly patches: number; readonly weight: number }
): Term.Term<Distill.OldModel> => {
  PatchClassifiers.grow(state.classifiers, old.classes, classes, state.channels, state.rng)
  const head = oldHead(old.model, state.channels, old.classes)
  return Term.fromEffect(
    "patchKd",
    {
      patches: state.patches,
      temperature: options.temperature,
      logit: options.logit,
      patch: options.patch,
      relation: options.relation,
      diversity: options.diversity,
      confidence: options.confidence
    },
    Effect.map(
      Distill.Source.oldModel.build,
      (target) => (step: Step) => losses(state, head, step, target(step, "patchKd"), options)
    ),
    options.weight
  )
}
