/**
 * PatchKD's state, owned by the model it trains with (the `patchKd` term entry's `ObjectiveTerm.State`): the patch
 * network and the per-task patch classifiers, trained with the model's optimizer and saved with its weights
 * (`patchkd/...`), and the stream their initial values and the Gumbel noise come from. The classifiers grow
 * with the tasks; a checkpoint's are recreated before its tensors are assigned (`restore`).
 * @since 0.4.0
 */
import type { RandomStream } from "@reidfx/tensor"
import type * as tf from "@tensorflow/tfjs-core"
import { Effect, type Scope } from "effect"
import * as PatchClassifiers from "./PatchClassifiers.ts"
import * as PatchNet from "./PatchNet.ts"
import * as Variables from "./Variables.ts"

/** The state. @category models */
export interface State {
  /** C: the channels of the backbone's last map (the model's feature size: PatchKD needs no embedding layer). */
  readonly channels: number
  /** K: patches per image. */
  readonly patches: number
  readonly rng: RandomStream
  readonly net: PatchNet.PatchNet
  readonly netVariables: ReadonlyMap<string, tf.Variable>
  /** One per task from the first to the current (created at the second task's start). */
  readonly classifiers: Array<PatchClassifiers.PatchClassifier>
}

/** A state for C channels and K patches, its variables released with the scope. @category constructors */
export const make = (channels: number, patches: number, rng: RandomStream): Effect.Effect<State, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync((): State => {
      const net = PatchNet.define(channels, patches)
      return { channels, patches, rng, net, netVariables: Variables.create(net.builder, rng), classifiers: [] }
    }),
    (state) =>
      Effect.sync(() => {
        Variables.dispose(state.netVariables)
        for (const c of state.classifiers) Variables.dispose(c.variables)
      })
  )

/** Every variable by name (the patch network's, then each classifier's). */
export const variables = (state: State): ReadonlyMap<string, tf.Variable> =>
  new Map([...state.netVariables, ...state.classifiers.flatMap((c) => [...c.variables])])

/** Creates the classifiers of a checkpoint's tensors that the state lacks. */
export const restore = (state: State, tensors: ReadonlyMap<string, tf.Tensor>): void =>
  PatchClassifiers.restore(state.classifiers, tensors, state.channels, state.rng)

/** The step's Gumbel noise stream: one per task (the number of classifiers) and step, the same when resumed. */
export const noiseStream = (state: State, step: number): RandomStream =>
  state.rng.derive(`gumbel/${state.classifiers.length}/${step}`)
