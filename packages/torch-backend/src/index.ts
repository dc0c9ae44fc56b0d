/**
 * @reidfx/torch-backend: a TensorFlow.js backend named `torch` over libtorch (PyTorch's runtime) through a small
 * generic Node-API addon. Build the addon with `npm run build:torch`; then `registerTorchBackend()` and
 * `tf.setBackend("torch")` (or `REIDFX_BACKEND=torch` through `@reidfx/tensor`'s `Backend.layerFromConfig`).
 * @since 0.1.0
 */
export { addonBuilt, addonPath, loadAddon } from "./Addon.ts"
export type { Addon, Arg, Handle, OpHandle, Result } from "./Addon.ts"
export { TorchUnavailable } from "./errors.ts"
export { fallbackCounts } from "./Fallback.ts"
export { torchKernels } from "./kernels/index.ts"
export {
  acquireTorchRuntime,
  backendName,
  registerTorchBackend,
  type TorchInfo,
  type TorchOptions,
  type TorchRuntime
} from "./register.ts"
export { torchGradientsInstalled } from "./kernels/index.ts"
export { TorchBackend } from "./TorchBackend.ts"
