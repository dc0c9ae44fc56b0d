/**
 * PatchKD, patch-based knowledge distillation (Sun & Mu, "Patch-based Knowledge Distillation for Lifelong Person
 * Re-Identification", ACM MM 2022), as the authors' released code runs it (feifeiobama/PatchKD, commit e6b050a;
 * values pinned by `test/PatchKd.test.ts`):
 *
 * - every task: label-smoothed CE (`CrossEntropyLabelSmooth`, epsilon 0.1) on the current task's classes only
 *   (`classes: task`: the authors' CE reads the current task's head with task-local labels) + batch-hard triplet
 *   (margin 0.3, Euclidean, on the pooled features: `--t_margin`, `--t_metric`, `--t_l2` of `train_test.py`),
 *   `train_p_s.py` lines 95-96;
 * - from the second task: the five patch losses (`{ loss: patchKd }`, `patchkd/PatchKd.ts`), with the patch network
 *   and the per-task patch classifiers trained with the model;
 * - retrieval on the BNNeck's output (the eval-mode `bned_features` of `lwf_net.py`).
 *
 * Deviations (what the code does, what this does, why), also in docs/lifelong.md:
 * - one classifier over all classes so far with one BNNeck (reidfx's growing head), where the authors have one
 *   BN + linear per task (the CE reads the current task's columns, as theirs reads its head); the old model's
 *   "per-task classifiers" applied to the patches are therefore one BN (batch statistics) + the old classes'
 *   columns; in training mode the per-task BNs differ only by their scale, and the retrieval BNNeck is shared;
 * - the CE smoothing spreads epsilon over the classifier's classes; the authors' `CrossEntropyLabelSmooth(pid_num)`
 *   spreads it over `pid_num` = 2500 classes while the scores have one task's 500;
 * - the patch network is trained with the model's optimizer and schedule (the authors: its own Adam, same
 *   learning rate 3.5e-4 and weight decay, milestones 75 / 85 that 50 epochs never reach, so constant; the
 *   protocol's schedule is constant after the first task's warmup, so the same shape);
 * - the protocol's optimiser, schedule, sampler and image size (the authors: Adam 3.5e-4, milestones 25 / 35,
 *   50 epochs of 150 steps, 32 x 4 batches, 256 x 128, fp16);
 * - the Gumbel noise comes from the run's seeded streams (one per task and step), not torch's generator.
 * @since 0.4.0
 */
import type { MethodSpec } from "../Protocol.ts"
import { pk } from "../strategies/Recipes.ts"
import * as PatchKd from "./PatchKd.ts"

/** What the method is built from (the `patchkd` strategy's options). */
export interface Options extends PatchKd.Options {
  /** The CE's smoothing epsilon (0.1). */
  readonly labelSmoothing: number
  /** The triplet's margin (0.3). */
  readonly margin: number
  /** K: patches per image (3). */
  readonly patches: number
}

/** The method for `options` (without its name and label). @category constructors */
export const methodWith = (o: Options): Omit<MethodSpec, "name" | "label"> => ({
  sampler: pk,
  terms: [
    { loss: "crossEntropy", labelSmoothing: o.labelSmoothing, classes: "task", weight: 1 },
    { loss: "tripletBatchHard", margin: o.margin, weight: 1 },
    {
      loss: "patchKd",
      patches: o.patches,
      temperature: o.temperature,
      logit: o.logit,
      patch: o.patch,
      relation: o.relation,
      diversity: o.diversity,
      confidence: o.confidence,
      weight: 1
    }
  ],
  firstTask: "withoutOldModelTerms",
  joint: false
})

/** The built-in `patchkd` method (the authors' settings). @category constructors */
export const method: MethodSpec = {
  name: "patchkd",
  label: "PatchKD",
  ...methodWith({ labelSmoothing: 0.1, margin: 0.3, ...PatchKd.defaults })
}
