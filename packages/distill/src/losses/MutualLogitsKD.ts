/**
 * Mutual logits distillation (MDKT's L_MKD, Wang, Wang & Li, "Image-to-Video Re-Identification via Mutual
 * Discriminative Knowledge Transfer", 2022; deep mutual learning, Zhang et al., CVPR 2018): two models learn
 * from each other's softened class distributions, in both directions,
 *
 *     L_MKD = tau^2 KL(ZG(p_b) || p_a) + tau^2 KL(ZG(p_a) || p_b),   p = softmax(z / tau), batch means,
 *
 * where ZG(.) is zero gradient: each direction's target is detached, so model a learns only from the first
 * term and model b only from the second. The value is symmetric in (a, b).
 * @since 0.1.0
 */
import { Loss, type Term } from "@reidfx/metric"
import { type Logits, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { klRows, logSoftmaxT } from "../internal/math.ts"
import { decoder, literalWithDefault, positive } from "../internal/options.ts"
import { fromPeer, logitsOf } from "../internal/term.ts"
import { Peer } from "../Peer.ts"

/** Options (default tau = 1, as deep mutual learning). @since 0.1.0 */
export const Options = Schema.Struct({
  /** tau: the softmax temperature (MDKT's tau_1). Default 1. */
  temperature: positive(1),
  /**
   * `both` (default): L_MKD, both directions (each with a detached target). `fromPeer`: only
   * `tau^2 KL(ZG(p_peer) || p_self)`, DML's per-model loss. With the trainer's mutual step (the peer's outputs
   * arrive detached) both give each model the same gradient; `both` reports the full L_MKD.
   */
  directions: literalWithDefault(["both", "fromPeer"], "both")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `mutualLogitsKD` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "mutualLogitsKD")

/** One direction: `tau^2 mean_b KL(ZG(softmax(target / tau)) || softmax(input / tau))`. @category math @since 0.1.0 */
export const oneWay = (input: Logits, target: Logits, temperature: number): tf.Scalar =>
  tf.tidy(
    () =>
      tf.mul(
        tf.mean(klRows(logSoftmaxT(detach(target), temperature), logSoftmaxT(input, temperature))),
        temperature * temperature
      ) as tf.Scalar
  )

/**
 * L_MKD of two models' logits `[B, K]` on the same identities (row b of both is the same item).
 * @category math
 * @since 0.1.0
 */
export const loss = (a: Logits, b: Logits, options: OptionsInput = {}): Loss.LossValue => {
  const o = decode(options)
  Tensor.assertShapes("mutualLogitsKD", [
    [a, ["batch", "classes"], "logits"],
    [b, ["batch", "classes"], "peer logits"]
  ])
  return Loss.tidyLoss(() => {
    const toA = oneWay(a, b, o.temperature)
    if (o.directions === "fromPeer") return { loss: toA, stats: {} }
    const toB = oneWay(b, a, o.temperature)
    return { loss: tf.add(toA, toB) as tf.Scalar, stats: { fromPeer: toA, toPeer: toB } }
  })
}

/**
 * Mutual logits KD as a Term between the trained model and its mutual {@link Peer} (`Step.peer`): `Term<Peer>`.
 * @category constructors
 * @since 0.1.0
 */
export const mutualLogitsKD = (options: OptionsInput & { readonly weight?: number } = {}): Term.Term<Peer> => {
  const { weight, ...rest } = options
  const o = decode(rest)
  return fromPeer("mutualLogitsKD", o, weight, Peer, (step, peer) =>
    loss(logitsOf(step.outputs, "mutualLogitsKD", "the model's"), logitsOf(peer, "mutualLogitsKD", "the peer's"), o)
  )
}
