import type * as tf from "@tensorflow/tfjs-core"
import { Backend } from "@reidfx/tensor"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { rowObjectives } from "../../src/mdkt/MdktObjective.ts"
import type { MdktProtocol, TeacherMode } from "../../src/mdkt/MdktProtocol.ts"
import { trainPair, trainTeacher } from "../../src/mdkt/MdktTraining.ts"
import { ClipData, VideoModel, VideoWorld } from "@reidfx/video"
import { tinyProtocol } from "./fixtures.ts"
import { RandomStream } from "@reidfx/tensor"

const { indexTracklets, makeFrameLoader } = ClipData
const { loadWorld } = VideoWorld
const wasm = Layer.fresh(Backend.layerWasmWith({ threads: 1 }))

const snapshotValues = (vars: ReadonlyArray<tf.Variable>) => vars.map((v) => Float32Array.from(v.dataSync()))
const changed = (before: ReadonlyArray<Float32Array>, vars: ReadonlyArray<tf.Variable>) =>
  vars.some((v, i) => {
    const now = v.dataSync()
    return now.some((x, j) => x !== before[i]![j])
  })

/** Runs stage 2 of a row on a stage-1 teacher and reports what changed and which frame counts each model saw. */
const stageTwo = (protocol: MdktProtocol, mode: TeacherMode, studentFrames: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const world = yield* loadWorld(protocol.data)
      const loader = makeFrameLoader(protocol.data.height, protocol.data.width)
      const index = indexTracklets(world.train)
      const config = yield* VideoModel.decodeConfig({ ...protocol.model, classes: index.classes })
      const teacher = yield* VideoModel.makeTrainable(config, "teacher")
      yield* trainTeacher({
        model: teacher,
        index,
        loader,
        stage: protocol.teacher,
        flip: 0.5,
        rng: RandomStream.fromSeed(0, "s1")
      })
      const snapshot = yield* teacher.snapshot
      const student = yield* VideoModel.makeTrainable(config, "student")
      const seen = { student: new Set<number>(), teacher: new Set<number>() }
      const spy = <M extends VideoModel.VideoModelBase>(m: M, into: Set<number>): M => ({
        ...m,
        forward: (x: tf.Tensor, o?: { readonly training?: boolean }) => {
          into.add(x.shape[1]!)
          return m.forward(x, o)
        }
      })
      const trainable = mode === "frozen" ? undefined : yield* VideoModel.makeTrainable(config, "teacher")
      trainable?.assign(snapshot.weights())
      const peerOf = (m: VideoModel.VideoModelBase) => ({
        name: "p",
        forward: (x: tf.Tensor) => m.forward(x),
        variables: []
      })
      const objectives = yield* rowObjectives(protocol.student, ["tr", "mkd", "pd", "mtcl"], mode, {
        teacher: peerOf(trainable ?? snapshot),
        student: peerOf(student)
      })
      const studentBefore = snapshotValues(student.trainableVariables)
      const teacherVars = trainable?.trainableVariables ?? []
      const teacherBefore = snapshotValues(teacherVars)
      const frozenBefore = [...snapshot.weights().values()].map((t) => Float32Array.from(t.dataSync()))
      yield* trainPair({
        student: spy(student, seen.student),
        studentObjective: objectives.student,
        studentOptimizer: protocol.student.optimizer,
        teacher:
          trainable === undefined || objectives.teacher === undefined
            ? { _tag: "Frozen", model: spy(snapshot, seen.teacher) }
            : {
                _tag: "Trainable",
                model: spy(trainable, seen.teacher),
                objective: objectives.teacher,
                optimizer: protocol.student.teacherOptimizer
              },
        index,
        loader,
        epochs: 1,
        batchesPerEpoch: 2,
        batch: protocol.student.batch,
        studentFrames,
        teacherFrames: protocol.student.teacherFrames,
        sampling: "restrictedRandom",
        flip: 0.5,
        rng: RandomStream.fromSeed(0, "s2")
      })
      const frozenAfter = [...snapshot.weights().values()].map((t) => Float32Array.from(t.dataSync()))
      return {
        studentChanged: changed(studentBefore, student.trainableVariables),
        teacherChanged: changed(teacherBefore, teacherVars),
        frozenUnchanged: frozenBefore.every((a, i) => a.every((x, j) => x === frozenAfter[i]![j])),
        seen: { student: [...seen.student], teacher: [...seen.teacher] }
      }
    })
  ).pipe(noLeaksEffect, Effect.provide(wasm))

describe("MDKT stage 2 on a tiny configuration", () => {
  it("a frozen teacher's variables do not change; the student's do; each sees its configured frames", async () => {
    const protocol = await Effect.runPromise(tinyProtocol())
    const r = await Effect.runPromise(stageTwo(protocol, "frozen", 1))
    expect(r.frozenUnchanged).toBe(true)
    expect(r.studentChanged).toBe(true)
    expect(r.seen.student).toEqual([1])
    expect(r.seen.teacher).toEqual([3])
  })

  it("in mutual mode both models change; the student sees 2 frames when configured", async () => {
    const protocol = await Effect.runPromise(tinyProtocol())
    const r = await Effect.runPromise(stageTwo(protocol, "mutual", 2))
    expect(r.studentChanged).toBe(true)
    expect(r.teacherChanged).toBe(true)
    expect(r.seen.student).toEqual([2])
    expect(r.seen.teacher).toEqual([3])
  })

  it("without mutual terms the teacher still trains (on its own L_TR)", async () => {
    const protocol = await Effect.runPromise(tinyProtocol())
    const r = await Effect.runPromise(stageTwo(protocol, "withoutMutual", 1))
    expect(r.teacherChanged).toBe(true)
    expect(r.studentChanged).toBe(true)
  })
})
