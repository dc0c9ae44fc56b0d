import * as MdktProtocolFile from "../../src/mdkt/MdktProtocolFile.ts"

/** A tiny protocol: 16x8 frames, a two-stage reference net of widths 4 and 8, P = 2 x K = 2 clips per batch. */
export const tinyProtocol = (overrides: Record<string, unknown> = {}) =>
  MdktProtocolFile.decode({
    name: "tiny",
    kind: "mdkt",
    data: {
      world: {
        kind: "synthetic",
        trainIdentities: 4,
        testIdentities: 4,
        cameras: 2,
        trackletsPerCamera: 1,
        frames: 4,
        difficulty: "easy"
      },
      height: 16,
      width: 8
    },
    model: { backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1], lastStride: 1 } },
    teacher: { frames: 3, epochs: 1, batchesPerEpoch: 1, batch: { identities: 2, instances: 2 } },
    student: { frames: 1, teacherFrames: 3, epochs: 1, batchesPerEpoch: 2, batch: { identities: 2, instances: 2 } },
    tables: {
      table1: [{ label: "ALL", terms: ["tr", "mkd", "pd", "mtcl"] }],
      table2: [{ label: "frozen teacher", mode: "frozen" }]
    },
    evaluation: { batchSize: 16 },
    seeds: [0],
    ...overrides
  })
