/**
 * @reidfx/continual: lifelong object ReID as declared pipelines. Protocols as data (and files), stages over
 * scoped task data, the methods of the DwoPP paper as strategies, the ledger (mAP, CMC, mINP, seen average,
 * forgetting, BWT over seeds) and its reports (terminal, Markdown, JSON, HTML with inline SVG plots).
 * @since 0.1.0
 */
export * as Benchmark from "./Benchmark.ts"
export * from "./errors.ts"
export * as Html from "./report/Html.ts"
export * as Json from "./report/Json.ts"
export * as Markdown from "./report/Markdown.ts"
export * as Report from "./report/Report.ts"
export * as Svg from "./report/Svg.ts"
export * as Table from "./report/Table.ts"
export * as Learner from "./Learner.ts"
export * as Ledger from "./Ledger.ts"
export * as Metrics from "./Metrics.ts"
export * as Progress from "./Progress.ts"
export * as Protocol from "./Protocol.ts"
export * as ProtocolFields from "./ProtocolFields.ts"
export * as ProtocolFile from "./ProtocolFile.ts"
export * as Runner from "./Runner.ts"
export * as RunStore from "./RunStore.ts"
export * as Stage from "./Stage.ts"
export * as Strategy from "./Strategy.ts"
export * as TaskData from "./TaskData.ts"
export * as Lifelong from "./Lifelong.ts"
export * as Aka from "./reid/Aka.ts"
export * as Lstkc from "./lstkc/Lstkc.ts"
export * as LstkcConsolidation from "./lstkc/Consolidation.ts"
export * as DataRoots from "./reid/DataRoots.ts"
export * as ReidBenchmark from "./reid/ReidBenchmark.ts"
export * as ReidLearner from "./reid/ReidLearner.ts"
export * as Demo from "./Demo.ts"
