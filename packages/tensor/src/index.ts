/**
 * @reidfx/tensor: the tensor runtime of reidfx.
 * @since 0.1.0
 */
export * as Backend from "./Backend.ts"
export * from "./errors.ts"
export * as Random from "./Random.ts"
export { RandomStream, type RandomState } from "./Random.ts"
export * as Registry from "./Registry.ts"
export * as Rng from "./Rng.ts"
export * as Scoped from "./Scoped.ts"
export * as Tensor from "./Tensor.ts"
export type { Clips, DistanceMatrix, Embeddings, Images, Labels, Logits, Scalar, Vector } from "./Tensor.ts"
export * as WasmKernels from "./kernels/index.ts"
export * as WasmThreads from "./wasm/threads.ts"
export * as AtomicFile from "./io/AtomicFile.ts"
export * as BoundedRead from "./io/BoundedRead.ts"
export * as Confine from "./io/Confine.ts"
export * as Interrupted from "./io/Interrupted.ts"
export * as RunFolder from "./io/RunFolder.ts"
export * from "./io/errors.ts"
