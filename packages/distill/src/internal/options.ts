/** @internal Schema helpers of the distillation terms: `@reidfx/metric`'s `OptionSchema`, plus distill's own. */
import { OptionSchema } from "@reidfx/metric"

/** @internal A finite number with a check and a default (applied when the key is missing). */
export const numberWithDefault = OptionSchema.numberWithDefault

/** @internal Strictly positive number with a default. */
export const positive = OptionSchema.positive

/** @internal A literal union field with a default. */
export const literalWithDefault = OptionSchema.literalWithDefault

/** @internal A boolean field with a default. */
export const booleanWithDefault = OptionSchema.booleanWithDefault

/** @internal Decodes options, throwing a typed `InvalidOption` naming the function and the bad field. */
export const decoder = OptionSchema.decoder

/** @internal The distances of the metric terms. */
export const distanceField = (value: "euclidean" | "squaredEuclidean") =>
  literalWithDefault(["euclidean", "squaredEuclidean", "cosine"], value)

/** @internal Options as shown in a term's description: a `false` `normalize` (the default) is left out. */
export const shown = <O extends { readonly normalize?: boolean }>(o: O): object => ({
  ...o,
  normalize: o.normalize === true ? true : undefined
})
