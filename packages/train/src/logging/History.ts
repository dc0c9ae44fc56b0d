/**
 * The history of a run as plain files every tool reads: `steps.csv` / `steps.jsonl` (one row per optimizer
 * step) and `evaluations.csv` / `evaluations.jsonl` (one row per evaluation), in a folder of the run.
 *
 * - JSON lines: one object per record, `{"kind","step","time", ...where, "values": {name: value}}`.
 * - CSV: the long ("tidy") layout `time,step,method,seed,task,epoch,test_set,name,value`, one row per
 *   scalar, so a method whose loss gains a term at the second task (LwF, DwoPP) keeps one header; RFC 4180
 *   quoting. Load with `pandas.read_csv(...).pivot_table(...)` or any spreadsheet.
 *
 * Files are appended to (a resumed run continues them; each record is one `write` of whole lines) and synced
 * to disk when the run ends.
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { LogRecord, Tracker as Trackers } from "@reidfx/tensor"

type Tracker = Trackers.Tracker

/** The CSV header of the history files. */
export const csvHeader = "time,step,method,seed,task,epoch,test_set,name,value"

/** One CSV field (quoted when it holds a comma, a quote or a line break; RFC 4180). */
export const csvField = (value: string | number | undefined): string => {
  if (value === undefined) return ""
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** The CSV rows of a record (one per scalar, each ending in a newline). */
export const csvRows = (record: LogRecord): string => {
  const w = record.where
  const prefix = [record.time.toFixed(3), record.step, w.method, w.seed, w.task, w.epoch, w.testSet]
    .map(csvField)
    .join(",")
  return Object.entries(record.values)
    .map(([name, value]) => `${prefix},${csvField(name)},${Number.isFinite(value) ? value : String(value)}\n`)
    .join("")
}

/** The JSON line of a record (non-finite values as strings "NaN" / "Infinity", which JSON cannot hold). */
export const jsonLine = (record: LogRecord): string =>
  `${JSON.stringify({
    kind: record.kind,
    step: record.step,
    time: Number(record.time.toFixed(3)),
    ...record.where,
    values: Object.fromEntries(Object.entries(record.values).map(([k, v]) => [k, Number.isFinite(v) ? v : String(v)]))
  })}\n`

/** The history tracker writing into `dir` (created if missing). */
export const tracker = (dir: string): Tracker => {
  const fds = new Map<string, number>()
  const file = (name: string, header?: string) => {
    let fd = fds.get(name)
    if (fd === undefined) {
      const full = path.join(dir, name)
      fs.mkdirSync(dir, { recursive: true })
      const fresh = !fs.existsSync(full) || fs.statSync(full).size === 0
      fd = fs.openSync(full, "a")
      if (fresh && header !== undefined) fs.writeSync(fd, `${header}\n`)
      fds.set(name, fd)
    }
    return fd
  }
  return {
    name: "history",
    log: (record) => {
      const base = record.kind === "step" ? "steps" : "evaluations"
      fs.writeSync(file(`${base}.csv`, csvHeader), csvRows(record))
      fs.writeSync(file(`${base}.jsonl`), jsonLine(record))
    },
    finish: () => {
      for (const fd of fds.values()) {
        fs.fsyncSync(fd)
        fs.closeSync(fd)
      }
      fds.clear()
    }
  }
}

/** Reads a `.jsonl` history file back (one record per line). */
export const readJsonLines = (file: string): Array<Record<string, unknown>> =>
  fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
