/**
 * The protocol of the main demo (`npm run demo`, `reidfx demo`): intra-domain lifelong ReID on the built-in
 * synthetic person world, the methods of the DwoPP paper's table (AKA aside, to keep the demo short) and
 * joint training as the upper bound. It is also shipped as `protocols/lifelong-synthetic.yaml` (a test keeps
 * the two equal). Three seeds, so the table has mean ± std: about 140 s of CPU time and 82 s of wall time per
 * seed on an idle 2-core machine (wasm, 2 threads), about 4 minutes in all.
 * @since 0.1.0
 */
import type { ProtocolInput } from "./Protocol.ts"

/** The demo protocol. */
export const protocol: ProtocolInput = {
  name: "lifelong-synthetic",
  description: "Intra-domain lifelong ReID on the synthetic person world: 4 class-disjoint tasks, the methods of the DwoPP paper's table, joint training as the upper bound.",
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", objects: "persons", identities: 200, cameras: 4, imagesPerCamera: 4, difficulty: "medium", seed: 7 },
      tasks: 4,
      unseenIdentities: 20,
      order: "shuffled"
    }
  },
  model: { backbone: "reference", stemWidth: 16, widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1], pooling: "avg", neck: "bnneck" },
  training: {
    epochs: 8,
    optimizer: { kind: "adam", learningRate: 0.001, weightDecay: 0.0005, warmupEpochs: 1 },
    height: 64,
    width: 32,
    flip: 0.5,
    pad: 4,
    erasing: 0
  },
  stages: [{ kind: "train" }, { kind: "evaluate" }, { kind: "snapshot" }],
  evaluation: { after: "everyTask", initial: true, ranks: [1, 5, 10] },
  methods: ["joint", "bot-ft", "lwf", "dmml-ft", "dwpp", "dwopp"],
  seeds: [0, 1, 2]
}
