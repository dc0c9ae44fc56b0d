/**
 * The learner: what the stages do to a model (create, train on a task, snapshot, evaluate, save, load), as a
 * service, so the engine runs on the reidfx trainer (`ReidLearner`) or on a fake in tests.
 *
 * Randomness: the runner runs every call under `Rng.withSeed(...)` with a seed derived from the protocol
 * seed, the method and the task, so a learner that draws only from `Rng` gives the same results whether a
 * run is interrupted and resumed or not.
 * @since 0.1.0
 */
import { Context, Data, type Effect, type Option, type Scope } from "effect"
import type { TaskInfo, TestSetInfo } from "./Benchmark.ts"
import type { TaskDataClosed } from "./errors.ts"
import type { Metrics } from "./Metrics.ts"
import type { RunnableMethod, RunnableProtocol } from "./RunnableProtocol.ts"
import type { TaskData } from "./TaskData.ts"

/** A trainable model owned by the learner (opaque to the engine; typed for the learner, see {@link typed}). */
export interface ModelHandle<out M = unknown> {
  readonly _tag: "ModelHandle"
  readonly value: M
}

/**
 * A handle to a frozen copy of a model: the old model of the next task. Its variables never change. (The
 * frozen network itself is `@reidfx/model`'s `FrozenModel`, the one `_tag: "FrozenModel"` of the stack.)
 */
export interface FrozenModelHandle<out F = unknown> {
  readonly _tag: "FrozenModelHandle"
  readonly value: F
}

/** The former name of {@link FrozenModelHandle}. */
export type FrozenModel<F = unknown> = FrozenModelHandle<F>

/** A learner's model as a handle. @category constructors */
export const modelHandle = <M>(value: M): ModelHandle<M> => ({ _tag: "ModelHandle", value })

/** A learner's frozen model as a handle. @category constructors */
export const frozenHandle = <F>(value: F): FrozenModelHandle<F> => ({ _tag: "FrozenModelHandle", value })

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
export interface TypedLearnerService<M, F, Protocol = RunnableProtocol, Method = RunnableMethod, Term = unknown> {
  /** A fresh model for a method (initialised from the current `Rng`), owned by the current Scope. */
  readonly create: (input: {
    readonly protocol: Protocol
    readonly method: Method
    readonly classes: number
  }) => Effect.Effect<ModelHandle<M>, LearnerError, Scope.Scope>
  /** Trains the model on the task. */
  readonly train: (
    input: TrainInput<M, F, Protocol, Method, Term>
  ) => Effect.Effect<TrainSummary, LearnerError | TaskDataClosed>
  /** A frozen copy of the model, owned by the current Scope. */
  readonly snapshot: (model: ModelHandle<M>) => Effect.Effect<FrozenModelHandle<F>, LearnerError, Scope.Scope>
  /** Retrieval metrics of the model on an opened test set. */
  readonly evaluate: (input: {
    readonly protocol: Protocol
    readonly method: Method
    readonly model: ModelHandle<M>
    readonly testSet: TestSetInfo
    readonly data: unknown
  }) => Effect.Effect<Metrics, LearnerError>
  /** Writes the model's variables into a folder (the runner makes it atomic). */
  readonly save: (model: ModelHandle<M>, directory: string) => Effect.Effect<void, LearnerError>
  /** Restores variables written by `save`. */
  readonly load: (model: ModelHandle<M>, directory: string) => Effect.Effect<void, LearnerError>
}

/** What the engine needs from a learner (handles opaque: the engine only passes them back). @category models */
export type LearnerService = TypedLearnerService<unknown, unknown>

/**
 * A learner written against its own model types, as the engine's service: the engine only hands back the
 * handles the same learner created, so this one erasure is the only place the types meet. @category constructors
 */
export const typed = <M, F, Protocol, Method, Term>(
  service: TypedLearnerService<M, F, Protocol, Method, Term>
): LearnerService => service as unknown as LearnerService

/** The learner of the run. @category services */
export class Learner extends Context.Service<Learner, LearnerService>()("@reidfx/continual/Learner") {}
