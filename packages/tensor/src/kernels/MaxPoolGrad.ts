/**
 * `MaxPoolGrad` for wasm: replaces the stock kernel (2.4x slower) by `MaxPoolWithArgmax` + `scatterND`.
 *
 * dx[p] = sum over output positions o whose window maximum is at p of dy[o]. The argmax indices are flattened
 * with the batch included, so one scatterND into `x.size` values routes every dy to its maximum (overlapping
 * windows sum). With ties inside a window the gradient may go to another of the tied elements than on the cpu
 * backend (wasm takes the last tied element, cpu the first; both are valid subgradients). `dimRoundingMode`
 * falls back to the stock kernel.
 *
 * tfjs-backend-wasm 4.22's float `MaxPoolWithArgmax` starts its running maximum at FLT_MIN (the smallest positive
 * float) instead of -infinity, so windows of negative or zero values get a wrong argmax (index 0). Its int32 path is
 * correct, so the argmax runs on order-preserving int32 keys of the float bits (negative floats have their
 * magnitude bits flipped), which keeps every comparison exact.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { tensorOf, type WasmKernel } from "./WasmKernel.ts"

interface Attrs {
  readonly filterSize: number | [number, number]
  readonly strides: number | [number, number]
  readonly pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding
  readonly dimRoundingMode?: "floor" | "round" | "ceil"
}

/** int32 keys with the same order as the float32 values (IEEE-754 bits, negative magnitudes flipped). */
export const orderedKeys = (x: tf.Tensor): tf.Tensor => {
  const values = x.dataSync() as Float32Array
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length)
  const keys = new Int32Array(values.length)
  for (let i = 0; i < keys.length; i++) {
    const b = bits[i]!
    keys[i] = b >= 0 ? b : b ^ 0x7fffffff
  }
  return tf.tensor(keys, x.shape, "int32")
}

/** The gradient of a 2-D max pool (NHWC) by argmax and scatter. */
export const maxPoolGrad = (dy: tf.Tensor4D, x: tf.Tensor4D, attrs: Attrs): tf.Tensor4D => {
  const [, argmax] = tf.engine().runKernel("MaxPoolWithArgmax", { x: orderedKeys(x) }, {
    filterSize: attrs.filterSize,
    strides: attrs.strides,
    pad: attrs.pad,
    includeBatchInIndex: true
  } as unknown as tf.NamedAttrMap) as Array<tf.Tensor>
  const flat = tf.scatterND(tf.reshape(argmax!, [-1, 1]), tf.reshape(dy, [-1]), [x.size])
  return tf.reshape(flat, x.shape)
}

export const MaxPoolGrad: WasmKernel = {
  kernelName: "MaxPoolGrad",
  summary: "replaces the stock kernel; MaxPoolWithArgmax + scatterND",
  make: (original) => (args) => {
    const attrs = args.attrs as unknown as Attrs
    if (attrs.dimRoundingMode != null && original !== undefined) return original.kernelFunc(args)
    return tf.tidy(() =>
      maxPoolGrad(
        tensorOf<tf.Tensor4D>(args.inputs["dy"], "dy"),
        tensorOf<tf.Tensor4D>(args.inputs["input"], "input"),
        attrs
      )
    )
  }
}
