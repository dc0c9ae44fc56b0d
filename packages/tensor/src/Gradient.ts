/**
 * Stopping gradients in TensorFlow.js, which has no `stopGradient` op.
 *
 * tfjs records an op on the gradient tape only while a tape is open (`tf.variableGrads`, `tf.grad`, ...). Code
 * run through {@link untaped} is not recorded, so no gradient can ever flow through it to any variable
 * (trainable or not): this is how a frozen teacher runs inside a training step. {@link detach} is a view of a
 * tensor that is not connected to the tape: the `ZG(.)` (zero gradient) of AlignedReID, PyTorch's `.detach()`.
 *
 * The one gradient-stopping helper of the stack: `@reidfx/model` (frozen models' outputs) and `@reidfx/distill`
 * (teachers, distillation targets) re-export it.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "./contracts/Step.ts"

/**
 * Runs `f` without recording its ops on the gradient tape: gradients never flow into or through it. The
 * tensors `f` creates are owned by the current `tf.tidy` scope as usual.
 * @since 0.1.0
 */
export const untaped = <A>(f: () => A): A => {
  const state = tf.engine().state
  const depth = state.gradientDepth
  if (depth === 0) return f()
  state.gradientDepth = 0
  try {
    return f()
  } finally {
    state.gradientDepth = depth
  }
}

/**
 * `t` with zero gradient (PyTorch's `t.detach()`, TensorFlow's `tf.stop_gradient(t)`): an untaped `tf.clone`,
 * which shares `t`'s memory (the identity kernels only add a reference), owned by the current tidy scope;
 * disposing it leaves `t` intact. No gradient flows through it.
 * @since 0.1.0
 */
export const detach = <T extends tf.Tensor>(t: T): T => untaped(() => tf.clone(t))

/** {@link detach} applied to each tensor of a model's outputs. @since 0.1.0 */
export const detachOutputs = (outputs: ModelOutputs): ModelOutputs => ({
  features: detach(outputs.features),
  ...(outputs.neckFeatures === undefined ? {} : { neckFeatures: detach(outputs.neckFeatures) }),
  ...(outputs.logits === undefined ? {} : { logits: detach(outputs.logits) }),
  ...(outputs.localFeatures === undefined ? {} : { localFeatures: detach(outputs.localFeatures) }),
  ...(outputs.partLogits === undefined ? {} : { partLogits: outputs.partLogits.map((l) => detach(l)) }),
  ...(outputs.attributeLogits === undefined ? {} : { attributeLogits: detach(outputs.attributeLogits) }),
  ...(outputs.featureMap === undefined ? {} : { featureMap: detach(outputs.featureMap) })
})
