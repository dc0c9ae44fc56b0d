/**
 * The Objectives of MDKT's stage 2, one per model, built from a row's switches (which of L_TR, L_MKD, L_PD,
 * L_MTCL are on) and the teacher's mode, with the terms of `@reidfx/metric` and `@reidfx/distill`:
 *
 *     student:  L_s = L_TR(s) + KD(t -> s) + L_PD + TCL(t -> s)                      (each switchable)
 *     teacher:  frozen         -> no objective (its variables never change)
 *               withoutMutual  -> L_t = L_TR(t)
 *               mutual         -> L_t = L_TR(t) + KD(s -> t) + L_PD + TCL(s -> t)
 *
 * | switch | term (each model's Objective) | source |
 * |---|---|---|
 * | `tr` | `tripletBatchHard(margin)` + `crossEntropyLabelSmooth(epsilon)` (weight `crossEntropy`, 0: off) | `@reidfx/metric` |
 * | `mkd` | `mutualLogitsKD(temperature = tau1, directions = fromPeer)` | `@reidfx/distill` |
 * | `pd` | `pairwiseDistance(reduction)` from `Source.peer` | `@reidfx/distill` |
 * | `mtcl` | `mutualTripletContrast(temperature = tau2, mineFrom, reduction, directions = fromPeer)` | `@reidfx/distill` |
 *
 * Each term reads the model's own outputs (`step.outputs`, with gradient) and its peer's (`step.peer`, detached
 * by `@reidfx/train`'s mutual step). With `directions: fromPeer` each Objective holds the direction that targets
 * its own model, so the two Objectives together sum to the seed's `L_MKD = KD_t2s + KD_s2t` and
 * `L_MTCL = TCL_t2s + TCL_s2t` (deep mutual learning's scheme); L_PD is one symmetric term of which each model
 * descends its own gradient. With `teacherKeepsTr` (default) the teacher keeps its L_TR in every row.
 * @since 0.1.0
 */
import {
  mutualLogitsKD,
  mutualTripletContrast,
  pairwiseDistance,
  Peer,
  type PeerService,
  Source
} from "@reidfx/distill"
import { crossEntropyLabelSmooth, Objective, Term, tripletBatchHard } from "@reidfx/metric"
import { Effect } from "effect"
import { MdktProtocolInvalid } from "./errors.ts"
import type { StudentStage, TeacherMode, TermName, TermsSpec, TripletSpec } from "./MdktProtocol.ts"

/**
 * L_TR of one model: `@reidfx/metric`'s batch-hard triplet on `features` (Hermans et al. 2017) and, when
 * `crossEntropy > 0`, its identity cross-entropy with label smoothing on the logits (Szegedy et al. 2016).
 * Returns one or two terms named `tr.triplet` and `tr.id`.
 * @category terms
 * @since 0.1.0
 */
export const trTerms = (spec: TripletSpec): ReadonlyArray<Term.Term<never>> => {
  const triplet = Term.named(tripletBatchHard({ margin: spec.margin, weight: spec.weight }), "tr.triplet")
  if (spec.crossEntropy === 0) return [triplet]
  const id = Term.named(
    crossEntropyLabelSmooth({ epsilon: spec.labelSmoothing, weight: spec.weight * spec.crossEntropy }),
    "tr.id"
  )
  return [triplet, id]
}

/** Which side of the pair a term set is for. @category models @since 0.1.0 */
export type Side = "student" | "teacher"

/**
 * The transfer terms of one side, named `mkd`, `pd` and `mtcl`; the peer's outputs are the target. Hard triplets
 * are mined from the teacher's distances (`mining: "teacher"`, default) or the student's.
 * @category terms
 * @since 0.1.0
 */
export const transferTerms = (
  side: Side,
  terms: TermsSpec,
  enabled: ReadonlyArray<TermName>
): ReadonlyArray<Term.Term<Peer>> => {
  const out: Array<Term.Term<Peer>> = []
  if (enabled.includes("mkd")) {
    out.push(
      Term.named(
        mutualLogitsKD({ temperature: terms.mkd.temperature, directions: "fromPeer", weight: terms.mkd.weight }),
        "mkd"
      )
    )
  }
  if (enabled.includes("pd")) {
    out.push(
      Term.named(pairwiseDistance({ reduction: terms.pd.reduction, weight: terms.pd.weight }, Source.peer), "pd")
    )
  }
  if (enabled.includes("mtcl")) {
    const mineFrom = (terms.mtcl.mining === "teacher") === (side === "teacher") ? "self" : "peer"
    out.push(
      Term.named(
        mutualTripletContrast({
          temperature: terms.mtcl.temperature,
          mineFrom,
          reduction: terms.mtcl.reduction,
          directions: "fromPeer",
          weight: terms.mtcl.weight
        }),
        "mtcl"
      )
    )
  }
  return out
}

/** The terms of both models for a row: `teacher` is empty when the teacher is frozen. @category terms @since 0.1.0 */
export interface RowTerms {
  readonly student: ReadonlyArray<Term.Term<Peer>>
  readonly teacher: ReadonlyArray<Term.Term<Peer>>
}

/**
 * The terms of a row (see the module doc). Throws {@link MdktProtocolInvalid} when the student would have no
 * term at all.
 * @category terms
 * @since 0.1.0
 */
export const rowTerms = (stage: StudentStage, enabled: ReadonlyArray<TermName>, mode: TeacherMode): RowTerms => {
  const student = [
    ...(enabled.includes("tr") ? trTerms(stage.terms.tr) : []),
    ...transferTerms("student", stage.terms, enabled)
  ]
  if (student.length === 0)
    throw new MdktProtocolInvalid({
      what: "MDKT row",
      detail: "no term is on; switch on at least one of tr, mkd, pd, mtcl"
    })
  const teacherTr = stage.teacherKeepsTr || enabled.includes("tr") ? trTerms(stage.terms.tr) : []
  const teacher =
    mode === "frozen"
      ? []
      : mode === "withoutMutual"
        ? teacherTr
        : [...teacherTr, ...transferTerms("teacher", stage.terms, enabled)]
  return { student, teacher }
}

/**
 * The two Objectives of a row; `peers` are the Peer services the transfer terms resolve (the teacher for the
 * student's Objective, the student for the teacher's). `teacher` is undefined when the teacher is frozen.
 * @category constructors
 * @since 0.1.0
 */
export const rowObjectives = (
  stage: StudentStage,
  enabled: ReadonlyArray<TermName>,
  mode: TeacherMode,
  peers: { readonly teacher: PeerService; readonly student: PeerService }
): Effect.Effect<
  { readonly student: Objective.ObjectiveService; readonly teacher: Objective.ObjectiveService | undefined },
  MdktProtocolInvalid
> =>
  Effect.gen(function* () {
    const terms = yield* Effect.try({
      try: () => rowTerms(stage, enabled, mode),
      catch: (e) => e as MdktProtocolInvalid
    })
    const student = yield* Objective.make(...terms.student).pipe(Effect.provideService(Peer, peers.teacher))
    const teacher =
      terms.teacher.length === 0
        ? undefined
        : yield* Objective.make(...terms.teacher).pipe(Effect.provideService(Peer, peers.student))
    return { student, teacher }
  })

/** The teacher's stage-1 Objective: L_TR (triplet + identity cross-entropy). @category constructors @since 0.1.0 */
export const teacherObjective = (spec: TripletSpec): Effect.Effect<Objective.ObjectiveService> =>
  Objective.make(...trTerms(spec))
