/**
 * Every torch kernel, by family. Kernels tfjs has that are not listed run on the cpu kernels (see `Fallback.ts`).
 * @since 0.1.0
 */
import { convolutionKernels } from "./convolution.ts"
import type { TorchKernel } from "./define.ts"
import { distanceKernels } from "./distances.ts"
import { elementwiseKernels } from "./elementwise.ts"
import { matmulKernels } from "./matmul.ts"
import { normalizationKernels } from "./normalization.ts"
import { optimizerKernels } from "./optimizer.ts"
import { poolingKernels } from "./pooling.ts"
import { reductionKernels } from "./reductions.ts"
import { shapeKernels } from "./shape.ts"

/** Every kernel implemented with libtorch operators. */
export const torchKernels: ReadonlyArray<TorchKernel> = [
  ...elementwiseKernels,
  ...reductionKernels,
  ...shapeKernels,
  ...matmulKernels,
  ...convolutionKernels,
  ...poolingKernels,
  ...normalizationKernels,
  ...optimizerKernels,
  ...distanceKernels
]

export type { TorchKernel } from "./define.ts"
export {
  installTorchGradients,
  registerTorchKernelGradients,
  TorchReluGrad,
  torchGradientsInstalled,
  uninstallTorchGradients
} from "./gradients.ts"
export { BatchNormTrainingGradKernel, BatchNormTrainingKernel, TorchBatchNormGrad } from "./normalization.ts"
export { PairwiseDistancesKernel } from "./distances.ts"
export { AdamKernel } from "./optimizer.ts"
