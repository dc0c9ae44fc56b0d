/**
 * Where a one-way distillation term reads its target from: a frozen {@link Teacher}, the lifelong
 * {@link OldModel}, or the mutual {@link Peer}. A `Source<R>` requires `R`, and a term built on it is a
 * `Term<R>`, so e.g. `pairwiseDistance({}, Source.peer)` is a `Term<Peer>`.
 *
 * The target is always detached: its gradient never reaches the model it comes from (a frozen model has none;
 * a peer gets its own gradient from the mirror term in its own Objective).
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import { MissingOutput, type ModelOutputs, type Step } from "@reidfx/metric"
import { type Context, Effect } from "effect"
import type { FrozenModelService } from "./FrozenModel.ts"
import { detachOutputs } from "./Gradient.ts"
import { OldModel } from "./OldModel.ts"
import { Peer } from "./Peer.ts"
import { Teacher } from "./Teacher.ts"

/** A provider of target outputs for a step. @category models @since 0.1.0 */
export interface Source<R> {
  /** `teacher`, `oldModel`, `peer`, ... (shown in term descriptions as `from=...`). */
  readonly name: string
  /** Resolves the service; the function returns the (detached) target outputs of a step. */
  readonly build: Effect.Effect<(step: Step, term: string) => ModelOutputs, never, R>
}

/** Which of the step's inputs a frozen model embeds. @since 0.1.0 */
export type InputField = "inputs" | "peerInputs"

const inputsOf = (step: Step, input: InputField, term: string): tf.Tensor => {
  if (input === "inputs") return step.inputs
  if (step.peerInputs === undefined) {
    throw new MissingOutput({
      term,
      field: "peerInputs",
      hint: "run the term in a step that carries the peer's inputs, or read `inputs`"
    })
  }
  return step.peerInputs
}

/**
 * A frozen model service as a source: its forward on the step's `inputs` (default) or `peerInputs` (e.g. a
 * video teacher that sees more frames than the image student).
 * @category constructors
 * @since 0.1.0
 */
export const frozen = <I>(
  service: Context.Key<I, FrozenModelService>,
  options: { readonly name: string; readonly input?: InputField }
): Source<I> => ({
  name: options.input === "peerInputs" ? `${options.name}(peerInputs)` : options.name,
  build: Effect.map(
    service,
    (model) => (step: Step, term: string) => model.forward(inputsOf(step, options.input ?? "inputs", term))
  )
})

/** The frozen {@link Teacher} on the step's inputs. @category sources @since 0.1.0 */
export const teacher: Source<Teacher> = frozen(Teacher, { name: "teacher" })

/** The frozen {@link Teacher} on the step's `peerInputs` (a teacher with its own inputs). @category sources @since 0.1.0 */
export const teacherOnPeerInputs: Source<Teacher> = frozen(Teacher, { name: "teacher", input: "peerInputs" })

/** The previous task's frozen {@link OldModel} on the step's inputs. @category sources @since 0.1.0 */
export const oldModel: Source<OldModel> = frozen(OldModel, { name: "oldModel" })

/** The mutual {@link Peer}'s outputs of this step (`Step.peer`), detached. @category sources @since 0.1.0 */
export const peer: Source<Peer> = {
  name: "peer",
  build: Effect.map(Peer, () => (step: Step, term: string) => {
    if (step.peer === undefined) {
      throw new MissingOutput({
        term,
        field: "peer",
        hint: "train with the trainer's mutual step, which runs the peer and sets Step.peer"
      })
    }
    return detachOutputs(step.peer)
  })
}
