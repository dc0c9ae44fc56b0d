/**
 * The field schemas protocols are written with: `@reidfx/tensor`'s `ConfigFields`, the one module every config
 * dialect (this package's `Protocol`, `RunConfig` and `MdktProtocol`) uses,
 * re-exported under the names this package has always used.
 * @since 0.1.0
 */
import { ConfigFields } from "@reidfx/tensor"

/** `schema` with `value` as its decoding default when the key is missing. @category combinators */
export const withDefault = ConfigFields.withDefault
/** An integer > 0 (and at most 10^7). @category schemas */
export const PositiveInt = ConfigFields.PositiveInt
/** A number of identities: 1 to 100,000. @category schemas */
export const IdentityCount = ConfigFields.IdentityCount
/** Images per identity and camera: 1 to 1,000. @category schemas */
export const ImagesPerCamera = ConfigFields.ImagesPerCamera
/** An integer >= 0. @category schemas */
export const NonNegativeInt = ConfigFields.NonNegativeInt
/** A finite number > 0. @category schemas */
export const Positive = ConfigFields.Positive
/** A finite number >= 0. @category schemas */
export const NonNegative = ConfigFields.NonNegative
/** A finite number in [0, 1]. @category schemas */
export const Probability = ConfigFields.Probability
