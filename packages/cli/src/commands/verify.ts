/**
 * `reidfx verify`: 1:1 verification of a labelled feature set. The identities are split (seeded) into a
 * validation and a test half; the accept threshold is chosen on the validation pairs at `--far`, then applied to
 * the test pairs (`@reidfx/eval`'s `verifyWithValidation`). Writes `verify.json` (threshold, test TAR/FAR at it,
 * AUC, EER, TAR@FAR, the test ROC) and `roc.svg`.
 * @since 0.1.0
 */
import { rocSvg, verifyWithValidation } from "@reidfx/eval"
import { Backend } from "@reidfx/tensor"
import { Console, Effect } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { checkRange, fileFlag, metricFlag, outFlag, readFeatures, readIds, writeResults } from "./applications.ts"
import { fromFailure, userError } from "./eval.ts"
import * as BackendFlag from "../BackendFlag.ts"

/** The flags of `reidfx verify`. */
export const verifyFlags = {
  features: fileFlag("features", "Features of the labelled set: .npy [n, dim], .json or .csv"),
  ids: fileFlag("ids", "Their identities (.npy [n], .json, one-column .csv)"),
  far: Flag.Finite("far").pipe(
    Flag.withDefault(0.01),
    Flag.withDescription("False accept rate the threshold is chosen at on the validation pairs (default 0.01)")
  ),
  validationFraction: Flag.Finite("validation-fraction").pipe(
    Flag.withDefault(0.5),
    Flag.withDescription("Fraction of identities used to choose the threshold (default 0.5)")
  ),
  seed: Flag.Int("seed").pipe(Flag.withDefault(0), Flag.withDescription("Seed of the identity split (default 0)")),
  metric: metricFlag,
  out: outFlag("verify")
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`

/** `reidfx verify`. */
export const verifyCommand = Command.make("verify", verifyFlags, (flags) =>
  Effect.gen(function* () {
    yield* checkRange(flags.far, "far", 1e-9, 1)
    yield* checkRange(flags.validationFraction, "validation-fraction", 1e-9, 1 - 1e-9)
    const features = yield* readFeatures(flags.features)
    const ids = yield* readIds(flags.ids, "--ids", features.rows)
    yield* Backend.Backend
    yield* Console.log(
      `${features.rows} items, ${new Set(Array.from(ids)).size} identities, ${features.dim}-d, ${flags.metric}; choosing the threshold at FAR ${flags.far}`
    )
    const r = yield* fromFailure(() =>
      verifyWithValidation(features, ids, {
        far: flags.far,
        validationFraction: flags.validationFraction,
        seed: flags.seed,
        metric: flags.metric
      })
    )
    yield* Console.log(
      `threshold ${r.threshold.toFixed(4)} (distance <= threshold: same person), chosen on ${r.validationIdentities.length} identities (TAR ${pct(r.validation.tarAtFar[0]!.tar)})`
    )
    yield* Console.log(
      `test (${r.testIdentities.length} identities, ${r.test.genuine} genuine / ${r.test.impostor} impostor pairs): TAR ${pct(r.testAtThreshold.tar)} at FAR ${pct(r.testAtThreshold.far)}; AUC ${r.test.auc.toFixed(4)}, EER ${pct(r.test.eer)}`
    )
    const report = {
      options: { far: flags.far, validationFraction: flags.validationFraction, seed: flags.seed, metric: flags.metric },
      threshold: r.threshold,
      validationIdentities: r.validationIdentities,
      testIdentities: r.testIdentities,
      test: {
        atThreshold: r.testAtThreshold,
        auc: r.test.auc,
        eer: r.test.eer,
        tarAtFar: r.test.tarAtFar,
        genuine: r.test.genuine,
        impostor: r.test.impostor,
        roc: {
          far: Array.from(r.test.roc.far),
          tar: Array.from(r.test.roc.tar),
          thresholds: Array.from(r.test.roc.thresholds, (t) => (Number.isFinite(t) ? t : null))
        }
      }
    }
    const roc = yield* rocSvg(r.test.roc, {
      title: `test ROC (threshold ${r.threshold.toFixed(3)} chosen at FAR ${flags.far})`,
      mark: r.testAtThreshold
    })
    yield* writeResults(flags.out, { "verify.json": `${JSON.stringify(report, null, 2)}\n`, "roc.svg": roc })
  }).pipe(
    Effect.provide(BackendFlag.layer),
    Effect.mapError((e) => (e instanceof CliError.UserError ? e : userError(e.message)))
  )
).pipe(
  Command.withDescription(
    "1:1 verification: choose the accept threshold at --far on validation identities, report TAR/FAR, AUC, EER and the ROC on the others"
  )
)
