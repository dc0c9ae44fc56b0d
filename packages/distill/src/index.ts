/**
 * @reidfx/distill: who learns from whom (a frozen `Teacher`, the lifelong `OldModel`, a mutual `Peer`) and the
 * terms that transfer knowledge between them.
 *
 * Convention (as `@reidfx/metric`): `Name` (PascalCase namespace) holds a loss's `Options` schema and its plain
 * math `Name.loss(...)`; `name(options, source?)` (lower camel) is its Term, whose type requires the model it
 * learns from (`Term<Teacher>`, `Term<OldModel>`, `Term<Peer>`).
 * @since 0.1.0
 */
export * as DarkRank from "./losses/DarkRank.ts"
export { darkRank, mutualDarkRank } from "./losses/DarkRank.ts"
export * as DwoPP from "./losses/DwoPP.ts"
export { dwopp } from "./losses/DwoPP.ts"
export * as DwPP from "./losses/DwPP.ts"
export { dwpp } from "./losses/DwPP.ts"
export * as LocalMetricMutual from "./losses/LocalMetricMutual.ts"
export { localMetricMutual } from "./losses/LocalMetricMutual.ts"
export * as LogitsKD from "./losses/LogitsKD.ts"
export { logitsKD } from "./losses/LogitsKD.ts"
export * as LwF from "./losses/LwF.ts"
export { lwf } from "./losses/LwF.ts"
export * as Lstkc from "./losses/Lstkc.ts"
export { lstkc } from "./losses/Lstkc.ts"
export * as Krkc from "./losses/Krkc.ts"
export * as PatchKd from "./losses/PatchKd.ts"
export { krkcCalibration, krkcSoftTriplet } from "./losses/Krkc.ts"
export * as MetricMutual from "./losses/MetricMutual.ts"
export { metricMutual } from "./losses/MetricMutual.ts"
export * as MutualLogitsKD from "./losses/MutualLogitsKD.ts"
export { mutualLogitsKD } from "./losses/MutualLogitsKD.ts"
export * as MutualTripletContrast from "./losses/MutualTripletContrast.ts"
export { mutualTripletContrast } from "./losses/MutualTripletContrast.ts"
export * as PairwiseDistance from "./losses/PairwiseDistance.ts"
export { pairwiseDistance } from "./losses/PairwiseDistance.ts"
export * as RkdAngle from "./losses/RkdAngle.ts"
export { rkdAngle } from "./losses/RkdAngle.ts"
export * as RkdDistance from "./losses/RkdDistance.ts"
export { rkdDistance } from "./losses/RkdDistance.ts"
export * as TripletContrast from "./losses/TripletContrast.ts"
export { tripletContrast } from "./losses/TripletContrast.ts"
export * as FrozenModel from "./FrozenModel.ts"
export type { FrozenModelService } from "./FrozenModel.ts"
export * as Gradient from "./Gradient.ts"
export { detach, detachOutputs, untaped } from "./Gradient.ts"
export { OldModel } from "./OldModel.ts"
export { Peer, type PeerService } from "./Peer.ts"
export * as PrototypeDistillation from "./PrototypeDistillation.ts"
export * as Source from "./Source.ts"
export { Teacher } from "./Teacher.ts"
