/**
 * PCB's identity loss (Sun et al., "Beyond Part Models: Person Retrieval with Refined Part Pooling", ECCV 2018):
 * every part's classifier is trained with its own cross-entropy and the losses are summed,
 *
 *     L = sum_{i=1}^{p} CE_eps(z_i, y)
 *
 * (`reduction: "mean"` divides by p). `CE_eps` is {@link CrossEntropyLabelSmooth} (epsilon 0 by default: PCB's
 * plain softmax cross-entropy). Reads `ModelOutputs.partLogits` (a model with `head.parts` and classes).
 * @since 0.1.0
 */
import type { Labels, Logits } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { MissingOutput } from "../errors.ts"
import { decoder, literalWithDefault, numberWithDefault } from "../internal/options.ts"
import { type LossValue, stats, tidyLoss, type TermOptions } from "../Loss.ts"
import * as Term from "../Term.ts"
import * as CrossEntropyLabelSmooth from "./CrossEntropyLabelSmooth.ts"

/** Options (defaults: plain cross-entropy summed over parts, as PCB). @since 0.1.0 */
export const Options = Schema.Struct({
  /** Label smoothing epsilon of each part's cross-entropy, in [0, 1). Default 0. */
  epsilon: numberWithDefault(0, Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMaximum: true })),
  /** `sum` over parts (PCB, default) or `mean`. */
  reduction: literalWithDefault(["sum", "mean"], "sum")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `partCrossEntropy` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "partCrossEntropy")

/** The loss over p part classifiers' logits. `stats.accuracy`: the mean of the parts' accuracies. @category math @since 0.1.0 */
export const loss = (partLogits: ReadonlyArray<Logits>, labels: Labels, options: OptionsInput = {}): LossValue => {
  const o = decode(options)
  if (partLogits.length === 0)
    throw new MissingOutput({
      term: "partCrossEntropy",
      field: "outputs.partLogits",
      hint: "the model has no part classifiers"
    })
  return tidyLoss(() => {
    const parts = partLogits.map((z) => CrossEntropyLabelSmooth.loss(z, labels, { epsilon: o.epsilon }))
    const total = tf.addN(parts.map((p) => p.loss)) as tf.Scalar
    const accuracy = parts.reduce((s, p) => s + p.stats.accuracy!.dataSync()[0]!, 0) / parts.length
    return {
      loss: o.reduction === "sum" ? total : (tf.div(total, parts.length) as tf.Scalar),
      stats: stats({ accuracy })
    }
  })
}

/** PCB's summed part cross-entropy as a Term (reads `step.outputs.partLogits`). @category constructors @since 0.1.0 */
export const partCrossEntropy = (options: OptionsInput & Pick<TermOptions, "weight"> = {}): Term.Term<never> => {
  const { weight, ...rest } = options
  const o = decode(rest)
  return Term.make(
    "partCrossEntropy",
    { epsilon: o.epsilon === 0 ? undefined : o.epsilon, reduction: o.reduction === "sum" ? undefined : o.reduction },
    (step) => {
      const z = step.outputs.partLogits
      if (z === undefined)
        throw new MissingOutput({
          term: "partCrossEntropy",
          field: "outputs.partLogits",
          hint: "use a model with head.parts and classes > 0"
        })
      return loss(z, step.labels, o)
    },
    weight ?? 1
  )
}
