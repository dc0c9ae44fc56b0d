/**
 * Verdicts on the first seed's claims (Wang et al., "Positive Pair Distillation Considered Harmful", BMVC 2022):
 * for each claim "A is better than B" the per-seed paired difference `d_s = score_A(s) - score_B(s)` (or
 * `forgetting_B(s) - forgetting_A(s)` for "forgets less"), its mean and the 95 % Student t-interval
 * `mean ± t_{0.975, n-1} * sd / sqrt(n)`. The verdict is **holds** when the interval lies above 0, **reversed**
 * when it lies below 0, and **not significant** otherwise (always with a single seed).
 *
 * The claims: DwoPP > DwPP; DwoPP > BoT-FT; distillation forgets less than fine-tuning (LwF vs BoT-FT, DwPP
 * vs DMML-FT, DwoPP vs DMML-FT); DMML-FT > BoT-FT. Scores: final seen-average mAP; forgetting: the mean
 * forgetting of mAP over the seen test sets of tasks 0..T-2. A claim whose methods a run lacks is left out.
 * @since 0.1.0
 */
import * as Ledger from "../Ledger.ts"
import type { RunResult } from "../Runner.ts"

/** Two-sided 95 % quantiles `t_{0.975, df}` of Student's t, df = 1..30 (larger df: the normal's 1.96). */
const t975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042
]

/** `t_{0.975, df}`. @category math */
export const tQuantile975 = (df: number): number => (df < 1 ? Number.NaN : df <= 30 ? t975[df - 1]! : 1.96)

/** A 95 % t-interval of the mean of paired differences. */
export interface Interval {
  readonly mean: number
  readonly low: number
  readonly high: number
  readonly n: number
}

/** The 95 % t-interval of the mean of `values` (n >= 2; with one value the interval is unbounded). @category math */
export const interval = (values: ReadonlyArray<number>): Interval | undefined => {
  const s = Ledger.stat(values)
  if (s === undefined) return undefined
  if (s.n < 2) return { mean: s.mean, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY, n: s.n }
  const half = tQuantile975(s.n - 1) * (s.std / Math.sqrt(s.n))
  return { mean: s.mean, low: s.mean - half, high: s.mean + half, n: s.n }
}

export type Verdict = "holds" | "not significant" | "reversed"

/** The verdict of an interval of "A better than B" differences. */
export const verdictOf = (i: Interval): Verdict => (i.low > 0 ? "holds" : i.high < 0 ? "reversed" : "not significant")

/** One claim of the seed. */
export interface Claim {
  readonly text: string
  readonly better: string
  readonly worse: string
  /** `score`: final seen-average mAP, higher is better; `forgetting`: mean mAP forgetting, lower is better. */
  readonly on: "score" | "forgetting"
}

/** The seed's claims. */
export const claims: ReadonlyArray<Claim> = [
  { text: "DwoPP > DwPP (seen avg. mAP)", better: "dwopp", worse: "dwpp", on: "score" },
  { text: "DwoPP > BoT-FT (seen avg. mAP)", better: "dwopp", worse: "bot-ft", on: "score" },
  { text: "LwF forgets less than BoT-FT (forgetting, mAP)", better: "lwf", worse: "bot-ft", on: "forgetting" },
  { text: "DwPP forgets less than DMML-FT (forgetting, mAP)", better: "dwpp", worse: "dmml-ft", on: "forgetting" },
  { text: "DwoPP forgets less than DMML-FT (forgetting, mAP)", better: "dwopp", worse: "dmml-ft", on: "forgetting" },
  { text: "DMML-FT > BoT-FT (seen avg. mAP)", better: "dmml-ft", worse: "bot-ft", on: "score" }
]

/** A claim's measured outcome (differences in points). */
export interface ClaimResult {
  readonly claim: Claim
  readonly differences: ReadonlyArray<number>
  readonly interval: Interval
  readonly verdict: Verdict
}

/** The per-seed "better minus worse" differences of a claim, in points (seeds both methods ran). */
export const differences = (result: RunResult, claim: Claim): ReadonlyArray<number> => {
  const { cells, layout } = result
  const last = layout.tasks - 1
  const seeds = Ledger.seedsOf(cells, claim.better).filter((s) => Ledger.seedsOf(cells, claim.worse).includes(s))
  const out: Array<number> = []
  for (const s of seeds) {
    const d =
      claim.on === "score"
        ? sub(
            Ledger.seenAverage(cells, layout, claim.better, s, last, "mAP"),
            Ledger.seenAverage(cells, layout, claim.worse, s, last, "mAP")
          )
        : sub(
            Ledger.meanForgetting(cells, layout, claim.worse, s, "mAP"),
            Ledger.meanForgetting(cells, layout, claim.better, s, "mAP")
          )
    if (d !== undefined) out.push(100 * d)
  }
  return out
}

const sub = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b)

/** The verdict of every claim whose two methods the run has. */
export const evaluate = (result: RunResult): ReadonlyArray<ClaimResult> =>
  claims.flatMap((claim) => {
    const diffs = differences(result, claim)
    const i = interval(diffs)
    return i === undefined ? [] : [{ claim, differences: diffs, interval: i, verdict: verdictOf(i) }]
  })

const fmt = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(1)}` : x > 0 ? "+inf" : "-inf")

/** One line per claim: `holds: DwoPP > DwPP (seen avg. mAP): +2.1 points, 95% CI [+0.3, +3.9], 3 seeds`. */
export const toLines = (results: ReadonlyArray<ClaimResult>): ReadonlyArray<string> =>
  results.map(
    (r) =>
      `${r.verdict.padEnd(15)} ${r.claim.text}: ${fmt(r.interval.mean)} points, 95% CI [${fmt(r.interval.low)}, ${fmt(r.interval.high)}], ${r.interval.n} seed${
        r.interval.n === 1 ? "" : "s"
      }`
  )
