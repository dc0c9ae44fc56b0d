/**
 * The 30-second first result (`reidfx demo --quick`, `npm run demo -- --quick`): the main demo's protocol
 * (`Demo.protocol`) cut down until it runs in about half a minute on a laptop core, so a newcomer sees the whole
 * loop (synthetic domains in sequence, training, evaluation after each domain, forgetting, the reports) before
 * committing to the full run. Two training domains, one unseen domain, three methods (joint training as the upper bound, fine-tuning, DwoPP),
 * one seed, no shared pretraining, 32x16 images and a narrower net. Its numbers say that the loop works, not
 * which method is better: that is what the full demo's three seeds are for.
 * @since 0.1.0
 */
import { protocol as full } from "./Demo.ts"
import type { ProtocolInput } from "./Protocol.ts"

const world = (
  domain: "market" | "duke" | "viper",
  identities: number,
  cameras: number,
  imagesPerCamera: number,
  seed: number
) => ({ kind: "synthetic", domain, identities, cameras, imagesPerCamera, seed }) as const

/** The quick demo's protocol. */
export const protocol: ProtocolInput = {
  name: "lifelong-synthetic-quick",
  description:
    "The 30-second first result: the main demo cut to 2 training domains, 1 unseen domain, 3 methods (joint, BoT-FT, DwoPP) and 1 seed (reidfx demo --quick).",
  data: {
    split: {
      kind: "interDomain",
      sequence: [
        { name: "market", world: world("market", 24, 3, 3, 11), identities: 12 },
        { name: "duke", world: world("duke", 24, 3, 3, 13), identities: 12 }
      ],
      unseen: [{ name: "viper", world: world("viper", 16, 2, 3, 21), identities: 8 }]
    }
  },
  model: {
    backbone: "reference",
    stemWidth: 8,
    widths: [8, 16, 32],
    blocks: [1, 1, 1],
    pooling: "avg",
    neck: "bnneck"
  },
  training: { ...full.training, epochs: 3, height: 32, width: 16 },
  stages: [{ kind: "train" }, { kind: "evaluate" }, { kind: "snapshot" }],
  evaluation: { after: "everyTask", initial: false, ranks: [1, 5, 10], setting: "authors" },
  methods: ["joint", "bot-ft", "dwopp"],
  seeds: [0]
}
