/** @internal Schema helpers of the distillation terms (as `@reidfx/metric`'s, whose helpers are internal). */
import { InvalidOption } from "@reidfx/tensor"
import { Effect, Result, Schema, type SchemaAST } from "effect"

/** @internal A finite number with a check and a default (applied when the key is missing). */
export const numberWithDefault = (value: number, check?: SchemaAST.Check<number>) =>
  (check === undefined ? Schema.Finite : Schema.Finite.check(check)).pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** @internal Strictly positive number with a default. */
export const positive = (value: number) => numberWithDefault(value, Schema.isGreaterThan(0))

/** @internal A literal union field with a default. */
export const literalWithDefault = <const L extends ReadonlyArray<string>>(
  literals: L,
  value: L[number]
): Schema.withDecodingDefaultKey<Schema.Literals<L>> =>
  Schema.Literals(literals).pipe(Schema.withDecodingDefaultKey<Schema.Literals<L>>(Effect.succeed(value)))

/** @internal The distances of the metric terms. */
export const distanceField = (value: "euclidean" | "squaredEuclidean") =>
  literalWithDefault(["euclidean", "squaredEuclidean", "cosine"], value)

/** @internal A boolean field with a default. */
export const booleanWithDefault = (value: boolean) => Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** @internal Options as shown in a term's description: a `false` `normalize` (the default) is left out. */
export const shown = <O extends { readonly normalize?: boolean }>(o: O): object => ({ ...o, normalize: o.normalize === true ? true : undefined })

/** @internal Decodes options, throwing a typed {@link InvalidOption} naming the function and the bad field. */
export const decoder = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, what: string) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (input: unknown): S["Type"] => {
    const result = decode(input ?? {}, { errors: "all" })
    if (Result.isFailure(result)) {
      throw new InvalidOption({ what: `${what} options`, detail: result.failure.message.replace(/\n\s*/g, " ") })
    }
    return result.success
  }
}
