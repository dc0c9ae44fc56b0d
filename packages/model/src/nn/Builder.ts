/**
 * A tiny functional module system over plain tfjs tensors.
 *
 * A network is defined once against a {@link Builder}, which records the specification of every parameter
 * (name, shape, initialiser, trainable or state). The definition returns a forward function that reads its
 * parameters from a {@link ForwardContext}. The same definition then runs on trainable `tf.Variable`s
 * (a trainable model) or on frozen tensor copies (a snapshot), so the two can never drift apart.
 *
 * Plain ops (no tf.layers) are used on purpose: every op has a gradient on the wasm backend with reidfx's
 * kernels, batch normalisation without a bias (the BNNeck) is possible, and running statistics are ordinary
 * named state tensors that save, load and snapshot like weights.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"

/** How a parameter is initialised (all draws from the run's seeded `init` stream). */
export type Init =
  | { readonly kind: "constant"; readonly value: number }
  /** He et al. 2015 normal: std = gain / sqrt(fan), fan = fanIn or fanOut (torchvision's `kaiming_normal_`). */
  | { readonly kind: "heNormal"; readonly mode: "fanIn" | "fanOut" }
  | { readonly kind: "normal"; readonly std: number }
  /** Uniform in [-bound, bound]. */
  | { readonly kind: "uniform"; readonly bound: number }

/** One parameter (trainable) or state tensor (e.g. BN running statistics) of a network. */
export interface ParamSpec {
  /** Hierarchical name, e.g. `backbone/layer1/0/conv1/kernel`. */
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly init: Init
  /** false for state that is not learned by gradient descent (running mean/variance). */
  readonly trainable: boolean
  /** `[fanIn, fanOut]` for He initialisation. */
  readonly fans: readonly [number, number]
}

/** What a forward function reads its parameters from. */
export interface ForwardContext {
  /** The tensor of a parameter or state. */
  readonly get: (name: string) => tf.Tensor
  /** Training mode: batch statistics in BN (and running-statistics updates). */
  readonly training: boolean
  /** Records a new value of a state tensor (ignored by frozen models). */
  readonly setState: (name: string, value: tf.Tensor) => void
}

/** Collects parameter specifications under hierarchical names. */
export class Builder {
  readonly specs: Array<ParamSpec> = []
  readonly prefix: string
  private readonly root: Builder | undefined

  constructor(prefix = "", root?: Builder) {
    this.prefix = prefix
    this.root = root
  }

  /** A child builder whose names are prefixed with `name/`. */
  scope(name: string): Builder {
    return new Builder(this.prefix === "" ? name : `${this.prefix}/${name}`, this.root ?? this)
  }

  /** Declares a parameter and returns its full name. */
  param(
    name: string,
    shape: ReadonlyArray<number>,
    init: Init,
    options: { readonly trainable?: boolean; readonly fans?: readonly [number, number] } = {}
  ): string {
    const full = this.prefix === "" ? name : `${this.prefix}/${name}`
    const root = this.root ?? this
    if (root.specs.some((s) => s.name === full)) throw new Error(`Builder: parameter ${full} declared twice`)
    root.specs.push({ name: full, shape, init, trainable: options.trainable ?? true, fans: options.fans ?? [1, 1] })
    return full
  }
}

/** A forward function of a module. */
export type Forward<I = tf.Tensor4D, O = tf.Tensor4D> = (ctx: ForwardContext, x: I) => O
