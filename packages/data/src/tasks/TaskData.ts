/**
 * A task's training data as a scoped resource: the lifelong rule ("data from previous tasks are unavailable in
 * successive ones") enforced by a Scope, not by convention. While the task's Scope is open its training items
 * can be read; once it closes, every accessor fails with {@link TaskDataClosed}.
 *
 * Test sets are evaluation data, not training data: the seen test sets of finished tasks stay readable through
 * the {@link TaskSequence} (a protocol evaluates every seen task after each task).
 * @since 0.1.0
 */
import { Effect, type Scope, Stream } from "effect"
import { TaskDataClosed } from "../errors.ts"
import type { Item } from "../Item.ts"
import { ScopedTaskData } from "@reidfx/tensor"
import type { TaskDefinition, TaskSequence, TestSet } from "./TaskSplit.ts"

/**
 * A task's data as a scoped resource: readable while its task runs, closed (reads fail) once the task's Scope
 * ends. It is a {@link ScopedTaskData.TaskData} of the task's training items, with the task's description.
 */
export interface TaskData extends ScopedTaskData.TaskData<ReadonlyArray<Item>> {
  readonly index: number
  readonly name: string
  readonly domain: string
  readonly identities: ReadonlyArray<number>
  /** The task's seen test set (always readable). */
  readonly test: TestSet
  /** The training items; fails once the task's scope has closed. */
  readonly train: Effect.Effect<ReadonlyArray<Item>, TaskDataClosed>
  /** Synchronous form of `train` for plain code: throws {@link TaskDataClosed} once closed. */
  readonly trainSync: () => ReadonlyArray<Item>
  /** true until the task's Scope has closed the data. */
  readonly isOpen: () => boolean
}

/** Opens a task's data in the current Scope; closing the Scope closes the data. */
export const open = (task: TaskDefinition): Effect.Effect<TaskData, never, Scope.Scope> =>
  Effect.map(
    ScopedTaskData.open(task.index, task.train),
    (core): TaskData => ({
      ...core,
      index: task.index,
      name: task.name,
      domain: task.domain,
      identities: task.identities,
      test: task.test,
      train: ScopedTaskData.read(core, "train"),
      trainSync: () => {
        if (core.isClosed()) throw new TaskDataClosed({ task: task.index, reader: "train" })
        return core.unsafeValue()
      },
      isOpen: () => !core.isClosed()
    })
  )

/**
 * The tasks of a sequence, one at a time: each task's data is open while the consumer processes it and is
 * closed before the next task is emitted.
 */
export const stream = (sequence: TaskSequence): Stream.Stream<TaskData> =>
  Stream.fromIterable(sequence.tasks).pipe(Stream.flatMap((task) => Stream.scoped(Stream.fromEffect(open(task)))))
