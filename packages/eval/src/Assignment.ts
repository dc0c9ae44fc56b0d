/**
 * The linear assignment problem: a minimum-cost matching of the rows of a cost matrix to its columns (the
 * Hungarian method, Kuhn 1955 / Munkres 1957, in the O(n^3) shortest-augmenting-path form with potentials of
 * Jonker & Volgenant). Rectangular matrices are allowed: every row of the smaller side is matched. Entries may be
 * `Infinity` (forbidden); a row whose only options are forbidden stays unmatched (-1).
 * @since 0.1.0
 */

/**
 * `assignment[i]` = the column matched to row i (or -1), minimising the total cost of a `rows x cols` row-major
 * matrix over matchings of size min(rows, cols) (forbidden pairs are dropped afterwards).
 * @category assignment
 * @since 0.1.0
 */
export const hungarian = (cost: ArrayLike<number>, rows: number, cols: number): Int32Array => {
  const transpose = rows > cols
  const [n, m] = transpose ? [cols, rows] : [rows, cols]
  let big = 0
  for (let k = 0; k < cost.length; k++) if (Number.isFinite(cost[k]!)) big = Math.max(big, Math.abs(cost[k]!))
  const forbidden = (big + 1) * (n + 1) * 4
  const at = (i: number, j: number) => {
    const v = transpose ? cost[j * cols + i]! : cost[i * cols + j]!
    return Number.isFinite(v) ? v : forbidden
  }
  // 1-based arrays: u, v potentials; p[j] = row matched to column j; way[j] = previous column on the path
  const u = new Float64Array(n + 1)
  const v = new Float64Array(m + 1)
  const p = new Int32Array(m + 1)
  const way = new Int32Array(m + 1)
  for (let i = 1; i <= n; i++) {
    p[0] = i
    let j0 = 0
    const minv = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY)
    const used = new Uint8Array(m + 1)
    do {
      used[j0] = 1
      const i0 = p[j0]!
      let delta = Number.POSITIVE_INFINITY
      let j1 = 0
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue
        const cur = at(i0 - 1, j - 1) - u[i0]! - v[j]!
        if (cur < minv[j]!) {
          minv[j] = cur
          way[j] = j0
        }
        if (minv[j]! < delta) {
          delta = minv[j]!
          j1 = j
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta
          v[j]! -= delta
        } else minv[j]! -= delta
      }
      j0 = j1
    } while (p[j0] !== 0)
    do {
      const j1 = way[j0]!
      p[j0] = p[j1]!
      j0 = j1
    } while (j0 !== 0)
  }
  const out = new Int32Array(rows).fill(-1)
  for (let j = 1; j <= m; j++) {
    if (p[j] === 0) continue
    const [r, c] = transpose ? [j - 1, p[j]! - 1] : [p[j]! - 1, j - 1]
    if (Number.isFinite(cost[r * cols + c]!)) out[r] = c
  }
  return out
}

/**
 * Greedy matching: repeatedly the cheapest remaining finite pair (ties to the lower row, then column). Not
 * optimal, but what many trackers use for speed.
 * @category assignment
 * @since 0.1.0
 */
export const greedy = (cost: ArrayLike<number>, rows: number, cols: number): Int32Array => {
  const pairs: Array<number> = []
  for (let k = 0; k < rows * cols; k++) if (Number.isFinite(cost[k]!)) pairs.push(k)
  pairs.sort((a, b) => cost[a]! - cost[b]! || a - b)
  const out = new Int32Array(rows).fill(-1)
  const usedCol = new Uint8Array(cols)
  for (const k of pairs) {
    const [i, j] = [Math.floor(k / cols), k % cols]
    if (out[i] !== -1 || usedCol[j]) continue
    out[i] = j
    usedCol[j] = 1
  }
  return out
}
