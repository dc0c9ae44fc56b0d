/**
 * LSTKC, long short-term knowledge consolidation (Xu, Zou, Peng & Zhou, "LSTKC: Long Short-Term Knowledge
 * Consolidation for Lifelong Person Re-Identification", AAAI 2024), as the authors' released code runs it
 * (zhoujiahuan1991/AAAI2024-LSTKC, commit c63a3af; values pinned by `test/Lstkc.test.ts`):
 *
 * - base objective (`reid/utils/make_loss.py` with `config/base.yml`: `IF_LABELSMOOTH: 'off'`, `NO_MARGIN: True`):
 *   cross-entropy without label smoothing on the BNNeck logits, and TransReID's batch-hard triplet with a soft
 *   margin on the L2-normalised pooled features (`reid/models/resnet.py` normalises `global_feat`);
 * - from the second task on: `+ AF_weight * KL(T || A_new)`, the long-short-term knowledge rectification
 *   (`reid/trainer.py`; `--AF_weight 1.0`, `Norm=0.1`), `@reidfx/distill`'s `lstkc` term;
 * - after each task from the second on: the adaptive fusion of the new and old models (`continual_train.py`
 *   `get_adaptive_alpha` / `linear_combination`, `Norm=100`), {@link Consolidation};
 * - retrieval on the pooled features before the BNNeck (the eval-mode output of `reid/models/resnet.py`).
 *
 * Deviations (also in docs/lifelong.md): the protocol's optimiser and schedule (the authors: SGD 0.008, 80 / 60
 * epochs, milestones 30); the PK sampler 16 x 4 (the authors: 128 images, 4 per identity); the new classes'
 * columns are initialised as every reidfx method's, not with the normalised class means (`initial_classifier`).
 * @since 0.1.0
 */
import type { MethodSpec } from "../Protocol.ts"

/** The built-in `lstkc` method. @category constructors */
export const method: MethodSpec = {
  name: "lstkc",
  label: "LSTKC",
  sampler: { kind: "pk", identities: 16, instances: 4 },
  terms: [
    { loss: "crossEntropy", labelSmoothing: 0, weight: 1 },
    { loss: "metric", name: "tripletBatchHard", options: { softMargin: true, normalize: true }, weight: 1 },
    { loss: "lstkc", temperature: 0.1, weight: 1 }
  ],
  firstTask: "withoutOldModelTerms",
  joint: false,
  consolidation: { kind: "lstkc", scale: 100 }
}

/** Whether a method fuses its new and old models after each task (LSTKC's consolidation). */
export const consolidates = (m: MethodSpec): boolean => m.consolidation?.kind === "lstkc"
