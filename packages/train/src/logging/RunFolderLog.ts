/**
 * The trackers every run folder gets: the history (`<out>/history/steps.{csv,jsonl}`,
 * `evaluations.{csv,jsonl}`) and TensorBoard event files (`<out>/tensorboard/`), plus an MLflow file store
 * when asked for (`mlflow: "<mlruns folder>"`) and any user trackers.
 * @since 0.1.0
 */
import * as path from "node:path"
import * as History from "./History.ts"
import * as Mlflow from "./Mlflow.ts"
import * as TensorBoard from "./TensorBoard.ts"
import type { Tracker as Trackers } from "@reidfx/tensor"

type Tracker = Trackers.Tracker

/** Which trackers a run writes besides the history. */
export interface LogOptions {
  /** TensorBoard event files under `<out>/tensorboard` (default true). */
  readonly tensorboard?: boolean
  /** An MLflow file store (`mlruns` folder) to add this run to. */
  readonly mlflow?: string
  /** More trackers (a W&B or MLflow REST client, ...). */
  readonly trackers?: ReadonlyArray<Tracker>
}

/** The trackers of the run folder `out`. */
export const trackers = (out: string, options: LogOptions = {}): ReadonlyArray<Tracker> => [
  History.tracker(path.join(out, "history")),
  ...(options.tensorboard === false ? [] : [TensorBoard.tracker(path.join(out, "tensorboard"))]),
  ...(options.mlflow === undefined ? [] : [Mlflow.tracker(options.mlflow)]),
  ...(options.trackers ?? [])
]
