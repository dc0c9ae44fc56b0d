/**
 * The metric losses by name, for configuration files: `Catalog.term("multiSimilarity", { alpha: 2 }, { classes,
 * dimension })` is the same Term as `multiSimilarity({ alpha: 2 })`. Losses with class parameters (ArcFace,
 * proxies, ...) take `classes` and `dimension` from the context when the options leave them out. Options are
 * decoded by each loss (an unknown value is a typed `InvalidOption` naming the loss and the field).
 * @since 0.2.0
 */
import { InvalidOption, Registry } from "@reidfx/tensor"
import type { Scope } from "effect"
import { arcFace } from "./losses/ArcFace.ts"
import { circleLoss } from "./losses/CircleLoss.ts"
import { contrastive } from "./losses/Contrastive.ts"
import { cosFace } from "./losses/CosFace.ts"
import { fastAp } from "./losses/FastAp.ts"
import { liftedStructure } from "./losses/LiftedStructure.ts"
import { marginLoss } from "./losses/MarginLoss.ts"
import { multiSimilarity } from "./losses/MultiSimilarity.ts"
import { normalizedSoftmax } from "./losses/NormalizedSoftmax.ts"
import { nPairs } from "./losses/NPairs.ts"
import { ntXent } from "./losses/NtXent.ts"
import { proxyAnchor } from "./losses/ProxyAnchor.ts"
import { proxyNca } from "./losses/ProxyNca.ts"
import { softTriple } from "./losses/SoftTriple.ts"
import { sphereFace } from "./losses/SphereFace.ts"
import { supCon } from "./losses/SupCon.ts"
import { tripletBatchAll } from "./losses/TripletBatchAll.ts"
import { tripletBatchHard } from "./losses/TripletBatchHard.ts"
import { tripletSoftHard } from "./losses/TripletSoftHard.ts"
import type { TermOptions } from "./Loss.ts"
import type * as Term from "./Term.ts"

/** A catalogued metric loss: its name and how its Term is built from options (see `@reidfx/tensor` Registry). @category models */
export interface LossEntry extends Registry.Entry {
  /** The loss has class parameters (proxies, a classifier): `classes` and `dimension` come from the context when the options leave them out. */
  readonly classParameters: boolean
  /** The Term of these options. Throws `InvalidOption` for bad options. */
  make(options: Record<string, unknown>): Term.Term<Scope.Scope>
}

const entry = (
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: each loss decodes its own options
  make: (options: any) => Term.Term<Scope.Scope>,
  description: string,
  classParameters = false
): LossEntry => ({ name, description, classParameters, make })

/** The PML losses, by name. @category catalog */
export const losses: Registry.Registry<LossEntry> = Registry.make<LossEntry>("metric loss", [
  entry("arcFace", arcFace, "additive angular margin (Deng et al. 2019)", true),
  entry("circleLoss", circleLoss, "circle loss (Sun et al. 2020)"),
  entry("contrastive", contrastive, "contrastive loss (Hadsell et al. 2006)"),
  entry("cosFace", cosFace, "large margin cosine loss (Wang et al. 2018)", true),
  entry("fastAp", fastAp, "FastAP (Cakir et al. 2019)"),
  entry("liftedStructure", liftedStructure, "lifted structure loss (Oh Song et al. 2016)"),
  entry("marginLoss", marginLoss, "margin loss (Wu et al. 2017)"),
  entry("multiSimilarity", multiSimilarity, "multi-similarity loss (Wang et al. 2019)"),
  entry("normalizedSoftmax", normalizedSoftmax, "normalized softmax (Zhai and Wu 2019)", true),
  entry("nPairs", nPairs, "N-pair loss (Sohn 2016)"),
  entry("ntXent", ntXent, "NT-Xent (Chen et al. 2020)"),
  entry("proxyAnchor", proxyAnchor, "proxy anchor loss (Kim et al. 2020)", true),
  entry("proxyNca", proxyNca, "ProxyNCA (Movshovitz-Attias et al. 2017)", true),
  entry("softTriple", softTriple, "SoftTriple (Qian et al. 2019)", true),
  entry("sphereFace", sphereFace, "SphereFace (Liu et al. 2017)", true),
  entry("supCon", supCon, "supervised contrastive loss (Khosla et al. 2020)"),
  entry("tripletBatchAll", tripletBatchAll, "batch-all triplet loss (Hermans et al. 2017)"),
  entry("tripletBatchHard", tripletBatchHard, "batch-hard triplet loss (Hermans et al. 2017)"),
  entry("tripletSoftHard", tripletSoftHard, "soft-hard (weighted) triplet loss (fast-reid's weighted triplet)")
])

/** The names a configuration file may use (derived from {@link losses}). @category models */
export const TermName = Registry.nameSchema<
  | "arcFace"
  | "circleLoss"
  | "contrastive"
  | "cosFace"
  | "fastAp"
  | "liftedStructure"
  | "marginLoss"
  | "multiSimilarity"
  | "normalizedSoftmax"
  | "nPairs"
  | "ntXent"
  | "proxyAnchor"
  | "proxyNca"
  | "softTriple"
  | "sphereFace"
  | "supCon"
  | "tripletBatchAll"
  | "tripletBatchHard"
  | "tripletSoftHard"
>(losses)
export type TermName = typeof TermName.Type

/** What a class-parameter loss may take from its context. @category models */
export interface Context {
  /** Identities of the classifier. */
  readonly classes?: number
  /** Embedding dimension. */
  readonly dimension?: number
}

type AnyOptions = Record<string, unknown> & Pick<TermOptions, "weight" | "embedding">

const withClasses = (name: string, options: AnyOptions, context: Context) => {
  const classes = options["classes"] ?? context.classes
  const dimension = options["dimension"] ?? context.dimension
  if (classes === undefined || dimension === undefined) {
    throw new InvalidOption({
      what: name,
      detail: "needs classes and dimension (give them in the options, or use it where the model's are known)"
    })
  }
  return { ...options, classes, dimension }
}

/** The Term of a catalogued loss by name. Throws `InvalidOption` for bad options or an unknown name. @category constructors */
export const term = (name: TermName, options: AnyOptions = {}, context: Context = {}): Term.Term<Scope.Scope> => {
  const e = losses.require(name)
  return e.make(e.classParameters ? withClasses(name, options, context) : options)
}
