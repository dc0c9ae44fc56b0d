/**
 * `ReidfxPairwiseDistances`: a block of query-by-gallery distances in one kernel (the contract of `@reidfx/tensor`'s
 * `FusedKernels.pairwiseDistances`, used by `@reidfx/eval`'s `pairwiseDistances`). With q `[n, D]`, g `[G, D]` and
 * their squared row norms (computed by the caller, so every backend ranks with the same norms):
 *
 *     squaredEuclidean: out = max(0, |q|^2 + |g|^2 - 2 q g^T)    addmm(|g|^2, q, g^T, alpha = -2), add_ |q|^2, clamp_min_ 0
 *     euclidean:        its sqrt_                                 (in place)
 *     cosine:           out = 1 - q g^T                           mm, rsub (rows L2-normalised by the caller)
 *
 * One BLAS product writes the output and the rest runs in place on it: two to four passes over the block and no
 * intermediate block-sized tensor, where the plain tfjs form makes five. The in-place ops act only on the tensor this
 * kernel created.
 * @since 0.1.0
 */
import { kernel, need, type TorchKernel } from "./define.ts"

/** The kernel name (repeated from `@reidfx/tensor`'s `FusedKernels`; a test checks they agree). */
export const PairwiseDistancesKernel = "ReidfxPairwiseDistances"

export const distanceKernels: ReadonlyArray<TorchKernel> = [
  kernel(PairwiseDistancesKernel, (b, inputs, attrs) => {
    const metric = attrs["metric"]
    const q = b.input(need(inputs, "query"))
    const gT = b.op("aten::t", b.input(need(inputs, "gallery")))
    if (metric === "cosine") return b.output(b.op("aten::rsub.Scalar", b.op("aten::mm", q, gT), 1, 1), "float32")
    if (metric !== "euclidean" && metric !== "squaredEuclidean")
      throw new Error(`torch backend: ${PairwiseDistancesKernel} has no metric "${String(metric)}"`)
    // |g|^2 [G] broadcasts over the rows of the product; |q|^2 [n, 1] over its columns
    const out = b.op("aten::addmm", b.input(need(inputs, "galleryNorms")), q, gT, 1, -2)
    b.op("aten::add_.Tensor", out, b.input(need(inputs, "queryNorms")), 1)
    b.op("aten::clamp_min_", out, 0)
    if (metric === "euclidean") b.op("aten::sqrt_", out)
    return b.output(out, "float32")
  })
]
