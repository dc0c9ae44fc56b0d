/**
 * The Objective: a weighted sum of {@link Term}s, provided as an Effect layer.
 *
 *     L = sum_i w_i * L_i(step)
 *
 * `layer(...terms)` is a `Layer<Objective, never, R>` where R is the union of the terms' requirements.
 * The Objective prints its formula (`1 * crossEntropyLabelSmooth(epsilon=0.1) + 1 * tripletBatchHard(margin=0.3)`),
 * and reports each term's value per step.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Context, Effect, Layer } from "effect"
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

export interface ObjectiveService {
  /** e.g. `1 * crossEntropyLabelSmooth(epsilon=0.1) + 1 * tripletBatchHard(margin=0.3)` */
  readonly formula: string
  readonly terms: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly describe: string }>
  /** Computes every term (synchronously: call it inside `tf.variableGrads`). */
  readonly compute: (step: Step) => ObjectiveValue
}

/** The training objective. */
export class Objective extends Context.Service<Objective, ObjectiveService>()("@reidfx/metric/Objective") {}

/** The formula of a list of terms. */
export const formula = (terms: ReadonlyArray<Pick<Term<unknown>, "weight" | "describe">>): string =>
  terms.length === 0 ? "0" : terms.map((t) => `${Number(t.weight.toPrecision(6))} * ${t.describe}`).join(" + ")

/** Builds an Objective value from terms (resolving their requirements). */
export const make = <const Terms extends ReadonlyArray<Term<unknown>>>(
  ...terms: Terms
): Effect.Effect<ObjectiveService, never, Requirements<Terms>> =>
  Effect.gen(function*() {
    const fns: Array<TermFn> = []
    for (const term of terms) fns.push(yield* (term.build as Effect.Effect<TermFn, never, Requirements<Terms>>))
    const names = new Set<string>()
    for (const t of terms) {
      if (names.has(t.name)) throw new Error(`Objective: two terms are named "${t.name}"; rename one with Term.named`)
      names.add(t.name)
    }
    const compute = (step: Step): ObjectiveValue => {
      const reports: Array<TermReport> = []
      let total: tf.Scalar | undefined
      terms.forEach((term, i) => {
        const { loss, stats } = fns[i]!(step)
        reports.push({ name: term.name, weight: term.weight, value: loss, stats: stats ?? {} })
        const weighted = term.weight === 1 ? loss : tf.mul(loss, term.weight)
        total = total === undefined ? (weighted as tf.Scalar) : tf.add(total, weighted)
      })
      return { total: total ?? tf.scalar(0), terms: reports }
    }
    return {
      formula: formula(terms),
      terms: terms.map((t) => ({ name: t.name, weight: t.weight, describe: t.describe })),
      compute
    }
  })

/** The Objective as a layer: `Layer<Objective, never, union of the terms' requirements>`. */
export const layer = <const Terms extends ReadonlyArray<Term<unknown>>>(
  ...terms: Terms
): Layer.Layer<Objective, never, Requirements<Terms>> => Layer.effect(Objective, make(...terms))
