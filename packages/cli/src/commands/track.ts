/**
 * `reidfx track`: multi-camera tracking of detections by re-identification (`@reidfx/eval`'s `track`):
 * tracklets per camera (IoU + appearance, Hungarian matching), then tracklets linked across cameras into
 * identities. Detections come as JSON, `[{ "frame", "camera", "box": [x, y, w, h], "feature"?: [...], "id"? }]`,
 * with the features inline or as rows of `--features` (.npy / .json / .csv, in detection order). With true `id`s:
 * IDF1 / IDP / IDR, ID switches and purity of the tracklets (per camera) and of the identities (all cameras).
 * Writes `tracks.json`.
 * @since 0.1.0
 */
import { type Detection, track, trackingScores } from "@reidfx/eval"
import { Backend } from "@reidfx/tensor"
import { Console, Effect, Option } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { fileFlag, outFlag, readFeatures, writeResults } from "./applications.ts"
import { read, userError } from "./eval.ts"
import * as BackendFlag from "../BackendFlag.ts"

/** The flags of `reidfx track`. */
export const trackFlags = {
  detections: fileFlag("detections", "Detections: JSON [{ frame, camera, box: [x, y, w, h], feature?, id? }]"),
  features: Flag.String("features").pipe(
    Flag.optional,
    Flag.withDescription("Their features, one row per detection (when not inline)")
  ),
  threshold: Flag.Finite("threshold").pipe(
    Flag.withDefault(0.3),
    Flag.withDescription("Cosine distance at which tracklets stop being linked across cameras (default 0.3)")
  ),
  maxAge: Flag.Int("max-age").pipe(
    Flag.withDefault(5),
    Flag.withDescription("Frames a tracklet may go unseen (default 5)")
  ),
  matching: Flag.Literals("matching", ["hungarian", "greedy"]).pipe(
    Flag.withDefault("hungarian" as const),
    Flag.withDescription("Frame-to-frame matching (default hungarian)")
  ),
  out: outFlag("track")
}

interface RawDetection {
  readonly frame: number
  readonly camera: number
  readonly box: readonly [number, number, number, number]
  readonly feature?: ReadonlyArray<number>
  readonly id?: number
}

const validate = (json: unknown, path: string): Effect.Effect<ReadonlyArray<RawDetection>, CliError.UserError> => {
  if (!Array.isArray(json)) return Effect.fail(userError(`${path}: expected an array of detections`))
  for (const [k, d] of json.entries()) {
    const ok =
      typeof d === "object" &&
      d !== null &&
      Number.isInteger(d.frame) &&
      Number.isInteger(d.camera) &&
      Array.isArray(d.box) &&
      d.box.length === 4 &&
      d.box.every((v: unknown) => typeof v === "number" && Number.isFinite(v)) &&
      (d.id === undefined || Number.isInteger(d.id)) &&
      (d.feature === undefined ||
        (Array.isArray(d.feature) && d.feature.every((v: unknown) => typeof v === "number" && Number.isFinite(v))))
    if (!ok)
      return Effect.fail(
        userError(
          `${path}: detection ${k} needs integer frame and camera, box [x, y, w, h] of numbers, optional numeric feature and integer id`
        )
      )
  }
  return Effect.succeed(json as ReadonlyArray<RawDetection>)
}

/** `reidfx track`. */
export const trackCommand = Command.make("track", trackFlags, (flags) =>
  Effect.gen(function* () {
    const bytes = yield* read(flags.detections)
    const parsed = yield* Effect.try({
      try: () => JSON.parse(new TextDecoder().decode(bytes)) as unknown,
      catch: (e) => userError(`${flags.detections}: not JSON (${(e as Error).message})`)
    })
    const raw = yield* validate(parsed, flags.detections)
    let features: ReadonlyArray<ArrayLike<number>>
    if (Option.isSome(flags.features)) {
      const m = yield* readFeatures(flags.features.value)
      if (m.rows !== raw.length)
        return yield* Effect.fail(
          userError(`--features ${flags.features.value}: ${m.rows} rows for ${raw.length} detections`)
        )
      features = Array.from({ length: m.rows }, (_, i) => m.data.subarray(i * m.dim, (i + 1) * m.dim))
    } else {
      const missing = raw.findIndex((d) => d.feature === undefined)
      if (missing >= 0)
        return yield* Effect.fail(userError(`detection ${missing} has no feature: give them inline or with --features`))
      features = raw.map((d) => d.feature!)
    }
    const dims = new Set(features.map((f) => f.length))
    if (dims.size > 1) return yield* Effect.fail(userError(`features have different lengths: ${[...dims].join(", ")}`))
    yield* Backend.Backend
    const detections: Array<Detection> = raw.map((d, i) => ({
      frame: d.frame,
      camera: d.camera,
      box: d.box,
      feature: features[i]!
    }))
    const result = track(detections, { threshold: flags.threshold, maxAge: flags.maxAge, matching: flags.matching })
    const tracklets = new Set(result.tracklets).size
    const identities = new Set(result.identities).size
    yield* Console.log(
      `${raw.length} detections in ${new Set(raw.map((d) => d.camera)).size} cameras: ${tracklets} tracklets, ${identities} identities`
    )
    const labelled = raw.every((d) => d.id !== undefined)
    const frames = raw.map((d) => d.frame)
    const cameras = raw.map((d) => d.camera)
    const scores = labelled
      ? {
          tracklets: trackingScores(
            result.tracklets,
            raw.map((d) => d.id!),
            frames,
            cameras
          ),
          identities: trackingScores(
            result.identities,
            raw.map((d) => d.id!),
            frames,
            cameras
          )
        }
      : undefined
    if (scores !== undefined) {
      yield* Console.log(
        `tracklets: IDF1 ${(100 * scores.tracklets.idf1).toFixed(2)}%, ${scores.tracklets.idSwitches} ID switches, purity ${(100 * scores.tracklets.purity).toFixed(2)}%`
      )
      yield* Console.log(
        `across cameras: IDF1 ${(100 * scores.identities.idf1).toFixed(2)}% (IDP ${(100 * scores.identities.idp).toFixed(2)}%, IDR ${(100 * scores.identities.idr).toFixed(2)}%)`
      )
    }
    const report = {
      options: { threshold: flags.threshold, maxAge: flags.maxAge, matching: flags.matching },
      ...(scores === undefined ? {} : { scores }),
      detections: raw.map((d, i) => ({
        frame: d.frame,
        camera: d.camera,
        box: d.box,
        ...(d.id === undefined ? {} : { id: d.id }),
        tracklet: result.tracklets[i],
        identity: result.identities[i]
      }))
    }
    yield* writeResults(flags.out, { "tracks.json": `${JSON.stringify(report, null, 2)}\n` })
  }).pipe(
    Effect.provide(BackendFlag.layer),
    Effect.mapError((e) => (e instanceof CliError.UserError ? e : userError(e.message)))
  )
).pipe(
  Command.withDescription(
    "Multi-camera tracking: tracklets per camera by IoU + appearance, linked across cameras by ReID features; IDF1 when ids are given"
  )
)
