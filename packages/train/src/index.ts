/**
 * @reidfx/train: optimizers (SGD, Adam, AdamW), learning-rate schedules, the trainer (single and mutual
 * steps), progress reporting, checkpoints with exact resume, and run logging (the strong baseline application and
 * its run configuration are `@reidfx/reid`'s).
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
export * as SavedModel from "./SavedModel.ts"
export * as History from "./logging/History.ts"
export * as Mlflow from "./logging/Mlflow.ts"
export { Provenance } from "@reidfx/tensor"
export * as RunFolderLog from "./logging/RunFolderLog.ts"
export * as TensorBoard from "./logging/TensorBoard.ts"
export { Tracker } from "@reidfx/tensor"
export type { LogRecord, RunLog } from "@reidfx/tensor"
