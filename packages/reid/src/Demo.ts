/**
 * The protocol of the main demo (`npm run demo`, `reidfx demo`): an LReID-like inter-domain benchmark (Pu et
 * al., CVPR 2021) on the domains of the synthetic world, with the methods of the DwoPP paper's table and joint
 * training as the upper bound, over three seeds. Also shipped as `protocols/lifelong-synthetic.yaml` (a test
 * keeps the two equal).
 *
 * - **A realistic start**: a pretraining stage on the broad `source` domain (100 training identities), computed
 *   once, cached by its config and shared by every method and seed (the stand-in for ImageNet weights).
 * - **Four training domains in sequence**, of different sizes, as LReID's Market -> CUHK-SYSU -> Duke -> MSMT17:
 *   `market` (30 identities), `cuhksysu` (24), `duke` (30), `msmt` (30); each seen test set holds three times
 *   as many held-out identities of the same world (90, 72, 90, 90), rendered in its own domain.
 * - **Unseen domains**, small and never trained on, as LReID-Unseen: `viper`, `prid`, `grid`, `ilids` (24
 *   identities each), merged into one unseen test set.
 * - The test sets' sizes were chosen for the seed-to-seed spread (a method's seen-average mAP within 2 points
 *   over 3 seeds) under the 15-minute budget (docs/lifelong.md, section 1). A world renders its training
 *   identities first (`trainIdentities`), so a larger test set leaves the training data unchanged.
 * - The authors' evaluation (`setting: authors`: flip TTA, L2-normalised features, trapezoid AP).
 * @since 0.1.0
 */
import type { ProtocolInput } from "./Protocol.ts"

const world = (
  domain: "source" | "market" | "cuhksysu" | "duke" | "msmt" | "viper" | "prid" | "grid" | "ilids",
  identities: number,
  cameras: number,
  imagesPerCamera: number,
  seed: number
) => ({ kind: "synthetic", domain, identities, cameras, imagesPerCamera, seed }) as const

/** A domain of the sequence (or an unseen one): `train` identities to train on, then `test` held-out ones. */
const domainTask = (
  name: "market" | "cuhksysu" | "duke" | "msmt" | "viper" | "prid" | "grid" | "ilids",
  train: number,
  test: number,
  cameras: number,
  imagesPerCamera: number,
  seed: number
) =>
  ({
    name,
    world: { ...world(name, train + test, cameras, imagesPerCamera, seed), trainIdentities: train },
    identities: train,
    testIdentities: test
  }) as const

/** The demo protocol. */
export const protocol: ProtocolInput = {
  name: "lifelong-synthetic",
  description:
    "LReID-like inter-domain lifelong ReID on the synthetic world: shared pretraining on a source domain, 4 training domains in sequence, 4 small unseen domains, the methods of the DwoPP paper's table.",
  data: {
    split: {
      kind: "interDomain",
      sequence: [
        domainTask("market", 30, 90, 4, 4, 11),
        domainTask("cuhksysu", 24, 72, 3, 4, 12),
        domainTask("duke", 30, 90, 4, 4, 13),
        domainTask("msmt", 30, 90, 5, 4, 14)
      ],
      unseen: [
        domainTask("viper", 12, 24, 2, 3, 21),
        domainTask("prid", 12, 24, 2, 3, 22),
        domainTask("grid", 12, 24, 3, 2, 23),
        domainTask("ilids", 12, 24, 3, 3, 24)
      ]
    }
  },
  pretraining: { world: world("source", 200, 4, 4, 1), epochs: 5, learningRate: 0.001, seed: 0 },
  model: {
    backbone: "reference",
    stemWidth: 16,
    widths: [16, 32, 64, 128],
    blocks: [1, 1, 1, 1],
    pooling: "avg",
    neck: "bnneck"
  },
  training: {
    epochs: 5,
    optimizer: { kind: "adam", learningRate: 0.001, weightDecay: 0.0005, warmupEpochs: 1 },
    height: 48,
    width: 24,
    flip: 0.5,
    pad: 2,
    erasing: 0
  },
  stages: [{ kind: "train" }, { kind: "evaluate" }, { kind: "snapshot" }],
  evaluation: { after: "everyTask", initial: false, ranks: [1, 5, 10], setting: "authors" },
  methods: ["joint", "bot-ft", "lwf", "aka", "dmml-ft", "dwpp", "dwopp"],
  seeds: [0, 1, 2]
}
