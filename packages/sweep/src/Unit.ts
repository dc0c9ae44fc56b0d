/**
 * Running one unit of a sweep: one method on one seed of one protocol, through continual's public runner
 * (`Runner.run` restricted to that method and seed, on the `Lifelong` benchmark and learner), in the unit's
 * own run folder. That folder holds the unit's checkpoints (one per completed stage); when it is on a folder
 * every runner reaches (the sweep's work folder), a unit restarted anywhere resumes after its last completed
 * stage, and a unit whose stages are all done only reads them back.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Runner } from "@reidfx/continual"
import { Lifelong, type Protocol } from "@reidfx/reid"
import { Effect } from "effect"
import { variantDir } from "./SweepReport.ts"
import type { UnitResult } from "./UnitStore.ts"

/** The run folder of one unit under a sweep's work folder. */
export const unitDir = (
  work: string,
  sweepId: string,
  unit: { readonly variant: string; readonly method: string; readonly seed: number }
): string => path.join(variantDir(work, sweepId, unit.variant), "runs", `${unit.method}-seed-${unit.seed}`)

/**
 * Runs (or resumes) one unit in `out` and returns what the store keeps of it. Requires the tfjs backend to
 * be set (the `Backend` layer of `@reidfx/tensor`), like `Lifelong.run`.
 */
export const run = (
  protocol: Protocol.Protocol,
  unit: { readonly method: string; readonly seed: number },
  out: string
): Effect.Effect<UnitResult, Runner.RunError> =>
  Effect.gen(function* () {
    const result = yield* Runner.run(protocol, { out, methods: [unit.method], seeds: [unit.seed] })
    const method = result.methods[0]
    const state = result.units[0]
    if (method === undefined || state === undefined) {
      return yield* Effect.die(new Error(`unit ${unit.method} seed ${unit.seed}: not in protocol ${protocol.name}`))
    }
    return { layout: result.layout, method, state, computeSeconds: result.computeSeconds }
  }).pipe(Effect.provide(Lifelong.layer(protocol)))
