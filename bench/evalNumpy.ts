/**
 * `reidfx eval`'s ranking (pairwise distances + CMC + mAP + mINP, `bench/eval.ts`'s child at Market-1501 scale:
 * 3,368 queries x 15,913 gallery, 512-d) on wasm and, where its addon is built, on torch, against a numpy
 * implementation of the same protocol (`bench/eval_numpy.py`, torchreid's `eval_market1501`) on the same features,
 * in the same run. Prints the ratio numpy time / reidfx time (>1: reidfx is faster) and checks that both give the
 * same mAP. numpy comes from the Python that has it (`PYTHON`, python3, /usr/bin/python3: Debian `python3-numpy`).
 *
 * Run: `npm run bench -- --only evalNumpy [--quick]` (quick: 300 x 1,500, 64-d).
 */
import { spawnSync } from "node:child_process"
import { rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type BenchRow, median } from "./_lib.ts"
import { type ChildResult, spawn } from "./eval.ts"

const suite = "evalNumpy"
const here = dirname(fileURLToPath(import.meta.url))

interface NumpyResult {
  readonly ms: number
  readonly distancesMs: number
  readonly metricsMs: number
  readonly cpuMs: number
  readonly distancesCpuMs: number
  readonly mAP: number
  readonly rank1: number
  readonly mINP: number
  readonly numpy: string
}

const numpy = (dump: string): NumpyResult | undefined => {
  for (const python of [process.env["PYTHON"], "python3", "/usr/bin/python3"]) {
    if (python === undefined || python.length === 0) continue
    const r = spawnSync(python, [join(here, "eval_numpy.py"), dump], { encoding: "utf8", maxBuffer: 1 << 20 })
    if (r.status === 0) return JSON.parse(r.stdout.trim().split("\n").pop()!) as NumpyResult
  }
  console.error("evalNumpy bench: no Python with numpy found (apt-get install python3-numpy): numpy rows skipped")
  return undefined
}

const torchBuilt = async (): Promise<boolean> =>
  import("@reidfx/torch-backend").then(
    (m) => m.addonBuilt(),
    () => false
  )

export const run = async (options: { quick: boolean }): Promise<Array<BenchRow>> => {
  const [Q, G, dim] = options.quick ? [300, 1500, 64] : [3368, 15913, 512]
  const runs = options.quick ? 1 : 3
  const dump = join(tmpdir(), `reidfx-eval-numpy-${process.pid}.bin`)
  const rows: Array<BenchRow> = []
  try {
    const backends: Array<"wasm" | "torch"> = (await torchBuilt()) ? ["wasm", "torch"] : ["wasm"]
    const ours = new Map<string, Array<ChildResult>>()
    const theirs: Array<NumpyResult> = []
    // rounds interleave the implementations, so drifting load on a shared machine hits them alike
    for (let round = 0; round < runs; round++) {
      for (const backend of backends) {
        const env: Record<string, string> = {
          REIDFX_BENCH_BACKEND: backend,
          ...(round === 0 && backend === "wasm" ? { REIDFX_BENCH_DUMP: dump } : {})
        }
        ours.set(backend, [...(ours.get(backend) ?? []), spawn("ranking", Q, G, dim, env)])
      }
      const n = numpy(dump)
      if (n !== undefined) theirs.push(n)
    }
    const shape = `${Q}x${G} ${dim}-d`
    for (const [backend, results] of ours) {
      rows.push({
        suite,
        case: `reidfx distances+CMC+mAP+mINP ${shape}: ${backend}`,
        median: median(results.map((r) => r.ms)),
        unit: "ms",
        runs: results.length,
        extra: {
          distancesMs: Number(median(results.map((r) => r.distancesMs)).toFixed(1)),
          metricsMs: Number(median(results.map((r) => r.metricsMs)).toFixed(1)),
          cpuMs: Number(median(results.map((r) => r.cpuMs)).toFixed(1)),
          distancesCpuMs: Number(median(results.map((r) => r.distancesCpuMs)).toFixed(1)),
          mAP: Number(results[0]!.mAP.toFixed(5))
        }
      })
    }
    if (theirs.length > 0) {
      rows.push({
        suite,
        case: `numpy ${theirs[0]!.numpy} distances+CMC+mAP+mINP ${shape}`,
        median: median(theirs.map((r) => r.ms)),
        unit: "ms",
        runs: theirs.length,
        extra: {
          distancesMs: Number(median(theirs.map((r) => r.distancesMs)).toFixed(1)),
          metricsMs: Number(median(theirs.map((r) => r.metricsMs)).toFixed(1)),
          cpuMs: Number(median(theirs.map((r) => r.cpuMs)).toFixed(1)),
          distancesCpuMs: Number(median(theirs.map((r) => r.distancesCpuMs)).toFixed(1)),
          mAP: Number(theirs[0]!.mAP.toFixed(5))
        }
      })
      for (const [backend, results] of ours) {
        const perRound = results.map((r, i) => theirs[Math.min(i, theirs.length - 1)]!.ms / r.ms)
        rows.push({
          suite,
          case: `speed-up reidfx (${backend}) over numpy, ${shape}`,
          median: median(perRound),
          unit: "x",
          runs: perRound.length,
          extra: {
            rounds: `${Math.min(...perRound).toFixed(2)}-${Math.max(...perRound).toFixed(2)}`,
            byCpuTime: Number((median(theirs.map((r) => r.cpuMs)) / median(results.map((r) => r.cpuMs))).toFixed(2)),
            mAPDifference: Number(Math.abs(results[0]!.mAP - theirs[0]!.mAP).toExponential(2)),
            mINPDifference: Number(Math.abs(results[0]!.mINP - theirs[0]!.mINP).toExponential(2))
          }
        })
      }
    }
    return rows
  } finally {
    rmSync(dump, { force: true })
  }
}
