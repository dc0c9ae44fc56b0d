/**
 * Gradient stopping for tfjs, which has no `stopGradient` op: `@reidfx/tensor`'s `Gradient` (the one
 * gradient-stopping helper of the stack), re-exported under the names this package has always used.
 * @since 0.1.0
 */
import { Gradient } from "@reidfx/tensor"

/** A tensor with the same data as `x` and no connection to the gradient tape (PyTorch's `x.detach()`). */
export const detach = Gradient.detach

/** Detaches every tensor of a model's outputs. */
export const detachOutputs = Gradient.detachOutputs
