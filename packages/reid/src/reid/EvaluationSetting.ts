/**
 * Named evaluation settings of the lifelong protocols (`evaluation.setting`), each field overridable:
 *
 * | setting | features | distance | AP |
 * |---|---|---|---|
 * | `reidfx` | the retrieval embedding of the image | euclidean | non-interpolated |
 * | `authors` | embedding of the image + embedding of its horizontal flip, L2-normalised | euclidean (of unit vectors, a monotone map of cosine) | trapezoid |
 *
 * `authors` is the DwoPP authors' evaluation (wangkai930418/DwoPP_code `eval.py`: `fast_extract_feature` sums the
 * features of the image and of `flip_img(image)`, then divides by the L2 norm when `NORMALIZE_FEATURE = True`;
 * `utils.compute_map` averages `old_precision` and `precision` at each hit: the official Market-1501 AP).
 * @since 0.1.0
 */
import type { EvaluationSpec } from "../Protocol.ts"

/** What an evaluation does. */
export interface EvaluationSetting {
  /** Add the embedding of the horizontally flipped image. */
  readonly flip: boolean
  /** L2-normalise the (summed) embedding. */
  readonly normalize: boolean
  readonly averagePrecision: "nonInterpolated" | "trapezoid"
}

/** The named settings. */
export const settings: Readonly<Record<EvaluationSpec["setting"], EvaluationSetting>> = {
  reidfx: { flip: false, normalize: false, averagePrecision: "nonInterpolated" },
  authors: { flip: true, normalize: true, averagePrecision: "trapezoid" }
}

/** The setting of a protocol's evaluation spec, with its overrides. */
export const resolve = (spec: EvaluationSpec): EvaluationSetting => {
  const base = settings[spec.setting]
  return {
    flip: spec.flip ?? base.flip,
    normalize: spec.normalize ?? base.normalize,
    averagePrecision: spec.averagePrecision ?? base.averagePrecision
  }
}
