/**
 * `Tile` for wasm: when it only repeats dimensions of size 1 (a broadcast, as in `tf.broadcastTo` and the
 * stock BatchNorm gradient), it runs as a broadcasting `add` onto a filled tensor, ~4x less CPU than wasm's
 * element-loop Tile on activation-sized outputs. Other tilings (and bool / string tensors) use the stock kernel.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { fallback, tensorOf, type WasmKernel } from "./WasmKernel.ts"

/** Whether tiling `shape` by `reps` only repeats size-1 dimensions. */
export const isBroadcast = (shape: ReadonlyArray<number>, reps: ReadonlyArray<number>): boolean =>
  shape.length === reps.length && shape.every((d, i) => reps[i] === 1 || d === 1)

export const Tile: WasmKernel = {
  kernelName: "Tile",
  summary: "replaces broadcast-like tilings; a broadcasting add onto a filled tensor",
  make: (original) => (args) => {
    const x = args.inputs["x"]
    const { reps } = args.attrs as unknown as { reps: Array<number> }
    if (x === undefined || !isBroadcast(x.shape, reps) || (x.dtype !== "float32" && x.dtype !== "int32")) {
      return fallback(original, "Tile", "this tiling", args)
    }
    return tf.tidy(() => {
      const input = tensorOf(x, "x")
      const shape = input.shape.map((d, i) => d * reps[i]!)
      return tf.add(tf.fill(shape, 0, input.dtype), input)
    })
  }
}
