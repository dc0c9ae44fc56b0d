/**
 * The field schemas every config dialect of reidfx is written with (the lifelong `Protocol`, the training
 * `RunConfig`, the `MdktProtocol`, sweeps): a default applied when the key is missing, and the usual numeric
 * constraints. One module, so `identities: 0` or `flip: 2` is refused with the same words in every file.
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"

/** `schema` with `value` as its decoding default when the key is missing. @category combinators */
export const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"]) =>
  schema.pipe(Schema.withDecodingDefaultTypeKey(Effect.succeed(value)))

/** A nested struct whose missing key decodes from `{}` (so its own field defaults apply). @category combinators */
export const withEmptyDefault = <S extends Schema.Top>(schema: S) =>
  schema.pipe(Schema.withDecodingDefaultKey<S>(Effect.succeed({} as S["Encoded"])))

/** An integer in `[minimum, maximum]`: a count bounded so that every allocation it drives stays finite. @category schemas */
export const Count = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** An integer > 0 (and at most 10^7, so that no count in a config file can drive an unbounded allocation). @category schemas */
export const PositiveInt = Count(1, 10_000_000)
/** A number of identities: 1 to 100,000 (the synthetic world and dataset truncation allocate per identity). @category schemas */
export const IdentityCount = Count(1, 100_000)
/** Images per identity and camera: 1 to 1,000. @category schemas */
export const ImagesPerCamera = Count(1, 1000)
/** An integer >= 0. @category schemas */
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** A finite number > 0. @category schemas */
export const Positive = Schema.Finite.check(Schema.isGreaterThan(0))
/** A finite number >= 0. @category schemas */
export const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
/** A finite number in [0, 1]. @category schemas */
export const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
