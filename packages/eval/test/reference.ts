/**
 * Straightforward reference implementations used by the tests: full stable sort of every gallery row,
 * then the textbook definitions (a port of the Market-1501 / torchreid evaluation loops).
 */
export interface RefOptions {
  readonly sameCameraJunk: boolean
  readonly junkIdentities: ReadonlyArray<number>
  readonly distractorIdentities: ReadonlyArray<number>
  readonly trapezoid: boolean
  readonly maxRank: number
}

export const refOptions: RefOptions = {
  sameCameraJunk: true,
  junkIdentities: [-1],
  distractorIdentities: [0],
  trapezoid: false,
  maxRank: 50
}

/** Per query: { ap, inp, cmc (0/1 per rank) } or null when there is no valid match. */
export const referenceQuery = (
  row: ArrayLike<number>,
  qid: number,
  qcam: number,
  gids: ArrayLike<number>,
  gcams: ArrayLike<number>,
  o: RefOptions = refOptions
): { ap: number; inp: number; cmc: Array<number> } | null => {
  const order = Array.from({ length: gids.length }, (_, j) => j).sort((a, b) => row[a]! - row[b]! || a - b)
  const matches: Array<boolean> = []
  for (const j of order) {
    const gid = gids[j]!
    const junk =
      o.junkIdentities.includes(gid) ||
      (o.sameCameraJunk && gid === qid && gcams[j] === qcam && !o.distractorIdentities.includes(gid))
    if (junk) continue
    matches.push(gid === qid && !o.distractorIdentities.includes(gid))
  }
  const P = matches.filter(Boolean).length
  if (P === 0) return null
  let hits = 0
  let ap = 0
  let last = 0
  matches.forEach((m, r) => {
    if (!m) return
    hits++
    const precision = hits / (r + 1)
    const old = r === 0 ? 1 : (hits - 1) / r
    ap += o.trapezoid ? (old + precision) / 2 : precision
    last = r
  })
  const firstIdx = matches.indexOf(true)
  const cmc = Array.from({ length: o.maxRank }, (_, k) => (firstIdx <= k ? 1 : 0))
  return { ap: ap / P, inp: P / (last + 1), cmc }
}
