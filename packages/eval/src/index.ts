/**
 * @reidfx/eval: evaluation protocols of object re-identification (ranking, CUHK03 single-shot, re-ranking,
 * video, verification, clustering, ranked lists) on plain typed arrays.
 * @since 0.1.0
 */
export * as Distances from "./Distances.ts"
export { type DistanceMetric, pairwiseDistances } from "./Distances.ts"
export * from "./errors.ts"
export * as Features from "./Features.ts"
export { type FeatureMatrix, type FeaturesInput, toFeatureMatrix } from "./Features.ts"
export type { EvalFailure } from "./internal.ts"
export * as Ranking from "./Ranking.ts"
export {
  evaluateRanking,
  evaluateRankingEffect,
  type LabelledFeatures,
  type Labels,
  type LabelsInput,
  RankingOptions,
  type RankingOptionsInput,
  type RankingResult,
  rankingFromDistances,
  rankingFromDistancesEffect
} from "./Ranking.ts"
export * as ReRanking from "./ReRanking.ts"
export {
  kReciprocalReRanking,
  ReRankingOptions,
  type ReRankingOptionsInput,
  reRankDistances,
  reRankFeatures,
  reRankFeaturesEffect,
  type SquaredDistanceSource
} from "./ReRanking.ts"
export * as FeatureFiles from "./FeatureFiles.ts"
export { encodeNpy, type LabelColumns, parseFeatureFile, parseLabelFile } from "./FeatureFiles.ts"
export * as SingleGalleryShot from "./SingleGalleryShot.ts"
export {
  SingleGalleryShotOptions,
  type SingleGalleryShotResult,
  singleGalleryShotCmc,
  singleGalleryShotCmcEffect
} from "./SingleGalleryShot.ts"
export * as Video from "./Video.ts"
export {
  imageToVideo,
  mars,
  type TemporalPooling,
  temporalPool,
  type TrackletSet,
  videoToImage,
  videoToVideo
} from "./Video.ts"
export * as Verification from "./Verification.ts"
export { allPairs, type Roc, type VerificationResult, verification } from "./Verification.ts"
export * as AccuracyCalculator from "./AccuracyCalculator.ts"
export { accuracy, type AccuracyOptions, type AccuracyResult } from "./AccuracyCalculator.ts"
export * as MutualInformation from "./MutualInformation.ts"
export * as Clustering from "./Clustering.ts"
export {
  agglomerative,
  type ClusteringScores,
  clusterEmbeddings,
  clusteringScores,
  type Linkage,
  thresholdClustering
} from "./Clustering.ts"
export * as RankedList from "./RankedList.ts"
export { dataUri, rankedListHtml } from "./RankedList.ts"
export * as VerificationProtocol from "./VerificationProtocol.ts"
export { verifyWithValidation, type VerifyOptions, type VerifyResult } from "./VerificationProtocol.ts"
export * as Identification from "./Identification.ts"
export { type Candidates, identificationRates, topK } from "./Identification.ts"
export * as RocPicture from "./RocPicture.ts"
export { rocSpec, rocSvg } from "./RocPicture.ts"
export * as Attributes from "./Attributes.ts"
export { attributeScores, type AttributeScores } from "./Attributes.ts"
export * as Assignment from "./Assignment.ts"
export * as Tracking from "./Tracking.ts"
export { type Box, buildTracklets, type Detection, iou, linkAcrossCameras, track } from "./Tracking.ts"
export * as TrackingMetrics from "./TrackingMetrics.ts"
export { trackingScores, type TrackingScores } from "./TrackingMetrics.ts"
export * as AlignedDistance from "./AlignedDistance.ts"
export { parseStripeFile, type StripeFeatures } from "./FeatureFiles.ts"
export * as AttributeSearch from "./AttributeSearch.ts"
