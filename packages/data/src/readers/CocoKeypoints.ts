/**
 * Body keypoints from a COCO-style keypoint annotation file (the format of COCO's `person_keypoints_*.json`, which
 * common pose estimators such as OpenPifPaf, MMPose and Detectron2 write next to a dataset):
 *
 *     { "images": [{ "id": 1, "file_name": "0002_c1s1_000451_03.jpg" }, ...],
 *       "annotations": [{ "image_id": 1, "keypoints": [x1, y1, v1, ..., x17, y17, v17], "score"?: 0.9 }, ...] }
 *
 * (a bare array of `{ "image_id": "<file name>", "keypoints": [...] }` results, COCO's results format, is read too).
 * Keypoints are in the COCO-17 order (`synthetic/Annotations.ts`' `cocoKeypointNames`), v = 0 not labelled,
 * 1 labelled but hidden, 2 visible (a detector's score in place of v is kept as is). An image with several
 * annotations keeps the one with the highest `score` (or the first). Errors are a typed {@link MalformedMetadata}.
 * @since 0.1.0
 */
import { MalformedMetadata } from "../errors.ts"

/** 17 keypoints as `[x, y, v]` triples (51 numbers), by image file name. @category models @since 0.1.0 */
export type KeypointIndex = ReadonlyMap<string, Float32Array>

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Parses the text of a COCO keypoint file (see the module doc). `path` names the file in errors. @category readers @since 0.1.0 */
export const parse = (text: string, path: string): KeypointIndex => {
  const out = new Map<string, Float32Array>()
  for (const [name, a] of chosen(text, path)) out.set(name, Float32Array.from(a.keypoints as Array<number>))
  return out
}

/**
 * The person boxes `[x, y, w, h]` (COCO's `bbox`) of the same annotations {@link parse} keeps, by image file name;
 * images whose kept annotation has no `bbox` are absent (a `bbox` that is not 4 finite numbers is a
 * {@link MalformedMetadata}). @category readers @since 0.3.0
 */
export const parseBoxes = (
  text: string,
  path: string
): ReadonlyMap<string, readonly [number, number, number, number]> => {
  const out = new Map<string, readonly [number, number, number, number]>()
  for (const [name, a] of chosen(text, path)) {
    if (a.bbox === undefined) continue
    const b = a.bbox
    if (!Array.isArray(b) || b.length !== 4 || b.some((v) => typeof v !== "number" || !Number.isFinite(v)))
      throw new MalformedMetadata({ path, detail: `${name}: bbox must be 4 finite numbers [x, y, w, h]` })
    out.set(name, [b[0], b[1], b[2], b[3]] as const)
  }
  return out
}

/** The annotation kept per image (checked keypoints; the highest score, or the first). */
const chosen = (text: string, path: string): ReadonlyMap<string, Record<string, unknown>> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new MalformedMetadata({ path, detail: `not JSON: ${(e as Error).message}` })
  }
  const names = new Map<unknown, string>()
  let annotations: unknown
  if (Array.isArray(json)) annotations = json
  else if (isRecord(json) && Array.isArray(json.annotations)) {
    annotations = json.annotations
    for (const image of Array.isArray(json.images) ? json.images : []) {
      if (isRecord(image) && typeof image.file_name === "string") names.set(image.id, image.file_name)
    }
  } else
    throw new MalformedMetadata({ path, detail: "expected { images, annotations } or an array of keypoint results" })
  const out = new Map<string, Record<string, unknown>>()
  const scores = new Map<string, number>()
  ;(annotations as Array<unknown>).forEach((a, k) => {
    if (!isRecord(a)) throw new MalformedMetadata({ path, detail: `annotation ${k} is not an object` })
    const name = names.get(a.image_id) ?? (typeof a.image_id === "string" ? a.image_id : undefined)
    if (name === undefined)
      throw new MalformedMetadata({
        path,
        detail: `annotation ${k}: image_id ${String(a.image_id)} has no entry in images`
      })
    const kp = a.keypoints
    if (!Array.isArray(kp) || kp.length !== 51 || kp.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
      throw new MalformedMetadata({
        path,
        detail: `annotation ${k} (${name}): keypoints must be 51 finite numbers (17 x [x, y, v])`
      })
    }
    const score = typeof a.score === "number" ? a.score : Number.NEGATIVE_INFINITY
    if (out.has(name) && score <= scores.get(name)!) return
    out.set(name, a)
    scores.set(name, score)
  })
  return out
}
