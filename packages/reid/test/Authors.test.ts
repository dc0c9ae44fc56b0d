/**
 * The built-in methods' settings, each pinned to the released code it comes from (read at the cited paths):
 * - DwoPP authors: github.com/wangkai930418/DwoPP_code (`CL_DwPP.sh`, `CL_DwoPP.sh`, `CL_FT.sh`,
 *   `CL_train_DwoPP.py`, `loss/dmml.py`, `loss/common.py`, `eval.py`, `utils.py`);
 * - DMML official: github.com/CHENGY12/DMML (`loss/dmml.py`);
 * - AKA: github.com/TPCD/LifelongReID (`train_test.py`, `lreid/operation/train_p_s.py`,
 *   `lreid/models/metagraph_fd.py`, `lreid/core/base_metagraph_p_s.py`).
 * And the behaviour of the options those settings need (DMML's clamped margin and negative dot product, the
 * distillation smoothing, AKA's tanh), against hand-computed values.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Distill from "@reidfx/distill"
import { Dmml } from "@reidfx/metric"
import { Backend, Rng } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import type { TermSpec } from "../src/Protocol.ts"
import * as Aka from "../src/reid/Aka.ts"
import * as EvaluationSetting from "../src/reid/EvaluationSetting.ts"
import * as Strategy from "../src/Strategy.ts"

const term = <L extends TermSpec["loss"]>(method: keyof typeof Strategy.builtins, loss: L) =>
  Strategy.builtins[method].terms.find((t) => t.loss === loss) as Extract<TermSpec, { loss: L }> | undefined

describe("the authors' settings", () => {
  it("DwPP: T = 10 (CL_DwPP.sh TEMPERATURE=10.0), weight 1 (--weight_knowledge_distill 1.0), eps 1e-5 (CL_train_DwoPP.py)", () => {
    const t = term("dwpp", "dwpp")!
    expect([t.temperature, t.weight, t.smoothing]).toEqual([10, 1, 1e-5])
  })

  it("DwoPP: T = 1 (CL_DwoPP.sh TEMPERATURE=1.0, so no smoothing), weight 1, positive pair removed (--remove_positive_pair)", () => {
    const t = term("dwopp", "dwopp")!
    expect([t.temperature, t.weight, t.smoothing]).toEqual([1, 1, undefined])
  })

  it("DMML of DMML-FT, DwPP and DwoPP: the DwoPP authors' loss/dmml.py with CL_*.sh (--margin=0.4 hard_mining euclidean)", () => {
    for (const method of ["dmml-ft", "dwpp", "dwopp"] as const) {
      expect(term(method, "dmml")).toEqual({
        loss: "dmml",
        margin: 0.4, // --margin=0.4
        marginMode: "clampNegatives", // torch.clamp(torch.stack(dists).t() - self.margin, min=0.0), then the own class's max
        mode: "hardMining", // --distance_mode='hard_mining'
        distance: "squaredEuclidean", // loss/common.py euclidean_dist(x, y, squared=True)
        featureDecay: 0.0005, // dmml_loss += 0.002 * 0.25 * l2_loss
        weight: 1
      })
    }
  })

  it("the official DMML (CHENGY12/DMML loss/dmml.py): hard mining with cosine_dist = -x.y, no margin, decay 0.0005", () => {
    expect(Strategy.dmmlOfficial).toEqual({
      loss: "dmml",
      margin: 0,
      mode: "hardMining",
      distance: "negativeDot",
      featureDecay: 0.0005,
      weight: 1
    })
  })

  it("AKA (TPCD/LifelongReID): --weight_r 0.0005, --kd_T 2 times T^2, GraphConvolution act=nn.Tanh(), 64 vertices, sigma 2, margin 0.3", () => {
    const aka = term("aka", "aka")!
    expect([aka.stability, aka.plasticity, aka.activation, aka.vertices, aka.sigma, aka.margin]).toEqual([
      0.0005,
      1,
      "tanh",
      64,
      2,
      0.3
    ])
    const kd = term("aka", "lwf")!
    expect([kd.temperature, kd.weight]).toEqual([2, 4])
    // train_p_s.py: ide_loss + kd + plasticity (triplet on the fused features) + stability; no plain triplet
    expect(term("aka", "tripletBatchHard")).toBeUndefined()
    expect(term("aka", "crossEntropy")).toBeDefined()
  })

  it("the authors' evaluation (eval.py): flip TTA summed, L2-normalised (NORMALIZE_FEATURE = True), trapezoid AP (utils.compute_map)", () => {
    expect(EvaluationSetting.settings.authors).toEqual({ flip: true, normalize: true, averagePrecision: "trapezoid" })
    expect(
      EvaluationSetting.resolve({
        after: "everyTask",
        initial: true,
        ranks: [1],
        batchSize: 8,
        setting: "authors",
        flip: false
      })
    ).toEqual({
      flip: false,
      normalize: true,
      averagePrecision: "trapezoid"
    })
  })
})

describe("the options behind them", () => {
  it.effect("DMML with clamped negatives and squared euclidean: hand-computed", () =>
    Effect.sync(() => {
      // 2 ways, 1 shot, 1 query, 1-d: support [0], [3]; queries 1 (class 0), 2.5 (class 1)
      const emb = tf.tensor2d([[0], [3], [1], [2.5]])
      const episode = { ways: 2, shots: 1, queries: 1 }
      const value = Dmml.loss(emb as never, episode, {
        margin: 0.4,
        marginMode: "clampNegatives",
        distance: "squaredEuclidean"
      })
      // q0: own 1, other max(4 - 0.4, 0) = 3.6; q1: own 0.25, other 6.25 - 0.4 = 5.85
      const expected = (Math.log1p(Math.exp(-(3.6 - 1))) + Math.log1p(Math.exp(-(5.85 - 0.25)))) / 2
      expect(value.loss.dataSync()[0]).toBeCloseTo(expected, 5)
      // negatives closer than the margin are clamped to 0
      const near = Dmml.loss(tf.tensor2d([[0], [0.5], [0.1], [0.4]]) as never, episode, {
        margin: 0.4,
        marginMode: "clampNegatives",
        distance: "squaredEuclidean"
      })
      // q0: own 0.01, other max(0.16 - 0.4, 0) = 0; q1: own 0.01, other max(0.16 - 0.4, 0) = 0
      expect(near.loss.dataSync()[0]).toBeCloseTo(Math.log1p(Math.exp(-(0 - 0.01))), 5)
      // negative dot product: -x.y
      const dot = Dmml.setDistances(
        tf.tensor2d([
          [1, 0],
          [0, 1],
          [2, 1],
          [1, 3]
        ]) as never,
        episode,
        { distance: "negativeDot" }
      )
      expect(Array.from(dot.dataSync())).toEqual([-2, -1, -1, -3])
      tf.dispose([emb, value.loss, near.loss, dot])
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("the distillation smoothing is the authors' p <- (p + eps / C) / (1 + eps), then KL", () =>
    Effect.sync(() => {
      const oldD = tf.tensor2d([[1, 2, 4]])
      const newD = tf.tensor2d([[2, 1, 3]])
      const labels = Int32Array.from([0])
      const eps = 0.1
      const T = 10
      const soft = (d: ReadonlyArray<number>) => {
        const e = d.map((x) => Math.exp(-x / T))
        const z = e.reduce((a, b) => a + b, 0)
        return e.map((x) => (x / z + eps / 3) / (1 + eps))
      }
      const p = soft([1, 2, 4])
      const q = soft([2, 1, 3])
      const expected = p.reduce((a, pi, i) => a + pi * Math.log(pi / q[i]!), 0)
      const v = Distill.PrototypeDistillation.fromDistances(oldD, newD, labels, {
        temperature: T,
        positivePair: "with",
        smoothing: eps
      })
      expect(v.dataSync()[0]).toBeCloseTo(expected, 6)
      tf.dispose([oldD, newD, v])
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("AKA's graph convolution with tanh is tanh of the linear one", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const graph = yield* Aka.makeGraph(4, 3, (yield* Rng.Rng).stream("g"))
        const f = tf.tensor2d([
          [0.1, 0.2, 0.3],
          [0.3, -0.1, 0.5]
        ])
        const linear = Aka.propagate(f, graph, 2)
        const bent = Aka.propagate(f, graph, 2, "tanh")
        const a = Array.from(linear.dataSync()).map(Math.tanh)
        for (const [i, x] of Array.from(bent.dataSync()).entries()) expect(x).toBeCloseTo(a[i]!, 5)
        tf.dispose([f, linear, bent])
      })
    ).pipe(Rng.withSeed(1), Effect.provide(Backend.layerCpu))
  )
})
