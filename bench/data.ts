/**
 * Benchmark of @reidfx/data: synthetic rendering rate, and decode + augment + normalise throughput of the image
 * pipeline at 128x64 (JPEG files written by the synthetic world), cold (every image decoded by sharp) and cached
 * (decoded images served from the in-memory LRU cache, so only augmentation and normalisation run).
 *
 *     node --conditions=@reidfx/source bench/data.ts [--quick]
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Augment, ImageCache, Loader, Readers, Sampling, Synthetic, SyntheticExport } from "@reidfx/data"
import { Effect } from "effect"
import { type BenchRow, median } from "./_lib.ts"

/** Images per second of `work(n)` over `runs` repetitions. */
const rate = async (runs: number, n: number, work: () => Promise<void> | void): Promise<number> => {
  const rates: Array<number> = []
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    await work()
    rates.push(n / ((performance.now() - t0) / 1000))
  }
  return median(rates)
}

export const run = async (options: { quick: boolean }): Promise<Array<BenchRow>> => {
  const runs = options.quick ? 1 : 5
  const rows: Array<BenchRow> = []
  for (const [kind, height, width] of [
    ["person", 128, 64],
    ["person", 64, 32],
    ["vehicle", 128, 64]
  ] as const) {
    const world = Synthetic.makeSync({ kind, identities: 100, imagesPerCamera: 4, height, width })
    const items = world.dataset.train.slice(0, options.quick ? 200 : 1000)
    const render = () => {
      for (const item of items) if (item.source._tag === "Rendered") item.source.render(height, width)
    }
    rows.push({
      suite: "data",
      case: `synthetic render ${kind} ${height}x${width}`,
      median: await rate(runs, items.length, render),
      unit: "images/s",
      runs,
      extra: { images: items.length }
    })
  }

  const root = await fs.mkdtemp(path.join(os.tmpdir(), "reidfx-bench-data-"))
  try {
    const world = Synthetic.makeSync({
      identities: options.quick ? 20 : 80,
      imagesPerCamera: 4,
      height: 128,
      width: 64
    })
    await Effect.runPromise(SyntheticExport.writeMarket1501(world, root))
    const ds = await Effect.runPromise(Readers.market1501(root))
    const plans = Sampling.evaluationPlans(ds.train, 64)
    const n = ds.train.length
    const augment = Augment.standard()
    const load = (cache?: ImageCache.ImageCache) =>
      Effect.runPromise(
        Effect.forEach(
          plans,
          (plan, i) =>
            Loader.hostBatch(
              plan,
              { height: 128, width: 64, augment, seed: 1, ...(cache === undefined ? {} : { cache }) },
              i
            ),
          {
            discard: true
          }
        )
      )
    rows.push({
      suite: "data",
      case: "decode + augment 128x64 cold (jpeg, sharp)",
      median: await rate(runs, n, () => load()),
      unit: "images/s",
      runs,
      extra: { images: n }
    })
    const cache = ImageCache.make(512 * 1024 * 1024)
    await load(cache)
    rows.push({
      suite: "data",
      case: "decode + augment 128x64 cached",
      median: await rate(runs, n, () => load(cache)),
      unit: "images/s",
      runs,
      extra: { images: n, cacheMiB: Math.round(cache.stats().bytes / 2 ** 20) }
    })
    const renderedPlans = Sampling.evaluationPlans(world.dataset.train, 64)
    rows.push({
      suite: "data",
      case: "render + augment 128x64 (synthetic, no cache)",
      median: await rate(runs, n, () =>
        Effect.runPromise(
          Effect.forEach(
            renderedPlans,
            (plan, i) => Loader.hostBatch(plan, { height: 128, width: 64, augment, seed: 1 }, i),
            { discard: true }
          )
        )
      ),
      unit: "images/s",
      runs,
      extra: { images: n }
    })
  } finally {
    await fs.rm(root, { recursive: true, force: true })
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await run({ quick: process.argv.includes("--quick") })
  for (const r of rows)
    console.log(`${r.case.padEnd(48)} ${r.median.toFixed(0).padStart(8)} ${r.unit} (runs ${r.runs})`)
}
