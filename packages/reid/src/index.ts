/**
 * @reidfx/reid: the ReID recipes on the reidfx engines. The lifelong ReID protocol (its vocabulary derived from
 * the catalogs of terms, strategies and samplers), the methods of the DwoPP paper and the later baselines as
 * strategies, the benchmark and learner that run a protocol on `@reidfx/continual`'s engine, the demo, and the
 * strong baseline (`reidfx train`) with its run configuration, on `@reidfx/train`'s trainer.
 * @since 0.1.0
 */
export * from "./errors.ts"
export * as Catalogs from "./Catalogs.ts"
export * as Protocol from "./Protocol.ts"
export * as ProtocolFields from "./ProtocolFields.ts"
export * as ProtocolFile from "./ProtocolFile.ts"
export * as ReidMethods from "./ReidMethods.ts"
export * as SamplerCatalog from "./SamplerCatalog.ts"
export * as MethodSampler from "./samplers/MethodSampler.ts"
export * as Strategy from "./Strategy.ts"
export * as StrategyCatalog from "./StrategyCatalog.ts"
export * as LifelongStrategy from "./strategies/LifelongStrategy.ts"
export * as TermCatalog from "./TermCatalog.ts"
export * as ObjectiveTerm from "./terms/ObjectiveTerm.ts"
export * as Lifelong from "./Lifelong.ts"
export * as Aka from "./reid/Aka.ts"
export * as Lstkc from "./lstkc/Lstkc.ts"
export * as LstkcConsolidation from "./lstkc/Consolidation.ts"
export * as DataRoots from "./reid/DataRoots.ts"
export * as ReidBenchmark from "./reid/ReidBenchmark.ts"
export * as ReidLearner from "./reid/ReidLearner.ts"
export * as Demo from "./Demo.ts"
export * as QuickDemo from "./QuickDemo.ts"
export * as RunConfig from "./RunConfig.ts"
export * as DatasetConfig from "./baseline/DatasetConfig.ts"
export * as Evaluate from "./baseline/Evaluate.ts"
export type { Embedded, Scores } from "./baseline/Evaluate.ts"
export * as StrongBaseline from "./baseline/StrongBaseline.ts"
export type { BaselineResult } from "./baseline/StrongBaseline.ts"
export * as PartModels from "./parts/PartModels.ts"
export * as PartModelsProtocol from "./parts/PartModelsProtocol.ts"
export * as PartModelsRun from "./parts/PartModelsRun.ts"
