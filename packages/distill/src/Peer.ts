/**
 * The `Peer` service: the other model of a mutual pair (deep mutual learning, MDKT's mutual teacher and
 * student, AlignedReID's metric mutual learning). Both models train in the same step, each on its own inputs
 * (e.g. a multi-frame clip for one, a single frame for the other) and with its own optimizer; the trainer's
 * mutual step runs the peer and hands its outputs to the terms as `Step.peer` (its inputs as `Step.peerInputs`).
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/metric"
import { Context, type Effect, Layer, type Scope } from "effect"

/** A trainable model taking part in a mutual step. @category models @since 0.1.0 */
export interface PeerService {
  /** Shown in term descriptions and logs. */
  readonly name: string
  /** The peer's forward pass, recorded on the gradient tape (the peer trains in the same step). */
  readonly forward: (inputs: tf.Tensor) => ModelOutputs
  /** The peer's trainable variables, which its own optimizer updates. */
  readonly variables: ReadonlyArray<tf.Variable>
}

/**
 * The mutual peer. Mutual terms (`mutualLogitsKD`, `mutualTripletContrast`, `metricMutual`) are
 * `Term<Peer>`: an Objective that learns from a peer does not compile until one is provided, and at run time
 * the step must carry `Step.peer`.
 * @category services
 * @since 0.1.0
 */
export class Peer extends Context.Service<Peer, PeerService>()("@reidfx/distill/Peer") {
  /** A peer from a service value. */
  static readonly layer = (service: PeerService): Layer.Layer<Peer> => Layer.succeed(Peer, service)
  /** A peer built by an Effect (e.g. a model acquired in the layer's scope). */
  static readonly layerEffect = <E, R>(
    make: Effect.Effect<PeerService, E, R>
  ): Layer.Layer<Peer, E, Exclude<R, Scope.Scope>> => Layer.effect(Peer, make)
  /** A peer from a forward function and its trainable variables. */
  static readonly fromForward = (
    forward: (inputs: tf.Tensor) => ModelOutputs,
    options: { readonly name?: string; readonly variables?: ReadonlyArray<tf.Variable> } = {}
  ): Layer.Layer<Peer> =>
    Layer.succeed(Peer, { name: options.name ?? "peer", forward, variables: options.variables ?? [] })
}
