/**
 * AKA, adaptive knowledge accumulation (Pu, Chen, Liu, Wang, Zheng and Lin, "Lifelong Person Re-Identification
 * via Adaptive Knowledge Accumulation", CVPR 2021), as implemented here.
 *
 * A learnable knowledge graph of `M` vertices `V` (`[M, D]`) accumulates knowledge over the task sequence.
 * Each image feature `f` is connected to the vertices by a kernel adjacency
 *
 *     A(f)_j = softmax_j( -|| f/|f| - v_j/|v_j| ||^2 / tau )          (a row of [B, M])
 *
 * and the graph's knowledge is propagated back to it by one graph-convolution step,
 *
 *     z = f + (A(f) V) W                                            (W: [D, D], learnable)
 *
 * - **Plasticity** (the knowledge graph must help the current task): the batch-hard triplet loss on `z`,
 *   `L_p = triplet(z, y; m)`.
 * - **Stability** (the graph must relate the new model's features to the accumulated knowledge as the old
 *   model's features did): `L_s = 1/B sum_b || A(f_new(b)) - A(f_old(b)) ||_1`, the old features detached.
 *
 * The AKA term is `plasticity * L_p + stability * L_s`; the built-in `aka` method adds it to the strong
 * baseline and LwF's logit distillation. On the first task (no old model) only `L_p` runs.
 *
 * **Simplifications (documented):** the paper builds a temporary graph of the batch and the vertices with a
 * learned kernel and stacks GCN layers; here the adjacency is a fixed-temperature softmax kernel on
 * normalised features, with one propagation step, and the stability loss compares adjacencies (the paper's
 * "knowledge graph stability" in its simplest form). The graph's variables are trained with the model's
 * optimizer and persist across tasks and in checkpoints.
 * @since 0.1.0
 */
import { type Loss, Term } from "@reidfx/metric"
import { detach, OldModel } from "@reidfx/distill"
import { TripletBatchHard } from "@reidfx/metric"
import type { Embeddings, Labels, RandomStream } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, type Scope } from "effect"

/** The knowledge graph's learnable variables. */
export interface KnowledgeGraph {
  /** `[M, D]` knowledge vertices. */
  readonly vertices: tf.Variable<tf.Rank.R2>
  /** `[D, D]` propagation weight. */
  readonly weight: tf.Variable<tf.Rank.R2>
  /** Parameter names (for the optimizer and checkpoints): `aka/vertices`, `aka/weight`. */
  readonly named: ReadonlyMap<string, tf.Variable>
}

/** Creates a knowledge graph owned by the current Scope (vertices ~ N(0, 1), W ~ N(0, 0.01^2)). */
export const makeGraph = (vertices: number, dim: number, rng: RandomStream): Effect.Effect<KnowledgeGraph, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const v = tf.variable(tf.tensor2d(Float32Array.from({ length: vertices * dim }, () => rng.normal()), [vertices, dim]), true)
      const w = tf.variable(tf.tensor2d(Float32Array.from({ length: dim * dim }, () => 0.01 * rng.normal()), [dim, dim]), true)
      return { vertices: v, weight: w, named: new Map<string, tf.Variable>([["aka/vertices", v], ["aka/weight", w]]) }
    }),
    (g) => Effect.sync(() => { for (const v of g.named.values()) v.dispose() })
  )

const normalize = (x: tf.Tensor2D): tf.Tensor2D => tf.div(x, tf.add(tf.norm(x, 2, 1, true), 1e-12)) as tf.Tensor2D

/** `[B, M]` kernel adjacency of features to the vertices (rows sum to 1). @category math */
export const adjacency = (features: tf.Tensor2D, vertices: tf.Tensor2D, tau: number): tf.Tensor2D =>
  tf.tidy(() => {
    const f = normalize(features)
    const v = normalize(vertices)
    // ||f - v||^2 = 2 - 2 f.v for unit vectors
    const sq = tf.sub(2, tf.mul(2, tf.matMul(f, v, false, true)))
    return tf.softmax(tf.div(tf.neg(sq), tau)) as tf.Tensor2D
  })

/** The knowledge-enhanced features `z = f + (A(f) V) W`. @category math */
export const enhance = (features: tf.Tensor2D, graph: KnowledgeGraph, tau: number): tf.Tensor2D =>
  tf.tidy(() => tf.add(features, tf.matMul(tf.matMul(adjacency(features, graph.vertices, tau), graph.vertices), graph.weight)) as tf.Tensor2D)

/** `L_p`: batch-hard triplet loss on the knowledge-enhanced features. @category math */
export const plasticityLoss = (features: Embeddings, labels: Labels, graph: KnowledgeGraph, options: { readonly tau: number; readonly margin: number }): Loss.LossValue =>
  TripletBatchHard.loss(enhance(features, graph, options.tau) as Embeddings, labels, { margin: options.margin })

/** `L_s`: mean L1 distance between the new and the (detached) old features' adjacencies. @category math */
export const stabilityLoss = (newFeatures: tf.Tensor2D, oldFeatures: tf.Tensor2D, graph: KnowledgeGraph, tau: number): tf.Scalar =>
  tf.tidy(() => {
    const a = adjacency(newFeatures, graph.vertices, tau)
    const b = adjacency(detach(oldFeatures), graph.vertices, tau)
    return tf.mean(tf.sum(tf.abs(tf.sub(a, b)), 1)) as tf.Scalar
  })

/** Options of the AKA terms. */
export interface Options {
  readonly tau: number
  readonly margin: number
  readonly plasticity: number
  readonly stability: number
}

/** The plasticity half as a Term (needs nothing but the graph). @category constructors */
export const plasticity = (graph: KnowledgeGraph, options: Options): Term.Term<never> =>
  Term.make(
    "akaPlasticity",
    { tau: options.tau, margin: options.margin },
    (step) => plasticityLoss(step.outputs.features, step.labels, graph, options),
    options.plasticity
  )

/** The stability half as a `Term<OldModel>`: it reads the old model's features of the batch. @category constructors */
export const stability = (graph: KnowledgeGraph, options: Options): Term.Term<OldModel> =>
  Term.fromEffect(
    "akaStability",
    { tau: options.tau, from: "oldModel" },
    Effect.map(OldModel, (old) => (step) => {
      const target = old.forward(step.inputs).features
      return { loss: stabilityLoss(step.outputs.features, target, graph, options.tau) }
    }),
    options.stability
  )
