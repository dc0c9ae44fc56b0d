/**
 * The contracts at the bottom of the stack (below `@reidfx/metric` and `@reidfx/model`, which both speak them):
 * what a model produces for a batch ({@link ModelOutputs}) and what a loss term may read during one training step: the model's outputs for the batch, the labels, the
 * cameras, the inputs (so a teacher can run on them), the episode layout of episodic batches, and the
 * outputs of a mutual peer.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { Embeddings, Labels, Logits } from "../Tensor.ts"

/** What a ReID model produces for a batch. */
export interface ModelOutputs {
  /** `[B, D]` the embedding metric losses act on (before the BNNeck in the "bag of tricks" head). */
  readonly features: Embeddings
  /** `[B, D]` the features after the neck, used for retrieval; equal to `features` without a neck. */
  readonly neckFeatures?: Embeddings
  /** `[B, K]` classifier scores, when the model has a classifier. */
  readonly logits?: Logits
  /** `[B, S, C]` stripe (local) features, when the model has a local branch (AlignedReID) or parts (PCB). */
  readonly localFeatures?: tf.Tensor3D
  /** One `[B, K]` classifier per part (PCB), when the model has a part head with classes. */
  readonly partLogits?: ReadonlyArray<Logits>
  /** `[B, A]` attribute scores (logits of independent binary attributes), when the model has an attribute head. */
  readonly attributeLogits?: tf.Tensor2D
  /** `[B, H, W, C]` the backbone's last feature map (before pooling), when the model exposes it (PatchKD's patches). */
  readonly featureMap?: tf.Tensor4D
}

/**
 * The layout of an episodic batch (N-way, K-shot, Q queries): the first `ways * shots` items are the support
 * set, class-major (`shots` items of class 0, then of class 1, ...), then `ways * queries` query items, class-major.
 * Episode classes are numbered 0..ways-1 in that order, whatever their global labels are.
 */
export interface EpisodeLayout {
  readonly ways: number
  readonly shots: number
  readonly queries: number
}

/** Everything a term may read during one step. */
export interface Step {
  /** The outputs of the model being trained. */
  readonly outputs: ModelOutputs
  /** `[B]` int32 identity labels (global within the task's classifier, 0..K-1). */
  readonly labels: Labels
  /** `[B]` int32 camera ids, when known. */
  readonly cameras?: tf.Tensor1D
  /** The batch's inputs (`[B, H, W, C]` images or `[B, T, H, W, C]` clips). */
  readonly inputs: tf.Tensor
  /** Set for episodic batches. */
  readonly episode?: EpisodeLayout
  /** The outputs of the mutual peer trained in the same step (deep mutual learning, MDKT), if any. */
  readonly peer?: ModelOutputs
  /** The inputs the peer saw (e.g. more frames than the student). */
  readonly peerInputs?: tf.Tensor
  /** `[B, A]` attribute labels (1, 0, or < 0 for unknown), when the dataset has attributes. */
  readonly attributes?: tf.Tensor2D
  /** The global step number (0-based). */
  readonly index: number
}

/** One term's value at a step: the loss and optional scalar statistics (e.g. the number of active triplets). */
export interface TermValue {
  readonly loss: tf.Scalar
  readonly stats?: Readonly<Record<string, tf.Scalar>>
}
