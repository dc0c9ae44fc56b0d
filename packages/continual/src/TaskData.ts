/**
 * A task's training data as a scoped resource. The runner opens it when a task starts and closes it when the
 * task ends; reading it afterwards fails with `TaskDataClosed`. This is the lifelong rule ("data from previous
 * tasks are unavailable in successive ones") enforced by construction rather than by discipline.
 *
 * The implementation is `@reidfx/tensor`'s `ScopedTaskData` (one task-data type and one `TaskDataClosed` for the
 * whole stack), re-exported here under the names the engine has always used.
 * @since 0.1.0
 */
import { ScopedTaskData } from "@reidfx/tensor"

/** The training data of one task. `A` is what the benchmark provides (items, an index, a batch stream...). */
export type TaskData<A> = ScopedTaskData.TaskData<A>

/** Whether a value is a {@link TaskData}. @category guards */
export const isTaskData = ScopedTaskData.isTaskData

/** Opens a task's data in the current Scope (see `ScopedTaskData.open`). @category constructors */
export const open = ScopedTaskData.open

/** Reads a task's data; fails with `TaskDataClosed` once its task has ended. @category combinators */
export const read = ScopedTaskData.read
