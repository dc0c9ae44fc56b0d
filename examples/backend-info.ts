/**
 * Which backend is active, and a tiny computation on it.
 *
 *     node --conditions=@reidfx/source examples/backend-info.ts
 *     REIDFX_BACKEND=cpu node --conditions=@reidfx/source examples/backend-info.ts
 */
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"

const program = Effect.gen(function* () {
  const backend = yield* Backend.Backend
  const product = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).arraySync())
  console.log(`backend=${backend.name} threads=${backend.threads} kernels=${backend.kernels.length}`)
  console.log(`ones(2x3) x ones(3x2) = ${JSON.stringify(product)}`)
})

await Effect.runPromise(program.pipe(Effect.provide(Backend.layerFromConfig)))
