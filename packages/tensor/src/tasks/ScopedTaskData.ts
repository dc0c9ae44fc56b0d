/**
 * A task's training data as a scoped resource, the one implementation of the lifelong rule: `@reidfx/data`'s task
 * items (`TaskData.open`) and `@reidfx/continual`'s engine (`TaskData`, which re-exports this module) are built on
 * it. It is opened when a task starts and closed when the task ends; reading it afterwards fails with
 * {@link TaskDataClosed}. This is the lifelong rule ("data from
 * previous tasks are unavailable in successive ones") enforced by construction rather than by discipline:
 * a stage that keeps a reference to an earlier task's data cannot read it.
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { TaskDataClosed } from "../errors.ts"

const TypeId = "~@reidfx/data/ScopedTaskData"

/** The training data of one task. `A` is what the benchmark provides (items, an index, a batch stream...). */
export interface TaskData<out A> {
  readonly [TypeId]: typeof TypeId
  /** The task's index in the sequence (0-based). */
  readonly task: number
  /** Whether the task has ended. */
  readonly isClosed: () => boolean
  /** @internal */
  readonly unsafeValue: () => A
}

/** Whether a value is a {@link TaskData}. @category guards */
export const isTaskData = (u: unknown): u is TaskData<unknown> => typeof u === "object" && u !== null && TypeId in u

/**
 * Opens a task's data in the current Scope: it is readable until the scope closes, then every read fails.
 * `release` (optional) frees what the data holds (tensors, caches) when the task ends. @category constructors
 */
export const open = <A>(
  task: number,
  value: A,
  release?: (value: A) => Effect.Effect<void>
): Effect.Effect<TaskData<A>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let closed = false
      let held: A | undefined = value
      const data: TaskData<A> & { close: () => void } = {
        [TypeId]: TypeId,
        task,
        isClosed: () => closed,
        unsafeValue: () => held as A,
        close: () => {
          closed = true
          held = undefined
        }
      }
      return data
    }),
    (data) =>
      Effect.suspend(() => {
        const v = data.unsafeValue()
        data.close()
        return release === undefined ? Effect.void : release(v)
      })
  )

/** Reads a task's data; fails with {@link TaskDataClosed} once its task has ended. @category combinators */
export const read = <A>(data: TaskData<A>, reader: string): Effect.Effect<A, TaskDataClosed> =>
  Effect.suspend(() =>
    data.isClosed() ? Effect.fail(new TaskDataClosed({ task: data.task, reader })) : Effect.succeed(data.unsafeValue())
  )
