/**
 * A run killed inside a task resumes inside it: the task's training writes a checkpoint every
 * `training.checkpointEverySteps` steps (and at each epoch end) in the run folder, the rerun restores the model,
 * the optimizer and the sampling position from it, and the final results equal an uninterrupted run's. Once the
 * task's stage is committed the mid-task checkpoint is removed. Toy sizes on the cpu backend.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { Effect, Exit } from "effect"
import { Runner } from "@reidfx/continual"
import * as Lifelong from "../src/Lifelong.ts"
import type { ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import { runCut, runRecorded } from "./interruptedRun.ts"

const input = (method: "dwopp" | "aka"): ProtocolInput => ({
  name: "toy-mid-task",
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", identities: 24, cameras: 3, imagesPerCamera: 2, seed: 3 },
      tasks: 2,
      unseenIdentities: 4
    }
  },
  model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  training: {
    epochs: 2,
    batchesPerEpoch: 3,
    height: 16,
    width: 8,
    optimizer: { learningRate: 0.01 },
    checkpointEverySteps: 2
  },
  evaluation: { initial: false, batchSize: 64 },
  methods: [method],
  seeds: [0]
})

const files = (dir: string): Promise<ReadonlyArray<string>> =>
  fs.readdir(dir, { recursive: true }).then((names) => names.map(String).sort())

describe("mid-task checkpoints", () => {
  for (const method of ["dwopp", "aka"] as const) {
    it.effect(
      `${method}: a run interrupted at step 5 of task 2 resumes from step 4 and ends with the uninterrupted results`,
      () =>
        Effect.gen(function* () {
          const protocol = yield* ProtocolFile.make(input(method))
          const reference = yield* Runner.run(protocol).pipe(Effect.provide(Lifelong.layer(protocol)))
          const out = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-mid-task-")))
          // the power cut: the fiber is interrupted right after the 5th optimizer step of the second task
          const first = yield* runCut(
            protocol,
            out,
            (event) =>
              event._tag === "Training" &&
              event.task === "task-2" &&
              event.progress.epoch === 2 &&
              event.progress.step === 2
          )
          assert.isTrue(Exit.isFailure(first))
          const left = yield* Effect.promise(() => files(out))
          const partial = left.filter((f) => f.endsWith("-partial.ckpt"))
          expect(partial).toHaveLength(1)
          // the rerun resumes inside task 2 (its progress starts at step 5, not 1) and ends where the reference ended
          const { result: resumed, steps } = yield* runRecorded(protocol, out, (event) =>
            event._tag === "Training" && event.task === "task-2"
              ? `${event.progress.epoch}.${event.progress.step}`
              : undefined
          )
          expect(steps).toEqual(["2.2", "2.3"])
          expect(resumed.cells).toEqual(reference.cells)
          const after = yield* Effect.promise(() => files(out))
          expect(after.filter((f) => f.includes("-partial.ckpt"))).toEqual([])
          yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
        }).pipe(Effect.provide(Backend.layerCpu))
    )
  }
})
