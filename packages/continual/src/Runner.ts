/**
 * Runs a protocol: for every seed and method, a fresh model (the same initial weights for every method of a
 * seed), then task after task, the protocol's stages in order. Each task's training data is opened in that
 * task's Scope and closed when the task ends; the old model is a frozen snapshot owned by its own scope,
 * released when the next snapshot replaces it.
 *
 * Randomness: model initialisation runs under `Rng.withSeed(seed)`; every stage of task `t` runs under
 * `Rng.withSeed(hash(seed, t))`, so every method of a seed sees the same random draws (common random numbers,
 * a fairer comparison), and a resumed run draws exactly what an uninterrupted one does.
 *
 * With an `out` folder, every completed stage is committed to its unit's journal (`StageJournal`, the engine's
 * one persistence mechanism, shared with every protocol kind; the layout is in `RunStore`) and a run started
 * again on the same folder resumes after the last completed stage.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Interrupted, Random, Rng, RunFolder, type RunFolderRefused } from "@reidfx/tensor"
import { Effect, Exit, Option, Scope } from "effect"
import { Benchmark, type BenchmarkError, confined, seenTestSets, type TaskInfo, unseenTestSets } from "./Benchmark.ts"
import { NoOldModel, type RunMismatch, type RunStoreError, StageFailed, type TaskDataClosed } from "./errors.ts"
import { type FrozenModel, Learner, type LearnerError, type ModelHandle } from "./Learner.ts"
import type * as Ledger from "./Ledger.ts"
import { type MethodInfo, Methods } from "./Methods.ts"
import * as Progress from "./Progress.ts"
import type { RunnableMethod, RunnableProtocol, StageSpec } from "./RunnableProtocol.ts"
import * as RunStore from "./RunStore.ts"
import * as Stage from "./Stage.ts"
import * as StageJournal from "./StageJournal.ts"
import * as TaskData from "./TaskData.ts"

type MethodSpec = RunnableMethod

/** Options of a run. */
export interface RunOptions<E = never, R = never> {
  /** The run folder; without it nothing is persisted (no resume). */
  readonly out?: string
  /** User-defined stages, by the name the protocol's `{ kind: custom, name }` stages use. */
  readonly stages?: Readonly<Record<string, Stage.CustomStage<E, R>>>
  /** Run only these methods (by name). */
  readonly methods?: ReadonlyArray<string>
  /** Run only these seeds. */
  readonly seeds?: ReadonlyArray<number>
}

/** One method as run (the recipe's `Methods.info`). */
export type { MethodInfo } from "./Methods.ts"

/** What a run produced. */
export interface RunResult<P extends RunnableProtocol = RunnableProtocol> {
  readonly protocol: P
  /** The protocol as JSON (the recipe's `Methods.encode`): what `protocol.json` and `results.json` hold. */
  readonly protocolJson: unknown
  readonly layout: Ledger.Layout
  readonly methods: ReadonlyArray<MethodInfo>
  readonly seeds: ReadonlyArray<number>
  readonly cells: ReadonlyArray<Ledger.Cell>
  readonly units: ReadonlyArray<RunStore.UnitState>
  /** Wall time of this invocation (a resumed run counts only the resumed part). */
  readonly seconds: number
  /** Seconds of every completed stage, including those of earlier, interrupted invocations. */
  readonly computeSeconds: number
}

/** The errors of a run (besides those of custom stages). */
export type RunError =
  | BenchmarkError
  | LearnerError
  | TaskDataClosed
  | RunStoreError
  | RunMismatch
  | StageFailed
  | NoOldModel
  | RunFolderRefused

/** The seed of the stages of task `task` under protocol seed `seed`. */
export const taskSeed = (seed: number, task: number): number =>
  Random.hashString(`reidfx/continual/seed-${seed}/task-${task}`)

const safeKey = (key: string) => key.replace(/[^A-Za-z0-9_.-]+/g, "_")

const now = () => performance.now() / 1000

const runUnit = <E, R>(
  protocol: RunnableProtocol,
  method: MethodSpec,
  seed: number,
  unit: number,
  units: number,
  options: RunOptions<E, R>
): Effect.Effect<RunStore.UnitState, RunError | E, Benchmark | Learner | Methods | R> =>
  Effect.gen(function* () {
    const benchmark = yield* Benchmark
    const learner = yield* Learner
    const methods = yield* Methods
    // the unit's journal: its stages are the protocol's (task, stage) keys, their values the stages' outcomes,
    // its fields the live checkpoint folders
    const journal = yield* StageJournal.open(options.out, RunStore.unitName(method.name, seed))
    const dir = journal.dir
    const fields = (): RunStore.UnitFields => journal.state().fields
    const done = (key: string) => StageJournal.isDone(journal, key)
    const unitStart = now()
    yield* Progress.emit({
      _tag: "UnitStarted",
      method: method.name,
      seed,
      unit,
      units,
      resumed: journal.state().completed.length
    })

    const fail = (stage: string, task: number) => (cause: unknown) =>
      new StageFailed({ stage, task, method: method.name, seed, cause })

    // commits a stage's outcome (and moved checkpoints), then removes the checkpoints no longer pointed at
    const commit = (
      key: string,
      outcome: Stage.StageOutcome,
      seconds: number,
      where: string,
      moved?: RunStore.UnitFields
    ) =>
      Effect.gen(function* () {
        const before = fields()
        const after: RunStore.UnitFields = moved === undefined ? before : { ...before, ...moved }
        yield* StageJournal.commit(journal, key, outcome, seconds, { fields: after, where })
        if (dir === undefined) return
        for (const s of [before.model, before.oldModel]) {
          if (s !== undefined && s !== after.model && s !== after.oldModel) yield* RunStore.remove(path.join(dir, s))
        }
      })

    const saveCheckpoint = (model: ModelHandle, name: string) =>
      dir === undefined
        ? Effect.succeed(undefined)
        : Effect.as(
            RunStore.writeDirAtomic(path.join(dir, name), (tmp) => learner.save(model, tmp)),
            name
          )

    yield* Effect.scoped(
      Effect.gen(function* () {
        // the classifier starts with the first task's identities and grows with each task (joint: all of them)
        const classes = method.joint ? benchmark.totalIdentities : (benchmark.tasks[0]?.identities ?? 0)
        const model = yield* learner
          .create({ protocol, method, classes })
          .pipe(Rng.withSeed(seed), Effect.mapError(fail("create", -1)))
        const saved = fields()
        if (saved.model !== undefined && dir !== undefined) {
          yield* learner.load(model, path.join(dir, saved.model)).pipe(Effect.mapError(fail("resume", -1)))
        }

        // The old model lives in its own scope, closed when a newer snapshot replaces it.
        let oldScope: Scope.Closeable | undefined
        let oldModel: Option.Option<FrozenModel> = Option.none()
        yield* Effect.addFinalizer(() => (oldScope === undefined ? Effect.void : Scope.close(oldScope, Exit.void)))
        const replaceOld = (make: Effect.Effect<FrozenModel, LearnerError, Scope.Scope>, task: number) =>
          Effect.gen(function* () {
            const scope = yield* Scope.make()
            const frozen = yield* make.pipe(Scope.provide(scope), Effect.mapError(fail("snapshot", task)))
            if (oldScope !== undefined) yield* Scope.close(oldScope, Exit.void)
            oldScope = scope
            oldModel = Option.some(frozen)
          })
        if (saved.oldModel !== undefined && dir !== undefined) {
          const from = path.join(dir, saved.oldModel)
          yield* replaceOld(
            Effect.gen(function* () {
              const copy = yield* learner.create({ protocol, method, classes }).pipe(Rng.withSeed(seed))
              yield* learner.load(copy, from)
              return yield* learner.snapshot(copy)
            }),
            -1
          )
        }

        const evaluateOn = (after: number) =>
          Effect.gen(function* () {
            const sets =
              after < 0
                ? benchmark.testSets
                : [...seenTestSets(benchmark.testSets, after), ...unseenTestSets(benchmark.testSets)]
            const cells: Array<Ledger.Cell> = []
            for (const testSet of sets) {
              const metrics = yield* Effect.scoped(
                Effect.gen(function* () {
                  const data = yield* benchmark.openTestSet(testSet.name)
                  return yield* learner.evaluate({ protocol, method, model, testSet, data })
                })
              ).pipe(Effect.mapError(fail(`evaluate ${testSet.name}`, after)))
              cells.push({ method: method.name, seed, after, testSet: testSet.name, metrics })
              yield* Progress.emit({
                _tag: "Evaluated",
                method: method.name,
                seed,
                after,
                testSet: testSet.name,
                metrics
              })
            }
            const detail =
              cells.length === 0
                ? "nothing to evaluate"
                : cells
                    .map(
                      (c) =>
                        `${c.testSet} mAP ${(100 * c.metrics.mAP).toFixed(1)} R1 ${(100 * (c.metrics.cmc[0] ?? 0)).toFixed(1)}`
                    )
                    .join(", ")
            return { cells, detail }
          })

        // The untrained model, on every test set.
        if (protocol.evaluation.initial && !done("init/evaluate")) {
          const t0 = now()
          const { cells, detail } = yield* evaluateOn(-1).pipe(Rng.withSeed(taskSeed(seed, -1)))
          yield* commit(
            "init/evaluate",
            { _tag: "Evaluated", cells },
            now() - t0,
            `method ${method.name} seed ${seed} task init stage evaluate`
          )
          yield* Progress.emit({
            _tag: "StageDone",
            method: method.name,
            seed,
            task: "init",
            stage: "evaluate",
            seconds: now() - t0,
            detail
          })
        }

        const last = benchmark.tasks.length - 1
        const sequence: ReadonlyArray<TaskInfo> = method.joint
          ? [
              {
                index: last,
                name: "joint",
                identities: benchmark.tasks.reduce((a, t) => a + t.identities, 0),
                images: benchmark.tasks.reduce((a, t) => a + t.images, 0)
              }
            ]
          : benchmark.tasks

        for (const task of sequence) {
          const keys = protocol.stages.map((s, i) => Stage.key(task.index, i, s))
          if (keys.every(done)) continue
          yield* Effect.scoped(
            Effect.gen(function* () {
              const payload = yield* (method.joint ? benchmark.openJoint : benchmark.openTask(task.index)).pipe(
                Effect.mapError(fail("open task", task.index))
              )
              const data = yield* TaskData.open(task.index, payload)
              for (let i = 0; i < protocol.stages.length; i++) {
                const spec: StageSpec = protocol.stages[i]!
                const key = keys[i]!
                if (done(key)) continue
                const stageName = spec.kind === "custom" ? spec.name : spec.kind
                const where = `method ${method.name} seed ${seed} task ${task.name} stage ${stageName}`
                yield* Progress.emit({
                  _tag: "StageStarted",
                  method: method.name,
                  seed,
                  task: task.name,
                  stage: stageName
                })
                const t0 = now()
                const context: Stage.StageContext = {
                  protocol,
                  method,
                  seed,
                  task,
                  data,
                  model,
                  oldModel,
                  stageIndex: i,
                  options: spec.kind === "custom" ? spec.options : {}
                }
                const withSeed = Rng.withSeed(taskSeed(seed, task.index))
                // what each stage kind does (a record of handlers, one per kind of `StageSpec`): its detail line
                const handlers: {
                  readonly [K in StageSpec["kind"]]: (
                    spec: Extract<StageSpec, { readonly kind: K }>
                  ) => Effect.Effect<string, RunError | E, R>
                } = {
                  train: () =>
                    Effect.gen(function* () {
                      if (
                        (yield* methods.needsOldModel(method)) &&
                        Option.isNone(oldModel) &&
                        task.index > 0 &&
                        !method.joint
                      ) {
                        return yield* new NoOldModel({ stage: "train", task: task.index })
                      }
                      const terms = yield* methods.termsForTask(method, method.joint || Option.isSome(oldModel))
                      // the mid-task checkpoint: a killed run resumes inside the task (removed once the stage is committed)
                      const partial =
                        dir === undefined ? undefined : path.join(dir, "ckpt", `${safeKey(key)}-partial.ckpt`)
                      const summary = yield* learner
                        .train({
                          protocol,
                          method,
                          terms,
                          task,
                          model,
                          oldModel,
                          data,
                          onProgress: (progress) =>
                            Progress.emit({ _tag: "Training", method: method.name, seed, task: task.name, progress }),
                          ...(partial === undefined
                            ? {}
                            : { checkpoint: { path: partial, everySteps: protocol.training.checkpointEverySteps } })
                        })
                        .pipe(
                          withSeed,
                          Effect.mapError((e) => (e._tag === "TaskDataClosed" ? e : fail("train", task.index)(e)))
                        )
                      const checkpoint = yield* saveCheckpoint(model, path.join("ckpt", safeKey(key)))
                      yield* commit(key, { _tag: "Trained", summary }, now() - t0, where, { model: checkpoint })
                      if (partial !== undefined)
                        for (const f of [partial, `${partial}.prev`])
                          yield* RunStore.remove(f).pipe(Effect.mapError(fail("train", task.index)))
                      return `${summary.steps} steps, ${summary.images} images, loss ${summary.finalLoss.toFixed(3)} = ${summary.formula}`
                    }),
                  snapshot: () =>
                    Effect.gen(function* () {
                      yield* replaceOld(learner.snapshot(model), task.index)
                      const checkpoint = yield* saveCheckpoint(model, path.join("ckpt", `${safeKey(key)}-old`))
                      yield* commit(key, { _tag: "Snapshot" }, now() - t0, where, { oldModel: checkpoint })
                      return "old model frozen"
                    }),
                  evaluate: () =>
                    Effect.gen(function* () {
                      if (!Stage.evaluatesAfter(protocol, task.index, last)) {
                        yield* commit(key, { _tag: "Skipped", reason: "not scheduled" }, 0, where)
                        return "not scheduled"
                      }
                      const result = yield* evaluateOn(task.index).pipe(withSeed)
                      yield* commit(key, { _tag: "Evaluated", cells: result.cells }, now() - t0, where)
                      return result.detail
                    }),
                  custom: (spec) =>
                    Effect.gen(function* () {
                      const stage = options.stages?.[spec.name]
                      if (stage === undefined) {
                        return yield* fail(
                          spec.name,
                          task.index
                        )(
                          new Error(
                            `no custom stage "${spec.name}" is registered (registered: ${Object.keys(options.stages ?? {}).join(", ") || "none"})`
                          )
                        )
                      }
                      // a custom stage sees only its own task: the Benchmark in its context refuses every other one
                      const value = yield* stage
                        .run(context)
                        .pipe(withSeed, Effect.provideService(Benchmark, confined(benchmark, task.index)))
                      yield* commit(key, { _tag: "Custom", value: value ?? null }, now() - t0, where)
                      return "done"
                    })
                }
                const detail = yield* handlers[spec.kind](spec as never)
                yield* Progress.emit({
                  _tag: "StageDone",
                  method: method.name,
                  seed,
                  task: task.name,
                  stage: stageName,
                  seconds: now() - t0,
                  detail
                })
              }
            })
          )
        }
      })
    )
    yield* Progress.emit({ _tag: "UnitDone", method: method.name, seed, seconds: now() - unitStart })
    return RunStore.fromJournal(method.name, seed, journal.state())
  })

/** Fails unless every custom stage of the protocol is registered in `options.stages` (checked before anything runs or is written). */
export const checkStages = <E, R>(
  protocol: RunnableProtocol,
  options: RunOptions<E, R>
): Effect.Effect<void, StageFailed> => {
  const missing = [
    ...new Set(
      protocol.stages.flatMap((s) => (s.kind === "custom" && options.stages?.[s.name] === undefined ? [s.name] : []))
    )
  ]
  if (missing.length === 0) return Effect.void
  const method = protocol.methods
    .map((m) => (typeof m === "string" ? m : ((m as { readonly name?: string }).name ?? "")))
    .find((m) => options.methods === undefined || options.methods.includes(m))
  return Effect.fail(
    new StageFailed({
      stage: missing.join(", "),
      task: 0,
      method: method ?? "-",
      seed: protocol.seeds.find((s) => options.seeds === undefined || options.seeds.includes(s)) ?? 0,
      cause: new Error(
        `no custom stage ${missing.map((m) => `"${m}"`).join(", ")} is registered (registered: ${Object.keys(options.stages ?? {}).join(", ") || "none"}); nothing was run`
      )
    })
  )
}

/**
 * Runs a protocol on the provided `Benchmark`, `Learner` and `Methods` (a recipe's: `@reidfx/reid`'s
 * `Lifelong.layer` for a lifelong ReID protocol). Returns every evaluation (the ledger's cells) and what was
 * trained. With `options.out`, persists each stage and resumes an interrupted run.
 */
export const run = <P extends RunnableProtocol, E = never, R = never>(
  protocol: P,
  options: RunOptions<E, R> = {}
): Effect.Effect<RunResult<P>, RunError | E, Benchmark | Learner | Methods | R> =>
  Effect.gen(function* () {
    const benchmark = yield* Benchmark
    const start = now()
    const book = yield* Methods
    const allMethods = yield* book.resolve(protocol)
    const protocolJson = yield* book.encode(protocol)
    const methods = allMethods.filter((m) => options.methods === undefined || options.methods.includes(m.name))
    const seeds = protocol.seeds.filter((s) => options.seeds === undefined || options.seeds.includes(s))
    yield* checkStages(protocol, options)
    if (options.out !== undefined) {
      yield* RunFolder.own(options.out, "lifelong")
      Interrupted.setHint("rerun the same command to resume")
      yield* StageJournal.claimProtocol(options.out, protocolJson)
    }
    const units = seeds.length * methods.length
    yield* Progress.emit({ _tag: "RunStarted", protocol: protocol.name, units, out: options.out })
    const states: Array<RunStore.UnitState> = []
    let unit = 0
    for (const seed of seeds) {
      for (const method of methods) {
        unit++
        states.push(yield* runUnit(protocol, method, seed, unit, units, options))
      }
    }
    // a subset of methods merges into the run: the other methods' saved results stay in the results
    const reported = new Set(methods.map((m) => m.name))
    if (options.out !== undefined && options.methods !== undefined) {
      for (const method of allMethods) {
        if (reported.has(method.name)) continue
        for (const seed of seeds) {
          const journal = yield* StageJournal.open(options.out, RunStore.unitName(method.name, seed))
          const saved = RunStore.fromJournal(method.name, seed, journal.state())
          if (saved.cells.length > 0) {
            states.push(saved)
            reported.add(method.name)
          }
        }
      }
    }
    const order = new Map(allMethods.map((m, i) => [m.name, i] as const))
    states.sort((a, b) => a.seed - b.seed || (order.get(a.method) ?? 0) - (order.get(b.method) ?? 0))
    const shown = allMethods.filter((m) => reported.has(m.name))
    const seconds = now() - start
    yield* Progress.emit({ _tag: "RunDone", seconds })
    return {
      protocol,
      protocolJson,
      layout: { tasks: benchmark.tasks.length, testSets: benchmark.testSets },
      methods: shown.map(book.info),
      seeds,
      cells: states.flatMap((s) => s.cells),
      units: states,
      seconds,
      computeSeconds: states.reduce((a, s) => a + s.seconds, 0)
    }
  }).pipe(Effect.scoped)
