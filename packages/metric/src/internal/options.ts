/**
 * Schema helpers of option structs, shared by the losses and miners (and by `@reidfx/distill`'s terms):
 * fields with defaults and decoders that fail with a typed `InvalidOption` naming the bad field. Exported as
 * `OptionSchema`.
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import { Effect, Result, Schema, type SchemaAST } from "effect"

/** A number field with a check and a default (applied when the key is missing). */
export const numberWithDefault = (value: number, check?: SchemaAST.Check<number>) =>
  (check === undefined ? Schema.Finite : Schema.Finite.check(check)).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(value))
  )

/** Non-negative number with a default. */
export const nonNegative = (value: number) => numberWithDefault(value, Schema.isGreaterThanOrEqualTo(0))

/** Strictly positive number with a default. */
export const positive = (value: number) => numberWithDefault(value, Schema.isGreaterThan(0))

/** A boolean field with a default. */
export const booleanWithDefault = (value: boolean) => Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** A literal union field with a default. */
export const literalWithDefault = <const L extends ReadonlyArray<string>>(
  literals: L,
  value: L[number]
): Schema.withDecodingDefaultKey<Schema.Literals<L>> =>
  Schema.Literals(literals).pipe(Schema.withDecodingDefaultKey<Schema.Literals<L>>(Effect.succeed(value)))

/** Decodes options, throwing a typed {@link InvalidOption} naming the function and the bad field. */
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

/** Effect form of {@link decoder}. */
export const decoderEffect = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, what: string) => {
  const decode = decoder(schema, what)
  return (input: unknown): Effect.Effect<S["Type"], InvalidOption> =>
    Effect.try({ try: () => decode(input), catch: (e) => e as InvalidOption })
}
