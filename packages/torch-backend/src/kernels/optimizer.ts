/**
 * `ReidfxAdam`: one Adam / AdamW step of one variable in one kernel (the contract of `@reidfx/tensor`'s
 * `FusedKernels.adamStep`), PyTorch's `torch.optim.Adam` single-tensor form (torch/optim/adam.py,
 * `_single_tensor_adam`):
 *
 *     AdamW: p = p * (1 - lr * wd);   Adam: g = g + wd * p
 *     m = lerp(m, g, 1 - b1)                        (= b1 m + (1 - b1) g)
 *     v = b2 v + (1 - b2) g * g                     (addcmul)
 *     denom = sqrt(v) / sqrt(1 - b2^t) + eps
 *     p = p - lr / (1 - b1^t) * m / denom           (addcdiv)
 *
 * The new p, m and v are fresh tensors (tfjs tensors are immutable); the in-place ATen ops act only on tensors
 * this kernel created. Seven ATen calls and one tfjs kernel instead of about twelve tfjs kernels.
 * @since 0.1.0
 */
import type { Handle } from "../Addon.ts"
import { kernel, need, type TorchKernel } from "./define.ts"

/** The kernel name (repeated from `@reidfx/tensor`'s `FusedKernels`; a test checks they agree). */
export const AdamKernel = "ReidfxAdam"

const num = (attrs: Record<string, unknown>, name: string): number => {
  const v = attrs[name]
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new Error(`torch backend: ${AdamKernel} needs a finite number attribute "${name}"`)
  return v
}

export const optimizerKernels: ReadonlyArray<TorchKernel> = [
  kernel(AdamKernel, (b, inputs, attrs) => {
    const lr = num(attrs, "lr")
    const beta1 = num(attrs, "beta1")
    const beta2 = num(attrs, "beta2")
    const epsilon = num(attrs, "epsilon")
    const weightDecay = num(attrs, "weightDecay")
    const t = num(attrs, "t")
    let param: Handle = b.input(need(inputs, "param"))
    let grad: Handle = b.input(need(inputs, "grad"))
    if (weightDecay !== 0) {
      if (attrs["decoupled"] === true) param = b.op("aten::mul.Scalar", param, 1 - lr * weightDecay)
      else grad = b.op("aten::add.Tensor", grad, param, weightDecay)
    }
    const m = b.op("aten::lerp.Scalar", b.input(need(inputs, "m")), grad, 1 - beta1)
    const v = b.op("aten::mul.Scalar", b.input(need(inputs, "v")), beta2)
    b.op("aten::addcmul_", v, grad, grad, 1 - beta2)
    const denom = b.op("aten::sqrt", v)
    b.op("aten::div_.Scalar", denom, Math.sqrt(1 - beta2 ** t))
    b.op("aten::add_.Scalar", denom, epsilon, 1)
    const next = b.op("aten::addcdiv", param, m, denom, -lr / (1 - beta1 ** t))
    return [b.output(next, "float32"), b.output(m, "float32"), b.output(v, "float32")]
  })
]
