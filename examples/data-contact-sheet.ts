/**
 * Renders a few identities of the synthetic ReID world across its cameras to a PNG contact sheet: one row per
 * identity (people, then vehicles), two images per camera; then one row per tracklet of the video world
 * (frames in order, showing the motion).
 *
 *     node --conditions=@reidfx/source examples/data-contact-sheet.ts [out.png] [--preset easy|medium|hard]
 *
 * Default output: /tmp/reidfx-contact-sheet.png.
 */
import { Image, Synthetic } from "@reidfx/data"
import sharp from "sharp"

const smoke = process.env.REIDFX_SMOKE === "1"
const args = process.argv.slice(2)
const presetIndex = args.indexOf("--preset")
const preset = (presetIndex >= 0 ? args[presetIndex + 1] : "medium") as Synthetic.PresetName
const out =
  args.find((a, i) => a.endsWith(".png") && !(presetIndex >= 0 && i === presetIndex + 1)) ??
  "/tmp/reidfx-contact-sheet.png"
if (!(preset in Synthetic.presets))
  throw new Error(`unknown preset "${preset}"; use one of ${Object.keys(Synthetic.presets).join(", ")}`)

const H = smoke ? 64 : 128
const W = smoke ? 32 : 64
const GAP = 2
const identities = smoke ? 2 : 4
const cameras = 4
const perCamera = 2
const frames = 8

const rows: Array<Array<Image.RgbImage>> = []
for (const kind of ["person", "vehicle"] as const) {
  const world = Synthetic.makeSync({
    kind,
    seed: 7,
    identities,
    trainIdentities: identities,
    cameras,
    camerasPerIdentity: cameras,
    imagesPerCamera: perCamera,
    height: H,
    width: W,
    difficulty: Synthetic.presets[preset]
  })
  for (let id = 1; id <= identities; id++) {
    const row: Array<Image.RgbImage> = []
    for (let cam = 0; cam < cameras; cam++)
      for (let index = 0; index < perCamera; index++) row.push(world.render({ _tag: "Image", id, cam, index }))
    rows.push(row)
  }
}
for (const kind of ["person", "vehicle"] as const) {
  const video = Synthetic.makeSync({
    kind,
    seed: 7,
    identities: 2,
    trainIdentities: 2,
    cameras,
    tracklets: { perCamera: 1, frames },
    height: H,
    width: W,
    difficulty: Synthetic.presets[preset]
  })
  const first = video.dataset.train.filter((item) => item.tracklet === 0)
  rows.push(first.map((item) => (item.source._tag === "Rendered" ? item.source.render(H, W) : Image.make(H, W))))
}

const cols = Math.max(...rows.map((r) => r.length))
const sheetW = cols * (W + GAP) + GAP
const sheetH = rows.length * (H + GAP) + GAP
const sheet = new Uint8Array(sheetW * sheetH * 3).fill(255)
rows.forEach((row, r) => {
  row.forEach((img, c) => {
    for (let y = 0; y < H; y++) {
      const dst = ((GAP + r * (H + GAP) + y) * sheetW + GAP + c * (W + GAP)) * 3
      sheet.set(img.data.subarray(y * W * 3, (y + 1) * W * 3), dst)
    }
  })
})
await sharp(sheet, { raw: { width: sheetW, height: sheetH, channels: 3 } })
  .png()
  .toFile(out)
console.log(
  `wrote ${out}: ${rows.length} rows (${identities} people, ${identities} vehicles x ${cameras} cameras x ${perCamera} images; 2 tracklets of ${frames} frames), preset ${preset}, ${W}x${H} per image`
)
