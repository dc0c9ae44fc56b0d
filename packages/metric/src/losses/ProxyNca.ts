/**
 * Proxy-NCA (Movshovitz-Attias, Toshev, Leung, Ioffe & Singh, ICCV 2017, "No Fuss Distance Metric Learning
 * using Proxies"), as PML 2.8.1 computes it (`losses/proxy_losses.py` over `losses/nca_loss.py`): one proxy per
 * class, P `[C, D]` (a trainable parameter of the term), and with d² the squared euclidean distance between
 * L2-normalised embeddings and L2-normalised proxies (PML's default `LpDistance(power=2)`),
 *
 *     L = mean_i -log( exp(-s d²(x_i, p_{y_i})) / sum_c exp(-s d²(x_i, p_c)) )
 *
 * (the softmax includes the own proxy, as in PML; the paper's Eq. 7 sums over the other proxies only). Rows
 * whose probability underflows to 0 are left out of the mean (PML's `non_zero`). Default softmax scale s = 1;
 * proxies initialised N(0, 1).
 * @since 0.2.0
 */
import { type Embeddings, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema, type Scope } from "effect"
import * as Distance from "../Distance.ts"
import { checkLabels, classTerm } from "../internal/classTerm.ts"
import { decoder, positive } from "../internal/options.ts"
import { type LossValue, oneHot, stats, type TermOptions, tidyLoss, zeroLoss } from "../Loss.ts"
import type * as Term from "../Term.ts"
import { accuracy } from "./ArcFace.ts"
import * as LossEntry from "../LossEntry.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** Options (PML default: softmax scale 1). `classes` and `dimension` are required. */
export const Options = Schema.Struct({
  classes: PositiveInt,
  dimension: PositiveInt,
  softmaxScale: positive(1)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `proxyNca` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "proxyNca")

/** Proxy-NCA for given proxies `[C, D]`. @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  proxies: tf.Tensor2D,
  options: Pick<OptionsInput, "softmaxScale"> = {}
): LossValue => {
  const o = decode({ classes: proxies.shape[0], dimension: proxies.shape[1], ...options })
  Tensor.assertShapes("proxyNca", [
    [embeddings, ["batch", "dim"], "embeddings"],
    [labels, ["batch"], "labels"],
    [proxies, [null, "dim"], "proxies"]
  ])
  const y = checkLabels("proxyNca", labels, o.classes)
  return tidyLoss(() => {
    if (y.length === 0) return { loss: zeroLoss(embeddings), stats: stats({ accuracy: 0 }) }
    const d2 = Distance.squaredEuclideanMatrix(Distance.l2Normalize(embeddings), Distance.l2Normalize(proxies))
    const logits = tf.mul(d2, -o.softmaxScale) as tf.Tensor2D
    const logp = tf.sum(tf.mul(tf.logSoftmax(logits), oneHot(y, o.classes)), 1)
    const p = tf.exp(logp).dataSync()
    const keep = Float32Array.from(p, (v) => (v > 0 ? 1 : 0))
    const kept = keep.reduce((s, v) => s + v, 0)
    const value =
      kept === 0 ? zeroLoss(embeddings) : (tf.div(tf.neg(tf.sum(tf.mul(logp, tf.tensor1d(keep)))), kept) as tf.Scalar)
    return { loss: value, stats: stats({ accuracy: accuracy(logits, y) }) }
  })
}

/** Proxy-NCA as a Term owning its proxies `[classes, dimension]`. @category constructors */
export const proxyNca = (options: OptionsInput & Pick<TermOptions, "weight" | "embedding">): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return classTerm(
    "proxyNca",
    { classes: o.classes, dimension: o.dimension, softmaxScale: o.softmaxScale },
    { weight, embedding },
    {
      rows: o.classes,
      cols: o.dimension,
      init: { _tag: "normal" }
    },
    (e, l, p) => loss(e, l, p, o)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "proxyNca",
  description: "ProxyNCA (Movshovitz-Attias et al. 2017)",
  options: Options,
  classParameters: true,
  make: proxyNca
})
