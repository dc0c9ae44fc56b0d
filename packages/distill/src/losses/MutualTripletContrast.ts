/**
 * Mutual triplet contrast loss (MDKT's MTCL, Wang, Wang & Li, "Image-to-Video Re-Identification via Mutual
 * Discriminative Knowledge Transfer", 2022): the triplet contrast loss in both directions between two models
 * trained together, each direction's target detached,
 *
 *     L_MTCL = sum_{(a, p, n)} KL(ZG(P^b_apn) || P^a_apn) + KL(ZG(P^a_apn) || P^b_apn),
 *     P_apn = [p_apn, 1 - p_apn],  p_apn = exp(-d_ap / tau_2) / (exp(-d_ap / tau_2) + exp(-d_an / tau_2))
 *
 * on the same batch-hard triplets, mined from either model's distances (`mineFrom`). Computed in log space.
 * The value is symmetric in (a, b) when the triplets are.
 * @since 0.1.0
 */
import { Distance, Loss, type Term } from "@reidfx/metric"
import { type Embeddings, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { binaryKL } from "../internal/math.ts"
import { booleanWithDefault, decoder, distanceField, literalWithDefault, positive, shown } from "../internal/options.ts"
import { embeddingOf, fromPeer, type TermFields } from "../internal/term.ts"
import { mineHard, tripletLogits } from "../internal/triplets.ts"
import { Peer } from "../Peer.ts"

/** Options (defaults: tau_2 = 1, euclidean, mined from the peer, summed). @since 0.1.0 */
export const Options = Schema.Struct({
  /** tau_2. Default 1. */
  temperature: positive(1),
  /** Whose distances the hard triplets are mined from: the `peer`'s (default, e.g. the video teacher) or `self`. */
  mineFrom: literalWithDefault(["peer", "self"], "peer"),
  /** The distance. Default euclidean. */
  distance: distanceField("euclidean"),
  /** L2-normalise both models' embeddings before the distances (removes the models' scale difference). Default false. */
  normalize: booleanWithDefault(false),
  /** `sum` over triplets (default) or `mean`. */
  reduction: literalWithDefault(["sum", "mean"], "sum"),
  /** `both` (default): L_MTCL; `fromPeer`: only `KL(ZG(P^peer) || P^self)`. */
  directions: literalWithDefault(["both", "fromPeer"], "both")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `mutualTripletContrast` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "mutualTripletContrast")

/**
 * L_MTCL from two `[B, B]` distance matrices (row i of both is the same item) and the labels.
 * @category math
 * @since 0.1.0
 */
export const fromDistances = (
  self: tf.Tensor2D,
  peer: tf.Tensor2D,
  labels: Int32Array,
  options: Options
): Loss.LossValue =>
  Loss.tidyLoss(() => {
    const triplets = mineHard(options.mineFrom === "peer" ? peer : self, labels)
    const zSelf = tripletLogits(self, triplets, options.temperature)
    const zPeer = tripletLogits(peer, triplets, options.temperature)
    const fromPeer = Loss.reduce(binaryKL(detach(zPeer), zSelf), options.reduction)
    const counts = { triplets: triplets.anchors.length, skipped: triplets.skipped }
    if (options.directions === "fromPeer") return { loss: fromPeer, stats: Loss.stats(counts) }
    const toPeer = Loss.reduce(binaryKL(detach(zSelf), zPeer), options.reduction)
    return { loss: tf.add(fromPeer, toPeer) as tf.Scalar, stats: { ...Loss.stats(counts), fromPeer, toPeer } }
  })

/**
 * L_MTCL between two models' embeddings of the same batch (`[B, D_a]`, `[B, D_b]`) with labels `[B]`.
 * @category math
 * @since 0.1.0
 */
export const loss = (
  self: Embeddings,
  peer: Embeddings,
  labels: Labels,
  options: OptionsInput = {}
): Loss.LossValue => {
  const o = decode(options)
  Tensor.assertShapes("mutualTripletContrast", [
    [self, ["batch", null], "embeddings"],
    [peer, ["batch", null], "peer embeddings"],
    [labels, ["batch"], "labels"]
  ])
  return Loss.tidyLoss(() => {
    const distance = Distance.make(o.distance, { normalize: o.normalize })
    return fromDistances(distance.matrix(self), distance.matrix(peer), Int32Array.from(labels.dataSync()), o)
  })
}

/**
 * MTCL as a Term between the trained model and its mutual {@link Peer} (`Step.peer`): `Term<Peer>`.
 * @category constructors
 * @since 0.1.0
 */
export const mutualTripletContrast = (options: OptionsInput & TermFields = {}): Term.Term<Peer> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromPeer("mutualTripletContrast", shown(o), weight, Peer, (step, peer) =>
    loss(
      embeddingOf(step.outputs, "mutualTripletContrast", "the model's", embedding),
      embeddingOf(peer, "mutualTripletContrast", "the peer's", embedding),
      step.labels,
      o
    )
  )
}
