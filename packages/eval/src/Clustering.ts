/**
 * Clustering (N:N): group embeddings without labels, then score the grouping against identities.
 *
 * - **Agglomerative** clustering with single, complete or average linkage (Lance-Williams updates, computed with
 *   the nearest-neighbour-chain algorithm in O(n^2) time and memory; all three linkages are reducible so the
 *   chain gives the exact dendrogram). Cut by a distance threshold (clusters are merged while the linkage
 *   distance is `< threshold`, as scikit-learn's `distance_threshold`) or at a number of clusters.
 * - **Threshold** clustering: connected components of the graph with an edge where `distance <= threshold`.
 * - Scores: NMI (mutual information over the arithmetic mean of the two entropies, scikit-learn's default),
 *   ARI (Hubert and Arabie 1985) and the pairwise F-score (precision and recall of same-cluster pairs).
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import { EmptySet, LengthMismatch } from "./errors.ts"
import { type FeaturesInput, toFeatureMatrix, toInt32 } from "./Features.ts"
import { type DistanceMetric, pairwiseDistances } from "./Distances.ts"

/** Linkage of agglomerative clustering. */
export type Linkage = "single" | "complete" | "average"

/** Where to cut the dendrogram: a distance threshold or a number of clusters. */
export type Cut = { readonly threshold: number } | { readonly numClusters: number }

/** One merge of the dendrogram: two representatives (original indices) and the linkage distance. */
export interface Merge {
  readonly a: number
  readonly b: number
  readonly height: number
}

/**
 * The dendrogram of agglomerative clustering of an `n x n` symmetric distance matrix (row-major), as `n - 1`
 * merges sorted by height (stable). @category clustering
 */
export const dendrogram = (distances: ArrayLike<number>, n: number, linkage: Linkage = "average"): Array<Merge> => {
  if (distances.length !== n * n)
    throw new LengthMismatch({ what: "distance matrix (n x n)", expected: n * n, actual: distances.length })
  const d = Float64Array.from(distances)
  const size = new Int32Array(n).fill(1)
  const active = new Uint8Array(n).fill(1)
  const merges: Array<Merge> = []
  const chain: Array<number> = []
  let remaining = n
  let nextStart = 0
  while (remaining > 1) {
    if (chain.length === 0) {
      while (active[nextStart] === 0) nextStart++
      chain.push(nextStart)
    }
    const a = chain[chain.length - 1]!
    const prev = chain.length > 1 ? chain[chain.length - 2]! : -1
    // nearest active neighbour of a; ties prefer the previous chain element, then the lower index
    let best = prev
    let bestD = prev >= 0 ? d[a * n + prev]! : Number.POSITIVE_INFINITY
    for (let c = 0; c < n; c++) {
      if (c === a || active[c] === 0) continue
      const v = d[a * n + c]!
      if (v < bestD) {
        bestD = v
        best = c
      }
    }
    if (best === prev) {
      chain.pop()
      chain.pop()
      // merge a and prev into `keep` (the lower index)
      const keep = Math.min(a, prev)
      const gone = Math.max(a, prev)
      merges.push({ a: keep, b: gone, height: bestD })
      for (let c = 0; c < n; c++) {
        if (active[c] === 0 || c === keep || c === gone) continue
        const x = d[keep * n + c]!
        const y = d[gone * n + c]!
        const v =
          linkage === "single"
            ? Math.min(x, y)
            : linkage === "complete"
              ? Math.max(x, y)
              : (size[keep]! * x + size[gone]! * y) / (size[keep]! + size[gone]!)
        d[keep * n + c] = v
        d[c * n + keep] = v
      }
      size[keep]! += size[gone]!
      active[gone] = 0
      remaining--
    } else {
      chain.push(best)
    }
  }
  return merges
    .map((m, k) => ({ m, k }))
    .sort((x, y) => x.m.height - y.m.height || x.k - y.k)
    .map((x) => x.m)
}

const find = (parent: Int32Array, x: number): number => {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]!]!
    x = parent[x]!
  }
  return x
}

/** Relabels union-find roots as 0..k-1 in order of first appearance. */
const compact = (parent: Int32Array): Int32Array => {
  const n = parent.length
  const label = new Int32Array(n)
  const map = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const r = find(parent, i)
    let l = map.get(r)
    if (l === undefined) map.set(r, (l = map.size))
    label[i] = l
  }
  return label
}

/**
 * Agglomerative clustering of an `n x n` distance matrix: cluster labels `0..k-1` (in order of first item).
 * @category clustering
 */
export const agglomerative = (
  distances: ArrayLike<number>,
  n: number,
  options: { readonly linkage?: Linkage } & Cut
): Int32Array => {
  if (n === 0) throw new EmptySet({ what: "the set to cluster" })
  const merges = dendrogram(distances, n, options.linkage ?? "average")
  const parent = new Int32Array(n)
  for (let i = 0; i < n; i++) parent[i] = i
  let count: number
  if ("numClusters" in options) {
    const k = options.numClusters
    if (!Number.isInteger(k) || k < 1 || k > n)
      throw new InvalidOption({ what: "numClusters", detail: `${k} is not an integer in 1..${n}` })
    count = n - k
  } else {
    if (Number.isNaN(options.threshold)) throw new InvalidOption({ what: "threshold", detail: "NaN" })
    count = merges.filter((m) => m.height < options.threshold).length
  }
  for (let t = 0; t < count; t++) {
    const m = merges[t]!
    parent[find(parent, m.a)] = find(parent, m.b)
  }
  return compact(parent)
}

/**
 * Threshold clustering: connected components of `distance <= threshold` (equivalently single linkage cut at the
 * threshold, inclusive). @category clustering
 */
export const thresholdClustering = (distances: ArrayLike<number>, n: number, threshold: number): Int32Array => {
  if (distances.length !== n * n)
    throw new LengthMismatch({ what: "distance matrix (n x n)", expected: n * n, actual: distances.length })
  if (n === 0) throw new EmptySet({ what: "the set to cluster" })
  const parent = new Int32Array(n)
  for (let i = 0; i < n; i++) parent[i] = i
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (distances[i * n + j]! <= threshold) parent[find(parent, i)] = find(parent, j)
    }
  }
  return compact(parent)
}

/** Clusters embeddings: distances with tfjs (default cosine), then agglomerative or threshold clustering. @category clustering */
export const clusterEmbeddings = (
  features: FeaturesInput,
  options:
    | ({ readonly method: "agglomerative"; readonly linkage?: Linkage } & Cut)
    | { readonly method: "threshold"; readonly threshold: number },
  metric: DistanceMetric = "cosine"
): Int32Array => {
  const m = toFeatureMatrix(features)
  const d = pairwiseDistances(m, m, { metric })
  for (let i = 0; i < m.rows; i++) d[i * m.rows + i] = 0
  return options.method === "threshold"
    ? thresholdClustering(d, m.rows, options.threshold)
    : agglomerative(d, m.rows, options)
}

/** Clustering scores. */
export interface ClusteringScores {
  readonly nmi: number
  readonly ari: number
  readonly pairwisePrecision: number
  readonly pairwiseRecall: number
  readonly pairwiseF: number
  readonly numClusters: number
  readonly numClasses: number
}

const choose2 = (x: number) => (x * (x - 1)) / 2

/**
 * NMI, ARI and the pairwise F-score of predicted clusters against true identities.
 * Conventions for degenerate cases (as scikit-learn): NMI = 1 and ARI = 1 when both labelings are identical
 * partitions into one cluster or into singletons; pairwise precision (recall) is 1 when there are no predicted
 * (true) same-cluster pairs. @category clustering
 */
export const clusteringScores = (predicted: ArrayLike<number>, truth: ArrayLike<number>): ClusteringScores => {
  const p = toInt32(predicted, "predicted clusters")
  const t = toInt32(truth, "true identities")
  if (p.length !== t.length) throw new LengthMismatch({ what: "true identities", expected: p.length, actual: t.length })
  const n = p.length
  if (n === 0) throw new EmptySet({ what: "the clustered set" })
  const pIndex = new Map<number, number>()
  const tIndex = new Map<number, number>()
  const cell = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    if (!pIndex.has(p[i]!)) pIndex.set(p[i]!, pIndex.size)
    if (!tIndex.has(t[i]!)) tIndex.set(t[i]!, tIndex.size)
    const key = `${pIndex.get(p[i]!)},${tIndex.get(t[i]!)}`
    cell.set(key, (cell.get(key) ?? 0) + 1)
  }
  const a = new Float64Array(tIndex.size)
  const b = new Float64Array(pIndex.size)
  for (let i = 0; i < n; i++) {
    a[tIndex.get(t[i]!)!]!++
    b[pIndex.get(p[i]!)!]!++
  }
  const entropy = (counts: Float64Array) => {
    let h = 0
    for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n)
    return h
  }
  let mi = 0
  let sumCells = 0
  for (const [key, c] of cell) {
    const [pi, ti] = key.split(",").map(Number) as [number, number]
    mi += (c / n) * Math.log((n * c) / (a[ti]! * b[pi]!))
    sumCells += choose2(c)
  }
  const ha = entropy(a)
  const hb = entropy(b)
  const nmi = ha === 0 && hb === 0 ? 1 : ha === 0 || hb === 0 ? 0 : Math.max(0, mi) / ((ha + hb) / 2)
  let sumA = 0
  let sumB = 0
  for (const x of a) sumA += choose2(x)
  for (const x of b) sumB += choose2(x)
  const total = choose2(n)
  const expected = total === 0 ? 0 : (sumA * sumB) / total
  const maxIndex = (sumA + sumB) / 2
  const ari = maxIndex === expected ? 1 : (sumCells - expected) / (maxIndex - expected)
  const precision = sumB === 0 ? 1 : sumCells / sumB
  const recall = sumA === 0 ? 1 : sumCells / sumA
  const f = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return {
    nmi: Math.min(1, nmi),
    ari,
    pairwisePrecision: precision,
    pairwiseRecall: recall,
    pairwiseF: f,
    numClusters: pIndex.size,
    numClasses: tIndex.size
  }
}
