/**
 * Gradient stopping for tfjs, which has no `stopGradient` op.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/metric"

/**
 * A tensor with the same data as `x` but no connection to the gradient tape: gradients never flow through
 * it (like PyTorch's `x.detach()`). It shares `x`'s memory (no copy) and is owned by the current tidy scope.
 */
export const detach = <T extends tf.Tensor>(x: T): T => {
  const engine = tf.engine()
  const t = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype) as T
  // the new tensor holds a reference to the shared data, like tfjs' own Identity kernel
  engine.backend.incRef(x.dataId)
  return t
}

/** Detaches every tensor of a model's outputs. */
export const detachOutputs = (outputs: ModelOutputs): ModelOutputs => ({
  features: detach(outputs.features),
  ...(outputs.neckFeatures === undefined ? {} : { neckFeatures: detach(outputs.neckFeatures) }),
  ...(outputs.logits === undefined ? {} : { logits: detach(outputs.logits) }),
  ...(outputs.localFeatures === undefined ? {} : { localFeatures: detach(outputs.localFeatures) }),
  ...(outputs.partLogits === undefined ? {} : { partLogits: outputs.partLogits.map((l) => detach(l)) }),
  ...(outputs.attributeLogits === undefined ? {} : { attributeLogits: detach(outputs.attributeLogits) })
})
