/**
 * The toy lifelong protocol the command tests run: 16x8 images of a 24-identity synthetic world in 2 tasks,
 * a two-stage reference net, one batch per epoch, one seed. Seconds per method on the cpu backend.
 */
export const toyProtocol = (name: string, methods: ReadonlyArray<string>): string => `
name: ${name}
data:
  split:
    kind: intraDomain
    world: { kind: synthetic, identities: 24, cameras: 3, imagesPerCamera: 2, seed: 3 }
    tasks: 2
    unseenIdentities: 4
model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] }
training: { epochs: 1, batchesPerEpoch: 1, height: 16, width: 8 }
evaluation: { initial: false }
methods: [${methods.join(", ")}]
seeds: [0]
`
