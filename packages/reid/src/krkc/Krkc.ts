/**
 * KRKC, knowledge refreshing and consolidation (Yu, Ye, Zhou, Zheng & Cheng, "Lifelong Person
 * Re-identification via Knowledge Refreshing and Consolidation", AAAI 2023), as the authors' released code runs
 * it (cly234/LReID-KRKC, commit b5c38d6; values pinned by `test/Krkc.test.ts`):
 *
 * - the working model: label-smoothed CE (`CrossEntropyLabelSmooth`, epsilon 0.1) on the BNNeck logits + the
 *   soft triplet (m = 0.3) on the pooled features (`reid/trainer.py` `_forward`), and from the second task
 *   `+ loss_kd_js(z_knowledge, z_work)` (the `krkcCalibration` term, T = 2);
 * - the knowledge network (the `companion`, `krkc/Companion.ts`): a copy of the model at each task's start from
 *   the second, trained in the same step on the same batch with the same three terms (its "memo" loss: CE + soft
 *   triplet on the task, and `loss_kd_js(z_work, z_knowledge)`), at 0.1x the learning rate (0.01x on the last);
 * - model space consolidation after each task from the second to the one before the last (alpha 1/2, 1/3, ...);
 * - a replay memory of 2 exemplars per identity (`select_replay_samples`, `select_samples=2`), replayed with the
 *   task;
 * - retrieval on the BNNeck's output (the eval-mode output of `reid/models/resnet.py`).
 *
 * Deviations (also in docs/lifelong.md): the exemplars are replayed inside the task's PK batches (the engine's
 * rehearsal), not as a separate 128-image replay batch with its own batch-hard triplet (`trip_hard`, margin 0.3)
 * on both networks; they are chosen by herding on every identity, where the authors draw 250 identities with
 * replacement and keep the 2 images *least* similar to the identity's mean (`torch.sort(simi)[1][:2]`,
 * ascending); the protocol's optimiser, schedule and PK 16 x 4 sampler (the authors: Adam 3.5e-4, warmup 10
 * epochs, 60 epochs, milestone 30, batch 128 with 4 per identity, 256 x 128 images); new classes' columns are
 * initialised as every reidfx method's, not with the normalised class means (`initial_classifier`).
 * @since 0.4.0
 */
import type { MethodSpec } from "../Protocol.ts"

/** The built-in `krkc` method. @category constructors */
export const method: MethodSpec = {
  name: "krkc",
  label: "KRKC",
  sampler: { kind: "pk", identities: 16, instances: 4 },
  terms: [
    { loss: "crossEntropy", labelSmoothing: 0.1, weight: 1 },
    { loss: "krkcSoftTriplet", margin: 0.3, weight: 1 },
    { loss: "krkcCalibration", temperature: 2, weight: 1 }
  ],
  firstTask: "withoutOldModelTerms",
  joint: false,
  rehearsal: { budget: { kind: "perIdentity", size: 2 }, selection: "herding" },
  companion: { kind: "krkc", learningRate: 0.1, lastTaskLearningRate: 0.01 }
}
