/**
 * `reidfx identify`: 1:N identification. Each probe's top-k gallery items (`@reidfx/eval`'s `topK`); with probe
 * identities, the rank-1..k identification rates (and with `--threshold`, open-set DIR and the false-alarm rate
 * of unenrolled probes). Writes `identify.json`.
 * @since 0.1.0
 */
import { identificationRates, pairwiseDistances, topK } from "@reidfx/eval"
import { Backend } from "@reidfx/tensor"
import { Console, Effect, Option } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { fileFlag, metricFlag, outFlag, readFeatures, readIds, readOptionalIds, writeResults } from "./applications.ts"
import { fromFailure, userError } from "./eval.ts"
import * as BackendFlag from "../BackendFlag.ts"

/** The flags of `reidfx identify`. */
export const identifyFlags = {
  probeFeatures: fileFlag("probe-features", "Probe (query) features: .npy [n, dim], .json or .csv"),
  galleryFeatures: fileFlag("gallery-features", "Gallery (enrolled) features"),
  galleryIds: fileFlag("gallery-ids", "Gallery identities"),
  probeIds: Flag.String("probe-ids").pipe(
    Flag.optional,
    Flag.withDescription("Probe identities, to score the identification rates")
  ),
  topK: Flag.Int("top-k").pipe(Flag.withDefault(5), Flag.withDescription("Candidates per probe (default 5)")),
  threshold: Flag.Finite("threshold").pipe(
    Flag.optional,
    Flag.withDescription("Open set: a candidate counts only within this distance")
  ),
  metric: metricFlag,
  out: outFlag("identify")
}

/** `reidfx identify`. */
export const identifyCommand = Command.make("identify", identifyFlags, (flags) =>
  Effect.gen(function* () {
    if (flags.topK < 1) return yield* Effect.fail(userError(`--top-k: ${flags.topK} must be at least 1`))
    const probes = yield* readFeatures(flags.probeFeatures)
    const gallery = yield* readFeatures(flags.galleryFeatures)
    if (probes.dim !== gallery.dim)
      return yield* Effect.fail(userError(`probe features are ${probes.dim}-d, gallery features ${gallery.dim}-d`))
    const galleryIds = yield* readIds(flags.galleryIds, "--gallery-ids", gallery.rows)
    const probeIds = yield* readOptionalIds(flags.probeIds, "--probe-ids", probes.rows)
    yield* Backend.Backend
    const d = yield* fromFailure(() => pairwiseDistances(probes, gallery, { metric: flags.metric }))
    const candidates = topK(d, probes.rows, gallery.rows, flags.topK)
    const threshold = Option.getOrUndefined(flags.threshold)
    yield* Console.log(
      `${probes.rows} probes against ${gallery.rows} gallery items (${flags.metric}), top-${flags.topK}`
    )
    const rates =
      probeIds === undefined
        ? undefined
        : yield* fromFailure(() => identificationRates(candidates, probeIds, galleryIds, threshold))
    if (rates !== undefined) {
      yield* Console.log(
        `identification rate: ${rates.rates.map((r, k) => `rank-${k + 1} ${(100 * r).toFixed(2)}%`).join(", ")} (${rates.enrolled} enrolled probes)`
      )
      if (rates.falseAlarmRate !== undefined)
        yield* Console.log(
          `false alarms: ${(100 * rates.falseAlarmRate).toFixed(2)}% of ${rates.unenrolled} unenrolled probes`
        )
    }
    const report = {
      options: { topK: flags.topK, metric: flags.metric, ...(threshold === undefined ? {} : { threshold }) },
      ...(rates === undefined ? {} : { rates }),
      probes: candidates.map((c, q) => ({
        probe: q,
        ...(probeIds === undefined ? {} : { id: probeIds[q] }),
        candidates: c.indices.map((j, t) => ({
          index: j,
          id: galleryIds[j],
          distance: c.distances[t],
          ...(threshold === undefined ? {} : { accepted: c.distances[t]! <= threshold })
        }))
      }))
    }
    yield* writeResults(flags.out, { "identify.json": `${JSON.stringify(report, null, 2)}\n` })
  }).pipe(
    Effect.provide(BackendFlag.layer),
    Effect.mapError((e) => (e instanceof CliError.UserError ? e : userError(e.message)))
  )
).pipe(
  Command.withDescription(
    "1:N identification: each probe's top-k gallery identities, with identification rates when probe identities are given"
  )
)
