/**
 * The seeded randomness service. A run has one seed; each consumer takes its own named stream
 * (`"sampling"`, `"augmentation"`, `"init"`, or finer names), so results depend only on the seed,
 * never on the order in which components draw.
 *
 * `Rng` is a `Context.Reference` with seed 0 by default, so library code needs no requirement for it;
 * `Rng.layer(seed)` or `Rng.withSeed(seed)` sets the seed of a run.
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { dual } from "effect/Function"
import { RandomStream } from "./Random.ts"

/** The well-known stream names. Any other string is allowed. */
export type StreamName = "sampling" | "augmentation" | "init" | "dropout" | (string & {})

/** The seeded randomness of a run: independent named streams derived from one seed. */
export interface RngService {
  readonly seed: number
  /** A fresh generator for the named stream: same seed and name, same numbers. */
  readonly stream: (name: StreamName) => RandomStream
}

const make = (seed: number): RngService => ({
  seed,
  stream: (name) => RandomStream.fromSeed(seed, name)
})

/** The Rng reference (seed 0 unless provided). */
export const Rng = Context.Reference<RngService>("@reidfx/tensor/Rng", { defaultValue: () => make(0) })

/** A layer setting the run's seed. */
export const layer = (seed: number): Layer.Layer<never> => Layer.succeed(Rng, make(seed))

/** Runs an effect with the given seed. */
export const withSeed: {
  (seed: number): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, seed: number): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, seed: number) => Effect.provideService(self, Rng, make(seed)))

/** The named stream of the current Rng. */
export const stream = (name: StreamName): Effect.Effect<RandomStream> => Effect.map(Rng, (r) => r.stream(name))
