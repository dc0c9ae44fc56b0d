/**
 * Helpers shared by the modules of `@reidfx/eval` (not exported from the package).
 * @since 0.1.0
 * @internal
 */
import { DTypeMismatch, InvalidOption, NonFiniteTensor, ShapeMismatch } from "@reidfx/tensor"
import { Effect, Result, type Schema } from "effect"
import { EmptySet, InvalidFile, LengthMismatch, NoValidQuery } from "./errors.ts"

/** Every typed failure the plain functions of this package throw. */
export type EvalFailure =
  | InvalidFile
  | LengthMismatch
  | EmptySet
  | NoValidQuery
  | ShapeMismatch
  | NonFiniteTensor
  | InvalidOption
  | DTypeMismatch

const isFailure = (e: unknown): e is EvalFailure =>
  e instanceof InvalidFile ||
  e instanceof LengthMismatch ||
  e instanceof EmptySet ||
  e instanceof NoValidQuery ||
  e instanceof ShapeMismatch ||
  e instanceof NonFiniteTensor ||
  e instanceof InvalidOption ||
  e instanceof DTypeMismatch

/** Runs a throwing plain function as an Effect: typed failures fail, anything else is a defect. */
export const attempt = <A>(f: () => A): Effect.Effect<A, EvalFailure> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      return isFailure(e) ? Effect.fail(e) : Effect.die(e)
    }
  })

/** Decodes options with a Schema decoder (defaults applied); a bad option throws {@link InvalidOption}. */
export const decodeOptions = <A>(
  decode: (input: unknown) => Result.Result<A, Schema.SchemaError>,
  what: string,
  input: unknown
): A => {
  const result = decode(input ?? {})
  if (Result.isSuccess(result)) return result.success
  throw new InvalidOption({ what, detail: result.failure.message.replace(/\n\s*/g, " ") })
}

/** Throws {@link LengthMismatch} unless `actual === expected`. */
export const checkLength = (what: string, expected: number, actual: number): void => {
  if (expected !== actual) throw new LengthMismatch({ what, expected, actual })
}

/** Throws {@link EmptySet} when `n === 0`. */
export const checkNonEmpty = (what: string, n: number): void => {
  if (n === 0) throw new EmptySet({ what })
}
