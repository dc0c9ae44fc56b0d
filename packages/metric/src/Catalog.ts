/**
 * The metric losses by name, for configuration files: `Catalog.term("multiSimilarity", { alpha: 2 }, { classes,
 * dimension })` is the same Term as `multiSimilarity({ alpha: 2 })`. Losses with class parameters (ArcFace,
 * proxies, ...) take `classes` and `dimension` from the context when the options leave them out. Options are
 * decoded by each loss (an unknown value is a typed `InvalidOption` naming the loss and the field).
 * @since 0.2.0
 */
import { InvalidOption } from "@reidfx/tensor"
import { Schema, type Scope } from "effect"
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

/** The names a configuration file may use. @category models */
export const TermName = Schema.Literals([
  "arcFace",
  "circleLoss",
  "contrastive",
  "cosFace",
  "fastAp",
  "liftedStructure",
  "marginLoss",
  "multiSimilarity",
  "normalizedSoftmax",
  "nPairs",
  "ntXent",
  "proxyAnchor",
  "proxyNca",
  "softTriple",
  "sphereFace",
  "supCon",
  "tripletBatchAll",
  "tripletBatchHard",
  "tripletSoftHard"
])
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
    throw new InvalidOption({ what: name, detail: "needs classes and dimension (give them in the options, or use it where the model's are known)" })
  }
  return { ...options, classes, dimension } as never
}

/** The Term of a catalogued loss by name. Throws `InvalidOption` for bad options. @category constructors */
export const term = (name: TermName, options: AnyOptions = {}, context: Context = {}): Term.Term<Scope.Scope> => {
  const o = options as never
  switch (name) {
    case "arcFace":
      return arcFace(withClasses(name, options, context))
    case "cosFace":
      return cosFace(withClasses(name, options, context))
    case "normalizedSoftmax":
      return normalizedSoftmax(withClasses(name, options, context))
    case "proxyNca":
      return proxyNca(withClasses(name, options, context))
    case "proxyAnchor":
      return proxyAnchor(withClasses(name, options, context))
    case "softTriple":
      return softTriple(withClasses(name, options, context))
    case "sphereFace":
      return sphereFace(withClasses(name, options, context))
    case "marginLoss":
      return marginLoss(o)
    case "circleLoss":
      return circleLoss(o)
    case "contrastive":
      return contrastive(o)
    case "liftedStructure":
      return liftedStructure(o)
    case "fastAp":
      return fastAp(o)
    case "multiSimilarity":
      return multiSimilarity(o)
    case "nPairs":
      return nPairs(o)
    case "ntXent":
      return ntXent(o)
    case "supCon":
      return supCon(o)
    case "tripletBatchAll":
      return tripletBatchAll(o)
    case "tripletBatchHard":
      return tripletBatchHard(o)
    case "tripletSoftHard":
      return tripletSoftHard(o)
  }
}
