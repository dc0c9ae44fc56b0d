/**
 * Helpers for the wasm-vs-cpu agreement tests: run the same computation on both backends and compare.
 */
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Layer, Scope } from "effect"
import { Backend, RandomStream } from "../src/index.ts"
import { maxRelativeError } from "../src/testing.ts"

/** A scope held for the whole test file: the layers acquired in it keep what they own (the wasm training kernels). */
const held = Effect.runSync(Scope.make())

/** Acquires the cpu and wasm layers for the rest of the test file (the wasm training kernels stay registered). */
export const setupBackends = async (): Promise<void> => {
  await Effect.runPromise(Layer.buildWithScope(Backend.layerCpu, held))
  await Effect.runPromise(Layer.buildWithScope(Backend.layerWasm, held))
}

/** Deterministic values in [-1, 1) from a seed. */
export const values = (shape: ReadonlyArray<number>, seed: number): Float32Array => {
  const rng = RandomStream.fromSeed(seed, "agreement")
  const size = shape.reduce((a, b) => a * b, 1)
  const out = new Float32Array(size)
  for (let i = 0; i < size; i++) out[i] = rng.uniform(-1, 1)
  return out
}

/** Runs `f` on a backend and reads its result out of any tidy. */
export const on = async (backend: "wasm" | "cpu", f: () => tf.Tensor): Promise<Float32Array> => {
  await tf.setBackend(backend)
  const t = tf.tidy(f)
  const data = Float32Array.from(await t.data())
  t.dispose()
  return data
}

/**
 * The relative error of the wasm result against the cpu result: |a - b| / max(|b|, 1% of max |b|, 1e-6).
 * The floor keeps entries that cancel to nearly zero from dominating (their absolute error is at float32
 * rounding of the largest terms).
 */
export const relativeError = (wasm: Float32Array, cpu: Float32Array): number => {
  let scale = 0
  for (const v of cpu) scale = Math.max(scale, Math.abs(v))
  return maxRelativeError(wasm, cpu, Math.max(1e-6, 0.01 * scale))
}

/** The worst error seen per test (reported by the kernel tests when REIDFX_REPORT_ERRORS is set). */
export const worstErrors = new Map<string, number>()

/** Runs `f` (and `reference`, default `f`) on wasm and cpu and returns the relative error. */
export const agreement = async (
  f: () => tf.Tensor,
  reference: () => tf.Tensor = f,
  label = "agreement"
): Promise<number> => {
  const wasm = await on("wasm", f)
  const cpu = await on("cpu", reference)
  const error = wasm.length !== cpu.length ? Number.POSITIVE_INFINITY : relativeError(wasm, cpu)
  worstErrors.set(label, Math.max(worstErrors.get(label) ?? 0, error))
  return error
}
