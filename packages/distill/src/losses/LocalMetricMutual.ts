/**
 * Metric mutual learning on the local (aligned) distance (AlignedReID, Zhang et al. 2017, section 3.2; the
 * released reproduction's `ldm_loss`, huanghoujing/AlignedReID-Re-Production-Pytorch `script/experiment/train_ml.py`):
 * two peers match each other's `[N, N]` local distance matrices `D^l` (shortest-path distance between stripe
 * sequences, `@reidfx/metric`'s `LocalDistance`), with zero gradient through the other's,
 *
 *     L_LM = 1/N^2 sum_{i, j} (ZG(D^l_b[i, j]) - D^l_a[i, j])^2  +  1/N^2 sum_{i, j} (ZG(D^l_a[i, j]) - D^l_b[i, j])^2
 *
 * Use it with `metricMutual` (the global distances) for the paper's mutual learning with both distances.
 * Reads `ModelOutputs.localFeatures` of both models; stripes are L2-normalised first (the reproduction's default).
 * @since 0.1.0
 */
import { AlignedTriplet, LocalDistance, Loss, type Term } from "@reidfx/metric"
import type * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { booleanWithDefault, decoder, literalWithDefault } from "../internal/options.ts"
import { fromPeer, type TermFields } from "../internal/term.ts"
import { Peer } from "../Peer.ts"
import { fromDistances } from "./MetricMutual.ts"

/** Options (defaults: normalised stripes, both directions). @since 0.1.0 */
export const Options = Schema.Struct({
  /** L2-normalise each stripe before the distances. Default true. */
  normalize: booleanWithDefault(true),
  /** `both` (default) or `fromPeer` (only the model's own term). */
  directions: literalWithDefault(["both", "fromPeer"], "both")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `localMetricMutual` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "localMetricMutual")

/** L_LM between two models' local features of the same batch (`[N, H, C_a]`, `[N, H', C_b]`). @category math @since 0.1.0 */
export const loss = (a: tf.Tensor3D, b: tf.Tensor3D, options: OptionsInput = {}): Loss.LossValue => {
  const o = decode(options)
  return Loss.tidyLoss(() =>
    fromDistances(
      LocalDistance.matrix(a, undefined, o.normalize),
      LocalDistance.matrix(b, undefined, o.normalize),
      o.directions
    )
  )
}

/** Local metric mutual learning as a Term with the mutual {@link Peer}: `Term<Peer>`. @category constructors @since 0.1.0 */
export const localMetricMutual = (options: OptionsInput & Pick<TermFields, "weight"> = {}): Term.Term<Peer> => {
  const { weight, ...rest } = options
  const o = decode(rest)
  return fromPeer(
    "localMetricMutual",
    { normalize: o.normalize ? undefined : false, directions: o.directions },
    weight,
    Peer,
    (step, peer) =>
      loss(
        AlignedTriplet.localFeaturesOf("localMetricMutual", step.outputs),
        AlignedTriplet.localFeaturesOf("localMetricMutual", peer),
        o
      )
  )
}
