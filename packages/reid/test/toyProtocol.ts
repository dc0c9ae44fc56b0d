/**
 * The toy lifelong protocol the learner and strategy tests run on the cpu backend (one fixture instead of a copy
 * per test file): a 24-identity synthetic world (3 cameras, 2 images each, seed 3) in 2 tasks with 4 unseen
 * identities, a two-stage reference net (stem 4, widths 4 and 8), 16x8 images, one epoch of one batch, seed 0,
 * no evaluation of the untrained model. Tests override what they vary (batches, learning rate, evaluation).
 */
import type { ProtocolInput } from "../src/Protocol.ts"

/** What a test changes in the toy protocol: training and evaluation keys are merged over the defaults. */
export interface ToyOptions {
  readonly training?: Partial<NonNullable<ProtocolInput["training"]>>
  readonly evaluation?: Partial<NonNullable<ProtocolInput["evaluation"]>>
}

/** The toy protocol named `name` running `methods`. */
export const toyProtocol = (
  name: string,
  methods: ProtocolInput["methods"],
  options: ToyOptions = {}
): ProtocolInput => ({
  name,
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", identities: 24, cameras: 3, imagesPerCamera: 2, seed: 3 },
      tasks: 2,
      unseenIdentities: 4
    }
  },
  model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  training: { epochs: 1, batchesPerEpoch: 1, height: 16, width: 8, ...options.training },
  evaluation: { initial: false, ...options.evaluation },
  methods,
  seeds: [0]
})

/** The learning rate and evaluation batch most of these tests use. */
export const smallSteps: Required<ToyOptions> = {
  training: { optimizer: { learningRate: 0.01 } },
  evaluation: { batchSize: 64 }
}
