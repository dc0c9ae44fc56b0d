import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { RandomStream, Rng } from "../src/index.ts"

const draw = (s: RandomStream, n: number) => Array.from({ length: n }, () => s.nextUint32())

describe("Rng", () => {
  it("same seed and stream name, same numbers", () => {
    fc.assert(
      fc.property(fc.nat(), fc.string(), (seed, name) => {
        assert.deepStrictEqual(draw(RandomStream.fromSeed(seed, name), 20), draw(RandomStream.fromSeed(seed, name), 20))
      }),
      { numRuns: 50 }
    )
  })

  it("streams are independent: drawing from one does not change another", () =>
    Effect.runSync(
      Effect.gen(function* () {
        const sampling = yield* Rng.stream("sampling")
        const reference = draw(yield* Rng.stream("augmentation"), 10)
        draw(sampling, 1000)
        const augmentation = yield* Rng.stream("augmentation")
        assert.deepStrictEqual(draw(augmentation, 10), reference)
        assert.notDeepEqual(draw(yield* Rng.stream("init"), 10), reference)
      }).pipe(Rng.withSeed(7))
    ))

  it("different seeds give different streams; the default seed is 0", () =>
    Effect.runSync(
      Effect.gen(function* () {
        const a = draw(yield* Effect.provide(Rng.stream("init"), Rng.layer(1)), 8)
        const b = draw(yield* Effect.provide(Rng.stream("init"), Rng.layer(2)), 8)
        const zero = draw(yield* Rng.stream("init"), 8)
        assert.notDeepEqual(a, b)
        assert.deepStrictEqual(zero, draw(RandomStream.fromSeed(0, "init"), 8))
      })
    ))

  it("state save and restore reproduces the sequence; derive is deterministic", () => {
    const s = RandomStream.fromSeed(3, "x")
    draw(s, 5)
    const saved = s.state()
    const next = draw(s, 5)
    s.restore(saved)
    assert.deepStrictEqual(draw(s, 5), next)
    assert.deepStrictEqual(draw(RandomStream.fromSeed(3).derive("a"), 4), draw(RandomStream.fromSeed(3).derive("a"), 4))
  })

  it("nextInt is in range and roughly uniform; shuffle is a permutation; sample is distinct", () => {
    const s = RandomStream.fromSeed(11)
    const counts = [0, 0, 0, 0, 0]
    for (let i = 0; i < 5000; i++) counts[s.nextInt(5)]!++
    for (const c of counts) assert.isTrue(c > 850 && c < 1150, `count ${c}`)
    const items = Array.from({ length: 20 }, (_, i) => i)
    assert.deepStrictEqual(
      s.shuffle(items).sort((a, b) => a - b),
      items
    )
    const picked = s.sample(items, 7)
    assert.strictEqual(new Set(picked).size, 7)
    assert.throws(() => s.sample(items, 21))
  })

  it("normal draws have mean ~0 and variance ~1", () => {
    const s = RandomStream.fromSeed(5)
    const xs = Array.from({ length: 20000 }, () => s.normal())
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length
    assert.isTrue(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `${mean} ${variance}`)
  })
})
