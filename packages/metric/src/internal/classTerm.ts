/**
 * The Term of a loss with class parameters of its own (proxies, a class weight matrix): the parameters are a
 * scoped trainable variable created when the term is built (see `TermParameters`), listed in the term
 * function's `variables`, and passed to the loss math with the step's embeddings and labels.
 * @since 0.2.0
 */
import { type Embeddings, InvalidOption, type Labels } from "@reidfx/tensor"
import type * as tf from "@tensorflow/tfjs-core"
import { Effect, type Scope } from "effect"
import { embeddingsOf, type LossValue, type TermOptions } from "../Loss.ts"
import type { Step } from "../Step.ts"
import * as Term from "../Term.ts"
import * as TermParameters from "../TermParameters.ts"

/** Labels must index the classes. @internal */
export const checkLabels = (what: string, labels: Labels, classes: number): Int32Array => {
  const values = Int32Array.from(labels.dataSync() as ArrayLike<number>)
  for (let i = 0; i < values.length; i++) {
    const y = values[i]!
    if (!(y >= 0 && y < classes)) {
      throw new InvalidOption({
        what: `${what}: labels`,
        detail: `label ${y} at index ${i} is outside [0, ${classes}); set classes to the number of identities`
      })
    }
  }
  return values
}

/** A Term whose loss reads a `[rows, cols]` parameter matrix of its own. @internal */
export const classTerm = (
  name: string,
  describe: object,
  term: { readonly weight?: number | undefined; readonly embedding?: TermOptions["embedding"] | undefined },
  shape: { readonly rows: number; readonly cols: number; readonly init: TermParameters.Init },
  f: (embeddings: Embeddings, labels: Labels, parameters: tf.Tensor2D) => LossValue
): Term.Term<Scope.Scope> =>
  Term.fromEffect(
    name,
    describe,
    Effect.map(TermParameters.make(name, shape.rows, shape.cols, shape.init), (v) =>
      TermParameters.withVariables((step: Step) => f(embeddingsOf(name, step, term.embedding), step.labels, v), [v])
    ),
    term.weight ?? 1
  )
