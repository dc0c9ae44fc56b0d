/**
 * @reidfx/video: the video ReID library: clip models (frame network + temporal pooling), tracklets and clip
 * sampling, video worlds (the synthetic one, MARS, DukeMTMC-VideoReID, VeRi-776 on disk) and I2V / V2V evaluation
 * with `@reidfx/eval`'s video protocols. The MDKT application (image-to-video ReID by mutual discriminative
 * knowledge transfer: its protocol, runner, ablation tables and reports) moved to `@reidfx/reid` (`Mdkt`,
 * `MdktProtocol`, ... in its `mdkt/` folder).
 * @since 0.1.0
 */
export * as ClipData from "./ClipData.ts"
export type { ClipBatch, FrameLoader, Tracklet, TrackletIndex } from "./ClipData.ts"
export * from "./errors.ts"
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
