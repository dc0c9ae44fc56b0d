/**
 * The power cut of the resume tests: a lifelong run in folder `out` interrupted at the first progress event
 * `cutAt` accepts ({@link runCut}), and the rerun in the same folder with the progress it reports recorded
 * ({@link runRecorded}). Shared by `MidTaskResume`, `Krkc` and `PatchKd` tests.
 */
import { Progress, Runner } from "@reidfx/continual"
import { Effect } from "effect"
import * as Lifelong from "../src/Lifelong.ts"
import type { Protocol } from "../src/Protocol.ts"

/** Runs `protocol` in `out` until `cutAt` accepts an event, where the fiber is interrupted; the run's exit. */
export const runCut = (protocol: Protocol, out: string, cutAt: (event: Progress.ProgressEvent) => boolean) =>
  Effect.exit(
    Runner.run(protocol, { out }).pipe(
      Effect.provide(Lifelong.layer(protocol)),
      Effect.provideService(Progress.Progress, {
        emit: (event: Progress.ProgressEvent) => (cutAt(event) ? Effect.interrupt : Effect.void)
      })
    )
  )

/** Runs `protocol` in `out` (resuming what is there); `steps` holds `label` of each event it gives a label. */
export const runRecorded = (
  protocol: Protocol,
  out: string,
  label: (event: Progress.ProgressEvent) => string | undefined
) =>
  Effect.gen(function* () {
    const steps: Array<string> = []
    const result = yield* Runner.run(protocol, { out }).pipe(
      Effect.provide(Lifelong.layer(protocol)),
      Effect.provideService(Progress.Progress, {
        emit: (event: Progress.ProgressEvent) =>
          Effect.sync(() => {
            const l = label(event)
            if (l !== undefined) steps.push(l)
          })
      })
    )
    return { result, steps }
  })
