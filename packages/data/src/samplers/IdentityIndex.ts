/**
 * An index of units (items or tracklets) by identity and camera, built once per training set and read by
 * every sampler.
 * @since 0.1.0
 */
import type { Labelled } from "../Item.ts"

/** Units grouped by identity, the index every identity-balanced sampler draws from. */
export interface IdentityIndex<A extends Labelled> {
  readonly units: ReadonlyArray<A>
  /** Sorted distinct identities. */
  readonly ids: ReadonlyArray<number>
  /** Unit positions of each identity, in input order. */
  readonly byId: ReadonlyMap<number, ReadonlyArray<number>>
  /** Unit positions of each identity, per camera. */
  readonly byIdCam: ReadonlyMap<number, ReadonlyMap<number, ReadonlyArray<number>>>
}

/** Builds the index. */
export const make = <A extends Labelled>(units: ReadonlyArray<A>): IdentityIndex<A> => {
  const byId = new Map<number, Array<number>>()
  const byIdCam = new Map<number, Map<number, Array<number>>>()
  units.forEach((u, i) => {
    let list = byId.get(u.id)
    if (list === undefined) byId.set(u.id, (list = []))
    list.push(i)
    let cams = byIdCam.get(u.id)
    if (cams === undefined) byIdCam.set(u.id, (cams = new Map()))
    let cl = cams.get(u.cam)
    if (cl === undefined) cams.set(u.cam, (cl = []))
    cl.push(i)
  })
  return { units, ids: [...byId.keys()].sort((a, b) => a - b), byId, byIdCam }
}
