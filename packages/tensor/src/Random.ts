/**
 * A small, fast, seedable pseudo-random generator (xoshiro128**, Blackman and Vigna 2018) whose whole state
 * is four uint32 words, so it can be saved in a checkpoint and restored exactly.
 *
 * Streams are derived from a seed and a name with SplitMix32 hashing, so "sampling", "augmentation" and
 * "init" streams are independent: drawing more from one never changes what another produces.
 * @since 0.1.0
 */

/** The serialisable state of a {@link RandomStream}. */
export type RandomState = readonly [number, number, number, number]

const splitmix32 = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** FNV-1a hash of a string, used to derive named streams. */
export const hashString = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0

/** A mutable xoshiro128** generator. Not shared between fibers: each consumer derives its own stream. */
export class RandomStream {
  private s0: number
  private s1: number
  private s2: number
  private s3: number
  private spareNormal: number | undefined = undefined

  constructor(state: RandomState) {
    this.s0 = state[0] >>> 0
    this.s1 = state[1] >>> 0
    this.s2 = state[2] >>> 0
    this.s3 = state[3] >>> 0
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1
  }

  /** A stream seeded from an integer seed and an optional stream name. */
  static fromSeed(seed: number, name = ""): RandomStream {
    const next = splitmix32((seed ^ hashString(name)) >>> 0)
    next()
    return new RandomStream([next(), next(), next(), next()])
  }

  /** The state, to save and later {@link RandomStream.restore}. */
  state(): RandomState {
    return [this.s0, this.s1, this.s2, this.s3]
  }

  /** Restores a saved state (the cached Box-Muller spare is dropped, so save between whole draws). */
  restore(state: RandomState): void {
    this.s0 = state[0] >>> 0
    this.s1 = state[1] >>> 0
    this.s2 = state[2] >>> 0
    this.s3 = state[3] >>> 0
    this.spareNormal = undefined
  }

  /** A child stream, independent of this one and of other children with other names. */
  derive(name: string): RandomStream {
    const next = splitmix32(
      (this.s0 ^ rotl(this.s1, 7) ^ rotl(this.s2, 13) ^ rotl(this.s3, 19) ^ hashString(name)) >>> 0
    )
    next()
    return new RandomStream([next(), next(), next(), next()])
  }

  /** A uniform uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    this.s0 >>>= 0
    this.s1 >>>= 0
    this.s2 >>>= 0
    return result
  }

  /** A uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296
  }

  /** A uniform integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`nextInt: n must be a positive integer, got ${n}`)
    const limit = 4294967296 - (4294967296 % n)
    for (;;) {
      const x = this.nextUint32()
      if (x < limit) return x % n
    }
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat()
  }

  /** true with probability p. */
  bernoulli(p: number): boolean {
    return this.nextFloat() < p
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const s = this.spareNormal
      this.spareNormal = undefined
      return s
    }
    let u = 0
    while (u === 0) u = this.nextFloat()
    const v = this.nextFloat()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spareNormal = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** A Fisher-Yates shuffled copy. */
  shuffle<A>(items: ReadonlyArray<A>): Array<A> {
    const out = items.slice()
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1)
      const t = out[i]!
      out[i] = out[j]!
      out[j] = t
    }
    return out
  }

  /** k distinct items drawn uniformly without replacement (k <= items.length). */
  sample<A>(items: ReadonlyArray<A>, k: number): Array<A> {
    if (k > items.length) throw new RangeError(`sample: cannot draw ${k} distinct items from ${items.length}`)
    const pool = items.slice()
    const out: Array<A> = []
    for (let i = 0; i < k; i++) {
      const j = i + this.nextInt(pool.length - i)
      const t = pool[i]!
      pool[i] = pool[j]!
      pool[j] = t
      out.push(pool[i]!)
    }
    return out
  }

  /** One uniformly drawn item. */
  pick<A>(items: ReadonlyArray<A>): A {
    if (items.length === 0) throw new RangeError("pick: empty array")
    return items[this.nextInt(items.length)]!
  }
}
