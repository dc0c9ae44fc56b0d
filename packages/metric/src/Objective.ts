/**
 * The Objective: a weighted sum of {@link Term}s, provided as an Effect layer.
 *
 *     L = sum_i w_i * L_i(step)
 *
 * `layer(...terms)` is a `Layer<Objective, never, R>` where R is the union of the terms' requirements (a
 * `Scope` needed by stateful terms such as `centerLoss` is provided by the layer itself and does not appear).
 * The Objective prints its formula (`1 * crossEntropyLabelSmooth(epsilon=0.1) + 1 * tripletBatchHard(margin=0.3)`),
 * and reports each term's value per step.
 *
 * Term names must be unique in an Objective (they key the per-step report). A repeated name is made unique by
 * a suffix (`tripletBatchHard#2`) and a warning is logged; use `Term.named` to choose the names yourself.
 *
 * **Inside `tf.variableGrads`.** tfjs disposes every tensor created inside the differentiated function except
 * its result, so call `compute` inside it, return `total`, and read the per-term values before leaving the
 * function (e.g. with {@link values}, which reads them synchronously) or `tf.keep` them.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Context, Effect, Layer, type Scope } from "effect"
import type { Step } from "./Step.ts"
import type { Requirements, Term, TermFn } from "./Term.ts"

/** One term's contribution at a step (unweighted value). */
export interface TermReport {
  readonly name: string
  readonly weight: number
  readonly value: tf.Scalar
  readonly stats: Readonly<Record<string, tf.Scalar>>
}

/** The value of the Objective at a step. */
export interface ObjectiveValue {
  /** sum_i w_i * L_i */
  readonly total: tf.Scalar
  readonly terms: ReadonlyArray<TermReport>
}

/** A built objective: its formula, its weighted terms, their trainable variables, and the computation of a step. */
export interface ObjectiveService {
  /** e.g. `1 * crossEntropyLabelSmooth(epsilon=0.1) + 1 * tripletBatchHard(margin=0.3)` */
  readonly formula: string
  readonly terms: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly describe: string }>
  /** Computes every term (synchronously: call it inside `tf.variableGrads`). */
  readonly compute: (step: Step) => ObjectiveValue
  /** The terms' own trainable parameters (proxies, class weights, a learnable margin); trained with the model. */
  readonly variables?: ReadonlyArray<tf.Variable>
}

/** The training objective. */
export class Objective extends Context.Service<Objective, ObjectiveService>()("@reidfx/metric/Objective") {}

/** The formula of a list of terms. */
export const formula = (terms: ReadonlyArray<Pick<Term<unknown>, "weight" | "describe">>): string =>
  terms.length === 0 ? "0" : terms.map((t) => `${Number(t.weight.toPrecision(6))} * ${t.describe}`).join(" + ")

/** Unique names for terms: a repeated name gets `#2`, `#3`, ... (in order of appearance). */
export const uniqueNames = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const used = new Set<string>()
  return names.map((name) => {
    let candidate = name
    for (let k = 2; used.has(candidate); k++) candidate = `${name}#${k}`
    used.add(candidate)
    return candidate
  })
}

/** Builds an Objective value from terms (resolving their requirements). */
export const make = <const Terms extends ReadonlyArray<Term<unknown>>>(
  ...terms: Terms
): Effect.Effect<ObjectiveService, never, Requirements<Terms>> =>
  Effect.gen(function* () {
    const names = uniqueNames(terms.map((t) => t.name))
    for (let i = 0; i < terms.length; i++) {
      if (names[i] !== terms[i]!.name) {
        yield* Effect.logWarning(
          `Objective: two terms are named "${terms[i]!.name}"; the later one is reported as "${names[i]}" (rename it with Term.named)`
        )
      }
    }
    const fns: Array<TermFn> = []
    for (const term of terms) fns.push(yield* term.build as Effect.Effect<TermFn, never, Requirements<Terms>>)
    const compute = (step: Step): ObjectiveValue => {
      const reports: Array<TermReport> = []
      let total: tf.Scalar | undefined
      terms.forEach((term, i) => {
        const { loss, stats } = fns[i]!(step)
        reports.push({ name: names[i]!, weight: term.weight, value: loss, stats: stats ?? {} })
        const weighted = term.weight === 1 ? loss : tf.mul(loss, term.weight)
        total = total === undefined ? (weighted as tf.Scalar) : tf.add(total, weighted)
      })
      return { total: total ?? tf.scalar(0), terms: reports }
    }
    return {
      formula: formula(terms),
      terms: terms.map((t, i) => ({ name: names[i]!, weight: t.weight, describe: t.describe })),
      compute,
      variables: fns.flatMap((f) => f.variables ?? [])
    }
  })

/**
 * The Objective as a layer: `Layer<Objective, never, union of the terms' requirements>` (without `Scope`: the
 * layer's own scope owns the terms' state, released when the layer is).
 */
export const layer = <const Terms extends ReadonlyArray<Term<unknown>>>(
  ...terms: Terms
): Layer.Layer<Objective, never, Exclude<Requirements<Terms>, Scope.Scope>> => Layer.effect(Objective, make(...terms))

/** The values of an {@link ObjectiveValue} as numbers: `{ total, <term>: value, "<term>.<stat>": value }` (reads synchronously). */
export const values = (value: ObjectiveValue): Record<string, number> => {
  const out: Record<string, number> = { total: value.total.dataSync()[0]! }
  for (const t of value.terms) {
    out[t.name] = t.value.dataSync()[0]!
    for (const [k, s] of Object.entries(t.stats)) out[`${t.name}.${k}`] = s.dataSync()[0]!
  }
  return out
}

/** Disposes every tensor of an {@link ObjectiveValue} (outside `tf.tidy` / `tf.variableGrads`). */
export const dispose = (value: ObjectiveValue): void => {
  const all = new Set<tf.Tensor>([value.total])
  for (const t of value.terms) {
    all.add(t.value)
    for (const s of Object.values(t.stats)) all.add(s)
  }
  for (const t of all) if (!t.isDisposed) t.dispose()
}
