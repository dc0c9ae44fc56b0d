/**
 * The tiny MDKT protocol the command tests run: the shipped `protocols/mdkt-synthetic.yaml` shrunk to 16x8 frames,
 * 4 identities, one batch per stage and two Table 1 rows (TR, ALL), one seed. Seconds on the cpu backend.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as YAML from "yaml"

const shipped = YAML.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "..", "protocols", "mdkt-synthetic.yaml"), "utf8")
)

/** The tiny protocol as a value (write it with `YAML.stringify`); `table2`: `"seed"` or `"none"`. */
export const tinyMdkt = (name: string, table2: "seed" | "none") => ({
  ...shipped,
  name,
  data: {
    ...shipped.data,
    height: 16,
    width: 8,
    world: {
      ...shipped.data.world,
      trainIdentities: 4,
      testIdentities: 4,
      cameras: 2,
      trackletsPerCamera: 1,
      frames: 4
    }
  },
  model: {
    ...shipped.model,
    backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1], lastStride: 1 }
  },
  teacher: { ...shipped.teacher, frames: 3, epochs: 1, batchesPerEpoch: 1, batch: { identities: 2, instances: 2 } },
  student: {
    ...shipped.student,
    teacherFrames: 3,
    epochs: 1,
    batchesPerEpoch: 1,
    batch: { identities: 2, instances: 2 }
  },
  tables: {
    table1: [
      { label: "TR", terms: ["tr"] },
      { label: "ALL", terms: ["tr", "mkd", "pd", "mtcl"] }
    ],
    table2
  },
  seeds: [0]
})
