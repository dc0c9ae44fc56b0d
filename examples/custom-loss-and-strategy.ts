/**
 * Extending reidfx from a user program, without editing any package: a new loss and a new lifelong strategy,
 * added to the catalogs and then used by name in a protocol file, exactly as the built-in ones.
 *
 * - the loss `focal`: the focal loss (Lin, Goyal, Girshick, He and Dollár, "Focal Loss for Dense Object
 *   Detection", ICCV 2017, Eq. 4 without the alpha balance): `FL = -1/B sum_i (1 - p_i)^gamma log p_i`, with
 *   `p_i` the softmax probability of sample i's class; gamma = 0 is plain cross-entropy;
 * - the strategy `less-forget`: focal loss + batch-hard triplet plus the "less-forget" constraint of LUCIR (Hou,
 *   Pan, Loy, Wang and Lin, "Learning a Unified Classifier Incrementally via Rebalancing", CVPR 2019, Eq. 6):
 *   `L_dis = 1/B sum_i (1 - cos(f*_i, f_i))`, the old model's (detached) features `f*` against the new model's
 *   `f`, weighted by lambda (the paper's lambda_base = 5). It reads the old model, so the strategy declares the
 *   first-task rule, and its term entry says `needs: { oldModel: "whole" }`. Its options (`lambda`, and the focal
 *   loss's `gamma`, default 0: plain cross-entropy) have a Schema with defaults, so a protocol writes
 *   `{ use: less-forget, name: less-forget-10, options: { lambda: 10 } }`; its method's terms are typed by the
 *   term it brings (`terms`) and the user's term it uses (`uses`), as built-in terms are.
 *
 *     node --conditions=@reidfx/source examples/custom-loss-and-strategy.ts
 *     REIDFX_SMOKE=1 node --conditions=@reidfx/source examples/custom-loss-and-strategy.ts   # seconds
 */
import { Progress, Table } from "@reidfx/continual"
import { Source } from "@reidfx/distill"
import { Term } from "@reidfx/metric"
import { Backend } from "@reidfx/tensor"
import {
  Catalogs,
  Lifelong,
  LifelongStrategy,
  ObjectiveTerm,
  Protocol,
  ProtocolFields,
  ProtocolFile
} from "@reidfx/reid"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, References } from "effect"

const smoke = process.env.REIDFX_SMOKE === "1"

// ---- a loss: one entry (name, options, constructor, needs) --------------------------------------------------

/** The focal loss of a batch of logits. */
const focalLoss = (logits: tf.Tensor2D, labels: tf.Tensor1D, gamma: number): tf.Scalar =>
  tf.tidy(() => {
    const logP = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.cast(labels, "int32"), logits.shape[1])), 1)
    return tf.neg(tf.mean(tf.mul(tf.pow(tf.sub(1, tf.exp(logP)), gamma), logP))) as tf.Scalar
  })

const focal = ObjectiveTerm.make({
  name: "focal",
  description: "focal loss on the classifier's logits (Lin et al. ICCV 2017)",
  fields: { gamma: ProtocolFields.withDefault(ProtocolFields.NonNegative, 2) },
  needs: { classifier: true },
  make: (spec) => [
    Term.make(
      "focal",
      { gamma: spec.gamma },
      (step) => ({ loss: focalLoss(step.outputs.logits!, step.labels, spec.gamma) }),
      spec.weight
    )
  ]
})

// ---- a strategy: its own distillation term (an entry too) and the method it runs ------------------------------

const lessForgetTerm = ObjectiveTerm.make({
  name: "lessForget",
  description: "LUCIR's less-forget constraint: 1 - cos(old features, new features) (Hou et al. CVPR 2019)",
  fields: {},
  needs: { oldModel: "whole" },
  makeWithOldModel: (spec) => [
    Term.fromEffect(
      "lessForget",
      {},
      Effect.map(Source.oldModel.build, (target) => (step) => ({
        loss: tf.tidy(() => {
          const unit = (x: tf.Tensor2D) => tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12))
          const cos = tf.sum(tf.mul(unit(target(step, "lessForget").features), unit(step.outputs.features)), 1)
          return tf.mean(tf.sub(1, cos)) as tf.Scalar
        })
      })),
      spec.weight
    )
  ]
})

const lessForget = LifelongStrategy.make({
  name: "less-forget",
  label: "LessForget",
  description: "focal(gamma) + triplet + lambda * LUCIR's less-forget constraint (lambda 5, gamma 0)",
  options: {
    lambda: ProtocolFields.withDefault(ProtocolFields.Positive, 5),
    gamma: ProtocolFields.withDefault(ProtocolFields.NonNegative, 0)
  },
  terms: [lessForgetTerm],
  uses: [focal],
  method: (options) => ({
    sampler: { kind: "pk", identities: 16, instances: 4 },
    terms: [
      { loss: "focal", gamma: options.gamma, weight: 1 },
      { loss: "tripletBatchHard", margin: 0.3, weight: 1 },
      { loss: "lessForget", weight: options.lambda }
    ],
    firstTask: "withoutOldModelTerms",
    joint: false
  })
})

// ---- a protocol file using both by name -------------------------------------------------------------------------

const protocolText = `
name: custom-entries
data:
  split:
    kind: intraDomain
    world: { kind: synthetic, identities: ${smoke ? 24 : 150}, cameras: ${smoke ? 3 : 4}, imagesPerCamera: ${smoke ? 2 : 4}, seed: 3 }
    tasks: 2
    unseenIdentities: ${smoke ? 4 : 15}
model: ${smoke ? "{ stemWidth: 4, widths: [4, 8], blocks: [1, 1] }" : "{ widths: [16, 32, 64, 128] }"}
training: ${smoke ? "{ epochs: 1, batchesPerEpoch: 3, height: 16, width: 8, optimizer: { learningRate: 0.01 } }" : "{ epochs: 4 }"}
evaluation: { initial: false }
methods:
  - bot-ft
  - less-forget
  - { use: less-forget, name: less-forget-10, options: { lambda: 10, gamma: 1 } }
  - name: focal-ft
    sampler: { kind: pk }
    terms: [{ loss: focal, gamma: 2 }, { loss: tripletBatchHard }]
seeds: [0]
`

const catalogs = Catalogs.extend(Catalogs.builtin, { terms: [focal], strategies: [lessForget] })

const program = Effect.gen(function* () {
  const protocol = yield* ProtocolFile.parse(protocolText, "custom-entries.yaml")
  console.log(`methods: ${protocol.methods.map(Protocol.methodName).join(", ")}`)
  const { result } = yield* Lifelong.run(protocol)
  for (const m of result.methods) console.log(`${m.label}: ${m.formula}`)
  console.log(Table.toText(result))
}).pipe(Catalogs.provide(catalogs))

await Effect.runPromise(
  program.pipe(
    Effect.provide(Progress.layerConsole({ tty: false })),
    Effect.provide(Backend.layerFromConfig),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
)
process.exit(0)
