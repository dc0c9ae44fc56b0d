/**
 * @reidfx/sweep: sweeps of protocols x parameter values x methods x seeds, each combination a unit (one
 * lifelong run), run by runner processes on Effect Cluster with a shared SQL store; reports rebuilt from the
 * store as units finish.
 * @since 0.1.0
 */
export * from "./errors.ts"
export * as Follow from "./Follow.ts"
export * as Store from "./Store.ts"
export * as Sweep from "./Sweep.ts"
export * as SweepCluster from "./SweepCluster.ts"
export * as SweepReport from "./SweepReport.ts"
export * as Unit from "./Unit.ts"
export * as UnitStore from "./UnitStore.ts"
