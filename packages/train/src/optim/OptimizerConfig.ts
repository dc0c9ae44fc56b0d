/**
 * Optimizer configurations (Schema), with PyTorch's defaults.
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"

const def = <S extends Schema.Top>(value: S["Type"]) => Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))
const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))
const Unit = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1))

/** Which parameters get weight decay: all (PyTorch's default), or all but BN scales/shifts, biases and GeM's p. */
export const DecayScope = Schema.Literals(["all", "weightsOnly"])

/** SGD with momentum (Polyak; Nesterov optional) and L2 weight decay added to the gradient (PyTorch `SGD`). */
export const SgdConfig = Schema.Struct({
  kind: Schema.Literal("sgd"),
  momentum: Unit.pipe(def(0.9)),
  dampening: Unit.pipe(def(0)),
  nesterov: Schema.Boolean.pipe(def(false)),
  weightDecay: NonNegative.pipe(def(5e-4)),
  decayScope: DecayScope.pipe(def("all"))
})

/** Adam (Kingma and Ba, ICLR 2015) with L2 weight decay added to the gradient (PyTorch `Adam`). */
export const AdamConfig = Schema.Struct({
  kind: Schema.Literal("adam"),
  beta1: Unit.pipe(def(0.9)),
  beta2: Unit.pipe(def(0.999)),
  epsilon: Schema.Number.check(Schema.isGreaterThan(0)).pipe(def(1e-8)),
  weightDecay: NonNegative.pipe(def(5e-4)),
  decayScope: DecayScope.pipe(def("all"))
})

/** AdamW (Loshchilov and Hutter, ICLR 2019): Adam with decoupled weight decay (PyTorch `AdamW`). */
export const AdamWConfig = Schema.Struct({
  kind: Schema.Literal("adamw"),
  beta1: Unit.pipe(def(0.9)),
  beta2: Unit.pipe(def(0.999)),
  epsilon: Schema.Number.check(Schema.isGreaterThan(0)).pipe(def(1e-8)),
  weightDecay: NonNegative.pipe(def(1e-2)),
  decayScope: DecayScope.pipe(def("all"))
})

/** The optimizer of a run: SGD (momentum, Nesterov, weight decay), Adam or AdamW, selected by `kind`. */
export const OptimizerConfig = Schema.Union([SgdConfig, AdamConfig, AdamWConfig])
export type OptimizerConfig = typeof OptimizerConfig.Type
/** The optimizer config as written in a file, before defaults are applied. */
export type OptimizerConfigInput = typeof OptimizerConfig.Encoded
