/**
 * A camera-balanced PK sampler: P identities, preferring identities seen by at least two cameras, and for each
 * identity K instances spread over its cameras round-robin (cameras in random order, instances of a camera
 * without replacement until the camera is exhausted), so the positives of an anchor come from other cameras
 * whenever the data allows. Cross-camera positives are what ReID must learn to match.
 * @since 0.1.0
 */
import type { RandomStream } from "@reidfx/tensor"
import { SamplerError } from "../errors.ts"
import type { Labelled } from "../Item.ts"
import type { IdentityIndex } from "./IdentityIndex.ts"
import type { PKOptions } from "./PKSampler.ts"

/** K positions of one identity, balanced over its cameras. */
export const balancedInstances = (
  rng: RandomStream,
  cams: ReadonlyMap<number, ReadonlyArray<number>>,
  k: number
): Array<number> => {
  const order = rng.shuffle([...cams.keys()])
  const pools = new Map(order.map((c) => [c, rng.shuffle(cams.get(c)!)]))
  const out: Array<number> = []
  for (let i = 0; out.length < k; i++) {
    const cam = order[i % order.length]!
    let pool = pools.get(cam)!
    if (pool.length === 0) pools.set(cam, (pool = rng.shuffle(cams.get(cam)!)))
    out.push(pool.pop()!)
  }
  return out
}

/** One camera-balanced PK batch (identity-major). Throws {@link SamplerError}. */
export const batch = <A extends Labelled>(index: IdentityIndex<A>, rng: RandomStream, options: PKOptions): Array<A> => {
  if (index.ids.length < options.p) {
    throw new SamplerError({
      sampler: "CameraBalancedSampler",
      detail: `needs at least P = ${options.p} identities, the data has ${index.ids.length}`
    })
  }
  const multi = index.ids.filter((id) => index.byIdCam.get(id)!.size >= 2)
  const single = index.ids.filter((id) => index.byIdCam.get(id)!.size < 2)
  const chosen =
    multi.length >= options.p
      ? rng.sample(multi, options.p)
      : [...multi, ...rng.sample(single, options.p - multi.length)]
  const out: Array<A> = []
  for (const id of chosen)
    for (const i of balancedInstances(rng, index.byIdCam.get(id)!, options.k)) out.push(index.units[i]!)
  return out
}
