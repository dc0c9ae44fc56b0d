/**
 * `BatchMatMul` for wasm: with `transposeA` / `transposeB` the stock kernel runs a naive loop; transposing the
 * operand explicitly first (a fast copy) restores XNNPACK's fast path. Without transposes the stock kernel runs.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { fallback, tensorOf, type WasmKernel } from "./WasmKernel.ts"

/** Swaps the last two axes. */
export const transposeLast2 = (t: tf.Tensor): tf.Tensor => {
  const perm = t.shape.map((_, i) => i)
  const r = t.rank
  perm[r - 2] = r - 1
  perm[r - 1] = r - 2
  return tf.transpose(t, perm)
}

/** Multiply-adds below which the stock kernel's transposed loop is kept. */
export const minimumWork = 1 << 20

/** The multiply-adds of a (batched) product of `a` and `b` given their transpose flags. */
export const matMulWork = (a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean): number => {
  const ra = a.shape.length
  const rb = b.shape.length
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!
  const n = (b.shape[rb - 1]! * b.shape[rb - 2]!) / k
  const batch = Math.max(
    a.shape.slice(0, -2).reduce((x, y) => x * y, 1),
    b.shape.slice(0, -2).reduce((x, y) => x * y, 1)
  )
  return batch * m * k * n
}

interface Attrs {
  readonly transposeA: boolean
  readonly transposeB: boolean
}

export const BatchMatMul: WasmKernel = {
  kernelName: "BatchMatMul",
  summary: "replaces the transposed cases; explicit transpose, then the stock XNNPACK kernel",
  make: (original) => (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as Attrs
    if (!transposeA && !transposeB) return fallback(original, "BatchMatMul", "the untransposed product", args)
    const [a0, b0] = [args.inputs["a"], args.inputs["b"]]
    if (
      a0 !== undefined &&
      b0 !== undefined &&
      original !== undefined &&
      matMulWork(a0, b0, transposeA) < minimumWork
    ) {
      return original.kernelFunc(args)
    }
    return tf.tidy(() => {
      const a = tensorOf(args.inputs["a"], "a")
      const b = tensorOf(args.inputs["b"], "b")
      return tf.matMul(transposeA ? transposeLast2(a) : a, transposeB ? transposeLast2(b) : b)
    })
  }
}
