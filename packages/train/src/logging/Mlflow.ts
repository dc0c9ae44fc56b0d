/**
 * An MLflow tracker that writes MLflow's file store (`mlruns/`), so `mlflow ui --backend-store-uri <dir>`
 * shows reidfx runs without a server and without Python at training time. The layout is that of MLflow's
 * `FileStore` (`mlflow/store/tracking/file_store.py`):
 *
 * ```
 * <root>/<experiment id>/meta.yaml                   experiment: name, id, artifact location, lifecycle stage
 * <root>/<experiment id>/<run id>/meta.yaml          run: id, name, status (1 RUNNING, 3 FINISHED, 4 FAILED, 5 KILLED), times
 * <root>/<experiment id>/<run id>/params/<key>       one value (the flattened config and the provenance)
 * <root>/<experiment id>/<run id>/metrics/<key>      lines "<timestamp ms> <value> <step>"
 * <root>/<experiment id>/<run id>/tags/<key>         mlflow.runName, mlflow.source.git.commit, ...
 * ```
 *
 * Metric keys are `Tracker.scalarName` (slashes make sub-folders, as MLflow's own file store does).
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Tracker as Trackers } from "@reidfx/tensor"

const { scalarName } = Trackers
type Tracker = Trackers.Tracker

/** MLflow's run status codes (`mlflow.entities.RunStatus`). */
export const RunStatus = { RUNNING: 1, FINISHED: 3, FAILED: 4, KILLED: 5 } as const

/** Flattens a JSON value into dotted keys (arrays as JSON text), as MLflow params. */
export const flatten = (value: unknown, prefix = ""): Array<readonly [string, string]> => {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      flatten(v, prefix === "" ? k : `${prefix}.${k}`)
    )
  }
  if (value === undefined) return []
  return [[prefix, typeof value === "string" ? value : JSON.stringify(value)] as const]
}

/** A safe file name for a key (MLflow allows letters, digits, `_ - . space /`). */
const safe = (key: string) =>
  key
    .replace(/[^A-Za-z0-9_\-. /]/g, "_")
    .split("/")
    .filter((p) => p !== "" && p !== "." && p !== "..")
    .join("/")

const yaml = (fields: Record<string, string | number>) =>
  `${Object.entries(fields)
    .map(([k, v]) => `${k}: ${typeof v === "number" ? v : `'${v.replaceAll("'", "''")}'`}`)
    .join("\n")}\n`

/** The MLflow file-store tracker (`root` is the `mlruns` folder; experiment `0`, "Default", unless named). */
export const tracker = (
  root: string,
  options: { readonly experimentId?: string; readonly experimentName?: string } = {}
): Tracker => {
  const experimentId = options.experimentId ?? "0"
  const experimentDir = path.join(root, experimentId)
  const runId = randomBytes(16).toString("hex")
  const runDir = path.join(experimentDir, runId)
  let runName = "reidfx"
  let started = 0
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
  }
  const meta = (status: number, end: number | undefined) =>
    write(
      path.join(runDir, "meta.yaml"),
      yaml({
        artifact_uri: path.resolve(runDir, "artifacts"),
        end_time: end ?? "null",
        entry_point_name: "",
        experiment_id: experimentId,
        lifecycle_stage: "active",
        run_id: runId,
        run_name: runName,
        run_uuid: runId,
        source_name: "",
        source_type: 4,
        source_version: "",
        start_time: started,
        status,
        user_id: process.env.USER ?? "reidfx"
      })
        .replace("end_time: 'null'", "end_time: null")
        .concat("tags: []\n")
    )
  return {
    name: "mlflow",
    init: (run) => {
      started = Date.now()
      runName = run.name
      if (!fs.existsSync(path.join(experimentDir, "meta.yaml"))) {
        write(
          path.join(experimentDir, "meta.yaml"),
          yaml({
            artifact_location: path.resolve(experimentDir),
            creation_time: started,
            experiment_id: experimentId,
            last_update_time: started,
            lifecycle_stage: "active",
            name: options.experimentName ?? "Default"
          })
        )
      }
      meta(RunStatus.RUNNING, undefined)
      for (const [k, v] of [...flatten(run.config), ...flatten({ provenance: run.provenance })])
        write(path.join(runDir, "params", safe(k)), v)
      write(path.join(runDir, "tags", "mlflow.runName"), runName)
      write(path.join(runDir, "tags", "mlflow.source.name"), "reidfx")
      if (run.provenance.commit !== undefined)
        write(path.join(runDir, "tags", "mlflow.source.git.commit"), run.provenance.commit)
    },
    log: (record) => {
      const ms = Math.round(record.time * 1000)
      for (const [name, value] of Object.entries(record.values)) {
        const file = path.join(runDir, "metrics", safe(scalarName(record, name)))
        fs.mkdirSync(path.dirname(file), { recursive: true })
        fs.appendFileSync(file, `${ms} ${value} ${record.step}\n`)
      }
    },
    finish: (outcome) =>
      meta(
        outcome === "finished" ? RunStatus.FINISHED : outcome === "failed" ? RunStatus.FAILED : RunStatus.KILLED,
        Date.now()
      )
  }
}
