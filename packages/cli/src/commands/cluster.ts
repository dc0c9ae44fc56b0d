/**
 * `reidfx cluster`: N:N clustering of a feature set into identities (`@reidfx/eval`'s `clusterEmbeddings`:
 * agglomerative with a linkage, cut at a distance or a number of clusters, or threshold / connected components).
 * With identities, NMI, ARI and the pairwise F-score. Writes `clusters.json`.
 * @since 0.1.0
 */
import { clusterEmbeddings, clusteringScores } from "@reidfx/eval"
import { Backend } from "@reidfx/tensor"
import { Console, Effect, Option } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { fileFlag, metricFlag, outFlag, readFeatures, readOptionalIds, writeResults } from "./applications.ts"
import { fromFailure, userError } from "./eval.ts"
import * as BackendFlag from "../BackendFlag.ts"

/** The flags of `reidfx cluster`. */
export const clusterFlags = {
  features: fileFlag("features", "Features to cluster: .npy [n, dim], .json or .csv"),
  ids: Flag.String("ids").pipe(
    Flag.optional,
    Flag.withDescription("True identities, to score the clustering (NMI, ARI, pairwise F)")
  ),
  method: Flag.Literals("method", ["agglomerative", "threshold"]).pipe(
    Flag.withDefault("agglomerative" as const),
    Flag.withDescription("agglomerative (default) or threshold (connected components of pairs within --threshold)")
  ),
  linkage: Flag.Literals("linkage", ["single", "complete", "average"]).pipe(
    Flag.withDefault("average" as const),
    Flag.withDescription("Agglomerative linkage (default average)")
  ),
  threshold: Flag.Finite("threshold").pipe(Flag.optional, Flag.withDescription("Cut distance")),
  clusters: Flag.Int("clusters").pipe(
    Flag.optional,
    Flag.withDescription("Number of clusters (agglomerative; instead of --threshold)")
  ),
  metric: metricFlag,
  out: outFlag("cluster")
}

/** `reidfx cluster`. */
export const clusterCommand = Command.make("cluster", clusterFlags, (flags) =>
  Effect.gen(function* () {
    const threshold = Option.getOrUndefined(flags.threshold)
    const clusters = Option.getOrUndefined(flags.clusters)
    if ((threshold === undefined) === (clusters === undefined) && flags.method === "agglomerative") {
      return yield* Effect.fail(userError("give exactly one of --threshold <distance> or --clusters <count>"))
    }
    if (flags.method === "threshold" && threshold === undefined)
      return yield* Effect.fail(userError("--method threshold needs --threshold <distance>"))
    if (clusters !== undefined && clusters < 1)
      return yield* Effect.fail(userError(`--clusters: ${clusters} must be at least 1`))
    const features = yield* readFeatures(flags.features)
    const ids = yield* readOptionalIds(flags.ids, "--ids", features.rows)
    yield* Backend.Backend
    const options =
      flags.method === "threshold"
        ? { method: "threshold" as const, threshold: threshold! }
        : {
            method: "agglomerative" as const,
            linkage: flags.linkage,
            ...(threshold === undefined ? { numClusters: clusters! } : { threshold })
          }
    const assignment = yield* fromFailure(() => clusterEmbeddings(features, options, flags.metric))
    const count = new Set(assignment).size
    yield* Console.log(
      `${features.rows} items into ${count} clusters (${flags.method}${flags.method === "agglomerative" ? `, ${flags.linkage} linkage` : ""}, ${flags.metric})`
    )
    const scores = ids === undefined ? undefined : yield* fromFailure(() => clusteringScores(assignment, ids))
    if (scores !== undefined) {
      yield* Console.log(
        `NMI ${scores.nmi.toFixed(4)}, ARI ${scores.ari.toFixed(4)}, pairwise F ${scores.pairwiseF.toFixed(4)} (${scores.numClasses} identities)`
      )
    }
    const members = new Map<number, Array<number>>()
    assignment.forEach((c, i) => {
      members.set(c, [...(members.get(c) ?? []), i])
    })
    const report = {
      options: { ...options, metric: flags.metric },
      ...(scores === undefined ? {} : { scores }),
      assignment: Array.from(assignment),
      clusters: [...members.entries()].sort((a, b) => a[0] - b[0]).map(([cluster, items]) => ({ cluster, items }))
    }
    yield* writeResults(flags.out, { "clusters.json": `${JSON.stringify(report, null, 2)}\n` })
  }).pipe(
    Effect.provide(BackendFlag.layer),
    Effect.mapError((e) => (e instanceof CliError.UserError ? e : userError(e.message)))
  )
).pipe(Command.withDescription("N:N clustering of features into identities, with NMI / ARI when identities are given"))
