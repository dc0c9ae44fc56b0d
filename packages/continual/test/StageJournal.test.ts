/**
 * The journal every protocol kind persists its units with: journals written before `format` and `fields` existed
 * (MDKT, parts) are read as they are, files that are not journals are refused with one line, fields are replaced
 * at a commit, and a stage given `progress` reports to the `Progress` service (as the lifelong runner's stages do).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Progress from "../src/Progress.ts"
import * as StageJournal from "../src/StageJournal.ts"

const folderWith = (state: unknown): string => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "journal-"))
  fs.mkdirSync(path.join(out, "units", "seed-0"), { recursive: true })
  fs.writeFileSync(path.join(out, "units", "seed-0", "state.json"), JSON.stringify(state))
  return out
}

describe("StageJournal: one format for every protocol kind", () => {
  it.effect("a journal written before format and fields existed (an MDKT run's) is read and resumed", () =>
    Effect.gen(function* () {
      const out = folderWith({ unit: "seed-0", completed: ["stage1"], values: { stage1: { cmc1: 0.25 } }, seconds: 3 })
      const journal = yield* StageJournal.open(out, "seed-0")
      expect(journal.state()).toEqual({
        format: 1,
        unit: "seed-0",
        completed: ["stage1"],
        values: { stage1: { cmc1: 0.25 } },
        fields: {},
        seconds: 3
      })
      expect(yield* StageJournal.stage(journal, "stage1", Effect.succeed({ cmc1: 0 }))).toEqual({
        value: { cmc1: 0.25 },
        resumed: true
      })
      // the next commit writes the current format, the old stages kept
      yield* StageJournal.commit(journal, "stage2", 7, 1, { fields: { model: "ckpt/a" } })
      const saved = JSON.parse(fs.readFileSync(path.join(out, "units", "seed-0", "state.json"), "utf8"))
      expect(saved).toEqual({
        format: 1,
        unit: "seed-0",
        completed: ["stage1", "stage2"],
        values: { stage1: { cmc1: 0.25 }, stage2: 7 },
        fields: { model: "ckpt/a" },
        seconds: 4
      })
      // fields are kept by a commit that does not replace them
      yield* StageJournal.commit(journal, "stage3", null, 0)
      expect(journal.state().fields).toEqual({ model: "ckpt/a" })
    })
  )

  it.effect.each([
    [
      { format: 2, unit: "seed-0", completed: [], values: {}, fields: {}, seconds: 0 },
      "written by a newer reidfx (format 2; this reidfx reads 1)"
    ],
    [[1, 2], "not written by reidfx's run engine (not a JSON object)"],
    [
      { unit: "seed-0", completed: "stage1", values: {}, seconds: 0 },
      "not written by reidfx's run engine (no stage journal)"
    ]
  ] as const)("a state.json that is not a journal this version reads is refused: %j", ([state, reason]) =>
    Effect.gen(function* () {
      const out = folderWith(state)
      const error = yield* Effect.flip(StageJournal.open(out, "seed-0"))
      expect(error.message).toBe(
        `run folder: cannot resume from ${path.join(out, "units", "seed-0", "state.json")}: ${reason}: rerun with --fresh`
      )
      expect((error.cause as { readonly _tag: string })._tag).toBe("RunFolderOutdated")
    })
  )

  it.effect("a stage given progress reports StageStarted and StageDone when it runs, nothing when resumed", () =>
    Effect.gen(function* () {
      const events: Array<Progress.ProgressEvent> = []
      const recorder: Progress.ProgressService = { emit: (e) => Effect.sync(() => void events.push(e)) }
      const journal = yield* StageJournal.open(undefined, "seed-0")
      const progress = {
        method: "parts",
        seed: 0,
        task: "pcb",
        stage: "train+evaluate",
        detail: (v: number) => `v ${v}`
      }
      yield* StageJournal.stage(journal, "pcb", Effect.succeed(2), progress).pipe(
        Effect.provideService(Progress.Progress, recorder)
      )
      yield* StageJournal.stage(journal, "pcb", Effect.succeed(3), progress).pipe(
        Effect.provideService(Progress.Progress, recorder)
      )
      expect(events.map((e) => e._tag)).toEqual(["StageStarted", "StageDone"])
      expect(events[1]).toMatchObject({ method: "parts", seed: 0, task: "pcb", stage: "train+evaluate", detail: "v 2" })
    })
  )

  it.effect("claiming a folder writes protocol.json only when it is absent or its text changed", () =>
    Effect.gen(function* () {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "journal-"))
      const file = path.join(out, "protocol.json")
      const withoutSeeds = (j: unknown) => ({ ...(j as object), seeds: [] })
      yield* StageJournal.claimProtocol(out, { name: "p", seeds: [0] }, withoutSeeds)
      fs.utimesSync(file, 0, 0)
      yield* StageJournal.claimProtocol(out, { name: "p", seeds: [0] }, withoutSeeds)
      expect(fs.statSync(file).mtimeMs).toBe(0)
      yield* StageJournal.claimProtocol(out, { name: "p", seeds: [0, 1] }, withoutSeeds)
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ name: "p", seeds: [0, 1] })
    })
  )
})
