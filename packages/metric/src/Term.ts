/**
 * A `Term` is one weighted loss of an {@link Objective}. Its type parameter is what it needs from the context:
 * `Term<never>` for a plain loss, `Term<Teacher>` for a distillation term that reads a teacher. Putting terms
 * into an Objective unions their requirements, so a protocol that distils where no teacher is provided does
 * not compile.
 *
 * A term is built once (resolving its services) into a synchronous function of the {@link Step}, because the
 * loss must be computed inside `tf.variableGrads`.
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import { Effect } from "effect"
import { dual } from "effect/Function"
import type * as tf from "@tensorflow/tfjs-core"
import type { Step, TermValue } from "./Step.ts"

/**
 * A synchronous loss of one step. A term with trainable parameters of its own (class proxies, a learnable
 * margin) lists them in `variables`: the Objective collects them and the trainer updates them with the model.
 */
export type TermFn = ((step: Step) => TermValue) & { readonly variables?: ReadonlyArray<tf.Variable> }

/** One term of an objective: its loss's name, its weight, its formula text and how its per-step function is built. */
export interface Term<out R = never> {
  readonly _tag: "Term"
  /** The public name of the loss (e.g. `tripletBatchHard`). */
  readonly name: string
  /** The weight in the Objective's sum. */
  readonly weight: number
  /** The loss with its options, as printed in the Objective's formula, e.g. `tripletBatchHard(margin=0.3)`. */
  readonly describe: string
  /** Resolves what the term needs and returns its per-step function. */
  readonly build: Effect.Effect<TermFn, never, R>
}

/** The union of the requirements of a list of terms (`never` for no terms). */
export type Requirements<Terms extends ReadonlyArray<Term<unknown>>> = [Terms[number]] extends [never]
  ? never
  : Terms[number] extends Term<infer R>
    ? R
    : never

const showOption = (value: unknown): string =>
  typeof value === "number"
    ? String(Number(value.toPrecision(6)))
    : typeof value === "string"
      ? value
      : JSON.stringify(value)

/** `name(k=v, ...)` for the options that are set. */
export const describeCall = (name: string, options: object): string => {
  const parts = Object.entries(options)
    .filter(
      ([, v]) => v !== undefined && typeof v !== "function" && (typeof v !== "object" || v === null || Array.isArray(v))
    )
    .map(([k, v]) => `${k}=${showOption(v)}`)
  return parts.length === 0 ? name : `${name}(${parts.join(", ")})`
}

/** A term's weight must be a finite number (a NaN or infinite weight would silently poison the Objective). */
const checkWeight = (name: string, weight: number): number => {
  if (typeof weight !== "number" || !Number.isFinite(weight)) {
    throw new InvalidOption({ what: `${name}: weight`, detail: `${String(weight)} is not a finite number` })
  }
  return weight
}

/** A term that needs nothing from the context. Throws `InvalidOption` for a non-finite weight. */
export const make = (name: string, options: object, fn: TermFn, weight = 1): Term<never> => ({
  _tag: "Term",
  name,
  weight: checkWeight(name, weight),
  describe: describeCall(name, options),
  build: Effect.succeed(fn)
})

/** A term whose per-step function is built by an Effect (e.g. one that reads a Teacher service). */
export const fromEffect = <R>(
  name: string,
  options: object,
  build: Effect.Effect<TermFn, never, R>,
  weight = 1
): Term<R> => ({
  _tag: "Term",
  name,
  weight: checkWeight(name, weight),
  describe: describeCall(name, options),
  build
})

/** Sets a term's weight. */
export const withWeight: {
  (weight: number): <R>(self: Term<R>) => Term<R>
  <R>(self: Term<R>, weight: number): Term<R>
} = dual(2, <R>(self: Term<R>, weight: number): Term<R> => ({ ...self, weight: checkWeight(self.name, weight) }))

/** Renames a term (when the same loss appears twice in an Objective). */
export const named: {
  (name: string): <R>(self: Term<R>) => Term<R>
  <R>(self: Term<R>, name: string): Term<R>
} = dual(2, <R>(self: Term<R>, name: string): Term<R> => ({ ...self, name }))
