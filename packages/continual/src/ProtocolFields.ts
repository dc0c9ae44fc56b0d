/**
 * The field schemas protocols are written with (this package's `Protocol` and `@reidfx/video`'s
 * `MdktProtocol`): a default applied when the key is missing, and the usual numeric constraints.
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"

/** `schema` with `value` as its decoding default when the key is missing. @category combinators */
export const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"]) =>
  schema.pipe(Schema.withDecodingDefaultTypeKey(Effect.succeed(value)))

/** An integer > 0 (and at most 10^7, so that no count in a protocol file can drive an unbounded allocation). @category schemas */
export const PositiveInt = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000_000 }))
/** A number of identities: 1 to 100,000 (the synthetic world and dataset truncation allocate per identity). @category schemas */
export const IdentityCount = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100_000 }))
/** Images per identity and camera: 1 to 1,000. @category schemas */
export const ImagesPerCamera = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))
/** An integer >= 0. @category schemas */
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** A finite number > 0. @category schemas */
export const Positive = Schema.Finite.check(Schema.isGreaterThan(0))
/** A finite number >= 0. @category schemas */
export const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
/** A finite number in [0, 1]. @category schemas */
export const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
