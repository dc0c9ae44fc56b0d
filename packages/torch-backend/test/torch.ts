/**
 * Test helpers: whether the torch backend can run here (the addon is built and loads), and agreement with the cpu
 * backend. Without the addon every torch test is skipped, with the reason in the skipped test's name.
 */
import "@tensorflow/tfjs-backend-cpu"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-layers"
import { it } from "vitest"
import { acquireTorchRuntime, type TorchInfo } from "../src/index.ts"

const probe = (): { readonly info: TorchInfo | undefined; readonly reason: string } => {
  try {
    // held for the whole test file (the fused gradient overrides included); the process ends with it
    return { info: acquireTorchRuntime({ threads: 1 }).info, reason: "" }
  } catch (error) {
    return { info: undefined, reason: error instanceof Error ? error.message : String(error) }
  }
}

export const torch = probe()

// the cpu backend's banner advising tfjs-node (printed on its first write) is noise here
await tf.setBackend("cpu")
;(tf.backend() as unknown as { firstUse: boolean }).firstUse = false
export const available = torch.info !== undefined

/** A visible skipped test naming why the torch tests did not run. */
export const reportSkip = (): void => {
  if (!available) it.skip(`torch backend tests skipped: ${torch.reason}`, () => {})
}

/** Deterministic values in [-1, 1) (mulberry32). */
export const values = (shape: ReadonlyArray<number>, seed: number): Float32Array => {
  let a = (seed * 2654435761) >>> 0
  const out = new Float32Array(shape.reduce((x, y) => x * y, 1))
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1
  }
  return out
}

export const tensor = (shape: Array<number>, seed: number): tf.Tensor => tf.tensor(values(shape, seed), shape)

export interface Run {
  readonly data: Float32Array
  readonly shape: ReadonlyArray<number>
  readonly dtype: string
}

/** Runs `f` on a backend and reads its result outside any tidy. */
export const on = async (backend: "torch" | "cpu", f: () => tf.Tensor): Promise<Run> => {
  await tf.setBackend(backend)
  const t = tf.tidy(f)
  const data = Float32Array.from(await t.data())
  const out = { data, shape: t.shape, dtype: t.dtype }
  t.dispose()
  return out
}

/**
 * The relative error of `a` against the reference `b`: |a - b| / max(|b|, 1% of max |b|, 1e-6) (the floor keeps
 * entries that cancel to nearly zero from dominating: their absolute error is at float32 rounding of the largest
 * terms). Infinity when shapes, dtypes or NaN positions differ.
 */
export const relativeError = (a: Run, b: Run): number => {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    return Number.POSITIVE_INFINITY
  let scale = 0
  for (const v of b.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v))
  const floor = Math.max(1e-6, 0.01 * scale)
  let worst = 0
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!
    const y = b.data[i]!
    if (Number.isNaN(x) || Number.isNaN(y) || !Number.isFinite(y)) {
      if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y))) return Number.POSITIVE_INFINITY
      continue
    }
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), floor))
  }
  return worst
}

/** Runs `f` on torch and on cpu and returns the relative error of torch's result. */
export const agreement = async (f: () => tf.Tensor): Promise<number> =>
  relativeError(await on("torch", f), await on("cpu", f))
