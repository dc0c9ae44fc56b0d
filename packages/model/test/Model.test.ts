import { assert, describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Backend, Rng } from "@reidfx/tensor"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import { Effect, Exit, Scope } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { detach, gemPool, Model, Weights } from "../src/index.ts"

const tiny = {
  backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  head: { classes: 5, neck: "bnneck" }
} as const
const images = (seed: number, n = 4) => tf.randomUniform([n, 16, 8, 3], 0, 1, "float32", seed) as tf.Tensor4D
const cpu = Effect.provide(Backend.layerCpu)

describe("Model", () => {
  it.effect("forward gives features, neck features and logits; variables are freed with the scope", () =>
    Effect.gen(function* () {
      const before = tf.memory().numTensors
      const scope = yield* Scope.make()
      const model = yield* Model.make(tiny).pipe(Scope.provide(scope))
      expect(model.featureDim).toBe(8)
      const x = images(1)
      const out = tf.tidy(() => {
        const o = model.forward(x, { training: false })
        return [o.features.shape, o.neckFeatures!.shape, o.logits!.shape]
      })
      expect(out).toEqual([
        [4, 8],
        [4, 8],
        [4, 5]
      ])
      x.dispose()
      expect(tf.memory().numTensors).toBeGreaterThan(before)
      yield* Scope.close(scope, Exit.void)
      expect(tf.memory().numTensors).toBe(before)
    }).pipe(cpu)
  )

  it.effect("the same seed gives the same initial weights, another seed different ones", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const a = yield* Model.make(tiny).pipe(Rng.withSeed(7))
        const b = yield* Model.make(tiny).pipe(Rng.withSeed(7))
        const c = yield* Model.make(tiny).pipe(Rng.withSeed(8))
        const k = "backbone/conv1/kernel"
        expect(Array.from(a.variables.get(k)!.dataSync())).toEqual(Array.from(b.variables.get(k)!.dataSync()))
        expect(Array.from(a.variables.get(k)!.dataSync())).not.toEqual(Array.from(c.variables.get(k)!.dataSync()))
      })
    ).pipe(cpu)
  )

  it.effect("training mode updates BN running statistics with PyTorch's momentum and unbiased variance", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* Model.make(tiny)
        const x = images(2)
        const mean0 = model.variables.get("backbone/bn1/moving_mean")!.dataSync()[0]
        expect(mean0).toBe(0)
        // the stem conv output's batch statistics, by hand
        const [m, v] = tf.tidy(() => {
          const y = tf.conv2d(x, model.variables.get("backbone/conv1/kernel") as tf.Tensor4D, 2, 1)
          const mom = tf.moments(y, [0, 1, 2])
          const n = y.size / y.shape[3]
          return [mom.mean.dataSync()[0]!, (mom.variance.dataSync()[0]! * n) / (n - 1)]
        })
        tf.tidy(() => {
          model.forward(x, { training: true })
        })
        expect(model.variables.get("backbone/bn1/moving_mean")!.dataSync()[0]).toBeCloseTo(0.1 * m!, 6)
        expect(model.variables.get("backbone/bn1/moving_variance")!.dataSync()[0]).toBeCloseTo(0.9 + 0.1 * v!, 6)
        x.dispose()
      })
    ).pipe(cpu)
  )

  it.effect("a snapshot is frozen: same outputs, unchanged when the model changes, no gradient", () =>
    noLeaksEffect(
      Effect.scoped(
        Effect.gen(function* () {
          const model = yield* Model.make(tiny)
          const frozen = yield* model.snapshot
          const x = images(3)
          const a = tf.tidy(() => model.embed(x).arraySync())
          expect(tf.tidy(() => frozen.embed(x).arraySync())).toEqual(a)
          // change every model variable: the snapshot keeps its values
          for (const v of model.trainableVariables) tf.tidy(() => v.assign(tf.add(v, 1)))
          expect(tf.tidy(() => model.embed(x).arraySync())).not.toEqual(a)
          expect(tf.tidy(() => frozen.embed(x).arraySync())).toEqual(a)
          // training mode is ignored and the outputs are detached
          tf.tidy(() => {
            const g = tf.grad((inp: tf.Tensor) =>
              tf.sum(tf.add(tf.mul(inp, 0), frozen.forward(x, { training: true }).features))
            )(tf.ones([1]))
            expect(Array.from(g.dataSync())).toEqual([0])
          })
          x.dispose()
        })
      )
    ).pipe(cpu)
  )

  it.effect("weights round-trip through a tfjs model directory; a mismatch is a typed error", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-weights-")))
        const a = yield* Model.make(tiny).pipe(Rng.withSeed(1))
        const b = yield* Model.make(tiny).pipe(Rng.withSeed(2))
        yield* Weights.save(a, path.join(dir, "m"))
        const json = JSON.parse(yield* Effect.promise(() => fs.readFile(path.join(dir, "m", "model.json"), "utf8")))
        expect(json.weightsManifest[0].paths).toEqual(["group1-shard1of1.bin"])
        expect(json.modelTopology.reidfx.backbone.kind).toBe("reference")
        yield* Weights.load(b, path.join(dir, "m"))
        for (const [k, v] of a.variables)
          expect(Array.from(b.variables.get(k)!.dataSync())).toEqual(Array.from(v.dataSync()))
        const frozen = yield* Weights.loadFrozen(a.config, path.join(dir, "m"))
        const x = images(4)
        expect(tf.tidy(() => frozen.embed(x).arraySync())).toEqual(tf.tidy(() => a.embed(x).arraySync()))
        x.dispose()
        const other = yield* Model.make({ ...tiny, head: { classes: 7 } })
        const error = yield* Effect.flip(Weights.load(other, path.join(dir, "m")))
        assert.strictEqual(error._tag, "WeightsMismatch")
        expect(error.message).toContain("head/classifier/kernel: expected shape [8, 7], file has [8, 5]")
        const renamed = yield* Effect.flip(
          Weights.load(b, path.join(dir, "m"), { rename: (n) => n.replace("backbone/", "trunk/") })
        )
        expect(renamed.message).toContain("missing")
        yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
      })
    ).pipe(cpu)
  )

  it.effect("an unknown config key or a bad value names the key", () =>
    Effect.gen(function* () {
      const e1 = yield* Effect.flip(Model.decodeConfig({ backbone: { kind: "reference", widht: [1] } }))
      expect(e1.message).toContain(`["backbone"]["widht"]`)
      const e2 = yield* Effect.flip(Model.decodeConfig({ backbone: { kind: "resnet18" }, head: { pooling: "median" } }))
      expect(e2.message).toContain(`"avg" | "max" | "gem"`)
      expect(e2.message).toContain(`["head"]["pooling"]`)
    })
  )

  it.effect("every trainable parameter gets a gradient (GeM p and the BNNeck included)", () =>
    noLeaksEffect(
      Effect.scoped(
        Effect.gen(function* () {
          const model = yield* Model.make({ ...tiny, head: { classes: 5, pooling: "gem", embedding: 6 } })
          const x = images(5)
          tf.tidy(() => {
            const { grads } = tf.variableGrads(() => {
              const o = model.forward(x, { training: true })
              return tf.add(tf.sum(tf.square(o.features)), tf.sum(tf.square(o.logits!)))
            }, [...model.trainableVariables])
            for (const v of model.trainableVariables) {
              const g = grads[v.name]
              expect(g, model.nameOf(v)).toBeDefined()
              expect(tf.any(tf.notEqual(g!, 0)).dataSync()[0], model.nameOf(v)).toBe(1)
            }
          })
          x.dispose()
        })
      )
    ).pipe(cpu)
  )
})

describe("GeM pooling", () => {
  it("p = 1 is average pooling and a large p tends to max pooling", () => {
    tf.tidy(() => {
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1])
      expect(gemPool(x, tf.scalar(1)).dataSync()[0]).toBeCloseTo(2.5, 5)
      expect(gemPool(x, tf.scalar(3)).dataSync()[0]).toBeCloseTo(((1 + 8 + 27 + 64) / 4) ** (1 / 3), 5)
      expect(gemPool(x, tf.scalar(60)).dataSync()[0]).toBeGreaterThan(3.9)
    })
  })
})

describe("detach", () => {
  it("blocks the gradient and shares the values", () => {
    tf.tidy(() => {
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.add(tf.mul(x, 2), tf.mul(detach(x), x))))(tf.tensor1d([3]))
      // d/dx (2x + c*x) with c = 3 detached = 2 + 3
      expect(g.dataSync()[0]).toBe(5)
    })
  })
})

describe("detach memory", () => {
  it("the detached tensor outlives its source and frees its data when disposed", () => {
    const before = tf.memory()
    const x = tf.tensor1d([1, 2, 3])
    const d = detach(x)
    x.dispose()
    expect(Array.from(d.dataSync())).toEqual([1, 2, 3])
    d.dispose()
    expect(tf.memory().numTensors).toBe(before.numTensors)
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers)
  })
})

describe("batch normalisation gradient", () => {
  it("the closed-form training gradient equals automatic differentiation of the plain formula", async () => {
    const { batchNorm, Builder } = await import("../src/index.ts")
    const fc = await import("fast-check")
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.boolean(), (seed, center) => {
        tf.tidy(() => {
          const b = new Builder()
          const bn = batchNorm<tf.Tensor4D>(b, { channels: 3, center })
          const params = new Map<string, tf.Tensor>([
            ["gamma", tf.randomUniform([3], 0.5, 1.5, "float32", seed)],
            ["beta", tf.randomNormal([3], 0, 1, "float32", seed + 1)],
            ["moving_mean", tf.zeros([3])],
            ["moving_variance", tf.ones([3])]
          ])
          const ctx = { get: (n: string) => params.get(n)!, training: true, setState: () => {} }
          const x = tf.randomNormal([2, 3, 2, 3], 1, 2, "float32", seed + 2) as tf.Tensor4D
          const w = tf.randomNormal([2, 3, 2, 3], 0, 1, "float32", seed + 3)
          const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, w)) as tf.Scalar
          const plain = (xx: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => {
            const { mean, variance } = tf.moments(xx, [0, 1, 2])
            const y = tf.mul(tf.sub(xx, mean), tf.mul(tf.rsqrt(tf.add(variance, 1e-5)), g))
            return center ? tf.add(y, be) : y
          }
          const inputs = center ? [x, params.get("gamma")!, params.get("beta")!] : [x, params.get("gamma")!]
          const expected = tf.grads((...a: Array<tf.Tensor>) => loss(plain(a[0]!, a[1]!, a[2] ?? tf.zeros([3]))))(
            inputs
          )
          const got = tf.grads((...a: Array<tf.Tensor>) => {
            params.set("gamma", a[1]!)
            if (a[2] !== undefined) params.set("beta", a[2])
            return loss(bn(ctx, a[0] as tf.Tensor4D))
          })(inputs)
          expect(maxAbs(tf.sub(got[0]!, expected[0]!))).toBeLessThan(1e-4)
          expect(maxAbs(tf.sub(got[1]!, expected[1]!))).toBeLessThan(1e-4)
          if (center) expect(maxAbs(tf.sub(got[2]!, expected[2]!))).toBeLessThan(1e-4)
          // forward values agree too
          expect(maxAbs(tf.sub(bn(ctx, x), plain(x, params.get("gamma")!, params.get("beta")!)))).toBeLessThan(1e-5)
        })
      }),
      { numRuns: 25 }
    )
  })
})

const maxAbs = (t: tf.Tensor) => tf.max(tf.abs(t)).dataSync()[0]!

describe("copyWeights", () => {
  it.effect("copies matching tensors and keeps the old classifier columns in a larger classifier", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const old = yield* Model.make(tiny).pipe(Rng.withSeed(1))
        const grown = yield* Model.make({ ...tiny, head: { classes: 8, neck: "bnneck" } }).pipe(Rng.withSeed(2))
        const fresh = Array.from(grown.variables.get("head/classifier/kernel")!.dataSync())
        const copied = Model.copyWeights(old, grown, { keepClassifierColumns: true })
        expect(copied).toContain("backbone/conv1/kernel")
        expect(copied).toContain("head/classifier/kernel")
        expect(Array.from(grown.variables.get("backbone/conv1/kernel")!.dataSync())).toEqual(
          Array.from(old.variables.get("backbone/conv1/kernel")!.dataSync())
        )
        const k = grown.variables.get("head/classifier/kernel")!.arraySync() as Array<Array<number>>
        const o = old.variables.get("head/classifier/kernel")!.arraySync() as Array<Array<number>>
        k.forEach((row, d) => {
          expect(row.slice(0, 5)).toEqual(o[d])
          expect(row.slice(5)).toEqual(fresh.slice(d * 8 + 5, d * 8 + 8))
        })
        // without the option, the classifier of another size is left alone
        const other = yield* Model.make({ ...tiny, head: { classes: 8, neck: "bnneck" } })
        expect(Model.copyWeights(old, other)).not.toContain("head/classifier/kernel")
      })
    ).pipe(cpu)
  )
})
