/**
 * Plain-JS (float64) references of the PML-style losses, written loop by loop from PML 2.8.1's definitions
 * (`src/pytorch_metric_learning/losses/*.py`), as PML's own tests compute their expected values.
 */
import type { Matrix } from "./helpers.ts"

export const normalize = (r: ReadonlyArray<number>): Array<number> => {
  const n = Math.sqrt(r.reduce((s, v) => s + v * v, 0))
  return r.map((v) => v / Math.max(n, 1e-12))
}
export const dot = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((s, v, i) => s + v * b[i]!, 0)
export const cosSim = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => dot(normalize(a), normalize(b))
export const lpNorm = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
  const x = normalize(a)
  const y = normalize(b)
  return Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0))
}
const lse = (xs: ReadonlyArray<number>, addOne: boolean): number => {
  const all = addOne ? [...xs, 0] : [...xs]
  if (xs.length === 0) return 0
  const m = Math.max(...all)
  return m + Math.log(all.reduce((s, v) => s + Math.exp(v - m), 0))
}
const ce = (logits: ReadonlyArray<number>, y: number) => lse(logits, false) - logits[y]!

export const refMultiSimilarity = (x: Matrix, y: ReadonlyArray<number>, alpha = 2, beta = 50, base = 0.5) => {
  let total = 0
  for (let i = 0; i < x.length; i++) {
    const pos: Array<number> = []
    const neg: Array<number> = []
    for (let j = 0; j < x.length; j++) {
      if (j === i) continue
      const s = cosSim(x[i]!, x[j]!)
      if (y[j] === y[i]) pos.push(alpha * (base - s))
      else neg.push(beta * (s - base))
    }
    total += lse(pos, true) / alpha + lse(neg, true) / beta
  }
  return total / x.length
}

export const refNtXent = (x: Matrix, y: ReadonlyArray<number>, t = 0.07) => {
  let total = 0
  let n = 0
  for (let a = 0; a < x.length; a++) {
    const negs: Array<number> = []
    for (let k = 0; k < x.length; k++) if (y[k] !== y[a]) negs.push(cosSim(x[a]!, x[k]!) / t)
    for (let p = 0; p < x.length; p++) {
      if (p === a || y[p] !== y[a]) continue
      const zp = cosSim(x[a]!, x[p]!) / t
      total += lse([zp, ...negs], false) - zp
      n++
    }
  }
  return n === 0 ? 0 : total / n
}

export const refSupCon = (x: Matrix, y: ReadonlyArray<number>, t = 0.1) => {
  // PML returns zero losses without a negative pair
  if (y.every((v) => v === y[0])) return 0
  let total = 0
  let n = 0
  for (let a = 0; a < x.length; a++) {
    const z = x.map((r) => cosSim(x[a]!, r) / t)
    const others = z.filter((_, k) => k !== a)
    const den = lse(others, false)
    let s = 0
    let np = 0
    for (let p = 0; p < x.length; p++) {
      if (p === a || y[p] !== y[a]) continue
      s += z[p]! - den
      np++
    }
    const l = np === 0 ? 0 : -s / np
    // an anchor loss within float32 round-off of 0 is counted or not depending on the round-off: not comparable
    if (l > 0 && l < 1e-4) return Number.NaN
    if (l > 0) {
      total += l
      n++
    }
  }
  return n === 0 ? 0 : total / n
}

export const refLifted = (x: Matrix, y: ReadonlyArray<number>, negMargin = 1, posMargin = 0) => {
  // PML returns zero losses when the batch has no negative pair at all
  if (y.every((v) => v === y[0])) return 0
  let total = 0
  let n = 0
  for (let a = 0; a < x.length; a++)
    for (let p = 0; p < x.length; p++) {
      if (p === a || y[p] !== y[a]) continue
      const negs: Array<number> = []
      for (const r of [a, p])
        for (let k = 0; k < x.length; k++) if (y[k] !== y[r]) negs.push(negMargin - lpNorm(x[r]!, x[k]!))
      const j = lse(negs, false) + lpNorm(x[a]!, x[p]!) - posMargin
      total += Math.max(0, j) ** 2 / 2
      n++
    }
  return n === 0 ? 0 : total / n
}

export const refMargin = (x: Matrix, y: ReadonlyArray<number>, margin = 0.2, beta = 1.2) => {
  let sum = 0
  let active = 0
  for (let a = 0; a < x.length; a++)
    for (let p = 0; p < x.length; p++) {
      if (p === a || y[p] !== y[a]) continue
      for (let q = 0; q < x.length; q++) {
        if (y[q] === y[a]) continue
        const pl = Math.max(0, lpNorm(x[a]!, x[p]!) - beta + margin)
        const nl = Math.max(0, beta - lpNorm(x[a]!, x[q]!) + margin)
        sum += pl + nl
        active += (pl > 0 ? 1 : 0) + (nl > 0 ? 1 : 0)
      }
    }
  return active === 0 ? 0 : sum / active
}

export const refNPairs = (x: Matrix, y: ReadonlyArray<number>) => {
  const first = new Map<number, [number, number]>()
  for (let a = 0; a < x.length; a++)
    for (let p = 0; p < x.length; p++) if (p !== a && y[p] === y[a] && !first.has(y[a]!)) first.set(y[a]!, [a, p])
  const pairs = [...first.entries()].sort((u, v) => u[0] - v[0]).map(([, v]) => v)
  if (pairs.length === 0) return 0
  let total = 0
  pairs.forEach(([a], k) => {
    total += ce(
      pairs.map(([, p]) => cosSim(x[a]!, x[p]!)),
      k
    )
  })
  return total / pairs.length
}

/** W is [D, C]: class c's weight is column c. */
const column = (w: Matrix, c: number) => w.map((r) => r[c]!)

export const refArcFace = (x: Matrix, y: ReadonlyArray<number>, w: Matrix, marginDeg = 28.6, scale = 64) => {
  const m = (marginDeg * Math.PI) / 180
  const classes = w[0]!.length
  let total = 0
  x.forEach((xi, i) => {
    const logits = Array.from({ length: classes }, (_, c) => {
      const cos = cosSim(xi, column(w, c))
      if (c !== y[i]) return scale * cos
      const theta = Math.acos(Math.min(1, Math.max(-1, cos)))
      return scale * (theta <= Math.PI - m ? Math.cos(theta + m) : cos - m * Math.sin(m))
    })
    total += ce(logits, y[i]!)
  })
  return total / x.length
}

export const refCosFace = (x: Matrix, y: ReadonlyArray<number>, w: Matrix, margin = 0.35, scale = 64) => {
  const classes = w[0]!.length
  let total = 0
  x.forEach((xi, i) => {
    total += ce(
      Array.from({ length: classes }, (_, c) => scale * (cosSim(xi, column(w, c)) - (c === y[i] ? margin : 0))),
      y[i]!
    )
  })
  return total / x.length
}

export const refNormalizedSoftmax = (x: Matrix, y: ReadonlyArray<number>, w: Matrix, t = 0.05) => {
  const classes = w[0]!.length
  let total = 0
  x.forEach((xi, i) => {
    total += ce(
      Array.from({ length: classes }, (_, c) => cosSim(xi, column(w, c)) / t),
      y[i]!
    )
  })
  return total / x.length
}

/** proxies are [C, D] (rows). */
export const refProxyNca = (x: Matrix, y: ReadonlyArray<number>, proxies: Matrix, scale = 1) => {
  let total = 0
  x.forEach((xi, i) => {
    total += ce(
      proxies.map((p) => -scale * lpNorm(xi, p) ** 2),
      y[i]!
    )
  })
  return total / x.length
}

export const refProxyAnchor = (x: Matrix, y: ReadonlyArray<number>, proxies: Matrix, margin = 0.1, alpha = 32) => {
  let pos = 0
  let neg = 0
  const present = new Set(y)
  proxies.forEach((p, c) => {
    const ps: Array<number> = []
    const ns: Array<number> = []
    x.forEach((xi, i) => {
      const s = cosSim(xi, p)
      if (y[i] === c) ps.push(-alpha * (s - margin))
      else ns.push(alpha * (s + margin))
    })
    pos += lse(ps, true)
    neg += lse(ns, true)
  })
  return pos / present.size + neg / proxies.length
}

export const refSoftTriple = (
  x: Matrix,
  y: ReadonlyArray<number>,
  w: Matrix,
  classes: number,
  la = 20,
  gamma = 0.1,
  margin = 0.01
) => {
  const k = w[0]!.length / classes
  let total = 0
  x.forEach((xi, i) => {
    const logits = Array.from({ length: classes }, (_, c) => {
      const s = Array.from({ length: k }, (_, j) => cosSim(xi, column(w, c * k + j)))
      const e = s.map((v) => Math.exp(v / gamma))
      const z = e.reduce((a, b) => a + b, 0)
      const sc = s.reduce((acc, v, j) => acc + (e[j]! / z) * v, 0)
      return la * (sc - (c === y[i] ? margin : 0))
    })
    total += ce(logits, y[i]!)
  })
  return total / x.length
}

export const refSphereFace = (x: Matrix, y: ReadonlyArray<number>, w: Matrix, m = 4, scale = 1) => {
  const classes = w[0]!.length
  let total = 0
  x.forEach((xi, i) => {
    const norm = Math.sqrt(dot(xi, xi))
    const logits = Array.from({ length: classes }, (_, c) => {
      const cos = cosSim(xi, column(w, c))
      if (c !== y[i]) return scale * norm * cos
      const theta = Math.acos(Math.min(1, Math.max(-1, cos)))
      const k = Math.floor(theta / (Math.PI / m))
      return scale * norm * ((k % 2 === 0 ? 1 : -1) * Math.cos(m * theta) - 2 * k)
    })
    total += ce(logits, y[i]!)
  })
  return total / x.length
}

export const refFastAp = (x: Matrix, y: ReadonlyArray<number>, bins = 10) => {
  const delta = 4 / bins
  let total = 0
  let n = 0
  for (let a = 0; a < x.length; a++) {
    const hp = new Array<number>(bins + 1).fill(0)
    const hn = new Array<number>(bins + 1).fill(0)
    let np = 0
    for (let j = 0; j < x.length; j++) {
      if (j === a) continue
      const d = lpNorm(x[a]!, x[j]!) ** 2
      for (let l = 0; l <= bins; l++) {
        const pulse = Math.max(0, 1 - Math.abs(d - l * delta) / delta)
        if (y[j] === y[a]) hp[l]! += pulse
        else hn[l]! += pulse
      }
      if (y[j] === y[a]) np++
    }
    if (np === 0) continue
    let cp = 0
    let ca = 0
    let ap = 0
    for (let l = 0; l <= bins; l++) {
      cp += hp[l]!
      ca += hp[l]! + hn[l]!
      if (ca > 0) ap += (hp[l]! * cp) / ca
    }
    total += 1 - ap / np
    n++
  }
  return n === 0 ? 0 : total / n
}
