/**
 * Benchmark of @reidfx/eval at Market-1501 scale: 3,368 queries x 15,913 gallery images, 512-d and 2,048-d
 * features with identity structure (1,501 identity centres + Gaussian noise, 6 cameras; the noise level gives a
 * mid-range mAP, not pure noise), on the wasm backend.
 *
 * Cases: `ranking` = pairwise distances (tfjs matMul in blocks) + CMC + mAP + mINP; `reranking` = k-reciprocal
 * re-ranking (k1 20, k2 6, lambda 0.3) from features, then the same metrics. Each case runs in a child process so
 * that its peak memory (`process.resourceUsage().maxRSS`, data included) is its own. `median` is wall time;
 * `cpuMs` is the process CPU time (all threads) of the same work, which stays meaningful on a loaded machine.
 *
 *     node --conditions=@reidfx/source bench/eval.ts [--quick]
 */
import { execFileSync } from "node:child_process"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
import { type BenchRow, median } from "./_lib.ts"

export interface ChildResult {
  readonly ms: number
  readonly cpuMs: number
  /** CPU time of the distance step alone (the rest of `cpuMs` is the metrics). */
  readonly distancesCpuMs: number
  readonly distancesMs: number
  readonly metricsMs: number
  readonly peakRssMiB: number
  readonly dataRssMiB: number
  readonly mAP: number
  readonly rank1: number
  readonly mINP: number
}

const here = fileURLToPath(import.meta.url)

const child = async (kind: "ranking" | "reranking", Q: number, G: number, dim: number): Promise<ChildResult> => {
  const { Backend, RandomStream } = await import("@reidfx/tensor")
  const { Effect, Layer, Scope } = await import("effect")
  const { pairwiseDistances, rankingFromDistances, reRankFeatures } = await import("@reidfx/eval")
  // held until the process ends (the layer keeps reidfx's wasm kernels registered while it is held); the backend
  // is wasm unless REIDFX_BENCH_BACKEND names another (evalNumpy.ts times torch too)
  const backend = Backend.BackendName.literals.find((name) => name === process.env["REIDFX_BENCH_BACKEND"]) ?? "wasm"
  await Effect.runPromise(Layer.buildWithScope(Backend.layerFor(backend), Effect.runSync(Scope.make())))
  const identities = 1501
  const cameras = 6
  const sigma = Math.sqrt(Math.sqrt(dim / 2) / 3)
  const rng = RandomStream.fromSeed(2024, "bench-eval")
  const centres = new Float32Array(identities * dim)
  for (let k = 0; k < centres.length; k++) centres[k] = rng.normal()
  const make = (n: number) => {
    const data = new Float32Array(n * dim)
    const ids = new Int32Array(n)
    const cams = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      ids[i] = 1 + rng.nextInt(identities)
      cams[i] = rng.nextInt(cameras)
      const c = (ids[i]! - 1) * dim
      for (let k = 0; k < dim; k++) data[i * dim + k] = centres[c + k]! + sigma * rng.normal()
    }
    return { features: { data, rows: n, dim }, ids, cams }
  }
  const query = make(Q)
  const gallery = make(G)
  // REIDFX_BENCH_DUMP: write the features, ids and cameras for the numpy twin (evalNumpy.ts)
  const dump = process.env["REIDFX_BENCH_DUMP"]
  if (dump !== undefined && dump.length > 0) {
    const { writeFileSync } = await import("node:fs")
    const parts = [
      new Int32Array([Q, G, dim]),
      query.features.data,
      query.ids,
      query.cams,
      gallery.features.data,
      gallery.ids,
      gallery.cams
    ]
    writeFileSync(dump, Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))))
  }
  const dataRssMiB = process.memoryUsage().rss / 2 ** 20
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const distances =
    kind === "ranking"
      ? pairwiseDistances(query.features, gallery.features)
      : reRankFeatures(query.features, gallery.features)
  const t1 = performance.now()
  const c1 = process.cpuUsage(c0)
  const r = rankingFromDistances(distances, query, gallery)
  const t2 = performance.now()
  const cpu = process.cpuUsage(c0)
  return {
    ms: t2 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    distancesCpuMs: (c1.user + c1.system) / 1000,
    distancesMs: t1 - t0,
    metricsMs: t2 - t1,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    dataRssMiB,
    mAP: r.mAP,
    rank1: r.rank1,
    mINP: r.mINP
  }
}

export const spawn = (
  kind: string,
  Q: number,
  G: number,
  dim: number,
  env: Record<string, string> = {}
): ChildResult => {
  const out = execFileSync(
    process.execPath,
    ["--conditions=@reidfx/source", here, "--child", kind, String(Q), String(G), String(dim)],
    {
      env: { ...process.env, ...env },
      encoding: "utf8",
      maxBuffer: 1 << 20,
      timeout: 1_800_000
    }
  )
  return JSON.parse(out.trim().split("\n").pop()!) as ChildResult
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits))

/** Runs the eval benchmark (quick: 300 x 1,500 at 64-d and 128-d, one run each). */
export const run = async (options: { quick: boolean }): Promise<Array<BenchRow>> => {
  const [Q, G] = options.quick ? [300, 1500] : [3368, 15913]
  const dims = options.quick ? [64, 128] : [512, 2048]
  const rows: Array<BenchRow> = []
  const cases: Array<readonly ["ranking" | "reranking", number, number]> = [
    ["ranking", dims[0]!, options.quick ? 1 : 3],
    ["ranking", dims[1]!, options.quick ? 1 : 3],
    ["reranking", dims[0]!, 1]
  ]
  for (const [kind, dim, runs] of cases) {
    const results = Array.from({ length: runs }, () => spawn(kind, Q, G, dim))
    const best = results[0]!
    rows.push({
      suite: "eval",
      case: `${kind === "ranking" ? "distances+CMC+mAP+mINP" : "k-reciprocal re-ranking + metrics"} ${Q}x${G} ${dim}-d`,
      median: round(median(results.map((r) => r.ms))),
      unit: "ms",
      runs,
      extra: {
        [kind === "ranking" ? "distancesMs" : "reRankingMs"]: round(median(results.map((r) => r.distancesMs))),
        metricsMs: round(median(results.map((r) => r.metricsMs))),
        cpuMs: round(median(results.map((r) => r.cpuMs))),
        loadAverage1m: round(os.loadavg()[0]!, 2),
        peakRssMiB: round(Math.max(...results.map((r) => r.peakRssMiB))),
        rssAfterDataMiB: round(best.dataRssMiB),
        mAP: round(best.mAP, 4),
        rank1: round(best.rank1, 4),
        mINP: round(best.mINP, 4)
      }
    })
  }
  return rows
}

if (process.argv[1] === here) {
  const argv = process.argv.slice(2)
  if (argv[0] === "--child") {
    const [kind, Q, G, dim] = argv.slice(1)
    const result = await child(kind as "ranking" | "reranking", Number(Q), Number(G), Number(dim))
    console.log(JSON.stringify(result))
    process.exit(0)
  } else {
    const rows = await run({ quick: argv.includes("--quick") })
    for (const r of rows) console.log(JSON.stringify(r))
  }
}
