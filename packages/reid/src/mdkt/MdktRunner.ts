/**
 * Runs an MDKT protocol: for each seed, stage 1 trains the V2V teacher, then each distinct configuration of
 * the two tables' rows (terms on, teacher mode) runs stage 2 from a copy of that teacher and is evaluated
 * (I2V and V2V, student and teacher). Rows with the same configuration (Table 1's `ALL` and Table 2's
 * `with mutual`) are trained once and reported in both tables.
 *
 * Determinism: for a seed, the teacher's initial weights come from `Rng` stream `init/teacher`, the student's
 * from `init/student` (the same for every row, so rows differ only by their terms and mode), stage-1 batches
 * from `sampling/stage1` and stage-2 batches from `sampling/stage2` (the same batches for every row).
 *
 * Resume: a seed is a unit of `@reidfx/continual`'s run engine (`StageJournal`, the engine's atomic run store):
 * its stages are `stage1` (the teacher trained, evaluated and checkpointed) and one `stage2/<row>` per distinct
 * configuration. Each completed stage is committed atomically; a run started again on the same folder skips
 * the committed stages (the teacher is read back from its checkpoint, bit for bit) and gives the same numbers
 * as an uninterrupted run, because every random draw comes from a stream named by the seed and the stage.
 * Progress goes to the engine's `Progress` service (`Note` lines, `StageDone` per stage).
 * @since 0.1.0
 */
import * as path from "node:path"
import { Progress, type RunStoreError, StageJournal } from "@reidfx/continual"
import type { PeerService } from "@reidfx/distill"
import { Weights, type WeightsIOError, WeightsInit, type WeightsMismatch } from "@reidfx/model"
import type * as tf from "@tensorflow/tfjs-core"
import { type PathEscapesRoot, RandomStream, Rng } from "@reidfx/tensor"
import type { InvalidOption, WriteFailed } from "@reidfx/tensor"
import type { NonFiniteLoss, StepFailed } from "@reidfx/train"
import {
  ClipData,
  type VideoDataInvalid,
  VideoEvaluation,
  VideoModel,
  type VideoScores,
  VideoWorld
} from "@reidfx/video"
import { Effect } from "effect"
import { MdktProtocolInvalid } from "./errors.ts"
import { rowObjectives, teacherObjective } from "./MdktObjective.ts"
import {
  type MdktProtocol,
  type ResolvedRow,
  resolveRows,
  seedTable1,
  seedTable2,
  type TeacherMode,
  type TermName
} from "./MdktProtocol.ts"
import { type StageSummary, trainPair, trainTeacher } from "./MdktTraining.ts"

const { indexTracklets, makeFrameLoader } = ClipData
const { describeProtocol, evaluateVideoModel } = VideoEvaluation
const { loadWorld } = VideoWorld
type VideoSplits = VideoWorld.VideoSplits

/** The result of one configuration (terms, mode) for one seed. @category models @since 0.1.0 */
export interface ConfigurationResult {
  readonly key: string
  readonly terms: ReadonlyArray<TermName>
  readonly mode: TeacherMode
  /** The student Objective's formula, and the teacher's (`frozen` when it has none). */
  readonly studentFormula: string
  readonly teacherFormula: string
  readonly student: VideoScores
  /** The teacher after stage 2 (the stage-1 teacher when frozen). */
  readonly teacher: VideoScores
  readonly training: StageSummary
  readonly seconds: number
}

/** One seed of a run. @category models @since 0.1.0 */
export interface SeedResult {
  readonly seed: number
  readonly stage1: { readonly teacher: VideoScores; readonly training: StageSummary; readonly formula: string }
  readonly configurations: ReadonlyArray<ConfigurationResult>
  readonly seconds: number
}

/** A whole run: the protocol, both tables' rows, every seed. @category models @since 0.1.0 */
export interface MdktRun {
  readonly protocol: MdktProtocol
  readonly world: {
    readonly name: string
    readonly objects: "persons" | "vehicles"
    readonly train: number
    readonly query: number
    readonly gallery: number
    readonly classes: number
    /** The evaluation protocol the scores were measured with, in words (`VideoEvaluation.describeProtocol`). */
    readonly protocol: string
  }
  readonly table1: ReadonlyArray<ResolvedRow>
  readonly table2: ReadonlyArray<ResolvedRow>
  readonly seeds: ReadonlyArray<SeedResult>
  readonly seconds: number
}

/** Progress lines of a run. @category models @since 0.1.0 */
export type RunLog = (line: string) => Effect.Effect<void>

const distinct = (rows: ReadonlyArray<ResolvedRow>): Array<ResolvedRow> => {
  const seen = new Set<string>()
  return rows.filter((r) => {
    if (seen.has(r.key)) return false
    seen.add(r.key)
    return true
  })
}

const peer = (name: string, model: VideoModel.VideoModelBase, variables: ReadonlyArray<tf.Variable>): PeerService => ({
  name,
  forward: (x) => model.forward(x),
  variables
})

/** The errors of running a seed. @category errors @since 0.1.0 */
export type SeedError =
  | NonFiniteLoss
  | StepFailed
  | InvalidOption
  | MdktProtocolInvalid
  | VideoDataInvalid
  | WeightsIOError
  | WeightsMismatch
  | PathEscapesRoot
  | RunStoreError

/** The unit name of a seed in the run folder (`<out>/units/seed-<s>`). @category running @since 0.1.0 */
export const seedUnit = (seed: number): string => `seed-${seed}`

const scoreLine = (s: VideoScores) =>
  `I2V cmc1 ${s.i2v.cmc1.toFixed(1)} mAP ${s.i2v.mAP.toFixed(1)} | V2V cmc1 ${s.v2v.cmc1.toFixed(1)} mAP ${s.v2v.mAP.toFixed(1)}`

/**
 * Runs one seed on loaded tracklets (see the module doc). The models live in the effect's Scope, released at
 * its end. With a `journal` (a run folder), committed stages are skipped and each new one is committed.
 * @category running
 * @since 0.1.0
 */
export const runSeed = (
  protocol: MdktProtocol,
  world: VideoSplits,
  seed: number,
  options: {
    readonly log?: RunLog
    readonly loader?: ReturnType<typeof makeFrameLoader>
    readonly journal?: StageJournal.Journal
  } = {}
): Effect.Effect<SeedResult, SeedError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const journal = options.journal ?? (yield* StageJournal.open(undefined, seedUnit(seed)))
      const log: RunLog = (line) =>
        Effect.andThen(
          Progress.emit({ _tag: "Note", method: protocol.name, seed, line }),
          options.log === undefined ? Effect.void : options.log(line)
        )
      const loader = options.loader ?? world.loader ?? makeFrameLoader(protocol.data.height, protocol.data.width)
      const index = indexTracklets(world.train)
      const { weights, ...modelSpec } = protocol.model
      const config = yield* VideoModel.decodeConfig({ ...modelSpec, classes: index.classes })
      const evaluate = (model: VideoModel.VideoModelBase) =>
        evaluateVideoModel(model, world.query, world.gallery, loader, protocol.evaluation, world)
      const done = (key: string, what: string, t0: number, detail: string) =>
        Progress.emit({
          _tag: "StageDone",
          method: what,
          seed,
          task: key,
          stage: "train+evaluate",
          seconds: (performance.now() - t0) / 1000,
          detail
        })
      // stage 1
      const teacher = yield* VideoModel.makeTrainable(config, "teacher")
      const teacherWeights = protocol.teacher.weights ?? weights
      if (teacherWeights !== undefined) yield* WeightsInit.apply(teacher, teacherWeights, "frame/")
      const checkpoint = journal.dir === undefined ? undefined : path.join(journal.dir, "ckpt", "teacher")
      const t1 = performance.now()
      const stage1 = yield* StageJournal.stage(
        journal,
        "stage1",
        Effect.gen(function* () {
          yield* log(`seed ${seed}: stage 1, teacher V2V on ${protocol.teacher.frames}-frame clips`)
          const training = yield* trainTeacher({
            model: teacher,
            index,
            loader,
            stage: protocol.teacher,
            flip: protocol.data.flip,
            rng: RandomStream.fromSeed(seed, "sampling/stage1"),
            log: (line) => log(`seed ${seed}: ${line}`)
          })
          const formula = (yield* teacherObjective(protocol.teacher.tr)).formula
          const scores = evaluate(teacher)
          yield* log(`seed ${seed}: teacher after stage 1: ${scoreLine(scores)}`)
          // the teacher's checkpoint is written before the stage is committed (the journal points at it last)
          if (checkpoint !== undefined) yield* Weights.writeDirectory(checkpoint, teacher.weights())
          return { teacher: scores, training, formula }
        })
      )
      if (stage1.resumed) {
        if (checkpoint === undefined)
          return yield* new MdktProtocolInvalid({
            what: `seed ${seed}`,
            detail: "stage 1 is committed but the run has no folder"
          })
        yield* Effect.scoped(Effect.map(Weights.readDirectory(checkpoint), ({ tensors }) => teacher.assign(tensors)))
      } else yield* done("stage 1", "teacher", t1, scoreLine(stage1.value.teacher))
      const teacherScores = stage1.value.teacher
      const snapshot = yield* teacher.snapshot
      // stage 2, once per distinct configuration
      const rows = distinct([
        ...resolveRows(protocol.tables.table1, protocol.student, seedTable1),
        ...resolveRows(protocol.tables.table2, protocol.student, seedTable2)
      ])
      const configurations: Array<ConfigurationResult> = []
      for (const row of rows) {
        const t0 = performance.now()
        const result = yield* StageJournal.stage(
          journal,
          `stage2/${row.key}`,
          Effect.scoped(
            Effect.gen(function* () {
              const student = yield* VideoModel.makeTrainable(config, "student")
              if (protocol.student.init === "teacher") student.assign(snapshot.weights())
              else if (weights !== undefined) yield* WeightsInit.apply(student, weights, "frame/")
              const trainableTeacher =
                row.mode === "frozen" ? undefined : yield* VideoModel.makeTrainable(config, "teacher")
              trainableTeacher?.assign(snapshot.weights())
              const objectives = yield* rowObjectives(protocol.student, row.terms, row.mode, {
                teacher:
                  trainableTeacher === undefined
                    ? peer("teacher", snapshot, [])
                    : peer("teacher", trainableTeacher, trainableTeacher.trainableVariables),
                student: peer("student", student, student.trainableVariables)
              })
              yield* log(
                `seed ${seed}: stage 2 [${row.key}] student: ${objectives.student.formula}; teacher: ${objectives.teacher?.formula ?? "frozen"}`
              )
              const training = yield* trainPair({
                student,
                studentObjective: objectives.student,
                studentOptimizer: protocol.student.optimizer,
                teacher:
                  trainableTeacher === undefined || objectives.teacher === undefined
                    ? { _tag: "Frozen", model: snapshot }
                    : {
                        _tag: "Trainable",
                        model: trainableTeacher,
                        objective: objectives.teacher,
                        optimizer: protocol.student.teacherOptimizer
                      },
                index,
                loader,
                epochs: protocol.student.epochs,
                batchesPerEpoch: protocol.student.batchesPerEpoch,
                batch: protocol.student.batch,
                studentFrames: protocol.student.frames,
                teacherFrames: protocol.student.teacherFrames,
                sampling: protocol.student.sampling,
                flip: protocol.data.flip,
                rng: RandomStream.fromSeed(seed, "sampling/stage2"),
                log: (line) => log(`seed ${seed}: [${row.key}] ${line}`)
              })
              const studentScores = evaluate(student)
              const teacherAfter =
                trainableTeacher === undefined || !protocol.evaluation.teacher
                  ? teacherScores
                  : evaluate(trainableTeacher)
              yield* log(
                `seed ${seed}: [${row.key}] student ${scoreLine(studentScores)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`
              )
              return {
                key: row.key,
                terms: row.terms,
                mode: row.mode,
                studentFormula: objectives.student.formula,
                teacherFormula: objectives.teacher?.formula ?? "frozen",
                student: studentScores,
                teacher: teacherAfter,
                training,
                seconds: (performance.now() - t0) / 1000
              } satisfies ConfigurationResult
            })
          )
        )
        if (!result.resumed) yield* done("stage 2", row.key, t0, `student ${scoreLine(result.value.student)}`)
        configurations.push(result.value)
      }
      return {
        seed,
        stage1: stage1.value,
        configurations,
        // compute seconds of the seed's stages (those of earlier, interrupted invocations included)
        seconds: journal.state().seconds
      }
    }).pipe(Rng.withSeed(seed))
  )

/**
 * Runs a decoded protocol: loads its world, then every seed (see {@link runSeed}). With `out` (a run folder the
 * caller owns), each seed is a unit of the engine's journal: committed stages are skipped, so a run resumes after
 * its last completed stage. Seeds in `completed` are reused as they are, and `onSeed` sees each newly run seed.
 * @category running
 * @since 0.1.0
 */
export const run = (
  protocol: MdktProtocol,
  options: {
    readonly log?: RunLog
    /** The run folder (owned by the caller): each seed's stages are committed there and skipped when rerun. */
    readonly out?: string
    /** Seeds already run (e.g. read back from elsewhere): reused, not trained again. */
    readonly completed?: ReadonlyMap<number, SeedResult>
    /** Called after each seed that was run (e.g. to save it). */
    readonly onSeed?: (result: SeedResult) => Effect.Effect<void, WriteFailed>
  } = {}
): Effect.Effect<MdktRun, SeedError | WriteFailed> =>
  Effect.gen(function* () {
    const started = performance.now()
    const log: RunLog = (line) =>
      Effect.andThen(
        Progress.emit({ _tag: "Note", method: protocol.name, seed: -1, line }),
        options.log === undefined ? Effect.void : options.log(line)
      )
    const world = yield* loadWorld(protocol.data)
    const loader = world.loader ?? makeFrameLoader(protocol.data.height, protocol.data.width)
    const classes = new Set(world.train.map((t) => t.id)).size
    yield* Progress.emit({
      _tag: "RunStarted",
      protocol: protocol.name,
      units: protocol.seeds.length,
      out: options.out
    })
    yield* log(
      `${protocol.name}: ${world.name}, ${world.train.length} train tracklets of ${classes} identities, ${world.query.length} query and ${world.gallery.length} gallery tracklets`
    )
    const seeds: Array<SeedResult> = []
    for (const [i, seed] of protocol.seeds.entries()) {
      const done = options.completed?.get(seed)
      if (done !== undefined) {
        yield* log(`seed ${seed}: already run (${done.seconds.toFixed(0)} s), reused`)
        seeds.push(done)
        continue
      }
      const journal = yield* StageJournal.open(options.out, seedUnit(seed))
      const committed = journal.state().completed.length
      yield* Progress.emit({
        _tag: "UnitStarted",
        method: protocol.name,
        seed,
        unit: i + 1,
        units: protocol.seeds.length,
        resumed: committed
      })
      const t0 = performance.now()
      const result = yield* runSeed(protocol, world, seed, {
        ...(options.log === undefined ? {} : { log: options.log }),
        loader,
        journal
      })
      if (committed > 0 && journal.state().completed.length === committed)
        yield* log(`seed ${seed}: already run (${result.seconds.toFixed(0)} s), reused`)
      if (options.onSeed !== undefined) yield* options.onSeed(result)
      yield* Progress.emit({ _tag: "UnitDone", method: protocol.name, seed, seconds: (performance.now() - t0) / 1000 })
      seeds.push(result)
    }
    const seconds = (performance.now() - started) / 1000
    yield* Progress.emit({ _tag: "RunDone", seconds })
    return {
      protocol,
      world: {
        name: world.name,
        objects: world.objects,
        train: world.train.length,
        query: world.query.length,
        gallery: world.gallery.length,
        classes,
        protocol: describeProtocol(protocol.evaluation, world)
      },
      table1: resolveRows(protocol.tables.table1, protocol.student, seedTable1),
      table2: resolveRows(protocol.tables.table2, protocol.student, seedTable2),
      seeds,
      seconds
    }
  })
