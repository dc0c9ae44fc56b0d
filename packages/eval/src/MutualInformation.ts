/**
 * Mutual-information scores of two labelings, as scikit-learn computes them (the functions PML's accuracy
 * calculator calls): `normalizedMutualInfo` (arithmetic mean of the entropies, `normalized_mutual_info_score`)
 * and `adjustedMutualInfo` (Vinh, Epps & Bailey, JMLR 2010, "Information Theoretic Measures for Clusterings
 * Comparison"; `adjusted_mutual_info_score`, arithmetic normaliser):
 *
 *     AMI = (MI - E[MI]) / (mean(H(U), H(V)) - E[MI])
 *
 * with E[MI] the expected mutual information under random labelings with the same cluster sizes (the
 * hypergeometric model), computed exactly with log-factorials. Natural logarithms. Conventions as
 * scikit-learn: both labelings a single cluster gives 1; a denominator within machine epsilon of 0 is
 * replaced by +-epsilon.
 * @since 0.2.0
 */
import { EmptySet, LengthMismatch } from "./errors.ts"
import { toInt32 } from "./Features.ts"

/** The contingency table of two labelings (rows: `truth` classes, columns: `predicted` clusters). @category math */
export const contingency = (truth: ArrayLike<number>, predicted: ArrayLike<number>) => {
  const t = toInt32(truth, "true labels")
  const p = toInt32(predicted, "predicted labels")
  if (t.length !== p.length)
    throw new LengthMismatch({ what: "predicted labels", expected: t.length, actual: p.length })
  if (t.length === 0) throw new EmptySet({ what: "the labelled set" })
  const ti = new Map<number, number>()
  const pi = new Map<number, number>()
  for (let i = 0; i < t.length; i++) {
    if (!ti.has(t[i]!)) ti.set(t[i]!, ti.size)
    if (!pi.has(p[i]!)) pi.set(p[i]!, pi.size)
  }
  const table = new Float64Array(ti.size * pi.size)
  for (let i = 0; i < t.length; i++) table[ti.get(t[i]!)! * pi.size + pi.get(p[i]!)!]!++
  const a = new Float64Array(ti.size)
  const b = new Float64Array(pi.size)
  for (let r = 0; r < ti.size; r++)
    for (let c = 0; c < pi.size; c++) {
      a[r]! += table[r * pi.size + c]!
      b[c]! += table[r * pi.size + c]!
    }
  return { table, rows: ti.size, cols: pi.size, a, b, n: t.length }
}

const entropy = (counts: Float64Array, n: number) => {
  let h = 0
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n)
  return h
}

/** Mutual information (nats). @category math */
export const mutualInfo = (truth: ArrayLike<number>, predicted: ArrayLike<number>): number => {
  const { table, rows, cols, a, b, n } = contingency(truth, predicted)
  let mi = 0
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const nij = table[r * cols + c]!
      if (nij > 0) mi += (nij / n) * Math.log((n * nij) / (a[r]! * b[c]!))
    }
  return Math.max(0, mi)
}

/** NMI with the arithmetic mean of the entropies (scikit-learn's default). @category math */
export const normalizedMutualInfo = (truth: ArrayLike<number>, predicted: ArrayLike<number>): number => {
  const { a, b, n, rows, cols } = contingency(truth, predicted)
  if (rows === 1 && cols === 1) return 1
  const h = (entropy(a, n) + entropy(b, n)) / 2
  return h === 0 ? 0 : Math.min(1, mutualInfo(truth, predicted) / h)
}

/** The expected mutual information of random labelings with cluster sizes `a` and `b` (exact). @category math */
export const expectedMutualInfo = (a: ArrayLike<number>, b: ArrayLike<number>, n: number): number => {
  const logFact = new Float64Array(n + 1)
  for (let k = 2; k <= n; k++) logFact[k] = logFact[k - 1]! + Math.log(k)
  let emi = 0
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) {
      const ai = a[i]!
      const bj = b[j]!
      for (let nij = Math.max(1, ai + bj - n); nij <= Math.min(ai, bj); nij++) {
        const logP =
          logFact[ai]! +
          logFact[bj]! +
          logFact[n - ai]! +
          logFact[n - bj]! -
          (logFact[n]! + logFact[nij]! + logFact[ai - nij]! + logFact[bj - nij]! + logFact[n - ai - bj + nij]!)
        emi += (nij / n) * Math.log((n * nij) / (ai * bj)) * Math.exp(logP)
      }
    }
  return emi
}

/** AMI with the arithmetic normaliser (scikit-learn's `adjusted_mutual_info_score`). @category math */
export const adjustedMutualInfo = (truth: ArrayLike<number>, predicted: ArrayLike<number>): number => {
  const { a, b, n, rows, cols } = contingency(truth, predicted)
  if (rows === cols && (rows === 1 || rows === 0)) return 1
  const mi = mutualInfo(truth, predicted)
  const emi = expectedMutualInfo(a, b, n)
  const normalizer = (entropy(a, n) + entropy(b, n)) / 2
  let denominator = normalizer - emi
  // scikit-learn: keep the sign of a tiny denominator, but not its smallness
  const eps = 2.220446049250313e-16
  denominator = denominator < 0 ? Math.min(denominator, -eps) : Math.max(denominator, eps)
  return (mi - emi) / denominator
}
