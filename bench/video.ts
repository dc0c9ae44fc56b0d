/**
 * Benchmarks of `@reidfx/video` (and `@reidfx/reid`'s MDKT training step) with the model of the shipped `protocols/mdkt-synthetic.yaml` (64x32 frames,
 * reference net 8-16-32-64, one block per stage, P = 8 x K = 4 clips per batch):
 *
 * - one training step of stage 1 (teacher alone, 4-frame clips) and of stage 2 in each teacher mode (mutual,
 *   without mutual, frozen; student 1 frame, teacher 4, all four terms), in clips per second;
 * - clip embedding for evaluation (8-frame clips, batch 64 frames), in clips per second;
 * - temporal pooling of `[64, 8, 128]` frame embeddings (mean, max, quality).
 */
import * as tf from "@tensorflow/tfjs-core"
import { Rng } from "@reidfx/tensor"
import { MdktObjective, MdktProtocolFile, MdktTraining } from "@reidfx/reid"
import { ClipData, TemporalPooling, VideoEvaluation, VideoModel, VideoWorld } from "@reidfx/video"
import { Effect } from "effect"
import type { BenchRow } from "./run.ts"

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const run = async (options: { quick: boolean }): Promise<Array<BenchRow>> => {
  const rows: Array<BenchRow> = []
  const steps = options.quick ? 2 : 6
  const protocol = await Effect.runPromise(
    MdktProtocolFile.decode({
      name: "bench",
      kind: "mdkt",
      data: { world: { kind: "synthetic", trainIdentities: 16, testIdentities: 8, frames: 8 }, height: 64, width: 32 },
      model: {
        backbone: { kind: "reference", stemWidth: 8, widths: [8, 16, 32, 64], blocks: [1, 1, 1, 1], lastStride: 1 }
      }
    })
  )
  await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const world = yield* VideoWorld.loadWorld(protocol.data)
        const loader = ClipData.makeFrameLoader(protocol.data.height, protocol.data.width)
        const index = ClipData.indexTracklets(world.train)
        const config = yield* VideoModel.decodeConfig({ ...protocol.model, classes: index.classes })
        // warm the frame cache so that rendering is not timed
        for (const t of world.train) loader.write(t.frames, false, new Float32Array(t.frames.length * 64 * 32 * 3), 0)
        const clipsPerSecond = (seconds: number, clips: number) => clips / seconds
        // stage 1
        const teacher = yield* VideoModel.makeTrainable(config, "teacher")
        const s1: Array<number> = []
        for (let i = 0; i < steps + 1; i++) {
          const t0 = performance.now()
          yield* MdktTraining.trainTeacher({
            model: teacher,
            index,
            loader,
            stage: { ...protocol.teacher, epochs: 1, batchesPerEpoch: 1 },
            flip: 0.5,
            rng: yield* Rng.stream(`b${i}`)
          })
          if (i > 0) s1.push((performance.now() - t0) / 1000)
        }
        rows.push({
          suite: "video",
          case: "stage 1 step (teacher, 32 clips x 4 frames)",
          median: clipsPerSecond(median(s1), 32),
          unit: "clips/s",
          runs: s1.length,
          extra: { secondsPerStep: median(s1) }
        })
        const snapshot = yield* teacher.snapshot
        for (const mode of ["mutual", "withoutMutual", "frozen"] as const) {
          const times: Array<number> = []
          yield* Effect.scoped(
            Effect.gen(function* () {
              const student = yield* VideoModel.makeTrainable(config, "student")
              const t2 = mode === "frozen" ? undefined : yield* VideoModel.makeTrainable(config, "teacher")
              t2?.assign(snapshot.weights())
              const peer = (m: VideoModel.VideoModelBase) => ({
                name: "p",
                forward: (x: tf.Tensor) => m.forward(x),
                variables: []
              })
              const o = yield* MdktObjective.rowObjectives(protocol.student, ["tr", "mkd", "pd", "mtcl"], mode, {
                teacher: peer(t2 ?? snapshot),
                student: peer(student)
              })
              for (let i = 0; i < steps + 1; i++) {
                const t0 = performance.now()
                yield* MdktTraining.trainPair({
                  student,
                  studentObjective: o.student,
                  studentOptimizer: protocol.student.optimizer,
                  teacher:
                    t2 === undefined || o.teacher === undefined
                      ? { _tag: "Frozen", model: snapshot }
                      : {
                          _tag: "Trainable",
                          model: t2,
                          objective: o.teacher,
                          optimizer: protocol.student.teacherOptimizer
                        },
                  index,
                  loader,
                  epochs: 1,
                  batchesPerEpoch: 1,
                  batch: protocol.student.batch,
                  studentFrames: 1,
                  teacherFrames: 4,
                  sampling: "restrictedRandom",
                  flip: 0.5,
                  rng: yield* Rng.stream(`m${i}`)
                })
                if (i > 0) times.push((performance.now() - t0) / 1000)
              }
            })
          )
          rows.push({
            suite: "video",
            case: `stage 2 step, ${mode} (student 1 frame, teacher 4)`,
            median: clipsPerSecond(median(times), 32),
            unit: "clips/s",
            runs: times.length,
            extra: { secondsPerStep: median(times) }
          })
        }
        const evalTimes: Array<number> = []
        const tracklets = world.gallery.slice(0, 32)
        for (let i = 0; i < steps + 1; i++) {
          const t0 = performance.now()
          VideoEvaluation.embedClips(
            snapshot,
            tracklets.map((t) => ({ tracklet: t, positions: [0, 1, 2, 3, 4, 5, 6, 7] })),
            loader,
            64
          )
          if (i > 0) evalTimes.push((performance.now() - t0) / 1000)
        }
        rows.push({
          suite: "video",
          case: "embed 8-frame clips (inference, after render)",
          median: tracklets.length / median(evalTimes),
          unit: "clips/s",
          runs: evalTimes.length
        })
      })
    ).pipe(Rng.withSeed(0))
  )
  const frames = tf.randomNormal([64, 8, 128]) as tf.Tensor3D
  const w = tf.randomNormal([128]) as tf.Tensor1D
  const b = tf.scalar(0)
  for (const kind of TemporalPooling.temporalPoolingKinds) {
    const times: Array<number> = []
    for (let i = 0; i < (options.quick ? 3 : 20) + 1; i++) {
      const t0 = performance.now()
      const y = TemporalPooling.temporalPool(kind, frames, { w, b })
      y.dataSync()
      y.dispose()
      if (i > 0) times.push(performance.now() - t0)
    }
    rows.push({
      suite: "video",
      case: `temporal pooling ${kind} [64, 8, 128]`,
      median: median(times),
      unit: "ms",
      runs: times.length
    })
  }
  tf.dispose([frames, w, b])
  return rows
}
