/**
 * Test helpers shared by every package: fail a test when tensors leak.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"

/** Thrown (as a defect) when a block leaves tensors behind. */
export class TensorLeak extends Error {
  readonly leaked: number
  constructor(what: string, leaked: number) {
    super(`${what}: ${leaked} tensor(s) leaked (tf.memory().numTensors grew by ${leaked})`)
    this.name = "TensorLeak"
    this.leaked = leaked
  }
}

/** Runs `f` and throws {@link TensorLeak} if `tf.memory().numTensors` grew. Works for sync and async `f`. */
export function noLeaks<A>(f: () => A, what?: string): A
export function noLeaks<A>(f: () => Promise<A>, what?: string): Promise<A>
export function noLeaks<A>(f: () => A | Promise<A>, what = "block"): A | Promise<A> {
  const before = tf.memory().numTensors
  const check = (a: A): A => {
    const after = tf.memory().numTensors
    if (after > before) throw new TensorLeak(what, after - before)
    return a
  }
  const result = f()
  return result instanceof Promise ? result.then(check) : check(result)
}

/** Effect form of {@link noLeaks}: dies with {@link TensorLeak} if the effect leaves tensors behind. */
export const noLeaksEffect = <A, E, R>(self: Effect.Effect<A, E, R>, what = "effect"): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const before = tf.memory().numTensors
    return Effect.tap(self, () =>
      Effect.suspend(() => {
        const after = tf.memory().numTensors
        return after > before ? Effect.die(new TensorLeak(what, after - before)) : Effect.void
      })
    )
  })

/** Largest relative error |a - b| / max(|b|, floor) over two arrays (for backend agreement tests). */
export const maxRelativeError = (a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number => {
  if (a.length !== b.length) throw new Error(`maxRelativeError: lengths differ (${a.length} vs ${b.length})`)
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor)
    if (err > worst || Number.isNaN(err)) worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err
  }
  return worst
}
