/**
 * The nearest-mean-of-exemplars classifier of iCaRL (Rebuffi et al., CVPR 2017, Algorithm 1): each class's
 * prototype is the mean of its exemplars' L2-normalised features, renormalised; an item goes to the class of
 * the closest prototype (euclidean on normalised features, i.e. the largest cosine):
 *
 *     y* = argmin_y | phi(x)/|phi(x)| - mu_y |,    mu_y = normalize( 1/|P_y| sum_{p in P_y} phi(p)/|phi(p)| )
 *
 * Ties go to the lowest class. In ReID the test identities are not training classes, so this evaluates
 * closed-set identification of seen identities (e.g. held-out images of trained identities). @since 0.2.0
 */

const normalize = (r: ArrayLike<number>): Float64Array => {
  let n = 0
  for (let i = 0; i < r.length; i++) n += r[i]! * r[i]!
  const s = 1 / Math.max(Math.sqrt(n), 1e-12)
  return Float64Array.from(r as ArrayLike<number>, (v) => v * s)
}

/** Class prototypes from exemplar features grouped by class. @category math */
export const prototypes = (
  exemplars: ReadonlyMap<number, ReadonlyArray<ArrayLike<number>>>
): Map<number, Float64Array> =>
  new Map(
    [...exemplars]
      .filter(([, rows]) => rows.length > 0)
      .map(([y, rows]) => {
        const dim = rows[0]!.length
        const mean = new Float64Array(dim)
        for (const r of rows) {
          const x = normalize(r)
          for (let t = 0; t < dim; t++) mean[t]! += x[t]! / rows.length
        }
        return [y, normalize(mean)] as const
      })
  )

/** The predicted class of each feature row. @category math */
export const classify = (
  protos: ReadonlyMap<number, Float64Array>,
  rows: ReadonlyArray<ArrayLike<number>>
): Array<number> => {
  const classes = [...protos.keys()].sort((a, b) => a - b)
  return rows.map((r) => {
    const x = normalize(r)
    let best = classes[0]!
    let bestD = Number.POSITIVE_INFINITY
    for (const y of classes) {
      const mu = protos.get(y)!
      let d = 0
      for (let t = 0; t < x.length; t++) d += (x[t]! - mu[t]!) ** 2
      if (d < bestD) {
        bestD = d
        best = y
      }
    }
    return best
  })
}

/** NME accuracy of labelled feature rows. @category math */
export const accuracy = (
  protos: ReadonlyMap<number, Float64Array>,
  rows: ReadonlyArray<ArrayLike<number>>,
  labels: ReadonlyArray<number>
): number => {
  const predicted = classify(protos, rows)
  return predicted.length === 0 ? 0 : predicted.filter((p, i) => p === labels[i]).length / predicted.length
}
