/**
 * The learner: what the stages do to a model (create, train on a task, snapshot, evaluate, save, load), as a
 * service, so the engine runs on the reidfx trainer (`ReidLearner`) or on a fake in tests.
 *
 * Randomness: the runner runs every call under `Rng.withSeed(...)` with a seed derived from the protocol
 * seed, the method and the task, so a learner that draws only from `Rng` gives the same results whether a
 * run is interrupted and resumed or not.
 * @since 0.1.0
 */
import { Context, Data, Effect, type Option, type Scope } from "effect"
import type { TaskInfo, TestSetInfo } from "./Benchmark.ts"
import type { TaskDataClosed } from "./errors.ts"
import type { Metrics } from "./Metrics.ts"
import type { RunnableMethod, RunnableProtocol } from "./RunnableProtocol.ts"
import type { TaskData } from "./TaskData.ts"

/**
 * The type of the models of one learner, as a value: a learner makes its handles with its key
 * (`modelHandle(value, key)`), and whoever holds an engine handle (a custom stage's `context.model`) gets the
 * learner's own type back with {@link handleValue}, checked, instead of casting `unknown`. @category models
 */
export interface HandleKey<in out M> extends AnyHandleKey {
  /** Types only (never set). */
  readonly "~value"?: (value: M) => M
}

/** A handle key of any type (what a handle records). @category models */
export interface AnyHandleKey {
  readonly _tag: "HandleKey"
  /** What the handles hold, for messages (`ReidModel`). */
  readonly name: string
}

/** A key for the handles of one learner's models (one per model type). @category constructors */
export const handleKey = <M>(name: string): HandleKey<M> => ({ _tag: "HandleKey", name })

/** A trainable model owned by the learner (opaque to the engine; typed for the learner, see {@link typed}). */
export interface ModelHandle<out M = unknown> {
  readonly _tag: "ModelHandle"
  readonly value: M
  /** The key of the learner that made it (see {@link handleValue}). */
  readonly key?: AnyHandleKey | undefined
}

/**
 * A handle to a frozen copy of a model: the old model of the next task. Its variables never change. (The
 * frozen network itself is `@reidfx/model`'s `FrozenModel`, the one `_tag: "FrozenModel"` of the stack.)
 */
export interface FrozenModelHandle<out F = unknown> {
  readonly _tag: "FrozenModelHandle"
  readonly value: F
  /** The key of the learner that made it (see {@link handleValue}). */
  readonly key?: AnyHandleKey | undefined
}

/** The former name of {@link FrozenModelHandle}. */
export type FrozenModel<F = unknown> = FrozenModelHandle<F>

/** A learner's model as a handle, made with the learner's key when it has one. @category constructors */
export const modelHandle = <M>(value: M, key?: HandleKey<M>): ModelHandle<M> =>
  key === undefined ? { _tag: "ModelHandle", value } : { _tag: "ModelHandle", value, key }

/** A learner's frozen model as a handle, made with the learner's key when it has one. @category constructors */
export const frozenHandle = <F>(value: F, key?: HandleKey<F>): FrozenModelHandle<F> =>
  key === undefined ? { _tag: "FrozenModelHandle", value } : { _tag: "FrozenModelHandle", value, key }

/**
 * What a handle holds, typed by the key it was made with: the one place an engine handle's value meets its
 * learner's type, checked (a handle made with another key is a defect naming both). @category getters
 */
export const handleValue = <M>(handle: ModelHandle | FrozenModelHandle, key: HandleKey<M>): M => {
  if (handle.key !== key) {
    throw new Error(
      `a ${handle._tag} of ${handle.key === undefined ? "a learner without a handle key" : handle.key.name} where one of ${key.name} was expected`
    )
  }
  return handle.value as M
}

/** A progress report while a task trains. */
export interface TrainProgress {
  readonly epoch: number
  readonly epochs: number
  readonly step: number
  readonly steps: number
  /** Total loss and each term's value at the last step. */
  readonly loss: number
  readonly terms: Readonly<Record<string, number>>
  readonly imagesPerSecond: number
}

/** What a task's training returns (persisted with the stage's result). */
export interface TrainSummary {
  readonly steps: number
  readonly images: number
  readonly seconds: number
  /** Mean loss of the last epoch, total and per term. */
  readonly finalLoss: number
  readonly finalTerms: Readonly<Record<string, number>>
  /** The objective's formula. */
  readonly formula: string
}

/**
 * Everything a training stage hands the learner. `Protocol`, `Method` and `Term` are the recipe's types (the
 * engine passes on what the recipe's `Methods` service resolved).
 */
export interface TrainInput<
  M = unknown,
  F = unknown,
  Protocol = RunnableProtocol,
  Method = RunnableMethod,
  Term = unknown
> {
  readonly protocol: Protocol
  readonly method: Method
  /** The method's terms that run on this task (without old-model terms when there is no old model). */
  readonly terms: ReadonlyArray<Term>
  readonly task: TaskInfo
  readonly model: ModelHandle<M>
  readonly oldModel: Option.Option<FrozenModelHandle<F>>
  /** The task's training data; readable only while the task runs. */
  readonly data: TaskData<unknown>
  /** Called with the training progress of the task (steps done, loss), for the run's progress reporter. */
  readonly onProgress: (progress: TrainProgress) => Effect.Effect<void>
  /**
   * Where the task's mid-task checkpoint lives (a run with a folder): the learner resumes from it when it exists
   * and writes it every `everySteps` optimizer steps (0: at epoch ends only). The runner removes it once the
   * task's stage is committed.
   */
  readonly checkpoint?: { readonly path: string; readonly everySteps: number }
}

/** The learner failed. @category errors */
export class LearnerError extends Data.TaggedError("LearnerError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? `${this.cause.message}` : String(this.cause)
    return `learner: ${this.operation}: ${detail}`
  }
}

/**
 * What the engine needs from a learner, with its handles typed: `M` is the learner's trainable model, `F` its
 * frozen model (the engine never looks inside); `Protocol`, `Method` and `Term` are the recipe's. @category models
 */
export interface TypedLearnerService<
  M,
  F,
  Protocol = RunnableProtocol,
  Method = RunnableMethod,
  Term = unknown,
  R = never
> {
  /** A fresh model for a method (initialised from the current `Rng`), owned by the current Scope. */
  readonly create: (input: {
    readonly protocol: Protocol
    readonly method: Method
    readonly classes: number
  }) => Effect.Effect<ModelHandle<M>, LearnerError, Scope.Scope | R>
  /** Trains the model on the task. */
  readonly train: (
    input: TrainInput<M, F, Protocol, Method, Term>
  ) => Effect.Effect<TrainSummary, LearnerError | TaskDataClosed, R>
  /** A frozen copy of the model, owned by the current Scope. */
  readonly snapshot: (model: ModelHandle<M>) => Effect.Effect<FrozenModelHandle<F>, LearnerError, Scope.Scope | R>
  /** Retrieval metrics of the model on an opened test set. */
  readonly evaluate: (input: {
    readonly protocol: Protocol
    readonly method: Method
    readonly model: ModelHandle<M>
    readonly testSet: TestSetInfo
    readonly data: unknown
  }) => Effect.Effect<Metrics, LearnerError, R>
  /** Writes the model's variables into a folder (the runner makes it atomic). */
  readonly save: (model: ModelHandle<M>, directory: string) => Effect.Effect<void, LearnerError, R>
  /** Restores variables written by `save`. */
  readonly load: (model: ModelHandle<M>, directory: string) => Effect.Effect<void, LearnerError, R>
}

/** What the engine needs from a learner (handles opaque: the engine only passes them back). @category models */
export type LearnerService = TypedLearnerService<unknown, unknown>

/**
 * A learner whose operations require services `R` (e.g. `@reidfx/tensor`'s `Backend`: every operation that makes
 * tensors requires it), with those services provided once from `context` (captured when the learner's layer is
 * built), so the engine's service requires nothing. @category combinators
 */
export const provide = <M, F, Protocol, Method, Term, R>(
  service: TypedLearnerService<M, F, Protocol, Method, Term, R>,
  context: Context.Context<R>
): TypedLearnerService<M, F, Protocol, Method, Term> => ({
  create: (input) => Effect.provideContext(service.create(input), context),
  train: (input) => Effect.provideContext(service.train(input), context),
  snapshot: (model) => Effect.provideContext(service.snapshot(model), context),
  evaluate: (input) => Effect.provideContext(service.evaluate(input), context),
  save: (model, directory) => Effect.provideContext(service.save(model, directory), context),
  load: (model, directory) => Effect.provideContext(service.load(model, directory), context)
})

/**
 * A learner written against its own model types, as the engine's service: the engine only hands back the
 * handles the same learner created, so this one erasure is the only place the types meet. @category constructors
 */
export const typed = <M, F, Protocol, Method, Term>(
  service: TypedLearnerService<M, F, Protocol, Method, Term>
): LearnerService => service as unknown as LearnerService

/** The learner of the run. @category services */
export class Learner extends Context.Service<Learner, LearnerService>()("@reidfx/continual/Learner") {}
