/**
 * The protocol vocabulary comes from the catalogs, and a user's entries (a loss, a strategy) are used by name in a
 * protocol without editing the package.
 */
import { describe, expect, it } from "@effect/vitest"
import { Term } from "@reidfx/metric"
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Layer, Option, Schema } from "effect"
import * as Catalogs from "../src/Catalogs.ts"
import * as Protocol from "../src/Protocol.ts"
import { NonNegative, withDefault } from "../src/ProtocolFields.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import { objectiveFor } from "../src/reid/ReidLearner.ts"
import * as Strategy from "../src/Strategy.ts"
import * as SamplerCatalog from "../src/SamplerCatalog.ts"
import * as StrategyCatalog from "../src/StrategyCatalog.ts"
import * as LifelongStrategy from "../src/strategies/LifelongStrategy.ts"
import * as TermCatalog from "../src/TermCatalog.ts"
import * as ObjectiveTerm from "../src/terms/ObjectiveTerm.ts"

// a plain loss: the mean squared norm of the features, times `scale`
const featureNorm = ObjectiveTerm.make({
  name: "featureNorm",
  description: "mean squared feature norm",
  fields: { scale: withDefault(NonNegative, 2) },
  needs: {},
  make: (spec) => [
    Term.make(
      "featureNorm",
      { scale: spec.scale },
      (step) => ({ loss: tf.mul(tf.mean(tf.sum(tf.square(step.outputs.features), 1)), spec.scale) as tf.Scalar }),
      spec.weight
    )
  ]
})
// an old-model term, brought by a strategy
const oldNorm = ObjectiveTerm.make({
  name: "oldNorm",
  description: "",
  fields: {},
  needs: { oldModel: "whole" },
  makeWithOldModel: () => []
})
const normStrategy = LifelongStrategy.make({
  name: "norm-ft",
  label: "Norm-FT",
  description: "BoT + feature norm",
  uses: [featureNorm],
  method: {
    sampler: { kind: "pk", identities: 4, instances: 2 },
    terms: [
      { loss: "featureNorm", scale: 3, weight: 1 },
      { loss: "oldNorm", weight: 1 }
    ],
    firstTask: "withoutOldModelTerms",
    joint: false
  },
  terms: [oldNorm]
})
const catalogs = Catalogs.extend(Catalogs.builtin, { terms: [featureNorm], strategies: [normStrategy] })

const base = {
  name: "p",
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", identities: 24, cameras: 3, imagesPerCamera: 2 },
      tasks: 2,
      unseenIdentities: 4
    }
  }
}

describe("the vocabulary is derived from the catalogs", () => {
  it("term names, method names and the old-model / episodic sets", () => {
    const losses = Protocol.TermSpec.members.map((m) => m.fields.loss.literal)
    expect(losses).toEqual(TermCatalog.builtin.names)
    expect(losses).toEqual([
      "crossEntropy",
      "tripletBatchHard",
      "dmml",
      "lwf",
      "dwpp",
      "dwopp",
      "darkRank",
      "aka",
      "metric",
      "lstkc",
      "krkcSoftTriplet",
      "krkcCalibration",
      "patchKd"
    ])
    expect(Protocol.BuiltinMethod.literals).toEqual([
      "joint",
      "bot-ft",
      "lwf",
      "aka",
      "dmml-ft",
      "dwpp",
      "dwopp",
      "replay",
      "ewc",
      "mas",
      "si",
      "lstkc",
      "krkc",
      "patchkd"
    ])
    expect(Object.keys(Strategy.builtins)).toEqual(StrategyCatalog.builtin.names)
    expect([...Protocol.oldModelTerms].sort()).toEqual([
      "aka",
      "darkRank",
      "dwopp",
      "dwpp",
      "krkcCalibration",
      "lstkc",
      "lwf",
      "patchKd"
    ])
    expect([...Protocol.onlyOldModelTerms].sort()).toEqual([
      "darkRank",
      "dwopp",
      "dwpp",
      "krkcCalibration",
      "lstkc",
      "lwf",
      "patchKd"
    ])
    expect([...Protocol.episodicTerms].sort()).toEqual(["dmml", "dwopp", "dwpp"])
  })

  it("every built-in strategy's terms are in the term catalog, and what it needs follows from them", () => {
    for (const e of StrategyCatalog.entries)
      for (const t of LifelongStrategy.method(e).terms) expect(TermCatalog.builtin.get(t.loss)?.name).toBe(t.loss)
    expect(LifelongStrategy.needs(StrategyCatalog.builtin.require("dwopp"), TermCatalog.builtin)).toEqual({
      oldModel: true,
      episodic: true,
      firstTask: "withoutOldModelTerms",
      rehearsal: false,
      regularizer: undefined
    })
    expect(LifelongStrategy.needs(StrategyCatalog.builtin.require("ewc"), TermCatalog.builtin)).toMatchObject({
      oldModel: false,
      episodic: false,
      regularizer: "ewc"
    })
  })

  it("samplers: kinds from the catalog, the data sampler shrunk to the task's identities, the report label", () => {
    expect(Protocol.SamplerSpec.members.map((m) => m.fields.kind.literal)).toEqual(SamplerCatalog.builtin.names)
    expect(Schema.decodeUnknownSync(Protocol.SamplerSpec)({ kind: "episodic" })).toEqual({
      kind: "episodic",
      ways: 16,
      shots: 2,
      queries: 2
    })
    const pk = SamplerCatalog.builtin.require("pk")
    expect(pk.toData({ kind: "pk", identities: 16, instances: 4 }, 5)).toEqual({ _tag: "PK", p: 5, k: 4 })
    expect(pk.toData({ kind: "pk", identities: 16, instances: 4 }, 1)).toEqual({ _tag: "PK", p: 2, k: 4 })
    expect(
      SamplerCatalog.builtin.require("episodic").toData({ kind: "episodic", ways: 16, shots: 3, queries: 1 }, 40)
    ).toEqual({ _tag: "Episodic", ways: 16, shots: 3, queries: 1 })
    expect(SamplerCatalog.builtin.require("episodic").show({ kind: "episodic", ways: 16, shots: 3, queries: 1 })).toBe(
      "episodic 16-way 3-shot 1-query"
    )
    expect(pk.show({ kind: "pk", identities: 16, instances: 4 })).toBe("PK 16x4")
  })

  it("a term's options decode with its entry's defaults", () => {
    expect(Schema.decodeUnknownSync(Protocol.TermSpec)({ loss: "dwpp" })).toEqual({
      loss: "dwpp",
      temperature: 10,
      weight: 1
    })
    expect(Schema.decodeUnknownSync(Protocol.TermSpec)({ loss: "aka", weight: 2 })).toEqual({
      loss: "aka",
      vertices: 64,
      sigma: 2,
      plasticity: 1,
      stability: 0.0005,
      margin: 0.3,
      weight: 2
    })
  })

  it("a name taken twice is refused", () => {
    expect(() => Catalogs.extend(Catalogs.builtin, { terms: [{ ...featureNorm, name: "dwopp" }] })).toThrow(
      /"dwopp" is already taken by dwopp/
    )
    expect(() => Catalogs.extend(Catalogs.builtin, { strategies: [{ ...normStrategy, name: "lwf" }] })).toThrow(
      /already taken/
    )
  })
})

describe("a user's entries in a protocol", () => {
  const input = {
    ...base,
    methods: ["norm-ft", { name: "mine", sampler: { kind: "pk" }, terms: [{ loss: "featureNorm" }] }]
  }

  it.effect("decode by name with the extended catalogs (options defaulted), and encode back", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.decode(input).pipe(Catalogs.provide(catalogs))
      expect(p.methods[0]).toBe("norm-ft")
      expect((p.methods[1] as Protocol.MethodSpec).terms).toEqual([{ loss: "featureNorm", scale: 2, weight: 1 }])
      expect(Strategy.resolve(p.methods[0]!, catalogs.strategies).label).toBe("Norm-FT")
      expect(ProtocolFile.toJson(p, catalogs).methods[1]).toMatchObject({
        terms: [{ loss: "featureNorm", scale: 2, weight: 1 }]
      })
    })
  )

  it.effect("without them, the names are refused and the message lists what is known", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        ProtocolFile.decode({
          ...base,
          methods: [{ name: "mine", sampler: { kind: "pk" }, terms: [{ loss: "featureNorm" }] }]
        })
      )
      expect(e.issues[0]!.path).toBe("methods[0].terms[0].loss")
      expect(e.issues[0]!.message).toContain('"dwopp"')
      const unknownStrategy = yield* Effect.flip(ProtocolFile.decode({ ...base, methods: ["norm-ft"] }))
      expect(unknownStrategy._tag).toBe("ProtocolDecodeError")
    })
  )

  it.effect("a bad option of a user's term names the key; its old-model needs drive the declaration check", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.flip(
        ProtocolFile.decode({
          ...base,
          methods: [{ name: "mine", sampler: { kind: "pk" }, terms: [{ loss: "featureNorm", scale: -1 }] }]
        }).pipe(Catalogs.provide(catalogs))
      )
      expect(bad.issues.map((i) => i.path)).toContain("methods[0].terms[0].scale")
      const undeclared = yield* Effect.flip(
        ProtocolFile.decode({
          ...base,
          methods: [{ name: "mine", sampler: { kind: "pk" }, terms: [{ loss: "oldNorm" }] }]
        }).pipe(Catalogs.provide(catalogs))
      )
      expect(undeclared.issues[0]!.message).toContain("oldNorm")
    })
  )

  it.effect("a user's terms type-check in TypeScript as built-in ones do (no casts): strategies and protocols", () =>
    Effect.gen(function* () {
      const split = {
        kind: "intraDomain",
        world: { kind: "synthetic", identities: 24, cameras: 3, imagesPerCamera: 2 },
        tasks: 2,
        unseenIdentities: 4
      } as const
      // the extended catalogs' types hold featureNorm's and oldNorm's specs (oldNorm came with the strategy)
      const p = yield* ProtocolFile.makeWith(catalogs, {
        name: "typed",
        data: { split },
        methods: [
          "norm-ft",
          { use: "norm-ft", name: "norm-2" },
          {
            name: "mine",
            sampler: { kind: "pk" },
            terms: [{ loss: "featureNorm", scale: 3 }, { loss: "oldNorm", weight: 2 }, { loss: "crossEntropy" }],
            firstTask: "withoutOldModelTerms"
          }
        ]
      })
      expect(p.methods.map(Protocol.methodName)).toEqual(["norm-ft", "norm-2", "mine"])
      expect(Strategy.resolve(p.methods[2]!, catalogs.strategies).terms).toEqual([
        { loss: "featureNorm", scale: 3, weight: 1 },
        { loss: "oldNorm", weight: 2 },
        { loss: "crossEntropy", labelSmoothing: 0.1, weight: 1 }
      ])
      const declared = (terms: Protocol.ProtocolInputOf<Protocol.TermInput>["methods"]) => terms
      // @ts-expect-error: the built-in catalogs' protocols do not know featureNorm
      declared([{ name: "x", sampler: { kind: "pk" }, terms: [{ loss: "featureNorm" }] }])
      yield* Effect.flip(
        ProtocolFile.makeWith(catalogs, {
          name: "typo",
          data: { split },
          // @ts-expect-error: featureNorm has no option `scal`
          methods: [{ name: "x", sampler: { kind: "pk" }, terms: [{ loss: "featureNorm", scal: 3 }] }]
        })
      )
      // a strategy's method is typed by the built-in terms, the terms it brings and the ones it `uses`
      const typed: Protocol.MethodSpecOf<Protocol.TermSpec | Protocol.TermSpecOf<typeof featureNorm>> = {
        ...Strategy.builtins["bot-ft"],
        terms: [{ loss: "featureNorm", scale: 1, weight: 1 }]
      }
      expect(typed.terms[0]!.loss).toBe("featureNorm")
      LifelongStrategy.make({
        name: "untyped",
        label: "x",
        description: "",
        method: {
          sampler: { kind: "pk", identities: 4, instances: 2 },
          // @ts-expect-error: featureNorm is neither built in, brought (`terms`) nor declared used (`uses`)
          terms: [{ loss: "featureNorm", scale: 3, weight: 1 }],
          joint: false
        }
      })
    })
  )

  it.effect("the learner builds a user's term through its entry", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* Layer.build(Backend.layerCpu)
        const objective = yield* objectiveFor(
          [
            { loss: "featureNorm", scale: 3, weight: 0.5 },
            { loss: "tripletBatchHard", margin: 0.3, weight: 1 }
          ],
          undefined,
          Option.none()
        ).pipe(Catalogs.provide(catalogs))
        expect(objective.formula).toBe("0.5 * featureNorm(scale=3) + 1 * tripletBatchHard(margin=0.3)")
        const features = tf.tensor2d([
          [1, 2],
          [3, 0]
        ])
        const labels = tf.tensor1d([0, 1], "int32")
        const value = objective.compute({ outputs: { features }, labels, inputs: features, index: 0 })
        // 0.5 * 3 * mean(5, 9) = 10.5; the triplet term has no positive pair, so adds 0
        expect(value.terms[0]!.value.dataSync()[0]).toBeCloseTo(21, 5)
        expect(value.total.dataSync()[0]).toBeCloseTo(10.5, 5)
        tf.dispose([features, labels, value.total, ...value.terms.map((t) => t.value)])
      })
    )
  )
})
