/**
 * Progress while a protocol runs, as a stream of events to a `Progress` reference (a service with a default,
 * so library code reports without adding a requirement). The default is silent; `layerConsole` prints one line
 * per stage, with a live training line on a terminal (plain lines otherwise).
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { TrainProgress } from "./Learner.ts"

/** What happens during a run. */
export type ProgressEvent =
  | { readonly _tag: "RunStarted"; readonly protocol: string; readonly units: number; readonly out: string | undefined }
  | { readonly _tag: "UnitStarted"; readonly method: string; readonly seed: number; readonly unit: number; readonly units: number; readonly resumed: number }
  | { readonly _tag: "StageStarted"; readonly method: string; readonly seed: number; readonly task: string; readonly stage: string }
  | { readonly _tag: "Training"; readonly method: string; readonly seed: number; readonly task: string; readonly progress: TrainProgress }
  | {
    readonly _tag: "StageDone"
    readonly method: string
    readonly seed: number
    readonly task: string
    readonly stage: string
    readonly seconds: number
    readonly detail: string
  }
  | { readonly _tag: "UnitDone"; readonly method: string; readonly seed: number; readonly seconds: number }
  /** A line of a stage's own progress (e.g. an MDKT epoch's losses), for kinds whose training is not one `TrainProgress`. */
  | { readonly _tag: "Note"; readonly method: string; readonly seed: number; readonly line: string }
  | { readonly _tag: "RunDone"; readonly seconds: number }

/** The progress service: where a lifelong run reports what it is doing (the console bar, a test recorder, a tracker). */
export interface ProgressService {
  /** Reports one progress event. */
  readonly emit: (event: ProgressEvent) => Effect.Effect<void>
}

/** Where progress goes (silent by default). @category services */
export const Progress = Context.Reference<ProgressService>("@reidfx/continual/Progress", {
  defaultValue: () => ({ emit: () => Effect.void })
})

/** Emits an event to the current Progress. */
export const emit = (event: ProgressEvent): Effect.Effect<void> => Effect.flatMap(Progress, (p) => p.emit(event))

const pct = (x: number) => `${(100 * x).toFixed(0)}%`

/** One line describing an event (undefined for events not shown as lines). */
export const format = (event: ProgressEvent): string | undefined => {
  switch (event._tag) {
    case "RunStarted":
      return `protocol ${event.protocol}: ${event.units} run(s) (method x seed)${event.out === undefined ? "" : `, folder ${event.out}`}`
    case "UnitStarted":
      return `[${event.unit}/${event.units}] ${event.method} seed ${event.seed}` +
        (event.resumed > 0 ? ` (resumed: ${event.resumed} stage(s) already done)` : "")
    case "StageStarted":
      return undefined
    case "Training": {
      const p = event.progress
      const terms = Object.entries(p.terms).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ")
      return `  ${event.task} train epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} (${pct(p.step / Math.max(1, p.steps))}) ` +
        `loss ${p.loss.toFixed(3)}${terms === "" ? "" : ` [${terms}]`} ${p.imagesPerSecond.toFixed(0)} img/s`
    }
    case "StageDone":
      return `  ${event.task} ${event.stage}: ${event.detail} (${event.seconds.toFixed(1)} s)`
    case "Note":
      return `  ${event.line}`
    case "UnitDone":
      return `  done ${event.method} seed ${event.seed} in ${event.seconds.toFixed(0)} s`
    case "RunDone":
      return `protocol done in ${event.seconds.toFixed(0)} s`
  }
}

/**
 * Prints progress to stdout: on a terminal, training updates rewrite one line; otherwise only the last update
 * of each epoch is printed. @category layers
 */
export const layerConsole = (options: { readonly tty?: boolean; readonly write?: (text: string) => void } = {}) =>
  Layer.succeed(
    Progress,
    (() => {
      const tty = options.tty ?? process.stdout.isTTY === true
      const write = options.write ?? ((text: string) => process.stdout.write(text))
      let live = false
      const durations: Array<number> = []
      return {
        emit: (event: ProgressEvent) =>
          Effect.sync(() => {
            if (event._tag === "UnitDone") durations.push(event.seconds)
            let line = format(event)
            if (line === undefined) return
            if (event._tag === "UnitStarted" && durations.length > 0) {
              const mean = durations.reduce((a, b) => a + b, 0) / durations.length
              line += `, about ${Math.ceil((mean * (event.units - event.unit + 1)) / 60)} min left`
            }
            if (event._tag === "Training") {
              if (tty) {
                write(`\r\x1b[2K${line}`)
                live = true
              } else if (event.progress.step === event.progress.steps) write(`${line}\n`)
              return
            }
            if (live) {
              write("\r\x1b[2K")
              live = false
            }
            write(`${line}\n`)
          })
      }
    })()
  )
