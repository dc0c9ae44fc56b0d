/**
 * The protocol of the main demo (`npm run demo`, `reidfx demo`): an LReID-like inter-domain benchmark (Pu et
 * al., CVPR 2021) on the domains of the synthetic world, with the methods of the DwoPP paper's table and joint
 * training as the upper bound, over three seeds. Also shipped as `protocols/lifelong-synthetic.yaml` (a test
 * keeps the two equal).
 *
 * - **A realistic start**: a pretraining stage on the broad `source` domain (100 training identities), computed
 *   once, cached by its config and shared by every method and seed (the stand-in for ImageNet weights).
 * - **Four training domains in sequence**, of different sizes, as LReID's Market -> CUHK-SYSU -> Duke -> MSMT17:
 *   `market` (30 identities), `cuhksysu` (24), `duke` (30), `msmt` (30); each seen test set holds 30 (24)
 *   held-out identities of the same world, rendered in its own domain.
 * - **Unseen domains**, small and never trained on, as LReID-Unseen: `viper`, `prid`, `grid`, `ilids` (12
 *   identities each), merged into one unseen test set.
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

/** The demo protocol. */
export const protocol: ProtocolInput = {
  name: "lifelong-synthetic",
  description:
    "LReID-like inter-domain lifelong ReID on the synthetic world: shared pretraining on a source domain, 4 training domains in sequence, 4 small unseen domains, the methods of the DwoPP paper's table.",
  data: {
    split: {
      kind: "interDomain",
      sequence: [
        { name: "market", world: world("market", 60, 4, 4, 11), identities: 30 },
        { name: "cuhksysu", world: world("cuhksysu", 48, 3, 4, 12), identities: 24 },
        { name: "duke", world: world("duke", 60, 4, 4, 13), identities: 30 },
        { name: "msmt", world: world("msmt", 60, 5, 4, 14), identities: 30 }
      ],
      unseen: [
        { name: "viper", world: world("viper", 24, 2, 3, 21), identities: 12 },
        { name: "prid", world: world("prid", 24, 2, 3, 22), identities: 12 },
        { name: "grid", world: world("grid", 24, 3, 2, 23), identities: 12 },
        { name: "ilids", world: world("ilids", 24, 3, 3, 24), identities: 12 }
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
