/**
 * Progress reporting as a `Context.Reference`: library code reports without adding a requirement; the
 * default logs each step at Debug level (invisible unless asked for), the `reidfx` command provides a
 * terminal reporter (a progress bar with ETA on a TTY, plain lines otherwise).
 * @since 0.1.0
 */
import { Context, Effect } from "effect"
import { barLine, lossText, type RunLog, stepLine, type Where } from "@reidfx/tensor"

// the line texts live in `@reidfx/tensor` (`ProgressText`), shared with the lifelong engine
export { barLine, lossText, stepLine }

/** One learner's values at a step. */
export interface LearnerReport {
  readonly name: string
  /** sum_i w_i L_i */
  readonly loss: number
  /** Unweighted value of each term. */
  readonly terms: Readonly<Record<string, number>>
  /** Scalar statistics the terms reported (e.g. active triplets), as `term.stat`. */
  readonly stats: Readonly<Record<string, number>>
  readonly learningRate: number
  /** Global gradient norm before clipping. */
  readonly gradNorm: number
}

/** What one training step reports. */
export interface StepReport {
  /** Global step (0-based). */
  readonly index: number
  readonly learners: ReadonlyArray<LearnerReport>
  /** Images in the step (all learners' inputs). */
  readonly images: number
  /** Wall time of the step. */
  readonly seconds: number
}

/** Where a step sits in the run. */
export interface Position {
  readonly step: number
  readonly totalSteps: number
  readonly epoch: number
  readonly totalEpochs: number
}

/** The training progress reporter (the console bar by default). */
export interface ProgressService {
  /** Starts a progress line for a run of `totalSteps` steps, resuming at `startStep`. */
  readonly start: (info: {
    readonly label: string
    readonly totalSteps: number
    readonly startStep: number
  }) => Effect.Effect<void>
  /** Reports one optimizer step (its loss terms) at its position in the run. */
  readonly step: (report: StepReport, position: Position) => Effect.Effect<void>
  /** Prints a message without breaking the progress line. */
  readonly message: (text: string) => Effect.Effect<void>
  /** Finishes the current line (called at each epoch's end and at the end of the run). */
  readonly end: () => Effect.Effect<void>
}

const describeStep = (report: StepReport): string =>
  report.learners
    .map((l) => `${report.learners.length > 1 ? `${l.name}: ` : ""}${lossText(l.loss, l.terms, l.learningRate)}`)
    .join(" | ")

/** Logs each step at Debug level (the default). */
export const debugLog: ProgressService = {
  start: (info) => Effect.logDebug(`${info.label}: ${info.totalSteps} steps from step ${info.startStep}`),
  step: (report, p) =>
    Effect.logDebug(`step ${p.step}/${p.totalSteps} epoch ${p.epoch + 1}/${p.totalEpochs}: ${describeStep(report)}`),
  message: (text) => Effect.logInfo(text),
  end: () => Effect.void
}

/** Reports nothing. */
export const silent: ProgressService = {
  start: () => Effect.void,
  step: () => Effect.void,
  message: () => Effect.void,
  end: () => Effect.void
}

/** The progress reporter of the current fiber (default {@link debugLog}). */
export const Progress = Context.Reference<ProgressService>("@reidfx/train/Progress", { defaultValue: () => debugLog })

/**
 * A terminal reporter. On a TTY: one redrawn line with a bar, step, epoch, losses, images/s and ETA. Otherwise
 * (logs, CI): a plain line every `everySteps` steps (default: about 10 per run) and at the last step.
 */
export const terminal = (
  options: {
    readonly out?: { readonly isTTY?: boolean; readonly columns?: number; write(text: string): unknown }
    readonly everySteps?: number
  } = {}
): ProgressService => {
  const out = options.out ?? process.stderr
  const tty = out.isTTY === true
  let startedAt = 0
  let first = 0
  let images = 0
  let seconds = 0
  let label = ""
  let drawn = false
  return {
    start: (info) =>
      Effect.sync(() => {
        startedAt = performance.now()
        first = info.startStep
        images = 0
        seconds = 0
        label = info.label
        if (!tty)
          out.write(
            `${label}: ${info.totalSteps} steps${info.startStep > 0 ? ` (resuming at step ${info.startStep})` : ""}\n`
          )
      }),
    step: (report, p) =>
      Effect.sync(() => {
        images += report.images
        seconds += report.seconds
        const done = p.step + 1
        const elapsed = (performance.now() - startedAt) / 1000
        const rate = (done - first) / Math.max(elapsed, 1e-9)
        const eta = (p.totalSteps - done) / rate
        const ips = images / Math.max(seconds, 1e-9)
        const text = stepLine({
          epoch: p.epoch + 1,
          epochs: p.totalEpochs,
          step: done,
          steps: p.totalSteps,
          losses: describeStep(report),
          imagesPerSecond: ips,
          etaSeconds: eta
        })
        if (tty) {
          out.write(`\r${barLine(label, done / Math.max(p.totalSteps, 1), text, out.columns ?? 160)}`)
          drawn = true
        } else {
          const every = options.everySteps ?? Math.max(1, Math.round(p.totalSteps / 10))
          if (done % every === 0 || done === p.totalSteps) out.write(`${label} ${text}\n`)
        }
      }),
    message: (text) =>
      Effect.sync(() => {
        if (tty && drawn) out.write("\n")
        drawn = false
        out.write(`${text}\n`)
      }),
    end: () =>
      Effect.sync(() => {
        if (tty && drawn) out.write("\n")
        drawn = false
      })
  }
}

/** The scalars of one step, by name: `loss`, each term, each term statistic, `lr`, `gradNorm`, `imagesPerSecond` (one learner: no prefix; several: `<learner>/`). */
export const stepValues = (report: StepReport): Record<string, number> => {
  const values: Record<string, number> = {}
  for (const l of report.learners) {
    const p = report.learners.length > 1 ? `${l.name}/` : ""
    values[`${p}loss`] = l.loss
    for (const [k, v] of Object.entries(l.terms)) values[`${p}${k}`] = v
    for (const [k, v] of Object.entries(l.stats)) values[`${p}${k}`] = v
    values[`${p}lr`] = l.learningRate
    values[`${p}gradNorm`] = l.gradNorm
  }
  values.imagesPerSecond = report.images / Math.max(report.seconds, 1e-9)
  return values
}

/** A reporter that also records every step into `log` (the history, TensorBoard, trackers), then reports to `inner`. */
export const logged = (inner: ProgressService, log: RunLog, where: Where = {}): ProgressService => ({
  start: inner.start,
  message: inner.message,
  end: inner.end,
  step: (report, p) =>
    Effect.andThen(
      log.record({
        kind: "step",
        step: p.step,
        time: Date.now() / 1000,
        where: { ...where, epoch: p.epoch + 1 },
        values: stepValues(report)
      }),
      inner.step(report, p)
    )
})
