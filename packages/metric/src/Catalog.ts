/**
 * The metric losses by name, for configuration files: `Catalog.term("multiSimilarity", { alpha: 2 }, { classes,
 * dimension })` is the same Term as `multiSimilarity({ alpha: 2 })`. Losses with class parameters (ArcFace,
 * proxies, ...) take `classes` and `dimension` from the context when the options leave them out. Options are
 * decoded by each loss (an unknown value is a typed `InvalidOption` naming the loss and the field). Each loss is one
 * file (`losses/<Loss>.ts`) exporting its catalog `entry` (name, description, options Schema, constructor; see
 * `LossEntry.ts`); this module collects them, so adding a loss is its file and one line in {@link losses}.
 * @since 0.2.0
 */
import { InvalidOption, Registry } from "@reidfx/tensor"
import type { Scope } from "effect"
import * as ArcFace from "./losses/ArcFace.ts"
import * as CircleLoss from "./losses/CircleLoss.ts"
import * as Contrastive from "./losses/Contrastive.ts"
import * as CosFace from "./losses/CosFace.ts"
import * as FastAp from "./losses/FastAp.ts"
import * as LiftedStructure from "./losses/LiftedStructure.ts"
import * as MarginLoss from "./losses/MarginLoss.ts"
import * as MultiSimilarity from "./losses/MultiSimilarity.ts"
import * as NormalizedSoftmax from "./losses/NormalizedSoftmax.ts"
import * as NPairs from "./losses/NPairs.ts"
import * as NtXent from "./losses/NtXent.ts"
import * as ProxyAnchor from "./losses/ProxyAnchor.ts"
import * as ProxyNca from "./losses/ProxyNca.ts"
import * as SoftTriple from "./losses/SoftTriple.ts"
import * as SphereFace from "./losses/SphereFace.ts"
import * as SupCon from "./losses/SupCon.ts"
import * as TripletBatchAll from "./losses/TripletBatchAll.ts"
import * as TripletBatchHard from "./losses/TripletBatchHard.ts"
import * as TripletSoftHard from "./losses/TripletSoftHard.ts"
import type { LossEntry } from "./LossEntry.ts"
import type { TermOptions } from "./Loss.ts"
import type * as Term from "./Term.ts"

export type { LossEntry } from "./LossEntry.ts"

/** Each loss file's `entry`, in catalog order (adding a loss: its file, and one line here). @category catalog */
export const entries = [
  ArcFace.entry,
  CircleLoss.entry,
  Contrastive.entry,
  CosFace.entry,
  FastAp.entry,
  LiftedStructure.entry,
  MarginLoss.entry,
  MultiSimilarity.entry,
  NormalizedSoftmax.entry,
  NPairs.entry,
  NtXent.entry,
  ProxyAnchor.entry,
  ProxyNca.entry,
  SoftTriple.entry,
  SphereFace.entry,
  SupCon.entry,
  TripletBatchAll.entry,
  TripletBatchHard.entry,
  TripletSoftHard.entry
] as const

/** The PML losses, by name. @category catalog */
export const losses: Registry.Registry<LossEntry> = Registry.make<LossEntry>("metric loss", entries)

/** The names a configuration file may use (derived from {@link entries}). @category models */
export const TermName = Registry.nameSchema<(typeof entries)[number]["name"]>(losses)
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
