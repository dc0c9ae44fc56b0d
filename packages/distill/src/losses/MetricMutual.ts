/**
 * Metric mutual learning (AlignedReID, Zhang et al., "AlignedReID: Surpassing Human-Level Performance in Person
 * Re-Identification", 2017, section 3.2): two models trained together each match the other's batch distance
 * matrix, with zero gradient through the other's,
 *
 *     L_M = 1/N^2 sum_{i, j} (ZG(D_b[i, j]) - D_a[i, j])^2  +  1/N^2 sum_{i, j} (ZG(D_a[i, j]) - D_b[i, j])^2
 *
 * Model a learns only from the first term, model b only from the second. The value is symmetric in (a, b).
 * @since 0.1.0
 */
import { Distance, Loss, type Term } from "@reidfx/metric"
import { type Embeddings, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { booleanWithDefault, decoder, distanceField, literalWithDefault, shown } from "../internal/options.ts"
import { embeddingOf, fromPeer, type TermFields } from "../internal/term.ts"
import { Peer } from "../Peer.ts"

/** Options (defaults: euclidean, both directions, as AlignedReID). @since 0.1.0 */
export const Options = Schema.Struct({
  /** The distance. Default euclidean. */
  distance: distanceField("euclidean"),
  /** L2-normalise both models' embeddings before the distances (removes the models' scale difference). Default false. */
  normalize: booleanWithDefault(false),
  /** `both` (default): both models' terms; `fromPeer`: only `1/N^2 sum (ZG(D_peer) - D_self)^2`. */
  directions: literalWithDefault(["both", "fromPeer"], "both")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `metricMutual` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "metricMutual")

/** One direction: `mean_{i,j} (ZG(target) - input)^2`. @category math @since 0.1.0 */
export const oneWay = (input: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar =>
  tf.tidy(() => tf.mean(tf.square(tf.sub(detach(target), input))) as tf.Scalar)

/**
 * L_M from two `[N, N]` distance matrices of the same batch.
 * @category math
 * @since 0.1.0
 */
export const fromDistances = (a: tf.Tensor2D, b: tf.Tensor2D, directions: Options["directions"]): Loss.LossValue =>
  Loss.tidyLoss(() => {
    const toA = oneWay(a, b)
    if (directions === "fromPeer") return { loss: toA, stats: {} }
    const toB = oneWay(b, a)
    return { loss: tf.add(toA, toB) as tf.Scalar, stats: { fromPeer: toA, toPeer: toB } }
  })

/**
 * L_M between two models' embeddings of the same batch (`[N, D_a]`, `[N, D_b]`).
 * @category math
 * @since 0.1.0
 */
export const loss = (a: Embeddings, b: Embeddings, options: OptionsInput = {}): Loss.LossValue => {
  const o = decode(options)
  Tensor.assertShapes("metricMutual", [
    [a, ["batch", null], "embeddings"],
    [b, ["batch", null], "peer embeddings"]
  ])
  return Loss.tidyLoss(() => {
    const distance = Distance.make(o.distance, { normalize: o.normalize })
    return fromDistances(distance.matrix(a), distance.matrix(b), o.directions)
  })
}

/**
 * Metric mutual learning as a Term between the trained model and its mutual {@link Peer}: `Term<Peer>`.
 * @category constructors
 * @since 0.1.0
 */
export const metricMutual = (options: OptionsInput & TermFields = {}): Term.Term<Peer> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromPeer("metricMutual", shown(o), weight, Peer, (step, peer) =>
    loss(
      embeddingOf(step.outputs, "metricMutual", "the model's", embedding),
      embeddingOf(peer, "metricMutual", "the peer's", embedding),
      o
    )
  )
}
