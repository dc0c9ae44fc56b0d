/**
 * What a real dataset's annotation gives, for the synthetic world's persons:
 *
 * - **attribute labels** per identity (as the Market-1501 / DukeMTMC attribute annotations of Lin et al.,
 *   "Improving Person Re-identification by Attribute and Identity Learning", which are per identity), read off the
 *   person's appearance: `hat`, `longHair`, `shortSleeves`, `shorts`, `skirt`, `backpack`, `shoulderBag`,
 *   `handbag`, `patternedTop`, `darkTop`, `darkBottom` (dark: mean channel value < 100 of 255);
 * - **body keypoints** in the COCO-17 order and format (`[x, y, v]`, v = 2 visible, 1 labelled but hidden) for a
 *   drawn person, from the geometry `Person.draw` uses (same box, view and gait phase), so that keypoint-guided
 *   models can be tested on images whose keypoints are exact.
 * @since 0.1.0
 */
import type { View } from "./Camera.ts"
import { bodyFrame, type PersonAppearance, type Placement } from "./Person.ts"

/** The attribute names, in label order. @category models @since 0.1.0 */
export const attributeNames = [
  "hat",
  "longHair",
  "shortSleeves",
  "shorts",
  "skirt",
  "backpack",
  "shoulderBag",
  "handbag",
  "patternedTop",
  "darkTop",
  "darkBottom"
] as const
/** The name of one binary attribute of a synthetic person (see {@link attributeNames}). */
export type AttributeName = (typeof attributeNames)[number]

const dark = (c: readonly [number, number, number]) => (c[0] + c[1] + c[2]) / 3 < 100

/** The binary attribute labels (0 / 1, in {@link attributeNames} order) of a person. @category constructors @since 0.1.0 */
export const attributes = (a: PersonAppearance): Array<number> => {
  const values: Record<AttributeName, boolean> = {
    hat: a.hat !== undefined,
    longHair: a.longHair,
    shortSleeves: a.shortSleeves,
    shorts: a.bottomStyle === "shorts",
    skirt: a.bottomStyle === "skirt",
    backpack: a.bag === "backpack",
    shoulderBag: a.bag === "shoulder",
    handbag: a.bag === "handbag",
    patternedTop: a.pattern !== "solid",
    darkTop: dark(a.top),
    darkBottom: dark(a.bottom)
  }
  return attributeNames.map((n) => (values[n] ? 1 : 0))
}

/** The COCO-17 keypoint names, in order. @category models @since 0.1.0 */
export const cocoKeypointNames = [
  "nose",
  "leftEye",
  "rightEye",
  "leftEar",
  "rightEar",
  "leftShoulder",
  "rightShoulder",
  "leftElbow",
  "rightElbow",
  "leftWrist",
  "rightWrist",
  "leftHip",
  "rightHip",
  "leftKnee",
  "rightKnee",
  "leftAnkle",
  "rightAnkle"
] as const

/**
 * The 17 keypoints `[x, y, v]` (pixels) of a person drawn by `Person.draw(c, a, view, place, phase)`. Front view:
 * the person's left is the image's right; back view: the image's left; side views: the far side's points are hidden
 * (v = 1), and in the back view so are the face's.
 * @category constructors
 * @since 0.1.0
 */
export const keypoints = (
  a: PersonAppearance,
  view: View,
  place: Placement,
  phase: number
): Array<readonly [number, number, number]> => {
  const { cx, dir, side, swing, w, Y } = bodyFrame(a, view, place, phase)
  const hr = 0.16 * w
  const hcx = cx + (side ? dir * 0.03 * w : 0)
  // image x of the person's left (+1) or right (-1) side at half-width `d`
  const lateral = (s: 1 | -1, d: number) => (view === "front" ? cx + s * d : view === "back" ? cx - s * d : cx)
  // side views: by this file's convention the person's left is the near side in the "left" view, the right in the "right" view
  const near = (s: 1 | -1) => !side || (view === "left" ? s === 1 : s === -1)
  const vis = (s: 1 | -1) => (near(s) ? 2 : 1)
  const face = view === "back" ? 1 : 2
  const pts: Array<readonly [number, number, number]> = []
  pts.push([hcx + (side ? dir * 0.8 * hr : 0), Y(0.11), face])
  for (const s of [1, -1] as const)
    pts.push([side ? hcx + dir * 0.5 * hr : lateral(s, 0.35 * hr), Y(0.085), view === "back" ? 1 : side ? vis(s) : 2])
  for (const s of [1, -1] as const) pts.push([side ? hcx : lateral(s, hr), Y(0.1), side ? vis(s) : 2])
  const shoulder = side ? 0.15 : 0.25
  for (const s of [1, -1] as const) pts.push([lateral(s, shoulder * w), Y(0.19), vis(s)])
  const arm = (s: 1 | -1, reach: number) =>
    side ? cx + dir * swing * 0.25 * w * reach * (near(s) ? 1 : -1) : lateral(s, 0.295 * w)
  for (const s of [1, -1] as const) pts.push([arm(s, 0.5), Y(0.34), vis(s)])
  for (const s of [1, -1] as const) pts.push([arm(s, 1), Y(0.5), vis(s)])
  for (const s of [1, -1] as const) pts.push([lateral(s, 0.12 * w), Y(0.54), vis(s)])
  const leg = (s: 1 | -1, reach: number) =>
    side ? cx + (near(s) ? 1 : -1) * swing * 0.28 * w * reach : lateral(s, 0.105 * w)
  for (const s of [1, -1] as const) pts.push([leg(s, 0.5), Y(0.74), vis(s)])
  for (const s of [1, -1] as const) pts.push([leg(s, 1), Y(0.95), vis(s)])
  return pts
}
