/**
 * Every evaluation protocol of @reidfx/eval on a synthetic ReID world (identity centres + noise, 6 cameras):
 * ranking (CMC, mAP, mINP) with and without re-ranking, CUHK03 single-gallery-shot CMC, verification, clustering,
 * and an HTML page of ranked lists.
 *
 *     node --conditions=@reidfx/source examples/eval-protocols.ts
 */
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  allPairs,
  clusterEmbeddings,
  clusteringScores,
  evaluateRanking,
  pairwiseDistances,
  rankedListHtml,
  rankingFromDistances,
  reRankFeatures,
  singleGalleryShotCmc,
  verification
} from "@reidfx/eval"
import { Backend, RandomStream } from "@reidfx/tensor"
import { Effect, Layer, Scope } from "effect"

const smoke = process.env["REIDFX_SMOKE"] === "1"
// held until the process ends (the layer keeps reidfx's wasm kernels registered while it is held)
await Effect.runPromise(Layer.buildWithScope(Backend.layerWasm, Effect.runSync(Scope.make())))

const identities = smoke ? 30 : 300
const dim = smoke ? 16 : 128
const rng = RandomStream.fromSeed(1, "example")
const centres = Array.from({ length: identities }, () => Array.from({ length: dim }, () => rng.normal()))
const sample = (n: number) => {
  const ids = Array.from({ length: n }, (_, i) => 1 + (i % identities))
  const cams = ids.map(() => rng.nextInt(6))
  const data = new Float32Array(n * dim)
  ids.forEach((id, i) => {
    centres[id - 1]!.forEach((c, k) => {
      data[i * dim + k] = c + 1.5 * rng.normal()
    })
  })
  return { features: { data, rows: n, dim }, ids, cams }
}
const query = sample(identities * 2)
const gallery = sample(identities * 8)

const r = evaluateRanking({ query, gallery })
console.log(
  `ranking: rank-1 ${(100 * r.rank1).toFixed(1)}  mAP ${(100 * r.mAP).toFixed(1)}  mINP ${(100 * r.mINP).toFixed(1)}  (${r.numValidQueries}/${r.numQueries} valid queries)`
)

const reRanked = rankingFromDistances(reRankFeatures(query.features, gallery.features), query, gallery)
console.log(
  `re-ranked: rank-1 ${(100 * reRanked.rank1).toFixed(1)}  mAP ${(100 * reRanked.mAP).toFixed(1)}  mINP ${(100 * reRanked.mINP).toFixed(1)}`
)

const distances = pairwiseDistances(query.features, gallery.features)
const sgs = singleGalleryShotCmc(distances, query, gallery, { maxRank: 10 })
console.log(
  `single-gallery-shot (exact expectation): rank-1 ${(100 * sgs.cmc[0]!).toFixed(1)}  rank-5 ${(100 * sgs.cmc[4]!).toFixed(1)}`
)

const pairs = allPairs(query.features, query.ids)
const v = verification(pairs.distances, pairs.same, { scoreType: "distance" })
console.log(
  `verification: AUC ${v.auc.toFixed(4)}  EER ${(100 * v.eer).toFixed(2)}%  TAR@FAR=1e-2 ${(100 * v.tarAtFar[2]!.tar).toFixed(1)}%`
)

const clusters = clusterEmbeddings(query.features, {
  method: "agglomerative",
  linkage: "average",
  numClusters: identities
})
const s = clusteringScores(clusters, query.ids)
console.log(`clustering: NMI ${s.nmi.toFixed(3)}  ARI ${s.ari.toFixed(3)}  pairwise F ${s.pairwiseF.toFixed(3)}`)

// ranked lists: coloured squares stand in for person crops
const svg = (id: number) =>
  `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" width="48" height="96"><rect width="48" height="96" fill="hsl(${(id * 47) % 360},60%,55%)"/><text x="6" y="52" font-size="14">${id}</text></svg>`)}`
const page = rankedListHtml(
  distances,
  { images: query.ids.map(svg), ids: query.ids, cams: query.cams },
  { images: gallery.ids.map(svg), ids: gallery.ids, cams: gallery.cams },
  { topK: 8, queries: [0, 1, 2, 3, 4], height: 96 }
)
const out = join(tmpdir(), "reidfx-ranked-lists.html")
writeFileSync(out, page)
console.log(`ranked lists: ${out}`)
