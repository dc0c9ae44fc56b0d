/**
 * The text of the one progress line of every reidfx command (training, each task of a lifelong or MDKT run):
 * `epoch 1/2 step 3/10 loss 1.5000 (ce 1.0000, triplet 0.5000) lr 1.00e-3 128.0 img/s ETA 0:42`, and its bar.
 * Plain functions, shared by `@reidfx/train`'s `Progress` and `@reidfx/continual`'s reporters.
 * @since 0.1.0
 */

/** One learner's part of a progress line: `loss 1.5000 (ce 1.0000, triplet 0.5000) lr 1.00e-3` (lr when known). */
export const lossText = (loss: number, terms: Readonly<Record<string, number>>, learningRate?: number): string => {
  const parts = Object.entries(terms)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(", ")
  return `loss ${loss.toFixed(4)}${parts === "" ? "" : ` (${parts})`}${learningRate === undefined ? "" : ` lr ${learningRate.toExponential(2)}`}`
}

/**
 * The one progress line of every reidfx command (training here, each task of a lifelong or MDKT run in
 * `@reidfx/continual`): `epoch 1/2 step 3/10 loss 1.5000 (ce 1.0000, triplet 0.5000) lr 1.00e-3 128.0 img/s ETA 0:42`.
 */
export const stepLine = (fields: {
  readonly epoch: number
  readonly epochs: number
  readonly step: number
  readonly steps: number
  readonly losses: string
  readonly imagesPerSecond: number
  readonly etaSeconds?: number
}): string =>
  `epoch ${fields.epoch}/${fields.epochs} step ${fields.step}/${fields.steps} ${fields.losses} ${fields.imagesPerSecond.toFixed(1)} img/s` +
  (fields.etaSeconds === undefined ? "" : ` ETA ${clock(fields.etaSeconds)}`)

/** A progress line with its bar, padded or cut to the terminal's width (`label [#####.....] text`). */
export const barLine = (label: string, fraction: number, text: string, columns = 160): string => {
  const width = 24
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)))
  const line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${text}`
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line.padEnd(columns - 1)
}

/** `m:ss` or `h:mm:ss` (`--:--` when unknown). */
export const clock = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return "--:--"
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const r = s % 60
  return h > 0
    ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}`
    : `${m}:${String(r).padStart(2, "0")}`
}
