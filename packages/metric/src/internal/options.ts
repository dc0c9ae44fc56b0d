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
export const booleanWithDefault = (value: boolean) =>
  Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** A literal union field with a default. */
export const literalWithDefault = <const L extends ReadonlyArray<string>>(
  literals: L,
  value: L[number]
): Schema.withDecodingDefaultKey<Schema.Literals<L>> =>
  Schema.Literals(literals).pipe(Schema.withDecodingDefaultKey<Schema.Literals<L>>(Effect.succeed(value)))

/** The keys a struct schema declares (none for other schemas). */
const keysOf = (ast: SchemaAST.AST): ReadonlyArray<string> =>
  ast._tag === "Objects" ? ast.propertySignatures.map((p) => String(p.name)) : []

/**
 * Decodes options, throwing a typed {@link InvalidOption} naming the function and the bad field. Options passed
 * in code are held to the same rules as in a file: an unknown key (`tripletBatchHard({ margn: 0.3 })`) is an
 * error naming it and the allowed keys, not silently ignored.
 */
export const decoder = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, what: string) => {
  const decode = Schema.decodeUnknownResult(schema)
  const allowed = keysOf(schema.ast)
  return (input: unknown): S["Type"] => {
    if (input !== null && typeof input === "object" && !Array.isArray(input) && allowed.length > 0) {
      const unknown = Object.keys(input).filter((k) => !allowed.includes(k))
      if (unknown.length > 0) {
        throw new InvalidOption({
          what: `${what} options`,
          detail: `unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; allowed: ${allowed.join(", ")}`
        })
      }
    }
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
