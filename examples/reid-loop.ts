/**
 * The user's loop on files, the way a torchreid / fast-reid user runs it, end to end on the synthetic world:
 *
 * 1. the world is written to disk in the Market-1501 layout, with a Lin et al. attribute file
 *    (`market_attribute.mat`) made from its annotations, and read back by the real readers;
 * 2. a PCB model with refined part pooling (RPP) is saved as a weights folder, loaded back with `SavedModel.load`
 *    (what `reidfx test` does), and the exported dataset is embedded with the test-time flip and normalisation;
 *    mAP of the global (BNNeck) features and of the PCB part descriptor, plus the ranked-list picture
 *    (torchreid's visrank grid) written as a PNG;
 * 3. a short multi-camera video with per-frame detections (misses, occluders) is tracked by IoU + colour-histogram
 *    appearance, and scored by IDF1 against the scene's ground truth.
 *
 * The model is untrained here (the loop, not the accuracy, is the point); `reidfx train --layout market1501 --root
 * <out>/market` trains one on the same files, and `reidfx test --model runs/baseline --layout market1501 --root
 * <out>/market` evaluates it with the pictures.
 *
 *     node --conditions=@reidfx/source examples/reid-loop.ts [out-folder]      # default /tmp/reidfx-loop
 *     REIDFX_SMOKE=1 node --conditions=@reidfx/source examples/reid-loop.ts
 */
import * as fs from "node:fs"
import * as path from "node:path"
import {
  AttributeAnnotations,
  Decode,
  Mat5,
  Montage,
  Readers,
  Synthetic,
  SyntheticAnnotations,
  SyntheticExport,
  SyntheticScene
} from "@reidfx/data"
import { evaluateRanking, pairwiseDistances, RankedList, track, trackingScores } from "@reidfx/eval"
import { Model, Weights } from "@reidfx/model"
import { Backend } from "@reidfx/tensor"
import { SavedModel } from "@reidfx/train"
import { Evaluate } from "@reidfx/reid"
import { Effect } from "effect"

const smoke = process.env.REIDFX_SMOKE === "1"
const out = process.argv[2] ?? "/tmp/reidfx-loop"
const [height, width] = smoke ? [32, 16] : [64, 32]

const program = Effect.gen(function* () {
  // 1. the world on disk, with its attribute file in Lin et al.'s format
  const world = yield* Synthetic.make({
    kind: "person",
    seed: 3,
    identities: smoke ? 8 : 40,
    cameras: 3,
    imagesPerCamera: 2,
    height,
    width,
    difficulty: Synthetic.presets.easy
  })
  const root = path.join(out, "market")
  yield* SyntheticExport.writeMarket1501(world, root, { format: "png" })
  const row = (xs: ReadonlyArray<number>): Mat5.MatValue => ({
    _tag: "Numeric",
    dims: [1, xs.length],
    data: Float64Array.from(xs)
  })
  const split = (ids: ReadonlyArray<number>): Mat5.MatValue => {
    const labels = ids.map((id) => SyntheticAnnotations.attributes(world.person(id)))
    const fields: Record<string, Mat5.MatValue> = Object.fromEntries(
      SyntheticAnnotations.attributeNames.map((n, a) => [n, row(labels.map((l) => l[a]! + 1))])
    )
    fields.image_index = {
      _tag: "Cell",
      dims: [1, ids.length],
      cells: ids.map((id) => ({ _tag: "Char", dims: [1, 4], text: String(id).padStart(4, "0") }))
    }
    return { _tag: "Struct", dims: [1, 1], fields: Object.keys(fields), elements: [fields] }
  }
  const dataset = yield* Readers.market1501(root)
  const idsOf = (items: ReadonlyArray<{ readonly id: number }>) =>
    [...new Set(items.map((i) => i.id))].sort((a, b) => a - b)
  const attrFile = path.join(out, "market_attribute.mat")
  const market = {
    _tag: "Struct",
    dims: [1, 1],
    fields: ["train", "test"],
    elements: [{ train: split(idsOf(dataset.train)), test: split(idsOf(dataset.query)) }]
  } as const
  fs.writeFileSync(attrFile, Mat5.writeValues([{ name: "market_attribute", value: market }]))
  const attributes = yield* AttributeAnnotations.read(attrFile)
  const withHat = dataset.query.filter(
    (i) => attributes.test.byIdentity.get(i.id)?.[attributes.names.indexOf("hat")] === 1
  ).length
  console.log(
    `${dataset.name}: ${dataset.train.length} train / ${dataset.query.length} query / ${dataset.gallery.length} gallery images; ${attributes.names.length} attributes read back (${withHat} queries wear a hat)`
  )

  // 2. a PCB + RPP model saved, loaded as reidfx test loads it, evaluated on the files
  const config = {
    backbone: { kind: "reference", stemWidth: 8, widths: [16, 32], blocks: [1, 1] },
    head: { parts: { parts: 2, channels: 16, refined: true } }
  } as const
  const trained = yield* Model.make(config)
  yield* Weights.save(trained, path.join(out, "model"))
  const saved = yield* SavedModel.load(path.join(out, "model"))
  const view = { height, width, flip: true, normalize: true }
  const q = yield* Evaluate.embedItems(saved.model, dataset.query, view)
  const g = yield* Evaluate.embedItems(saved.model, dataset.gallery, view)
  const global = evaluateRanking(
    { query: { features: q, ids: q.ids, cams: q.cams }, gallery: { features: g, ids: g.ids, cams: g.cams } },
    { metric: "cosine" }
  )
  const qp = yield* Evaluate.embedItems(saved.model, dataset.query, { ...view, embedding: "parts" })
  const gp = yield* Evaluate.embedItems(saved.model, dataset.gallery, { ...view, embedding: "parts" })
  const local = evaluateRanking(
    { query: { features: qp, ids: q.ids, cams: q.cams }, gallery: { features: gp, ids: g.ids, cams: g.cams } },
    { metric: "cosine" }
  )
  console.log(
    `untrained PCB + RPP (${saved.kind}): mAP ${(100 * global.mAP).toFixed(1)} (global), ${(100 * local.mAP).toFixed(1)} (part descriptor), both flip + L2`
  )
  const distances = pairwiseDistances(q, g, { metric: "cosine" })
  const shown = [0, Math.floor(dataset.query.length / 2)]
  const rows = yield* Effect.forEach(shown, (i) =>
    Effect.gen(function* () {
      const top = RankedList.topRanked(distances.subarray(i * g.rows, (i + 1) * g.rows), q.ids[i]!, q.cams[i]!, g, {
        topK: 5
      })
      const tile = (p: string, frame: Montage.Rgb) =>
        Effect.map(Decode.decode(p, 128, 64), (image) => ({ image, frame }))
      const query = yield* tile((dataset.query[i]!.source as { path: string }).path, Montage.frameColours.query)
      const gallery = yield* Effect.forEach(top, (t) =>
        tile((dataset.gallery[t.index]!.source as { path: string }).path, Montage.frameColours[t.verdict])
      )
      return [query, ...gallery]
    })
  )
  const png = path.join(out, "ranked.png")
  yield* Decode.encode(Montage.rankedRows(rows, { height: 128, width: 64, border: 3, spacing: 5, queryGap: 45 }), png)
  console.log(`ranked lists of ${shown.length} queries: ${png}`)

  // 3. a rendered multi-camera scene, tracked
  const scene = SyntheticScene.make(world, {
    identities: idsOf(dataset.query).slice(0, smoke ? 2 : 4),
    visitFrames: smoke ? 6 : 12
  })
  const detections = scene.detections.map((d) => ({
    frame: d.frame,
    camera: d.camera,
    box: d.box,
    feature: SyntheticScene.colourHistogram(d.crop())
  }))
  const result = track(detections, { threshold: 0.4 })
  const scores = trackingScores(
    result.identities,
    scene.detections.map((d) => d.id),
    detections.map((d) => d.frame),
    detections.map((d) => d.camera)
  )
  yield* Decode.encode(
    scene.frame(scene.detections[0]!.camera, scene.detections[0]!.frame),
    path.join(out, "scene-frame.png")
  )
  console.log(
    `scene: ${scene.cameras} cameras x ${scene.frames} frames, ${scene.truth.length} boxes (${scene.truth.length - detections.length} missed): ` +
      `${new Set(result.tracklets).size} tracklets, ${new Set(result.identities).size} identities, IDF1 ${(100 * scores.idf1).toFixed(1)} (colour histograms)`
  )
})

fs.mkdirSync(out, { recursive: true })
await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(Backend.layerCpu)))
