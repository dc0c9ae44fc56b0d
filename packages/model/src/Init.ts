/**
 * Initial values of parameters, drawn from a seeded stream per parameter name (so adding a layer never
 * changes another layer's initial weights).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { RandomStream } from "@reidfx/tensor"
import type { ParamSpec } from "./nn/Builder.ts"

/** The initial value of one parameter; `rng` is the model's `init` stream (not advanced). */
export const initialValue = (spec: ParamSpec, rng: RandomStream): tf.Tensor => {
  const size = spec.shape.reduce((a, d) => a * d, 1)
  const init = spec.init
  if (init.kind === "constant") return tf.fill(spec.shape as Array<number>, init.value)
  const stream = rng.derive(spec.name)
  const values = new Float32Array(size)
  switch (init.kind) {
    case "heNormal": {
      const fan = init.mode === "fanIn" ? spec.fans[0] : spec.fans[1]
      const std = Math.sqrt(2 / fan)
      for (let i = 0; i < size; i++) values[i] = stream.normal() * std
      break
    }
    case "normal":
      for (let i = 0; i < size; i++) values[i] = stream.normal() * init.std
      break
    case "uniform":
      for (let i = 0; i < size; i++) values[i] = stream.uniform(-init.bound, init.bound)
      break
  }
  return tf.tensor(values, spec.shape as Array<number>, "float32")
}
