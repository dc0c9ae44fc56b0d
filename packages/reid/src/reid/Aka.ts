/**
 * AKA, adaptive knowledge accumulation (Pu, Chen, Liu, Wang, Zheng and Lin, "Lifelong Person Re-Identification
 * via Adaptive Knowledge Accumulation", CVPR 2021), following the authors' code (TPCD/LifelongReID,
 * `MetaGraph_fd` and `train_p_s.py`).
 *
 * A learnable **knowledge graph** of `M` vertices `V` (`[M, D]`, initialised uniform in [0, 1)) accumulates
 * knowledge over the task sequence. For a batch of features `F` (`[B, D]`, detached: the graph learns from
 * them without changing them):
 *
 * - the batch's own graph `A_FF[i, j] = sigmoid(w . (f_i - f_j) + b)` and the vertices' graph `A_VV` use one
 *   learned adjacency (`w: [D]`, `b` initialised to 0.1), with ones on the diagonal;
 * - the cross graph `A_FV = softmax over the batch (axis 0) of -max(||f_i - v_j||^2, 1e-6) / (2 sigma)`;
 * - the super graph `S = [[A_FF, A_FV], [A_FV^T, A_VV]]` and one graph convolution over `X = [F; V]`:
 *   `G = tanh(D^-1 (S + I) X W + c)` (`D` the row sums of `S + I`; the tanh is `GraphConvolution`'s default
 *   `act=nn.Tanh()` in `lreid/models/metagraph_fd.py`, option `activation`);
 * - the knowledge-enhanced features are `z = f + G[0:B]`.
 *
 * Terms (the authors' weights, `train_test.py`: `--weight_t 1`, `--weight_r 0.0005`, `--weight_kd 1`, `--kd_T 2`):
 * - **plasticity** `L_p`: the batch-hard triplet loss (margin 0.3) on `z`, on every task (weight 1);
 * - **stability** `L_s = 1/M sum_j || v_j/|v_j| - v_j^old/|v_j^old| ||^2`: the vertices stay close to the old
 *   model's graph (from the second task on; weight 0.0005);
 * - with the old model, the authors also distil its logits (`loss_fn_kd`, T = 2, multiplied by T^2): that is the
 *   `lwf` term of the built-in `aka` method (weight 4 = T^2), besides cross-entropy. There is no triplet loss on
 *   the plain features in their objective (`train_p_s.py`), so the built-in method has none either.
 *
 * Differences from the authors' code: no dropout (0.6) inside the graph convolution; the triplet loss is reidfx's
 * batch-hard triplet; the graph's variables train with the model's optimizer (the authors use a second Adam
 * with its own learning rate); one growing classifier instead of one classifier per task.
 * @since 0.1.0
 */
import { Term } from "@reidfx/metric"
import { TripletBatchHard } from "@reidfx/metric"
import { detach } from "@reidfx/distill"
import type { Embeddings, Labels, RandomStream } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, type Scope } from "effect"

/** The knowledge graph's learnable variables, by parameter name (`aka/...`). */
export interface KnowledgeGraph {
  /** `[M, D]` knowledge vertices. */
  readonly vertices: tf.Variable<tf.Rank.R2>
  /** `[D, 1]` and `[1]`: the learned adjacency `sigmoid(w . (a - b) + b0)`. */
  readonly adjacencyWeight: tf.Variable<tf.Rank.R2>
  readonly adjacencyBias: tf.Variable<tf.Rank.R1>
  /** `[D, D]` and `[D]`: the graph convolution. */
  readonly weight: tf.Variable<tf.Rank.R2>
  readonly bias: tf.Variable<tf.Rank.R1>
  readonly named: ReadonlyMap<string, tf.Variable>
}

const truncatedNormal = (rng: RandomStream, n: number, std: number): Float32Array =>
  Float32Array.from({ length: n }, () => {
    for (;;) {
      const x = rng.normal()
      if (Math.abs(x) <= 2) return x * std
    }
  })

/** Creates a knowledge graph of `vertices` vertices over `dim`-d features, owned by the current Scope. */
export const makeGraph = (
  vertices: number,
  dim: number,
  rng: RandomStream
): Effect.Effect<KnowledgeGraph, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const v = tf.variable(
        tf.tensor2d(
          Float32Array.from({ length: vertices * dim }, () => rng.nextFloat()),
          [vertices, dim]
        ),
        true
      )
      const aw = tf.variable(tf.tensor2d(truncatedNormal(rng, dim, 0.1), [dim, 1]), true)
      const ab = tf.variable(tf.tensor1d([0.1]), true)
      const w = tf.variable(tf.tensor2d(truncatedNormal(rng, dim * dim, 0.1), [dim, dim]), true)
      const b = tf.variable(tf.zeros([dim]) as tf.Tensor1D, true)
      const named = new Map<string, tf.Variable>([
        ["aka/vertices", v],
        ["aka/adjacency/weight", aw],
        ["aka/adjacency/bias", ab],
        ["aka/gcn/weight", w],
        ["aka/gcn/bias", b]
      ])
      return { vertices: v, adjacencyWeight: aw, adjacencyBias: ab, weight: w, bias: b, named }
    }),
    (g) =>
      Effect.sync(() => {
        for (const v of g.named.values()) v.dispose()
      })
  )

/** `[n, n]` learned adjacency of a set with itself, ones on the diagonal. @category math */
export const selfAdjacency = (x: tf.Tensor2D, graph: KnowledgeGraph): tf.Tensor2D =>
  tf.tidy(() => {
    const [n, d] = x.shape
    const diff = tf.reshape(tf.sub(tf.expandDims(x, 1), tf.expandDims(x, 0)), [n * n, d])
    const a = tf.reshape(tf.sigmoid(tf.add(tf.matMul(diff, graph.adjacencyWeight), graph.adjacencyBias)), [n, n])
    const eye = tf.eye(n)
    return tf.add(tf.mul(a, tf.sub(1, eye)), eye) as tf.Tensor2D
  })

/** `[B, M]` cross graph: a softmax over the batch (axis 0) of `-max(||f_i - v_j||^2, 1e-6) / (2 sigma)`. @category math */
export const crossAdjacency = (features: tf.Tensor2D, vertices: tf.Tensor2D, sigma: number): tf.Tensor2D =>
  tf.tidy(() => {
    const ff = tf.sum(tf.square(features), 1, true)
    const vv = tf.transpose(tf.sum(tf.square(vertices), 1, true))
    const dist = tf.maximum(tf.sub(tf.add(ff, vv), tf.mul(2, tf.matMul(features, vertices, false, true))), 1e-6)
    // softmax over axis 0 = softmax of the transpose over its last axis
    return tf.transpose(tf.softmax(tf.transpose(tf.div(tf.neg(dist), 2 * sigma)))) as tf.Tensor2D
  })

/** The graph representation `G[0:B]` of a batch's (detached) features. @category math */
export const propagate = (
  features: tf.Tensor2D,
  graph: KnowledgeGraph,
  sigma: number,
  activation: "tanh" | "none" = "none"
): tf.Tensor2D =>
  tf.tidy(() => {
    const f = detach(features)
    const v = graph.vertices as tf.Tensor2D
    const b = f.shape[0]
    const cross = crossAdjacency(f, v, sigma)
    const top = tf.concat([selfAdjacency(f, graph), cross], 1)
    const bottom = tf.concat([tf.transpose(cross), selfAdjacency(v, graph)], 1)
    const n = b + v.shape[0]
    const adj = tf.add(tf.concat([top, bottom], 0), tf.eye(n))
    const normalized = tf.div(adj, tf.sum(adj, 1, true))
    const x = tf.concat([f, v], 0)
    const linear = tf.add(tf.matMul(normalized, tf.matMul(x, graph.weight)), graph.bias)
    const out = activation === "tanh" ? tf.tanh(linear) : linear
    return tf.slice(out, [0, 0], [b, -1]) as tf.Tensor2D
  })

/** `L_p`: batch-hard triplet loss on the knowledge-enhanced features `f + G[0:B]`. @category math */
export const plasticityLoss = (
  features: Embeddings,
  labels: Labels,
  graph: KnowledgeGraph,
  options: { readonly sigma: number; readonly margin: number; readonly activation?: "tanh" | "none" }
) =>
  TripletBatchHard.loss(
    tf.add(features, propagate(features, graph, options.sigma, options.activation)) as Embeddings,
    labels,
    { margin: options.margin }
  )

/** `L_s`: mean squared distance between the normalised vertices and the old graph's (detached). @category math */
export const stabilityLoss = (vertices: tf.Tensor2D, oldVertices: tf.Tensor2D): tf.Scalar =>
  tf.tidy(() => {
    const unit = (x: tf.Tensor2D) => tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12))
    return tf.mean(tf.sum(tf.square(tf.sub(unit(vertices), unit(detach(oldVertices)))), 1)) as tf.Scalar
  })

/** Options of the AKA terms. */
export interface Options {
  readonly sigma: number
  readonly margin: number
  readonly plasticity: number
  readonly stability: number
  /** The graph convolution's activation (default `none`; the built-in method uses the authors' `tanh`). */
  readonly activation?: "tanh" | "none"
}

/** The plasticity term. @category constructors */
export const plasticity = (graph: KnowledgeGraph, options: Options): Term.Term<never> =>
  Term.make(
    "akaPlasticity",
    { sigma: options.sigma, margin: options.margin, activation: options.activation === "tanh" ? "tanh" : undefined },
    (step) => plasticityLoss(step.outputs.features, step.labels, graph, options),
    options.plasticity
  )

/**
 * The stability term, against the vertices of the old model's graph (frozen with the old model, so it exists
 * only from the second task on). @category constructors
 */
export const stability = (graph: KnowledgeGraph, oldVertices: tf.Tensor2D, options: Options): Term.Term<never> =>
  Term.make(
    "akaStability",
    { from: "oldModel" },
    () => ({ loss: stabilityLoss(graph.vertices, oldVertices) }),
    options.stability
  )
