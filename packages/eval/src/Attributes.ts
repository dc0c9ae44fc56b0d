/**
 * Pedestrian attribute recognition metrics (the attribute head's evaluation), with labels `a_ij` in {0, 1}
 * (`< 0` = unknown, left out) and predictions `p_ij = [score_ij > threshold]` (logits, threshold 0):
 *
 * - label-based (Li, Chen & Huang, ACPR 2015; Lin et al. APR report the per-attribute accuracy too):
 *   per attribute j, accuracy `acc_j = (TP + TN) / (P + N)` and the balanced mean accuracy
 *   `mA = 1/A sum_j (TP_j / P_j + TN_j / N_j) / 2` (attributes without positives or negatives use the available half);
 * - instance-based (Li et al., "A Richly Annotated Dataset for Pedestrian Attribute Recognition", 2016):
 *   `accuracy = 1/B sum_i |Y_i ∩ P_i| / |Y_i ∪ P_i|`, `precision = 1/B sum_i |Y_i ∩ P_i| / |P_i|`,
 *   `recall = 1/B sum_i |Y_i ∩ P_i| / |Y_i|`, `F1 = 2 precision recall / (precision + recall)`
 *   (an empty denominator gives 1 when the numerator's set is also empty, else 0).
 * @since 0.1.0
 */
import { LengthMismatch } from "./errors.ts"

/** Attribute metrics. @since 0.1.0 */
export interface AttributeScores {
  readonly mA: number
  readonly perAttribute: ReadonlyArray<{
    readonly accuracy: number
    readonly balanced: number
    readonly positives: number
    readonly negatives: number
  }>
  readonly instanceAccuracy: number
  readonly precision: number
  readonly recall: number
  readonly f1: number
}

/**
 * Metrics of `[B, A]` row-major scores against `[B, A]` labels (see the module doc).
 * @category attributes
 * @since 0.1.0
 */
export const attributeScores = (
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  attributes: number,
  threshold = 0
): AttributeScores => {
  if (scores.length !== labels.length)
    throw new LengthMismatch({ what: "attribute labels", expected: scores.length, actual: labels.length })
  const b = Math.floor(scores.length / attributes)
  const perAttribute = Array.from({ length: attributes }, (_, j) => {
    let [tp, tn, pos, neg] = [0, 0, 0, 0]
    for (let i = 0; i < b; i++) {
      const a = labels[i * attributes + j]!
      if (a < 0) continue
      const p = scores[i * attributes + j]! > threshold
      if (a > 0) {
        pos++
        if (p) tp++
      } else {
        neg++
        if (!p) tn++
      }
    }
    const halves = [...(pos > 0 ? [tp / pos] : []), ...(neg > 0 ? [tn / neg] : [])]
    return {
      accuracy: pos + neg === 0 ? 0 : (tp + tn) / (pos + neg),
      balanced: halves.length === 0 ? 0 : halves.reduce((s, v) => s + v, 0) / halves.length,
      positives: pos,
      negatives: neg
    }
  })
  const ratio = (num: number, den: number) => (den === 0 ? (num === 0 ? 1 : 0) : num / den)
  let [acc, prec, rec] = [0, 0, 0]
  for (let i = 0; i < b; i++) {
    let [inter, union, predicted, truth] = [0, 0, 0, 0]
    for (let j = 0; j < attributes; j++) {
      const a = labels[i * attributes + j]!
      if (a < 0) continue
      const [y, p] = [a > 0, scores[i * attributes + j]! > threshold]
      if (y && p) inter++
      if (y || p) union++
      if (p) predicted++
      if (y) truth++
    }
    acc += ratio(inter, union)
    prec += ratio(inter, predicted)
    rec += ratio(inter, truth)
  }
  const [precision, recall] = [b === 0 ? 0 : prec / b, b === 0 ? 0 : rec / b]
  return {
    mA: perAttribute.reduce((s, a) => s + a.balanced, 0) / Math.max(1, attributes),
    perAttribute,
    instanceAccuracy: b === 0 ? 0 : acc / b,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  }
}
