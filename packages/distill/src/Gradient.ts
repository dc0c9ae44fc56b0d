/**
 * Stopping gradients in TensorFlow.js: `@reidfx/tensor`'s `Gradient` (the one gradient-stopping helper of the
 * stack), re-exported under the names this package has always used.
 * @since 0.1.0
 */
import { Gradient } from "@reidfx/tensor"

/** Runs `f` without recording its ops on the gradient tape (see `@reidfx/tensor` `Gradient.untaped`). @since 0.1.0 */
export const untaped = Gradient.untaped

/** `t` with zero gradient, PyTorch's `t.detach()` (see `@reidfx/tensor` `Gradient.detach`). @since 0.1.0 */
export const detach = Gradient.detach

/** {@link detach} applied to each tensor of a model's outputs. @since 0.1.0 */
export const detachOutputs = Gradient.detachOutputs
