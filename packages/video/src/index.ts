/**
 * @reidfx/video: video ReID with clip models (frame network + temporal pooling), and image-to-video ReID by
 * mutual discriminative knowledge transfer (MDKT, Wang, Wang and Li): the protocol as data, its two stages on
 * `@reidfx/train`'s mutual step, I2V / V2V evaluation with `@reidfx/eval`'s video protocols, and the seed's
 * ablation tables as terminal text, Markdown, JSON and HTML.
 * @since 0.1.0
 */
export * as AblationTable from "./AblationTable.ts"
export * as ClipData from "./ClipData.ts"
export type { ClipBatch, FrameLoader, Tracklet, TrackletIndex } from "./ClipData.ts"
export * from "./errors.ts"
export * as Mdkt from "./Mdkt.ts"
export * as MdktObjective from "./MdktObjective.ts"
export * as MdktProtocol from "./MdktProtocol.ts"
export * as MdktProtocolFile from "./MdktProtocolFile.ts"
export * as MdktReport from "./MdktReport.ts"
export * as MdktRunner from "./MdktRunner.ts"
export type { ConfigurationResult, MdktRun, SeedResult } from "./MdktRunner.ts"
export * as MdktTraining from "./MdktTraining.ts"
export * as TemporalPooling from "./TemporalPooling.ts"
export {
  temporalMax,
  temporalMean,
  temporalPool,
  type TemporalPoolingKind,
  temporalQuality
} from "./TemporalPooling.ts"
export * as VideoEvaluation from "./VideoEvaluation.ts"
export type { RetrievalScores, VideoScores } from "./VideoEvaluation.ts"
export * as VideoModel from "./VideoModel.ts"
export type { FrozenVideoModel, TrainableVideoModel, VideoModelBase, VideoNetwork } from "./VideoModel.ts"
export * as VideoModelConfig from "./VideoModelConfig.ts"
export * as DatasetFrames from "./DatasetFrames.ts"
export * as VideoWorld from "./VideoWorld.ts"
export * as VideoLayoutCatalog from "./VideoLayoutCatalog.ts"
