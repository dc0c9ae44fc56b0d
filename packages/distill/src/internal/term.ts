/** @internal Building `Term`s from a {@link Source}, and reading model outputs with typed errors. */
import { type Loss, MissingOutput, type ModelOutputs, type Step, Term, type TermValue } from "@reidfx/metric"
import type { Embeddings, Logits } from "@reidfx/tensor"
import { Effect } from "effect"
import type { Source } from "../Source.ts"

/** Options every distillation Term constructor accepts besides its loss options. */
export interface TermFields {
  /** The weight in the Objective (default 1). */
  readonly weight?: number
  /** Which embedding of the outputs a metric term reads, for both models (default `features`). */
  readonly embedding?: Loss.EmbeddingSource
}

/** A term whose target comes from `source`: a `Term<R>`. */
export const fromSource = <R>(
  name: string,
  describe: object,
  weight: number | undefined,
  source: Source<R>,
  fn: (step: Step, target: ModelOutputs) => TermValue
): Term.Term<R> =>
  Term.fromEffect(
    name,
    { ...describe, from: source.name },
    Effect.map(source.build, (target) => (step: Step) => fn(step, target(step, name))),
    weight ?? 1
  )

/** A term reading the step's mutual peer (`Step.peer`): a `Term<R>` (R = Peer). */
export const fromPeer = <R>(
  name: string,
  describe: object,
  weight: number | undefined,
  peer: Effect.Effect<unknown, never, R>,
  fn: (step: Step, peer: ModelOutputs) => TermValue
): Term.Term<R> =>
  Term.fromEffect(
    name,
    describe,
    Effect.as(peer, (step: Step) => fn(step, peerOf(step, name))),
    weight ?? 1
  )

/** The selected embedding of a model's outputs. */
export const embeddingOf = (
  outputs: ModelOutputs,
  term: string,
  whose: string,
  field: Loss.EmbeddingSource = "features"
): Embeddings => {
  const e = field === "features" ? outputs.features : outputs.neckFeatures
  if (e === undefined) {
    throw new MissingOutput({
      term,
      field: `${whose} outputs.${field}`,
      hint: 'use a model with a neck, or embedding: "features"'
    })
  }
  return e
}

/** The logits of a model's outputs, or a {@link MissingOutput} naming whose they are. */
export const logitsOf = (outputs: ModelOutputs, term: string, whose: string): Logits => {
  if (outputs.logits === undefined) {
    throw new MissingOutput({ term, field: `${whose} outputs.logits`, hint: "the model needs a classifier head" })
  }
  return outputs.logits
}

/** The peer's outputs of a mutual step, or a {@link MissingOutput}. */
export const peerOf = (step: Step, term: string): ModelOutputs => {
  if (step.peer === undefined) {
    throw new MissingOutput({
      term,
      field: "peer",
      hint: "train with the trainer's mutual step, which runs the peer and sets Step.peer"
    })
  }
  return step.peer
}
