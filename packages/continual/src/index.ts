/**
 * @reidfx/continual: the generic lifelong engine. A protocol's stages run over scoped task data, method after
 * method and seed after seed, with resume after the last completed stage (`Runner`, `Stage`, `RunStore`,
 * `StageJournal`, `TaskData`), the `Benchmark`, `Learner` and `Methods` services a recipe provides, progress
 * events, the ledger (mAP, CMC, mINP, seen average, forgetting, BWT over seeds) and its reports (terminal,
 * Markdown, JSON, HTML with inline SVG plots). It depends on `@reidfx/tensor` only; the lifelong ReID recipe
 * (protocol vocabulary, strategies, learner, demo) is `@reidfx/reid`.
 * @since 0.1.0
 */
export * as Benchmark from "./Benchmark.ts"
export * from "./errors.ts"
export * as Html from "./report/Html.ts"
export * as Json from "./report/Json.ts"
export * as Markdown from "./report/Markdown.ts"
export * as Report from "./report/Report.ts"
export * as Charts from "./report/Charts.ts"
export * as Svg from "./report/Svg.ts"
export * as Table from "./report/Table.ts"
export * as Learner from "./Learner.ts"
export * as Ledger from "./Ledger.ts"
export * as Methods from "./Methods.ts"
export * as Metrics from "./Metrics.ts"
export * as Progress from "./Progress.ts"
export * as ProtocolKind from "./ProtocolKind.ts"
export * as RunnableProtocol from "./RunnableProtocol.ts"
export * as Runner from "./Runner.ts"
export * as RunStore from "./RunStore.ts"
export * as Stage from "./Stage.ts"
export * as StageJournal from "./StageJournal.ts"
export * as TaskData from "./TaskData.ts"
