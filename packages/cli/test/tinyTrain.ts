/**
 * The tiny `reidfx train` run the cli tests share: 12 identities at 32x16 (the world's defaults otherwise), a
 * 2-stage reference net, 2 epochs of PK batches of 3 x 2, cpu backend, written under `output`.
 */
export const tinyTrainArgs = (output: string): Array<string> => [
  "--backend",
  "cpu",
  "--output",
  output,
  "--epochs",
  "2",
  "--set",
  "data.identities=12",
  "--set",
  "data.height=32",
  "--set",
  "data.width=16",
  "--set",
  "data.imagesPerCamera=2",
  "--set",
  "sampler={p: 3, k: 2}",
  "--set",
  "model.backbone={kind: reference, stemWidth: 8, widths: [8, 16], blocks: [1, 1]}"
]
