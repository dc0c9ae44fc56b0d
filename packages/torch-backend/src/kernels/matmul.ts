/**
 * Matrix products: BatchMatMul and _FusedMatMul (bias and activation fused after the product). Transposes are
 * strided views, which ATen's BLAS calls take without copying.
 * @since 0.1.0
 */
import type { Handle } from "../Addon.ts"
import type { TorchBackend } from "../TorchBackend.ts"
import { activate, kernel, need, type TorchKernel } from "./define.ts"

const product = (b: TorchBackend, a: Handle, bb: Handle, attrs: Record<string, unknown>): Handle => {
  const left = attrs["transposeA"] === true ? b.op("aten::transpose.int", a, -1, -2) : a
  const right = attrs["transposeB"] === true ? b.op("aten::transpose.int", bb, -1, -2) : bb
  return b.op("aten::matmul", left, right)
}

export const matmulKernels: ReadonlyArray<TorchKernel> = [
  kernel("BatchMatMul", (b, inputs, attrs) => {
    const a = need(inputs, "a")
    return b.output(product(b, b.input(a), b.input(need(inputs, "b")), attrs), a.dtype)
  }),
  kernel("_FusedMatMul", (b, inputs, attrs) => {
    const a = need(inputs, "a")
    let y = product(b, b.input(a), b.input(need(inputs, "b")), attrs)
    const bias = inputs["bias"]
    if (bias != null) y = b.op("aten::add.Tensor", y, b.input(bias))
    const prelu = inputs["preluActivationWeights"]
    y = activate(
      b,
      y,
      attrs["activation"],
      attrs["leakyreluAlpha"] as number | undefined,
      prelu == null ? undefined : b.input(prelu)
    )
    return b.output(y, a.dtype)
  })
]
