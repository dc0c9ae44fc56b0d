/**
 * @reidfx/train: optimizers (SGD, Adam, AdamW), learning-rate schedules, the trainer (single and mutual
 * steps), progress reporting, checkpoints with exact resume, and run configuration.
 * @since 0.1.0
 */
export * as Checkpoint from "./Checkpoint.ts"
export * from "./errors.ts"
export * as Optimizer from "./optim/Optimizer.ts"
export * as OptimizerConfig from "./optim/OptimizerConfig.ts"
export { adamUpdate, clipByGlobalNorm, sgdUpdate } from "./optim/updates.ts"
export * as Progress from "./Progress.ts"
export type { LearnerReport, Position, ProgressService, StepReport } from "./Progress.ts"
export * as LearningRate from "./schedule/LearningRate.ts"
export * as Trainer from "./Trainer.ts"
export type {
  EpochSource,
  FitOptions,
  FitSummary,
  Learner,
  StepInput,
  TrainBatch,
  TrainOptions,
  TrainSummary
} from "./Trainer.ts"
export * as RunConfig from "./RunConfig.ts"
export * as SavedModel from "./SavedModel.ts"
export * as DatasetConfig from "./baseline/DatasetConfig.ts"
export * as Evaluate from "./baseline/Evaluate.ts"
export type { Embedded, Scores } from "./baseline/Evaluate.ts"
export * as StrongBaseline from "./baseline/StrongBaseline.ts"
export type { BaselineResult } from "./baseline/StrongBaseline.ts"
export * as History from "./logging/History.ts"
export * as Mlflow from "./logging/Mlflow.ts"
export * as Provenance from "./logging/Provenance.ts"
export * as RunFolderLog from "./logging/RunFolderLog.ts"
export * as TensorBoard from "./logging/TensorBoard.ts"
export * as Tracker from "./logging/Tracker.ts"
export type { LogRecord, RunLog } from "./logging/Tracker.ts"
