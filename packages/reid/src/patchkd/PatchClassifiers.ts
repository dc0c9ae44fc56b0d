/**
 * PatchKD's per-task patch classifiers (feifeiobama/PatchKD `pkd/models/lwf_net.py`, `classifier_dict_patch`, one
 * `BNClassifier` per task, `pkd/models/bnneck.py`): for the classes of task t, a batch normalisation of the
 * patch features without bias (`bn.bias.requires_grad_(False)`, initialised at 0) and a bias-free linear
 * classifier initialised N(0, 0.001^2) (`weights_init_classifier`). The scores of all tasks' classifiers are
 * concatenated, old tasks first (`torch.cat(patch_cls_score_list, dim=1)`).
 *
 * The authors create one classifier per task when the model is built (the number of identities of every task is
 * known in advance); here a classifier is created when its task's classes are first known (at the task's start):
 * the same initialisation, and its batch statistics start where the authors' start too (a task's classifier is
 * first run in its own task).
 * @since 0.4.0
 */
import { Builder, batchNorm, linear } from "@reidfx/model"
import type { RandomStream } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import * as Variables from "./Variables.ts"

/** One task's patch classifier. */
export interface PatchClassifier {
  readonly classes: number
  readonly variables: ReadonlyMap<string, tf.Variable>
  readonly normalise: (training: boolean, x: tf.Tensor2D) => tf.Tensor2D
  readonly classify: (normalised: tf.Tensor2D) => tf.Tensor2D
}

/** The name prefix of the classifier of task `index` (0-based). */
export const prefix = (index: number): string => `patchkd/classifiers/${index}`

/** The classifier of task `index` for `classes` classes on `channels`-dimensional patch features. */
export const make = (index: number, channels: number, classes: number, rng: RandomStream): PatchClassifier => {
  const builder = new Builder(prefix(index))
  const bn = batchNorm<tf.Tensor2D>(builder.scope("bn"), { channels, center: false })
  const fc = linear(builder.scope("classifier"), {
    inFeatures: channels,
    outFeatures: classes,
    bias: false,
    init: { kind: "normal", std: 0.001 }
  })
  const variables = Variables.create(builder, rng)
  const train = Variables.context(variables, true)
  const infer = Variables.context(variables, false)
  return {
    classes,
    variables,
    normalise: (training, x) => bn(training ? train : infer, x),
    classify: (x) => fc(infer, x)
  }
}

/**
 * The concatenated scores `[N, sum classes]` of every classifier on patch features `[N, C]`, each normalisation
 * in training mode (batch statistics, running statistics updated: the authors' `classify_latent_codes_patch`
 * with the classifiers in `train()` mode).
 */
export const scores = (classifiers: ReadonlyArray<PatchClassifier>, patches: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(
    () =>
      tf.concat(
        classifiers.map((c) => c.classify(c.normalise(true, patches))),
        1
      ) as tf.Tensor2D
  )

/**
 * The classifiers for `oldClasses` classes of earlier tasks and `classes` in all: those missing are created, one
 * for the earlier tasks' classes not yet covered (the first task's, created at the second task's start) and one
 * for the current task's new classes. Returns the classifiers, old tasks first.
 */
export const grow = (
  classifiers: Array<PatchClassifier>,
  oldClasses: number,
  classes: number,
  channels: number,
  rng: RandomStream
): ReadonlyArray<PatchClassifier> => {
  const covered = () => classifiers.reduce((n, c) => n + c.classes, 0)
  if (covered() < oldClasses) classifiers.push(make(classifiers.length, channels, oldClasses - covered(), rng))
  if (covered() < classes) classifiers.push(make(classifiers.length, channels, classes - covered(), rng))
  return classifiers
}

/** Creates the classifiers a checkpoint's tensors hold (`patchkd/classifiers/<i>/classifier/kernel`) and are missing. */
export const restore = (
  classifiers: Array<PatchClassifier>,
  tensors: ReadonlyMap<string, tf.Tensor>,
  channels: number,
  rng: RandomStream
): void => {
  for (;;) {
    const kernel = tensors.get(`${prefix(classifiers.length)}/classifier/kernel`)
    if (kernel === undefined) return
    classifiers.push(make(classifiers.length, channels, kernel.shape[1]!, rng))
  }
}
