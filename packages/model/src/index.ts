/**
 * @reidfx/model: backbones (the CPU reference net, torchvision ResNet-18/34/50 and MobileNetV2), ReID heads
 * (average / max / GeM pooling, embedding, BNNeck, classifier), models as scoped resources with frozen
 * snapshots, and weights I/O as tfjs model directories.
 * @since 0.1.0
 */
export type { Backbone } from "./backbones/Backbone.ts"
export * as BackboneCatalog from "./BackboneCatalog.ts"
export * as BackboneEntry from "./backbones/BackboneEntry.ts"
export { osNet, osBlock, type OSNetOptions } from "./backbones/OSNet.ts"
export { makeDivisible, mobileNetV2, type MobileNetV2Options } from "./backbones/MobileNetV2.ts"
export { referenceNet, type ReferenceNetOptions } from "./backbones/ReferenceNet.ts"
export { maxPoolCeil, resNet, type ResNetDepth, type ResNetOptions } from "./backbones/ResNet.ts"
export { basicBlock, bottleneckBlock, stage } from "./backbones/ResNetBlocks.ts"
export { detach, detachOutputs } from "./detach.ts"
export * from "./errors.ts"
export { attributeHead, type AttributeHeadOptions } from "./heads/AttributeHead.ts"
export { bodyParts, keypointPartPooling, type KeypointPoolingOptions, partMasks } from "./heads/KeypointPooling.ts"
export { localBranch, type LocalBranch, type LocalBranchOptions } from "./heads/LocalBranch.ts"
export { pcbDescriptor, pcbHead, type PcbHead, type PcbHeadOptions, type PcbOutputs } from "./heads/PcbHead.ts"
export { reidHead, type ReidHead, type ReidHeadOptions } from "./heads/ReidHead.ts"
export { stripeMatrix, stripes } from "./heads/Stripes.ts"
export { partAssignment, poolByAssignment, refinedPartPooling, uniformAssignment } from "./heads/RefinedPartPooling.ts"
export { initialValue } from "./Init.ts"
export * as Model from "./Model.ts"
export type { FrozenModel, ModelBase, ModelOf, TrainableModel, TrainableOf } from "./Model.ts"
export * as ModelConfig from "./ModelConfig.ts"
export {
  modelBase,
  type NetworkLike,
  scopedCopies,
  scopedVariables,
  tensorGetter,
  variableLookups
} from "./ModelParts.ts"
export { define, type Network, parameterCount } from "./Network.ts"
export { batchNorm, type BatchNormOptions } from "./nn/BatchNorm.ts"
export { Builder, type Forward, type ForwardContext, type Init, type ParamSpec } from "./nn/Builder.ts"
export { conv2d, type Conv2dOptions, depthwiseConv2d } from "./nn/Conv2d.ts"
export { linear, type LinearOptions } from "./nn/Linear.ts"
export {
  gemPool,
  globalAveragePool,
  globalMaxPool,
  globalPool,
  type PoolingKind,
  type PoolingOptions
} from "./nn/Pooling.ts"
export * as Weights from "./Weights.ts"
export { ibnNorm } from "./nn/Ibn.ts"
export { instanceNorm, type InstanceNormOptions } from "./nn/InstanceNorm.ts"
export * as WeightsImport from "./weights/Import.ts"
export * as WeightsInit from "./weights/WeightsInit.ts"
export * as Safetensors from "./weights/Safetensors.ts"
export * as Npz from "./weights/Npz.ts"
export * as Npy from "./weights/Npy.ts"
export * as TensorFile from "./weights/TensorFile.ts"
export * as TorchNames from "./weights/TorchNames.ts"
