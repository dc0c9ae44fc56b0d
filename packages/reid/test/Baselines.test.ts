/** The rehearsal and regularisation baselines' state: herding, the exemplar memory, EWC, MAS, SI, NME. */
import "@tensorflow/tfjs-backend-cpu"
import { RandomStream } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import * as fc from "fast-check"
import { beforeAll, describe, expect, it } from "vitest"
import * as Ewc from "../src/baselines/Ewc.ts"
import * as ExemplarMemory from "../src/baselines/ExemplarMemory.ts"
import { herdingOrder } from "../src/baselines/Herding.ts"
import * as Mas from "../src/baselines/Mas.ts"
import * as Nme from "../src/baselines/Nme.ts"
import * as Parameters from "../src/baselines/Parameters.ts"
import * as Si from "../src/baselines/Si.ts"

beforeAll(async () => {
  await tf.setBackend("cpu")
  await tf.ready()
})

const f32 = (xs: ReadonlyArray<number>) => Float32Array.from(xs)

describe("herding", () => {
  it("1-D points 0, 1, 2, 6 (mean 2.25, unnormalised): picks 2, then 1 or 6 by the running mean", () => {
    // k=1: |2.25 - x| smallest at 2; k=2: |2.25 - (2 + x)/2|: x=1 -> 0.75, x=0 -> 1.25, x=6 -> 1.75 -> 1;
    // k=3: |2.25 - (3 + x)/3|: x=0 -> 1.25, x=6 -> 0.75 -> 6; then 0
    expect(herdingOrder([[0], [1], [2], [6]], { normalize: false })).toEqual([2, 1, 3, 0])
  })
  it("each prefix minimises the distance of its mean to the full mean among greedy choices (brute-force check of every step)", () =>
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 2, maxLength: 2 }), {
          minLength: 1,
          maxLength: 7
        }),
        (rows) => {
          const order = herdingOrder(rows, { normalize: false })
          expect([...order].sort((a, b) => a - b)).toEqual(rows.map((_, i) => i))
          const mu = [0, 1].map((t) => rows.reduce((s, r) => s + r[t]!, 0) / rows.length)
          const dist = (picked: ReadonlyArray<number>) =>
            [0, 1].reduce((s, t) => s + (mu[t]! - picked.reduce((a, i) => a + rows[i]![t]!, 0) / picked.length) ** 2, 0)
          for (let k = 1; k <= order.length; k++) {
            const prefix = order.slice(0, k - 1)
            const best = Math.min(
              ...rows
                .map((_, i) => i)
                .filter((i) => !prefix.includes(i))
                .map((i) => dist([...prefix, i]))
            )
            expect(dist(order.slice(0, k))).toBeCloseTo(best, 9)
          }
        }
      )
    ))
})

describe("exemplar memory", () => {
  const rng = () => RandomStream.fromSeed(0, "memory")
  const items = (id: number, n: number) => Array.from({ length: n }, (_, i) => `${id}/${i}`)
  it("total budget: m = floor(M / identities); older sets are cut to their first m (herding order kept)", () => {
    const m = ExemplarMemory.unsafeMake<string>({ budget: { kind: "total", size: 6 }, selection: "herding" })
    const features = [
      [1, 0],
      [0.8, 0.6],
      [0, 1],
      [-0.6, 0.8]
    ]
    const order = herdingOrder(features) // on normalised features (these already are)
    m.add(
      [
        { identity: 0, items: items(0, 4), features },
        {
          identity: 1,
          items: items(1, 4),
          features: [
            [1, 1],
            [1, 1],
            [1, 1],
            [1, 1]
          ]
        }
      ],
      rng()
    )
    expect(m.perIdentity()).toBe(3)
    expect(m.byIdentity()[0]).toEqual([0, order.slice(0, 3).map((i) => `0/${i}`)])
    m.add(
      [
        {
          identity: 2,
          items: items(2, 3),
          features: [
            [1, 0],
            [2, 0],
            [3, 0]
          ]
        }
      ],
      rng()
    )
    expect(m.perIdentity()).toBe(2)
    expect(m.byIdentity()[0]).toEqual([0, order.slice(0, 2).map((i) => `0/${i}`)])
    expect(m.size()).toBe(6)
  })
  it("per-identity budget grows with the identities; random selection is seeded", () => {
    const m = ExemplarMemory.unsafeMake<string>({ budget: { kind: "perIdentity", size: 2 }, selection: "random" })
    m.add(
      [
        { identity: 0, items: items(0, 5) },
        { identity: 1, items: items(1, 1) }
      ],
      rng()
    )
    expect(m.size()).toBe(3)
    const again = ExemplarMemory.unsafeMake<string>({ budget: { kind: "perIdentity", size: 2 }, selection: "random" })
    again.add(
      [
        { identity: 0, items: items(0, 5) },
        { identity: 1, items: items(1, 1) }
      ],
      rng()
    )
    expect(again.items()).toEqual(m.items())
  })
  it("the data rule: old items outside the memory, or a memory over budget, fail with OldDataBeyondMemory", async () => {
    const m = ExemplarMemory.unsafeMake<string>({ budget: { kind: "total", size: 2 }, selection: "random" })
    m.add([{ identity: 0, items: items(0, 3) }], rng())
    const current = items(5, 2)
    await Effect.runPromise(ExemplarMemory.checkTrainingSet(1, [...current, ...m.items()], current, m, (s) => s))
    const leak = await Effect.runPromise(
      Effect.flip(ExemplarMemory.checkTrainingSet(1, [...current, ...items(0, 3)], current, m, (s) => s))
    )
    expect(leak._tag).toBe("OldDataBeyondMemory")
    expect(leak.message).toMatch(
      /task 1: 1 training items \(e\.g\. 0\/\d\) are neither in the task nor in the exemplar memory/
    )
    m.restore([[0, items(0, 3)]])
    const over = await Effect.runPromise(Effect.flip(ExemplarMemory.checkTrainingSet(1, current, current, m, (s) => s)))
    expect(over.message).toMatch(/holds 3 items, over its total budget of 2/)
    const none = await Effect.runPromise(
      Effect.flip(ExemplarMemory.checkTrainingSet(1, [...current, "0/0"], current, undefined, (s) => s))
    )
    expect(none._tag).toBe("OldDataBeyondMemory")
  })
  it("the scoped memory is emptied when its scope closes", async () => {
    let kept: ExemplarMemory.ExemplarMemory<string> | undefined
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          kept = yield* ExemplarMemory.make<string>({ budget: { kind: "total", size: 4 }, selection: "random" })
          kept.add([{ identity: 0, items: items(0, 3) }], rng())
          expect(kept.size()).toBe(3)
        })
      )
    )
    expect(kept!.size()).toBe(0)
  })
})

describe("regularisation penalties", () => {
  const vars = () => [
    { name: "w", variable: tf.variable(tf.tensor1d([1, 2])) },
    { name: "b", variable: tf.variable(tf.tensor1d([0.5])) }
  ]
  it("EWC penalty by hand: lambda sum F (theta - theta*)^2 = 2 * (0.5 * 1^2 + 2 * 1^2 + 4 * 0.5^2) = 7", () => {
    const v = vars()
    const anchor = new Map([
      ["w", f32([0, 1])],
      ["b", f32([0])]
    ])
    const fisher = new Map([
      ["w", f32([0.5, 2])],
      ["b", f32([4])]
    ])
    const state = Ewc.update(Ewc.empty, fisher, anchor, { mode: "online", decay: 1 })
    const term = Parameters.penaltyTerm("ewc", {}, v, state.entries, 2)
    const value = tf.tidy(() => Effect.runSync(term.build)({} as never).loss.dataSync()[0]!)
    expect(term.weight * value).toBeCloseTo(7, 6)
    expect(Parameters.penaltyValue(Parameters.snapshot(v), anchor, fisher)).toBeCloseTo(3.5, 6)
    // gradient: 2 F (theta - theta*) -> w: [1, 4], b: [4]
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => Parameters.penalty(v, anchor, fisher),
        v.map((x) => x.variable)
      )
      return [...grads["w" in grads ? "w" : v[0]!.variable.name]!.dataSync()]
    })
    expect(g).toEqual([1, 4])
    for (const x of v) x.variable.dispose()
  })
  it("EWC online: F <- gamma F + F_new with the latest anchor; separate keeps every task", () => {
    const a1 = new Map([["w", f32([0])]])
    const a2 = new Map([["w", f32([1])]])
    const s = Ewc.update(
      Ewc.update(Ewc.empty, new Map([["w", f32([2])]]), a1, { mode: "online", decay: 0.5 }),
      new Map([["w", f32([3])]]),
      a2,
      { mode: "online", decay: 0.5 }
    )
    expect(s.entries).toHaveLength(1)
    expect(Array.from(s.entries[0]!.importance.get("w")!)).toEqual([4])
    expect(s.entries[0]!.anchor).toBe(a2)
    const sep = Ewc.update(
      Ewc.update(Ewc.empty, new Map([["w", f32([2])]]), a1, { mode: "separate", decay: 0 }),
      new Map([["w", f32([3])]]),
      a2,
      { mode: "separate", decay: 0 }
    )
    expect(sep.entries).toHaveLength(2)
  })
  it("the Fisher is the mean of squared gradients over batches (MAS: of absolute values)", () => {
    const v = [{ name: "w", variable: tf.variable(tf.tensor1d([0, 0])) }]
    const grads = [
      [1, -2],
      [3, 0]
    ]
    const fisher = Parameters.meanOverBatches(
      v,
      2,
      (b) => new Map([["w", tf.tensor1d(grads[b]!)]]),
      (g) => g * g
    )
    expect(Array.from(fisher.get("w")!)).toEqual([5, 2])
    const mas = Parameters.meanOverBatches(v, 2, (b) => new Map([["w", tf.tensor1d(grads[b]!)]]), Math.abs)
    expect(Array.from(mas.get("w")!)).toEqual([2, 1])
    v[0]!.variable.dispose()
  })
  it("MAS: Omega <- alpha Omega + (1 - alpha) Omega_new", () => {
    const s1 = Mas.update(Mas.empty, new Map([["w", f32([2])]]), new Map([["w", f32([0])]]), 0.5)
    const s2 = Mas.update(s1, new Map([["w", f32([4])]]), new Map([["w", f32([1])]]), 0.5)
    expect(Array.from(s1.importance!.get("w")!)).toEqual([2])
    expect(Array.from(s2.importance!.get("w")!)).toEqual([3])
  })
  it("SI by hand: w = sum g (theta' - theta); Omega = min(-c w / (Delta^2 + xi), clip)", () => {
    const s = Si.make()
    const at = (x: number) => new Map([["w", f32([x])]])
    Si.startTask(s, at(1))
    // two steps with gradients 2 then 1: 1 -> 0.5 -> 0
    Si.beforeStep(s, at(1))
    Si.afterStep(s, at(0.5), at(2))
    Si.beforeStep(s, at(0.5))
    Si.afterStep(s, at(0), at(1))
    // w = 2 * (-0.5) + 1 * (-0.5) = -1.5; Delta = -1; W = -1.5 / (1 + 1e-7)
    Si.endTask(s, at(0), { c: 1, damping: 1e-7, clipTo: Number.POSITIVE_INFINITY })
    expect(s.importance!.get("w")![0]).toBeCloseTo(1.5 / (1 + 1e-7), 6)
    expect(Array.from(s.anchor!.get("w")!)).toEqual([0])
    const clipped = Si.make()
    Si.startTask(clipped, at(1))
    Si.beforeStep(clipped, at(1))
    Si.afterStep(clipped, at(0), at(1))
    Si.endTask(clipped, at(0), { c: 1, damping: 1e-7, clipTo: 0.001 })
    expect(clipped.importance!.get("w")![0]).toBeCloseTo(0.001, 9)
  })
})

describe("nearest mean of exemplars", () => {
  it("classifies by the closest normalised class mean", () => {
    const protos = Nme.prototypes(
      new Map([
        [
          0,
          [
            [1, 0],
            [2, 0.2]
          ]
        ],
        [
          1,
          [
            [0, 1],
            [0, 3]
          ]
        ]
      ])
    )
    expect(
      Nme.classify(protos, [
        [3, 1],
        [1, 3],
        [-1, 0.1]
      ])
    ).toEqual([0, 1, 1])
    expect(
      Nme.accuracy(
        protos,
        [
          [3, 1],
          [1, 3]
        ],
        [0, 0]
      )
    ).toBe(0.5)
    // scale invariance: the mean of normalised exemplars
    const a = Nme.prototypes(
      new Map([
        [
          0,
          [
            [1, 0],
            [0, 1]
          ]
        ]
      ])
    )
    const b = Nme.prototypes(
      new Map([
        [
          0,
          [
            [10, 0],
            [0, 0.1]
          ]
        ]
      ])
    )
    expect(Array.from(a.get(0)!)).toEqual(Array.from(b.get(0)!))
  })
})
